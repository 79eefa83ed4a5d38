// Writes the README's "Bring your own model" screenshots (docs/onnx-*.png) from the built dist/
// in headless Chromium: the PyTorch LeNet fixture (tests/data/onnx/lenet_bn.onnx) opened by link
// in Precision, Layers (per-layer sensitivity) and Ternary, and the Train lesson's Export ONNX
// button. Usage: node scripts/onnx_screenshots.mjs [outdir] (default docs/).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser, openLab, settle } from "../tests/e2e/browser.mjs";

const root = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
const out = path.resolve(process.argv[2] || path.join(root, "docs"));
const { server, url } = await startServer(undefined, { mounts: [["/models/", path.join(root, "tests/data/onnx")]] });
const browser = await launchBrowser();
const finished = (page, test) => page.waitForFunction(test, null, { timeout: 300000, polling: 250 });

// hover: a recorded view to point at (its tooltip shows); wheel: [x, y, dy] scrolls a column.
async function shot(query, file, prepare, { hover, wheel, height = 800 } = {}) {
  const { page, context } = await openLab(browser, url + query, { width: 1280, height });
  await finished(page, () => window.quantlab.metrics().model === "onnx:lenet_bn.onnx" || window.quantlab.metrics().model_imported);  // every lesson's metrics has one of these
  await page.evaluate(() => window.quantlab.dismissMessages());
  await prepare(page);
  await page.evaluate(() => window.quantlab.dismissMessages());  // the import's notes: in the Train lesson
  if (wheel) {
    await page.mouse.move(wheel[0], wheel[1]);
    await page.mouse.wheel(0, wheel[2]);
    await settle(page, 20);
  }
  if (hover) {
    const r = (await page.evaluate(() => window.quantlab.metrics())).layout[hover];
    await page.mouse.move(r.x + r.width / 2, r.y + r.height / 2);
  } else {
    await page.mouse.move(1275, 795);  // no tooltip in the picture
  }
  await settle(page, 30);
  await page.screenshot({ path: path.join(out, file) });
  await context.close();
  console.log("wrote", path.join(out, file));
}

try {
  const model = "model=models/lenet_bn.onnx";
  await shot(`?panel=precision&${model}&ba=6&bw=7&psamples=500`, "onnx-precision.png", async (page) => {
    await finished(page, () => { const m = window.quantlab.metrics(); return m.analysis && m.analysis.state === "finished" && m.p_m_sim !== null; });
  });
  await shot(`?panel=layers&${model}&lview=sensitivity&sweights=int:b=2,group=32`, "onnx-layers.png", async (page) => {
    await finished(page, () => { const s = window.quantlab.metrics().sensitivity; return s && s.state === "finished"; });
  }, { wheel: [800, 500, 2000] });
  await shot(`?panel=ternary&${model}`, "onnx-ternary.png", async (page) => {
    await finished(page, () => { const m = window.quantlab.metrics(); return m.jobs.every((j) => j.state !== "running") && m.trained !== false; });
    await settle(page, 60);
    await finished(page, () => window.quantlab.metrics().jobs.every((j) => j.state !== "running"));
  });
  await shot(`?panel=train&${model}&weights=int:b=8,scale=0.01`, "onnx-export.png", async (page) => {
    await finished(page, () => window.quantlab.metrics().float_accuracy !== null && window.quantlab.metrics().test_accuracy !== null);
  }, { hover: "train_export_onnx_button", height: 1000, wheel: [170, 600, 2000] });
} finally {
  await browser.close();
  server.close();
}
