// Screenshots of every lesson on a phone (390 x 844) and a tablet (820 x 1180), touch contexts,
// and of the embed at 360 px wide, into tests/e2e/out/device-*.png; with --docs also the README's
// phone picture (docs/phone-formats.png). Usage: node scripts/device_screenshots.mjs [--docs]
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser, openTouch, settle, outDir } from "../tests/e2e/browser.mjs";

const docs = path.resolve(fileURLToPath(new URL("../docs", import.meta.url)));
const { server, url } = await startServer();
const browser = await launchBrowser();
const LESSONS = {
  formats: "?panel=formats&format=float:e=4,m=3&x=2.7&lo=-20&hi=20",
  perceptron: "?panel=perceptron&set=linear&margin=0.1&atoms=lattice:range=1,points=32&seed=1",
  train: "?panel=train&data=digits&hidden=32&weights=fixed:w=4,f=2&seed=1",
  precision: "?panel=precision&data=digits&hidden=32&act=hardsigmoid&ba=5&bw=7&seed=1",
  layers: "?panel=layers&data=digits&hidden=32&lbits=6&seed=1",
  ternary: "?panel=ternary&data=digits&hidden=32&tblock=16&ttol=0.05&keep=2&seed=1",
};

// The analysis lessons study a trained model: a few hundred batches by step() first.
async function prepare(page, key) {
  if (!["train", "precision", "layers", "ternary"].includes(key)) return;
  await page.waitForFunction(() => window.quantlab.metrics().model !== "", null, { timeout: 120000, polling: 250 });
  for (let i = 0; i < 6; i++) await page.evaluate(() => window.quantlab.step(50));
  await page.waitForTimeout(3000);
}

async function shot(page0, viewport, query, file, key) {
  const { page, context } = await openTouch(browser, url + page0 + query, viewport);
  await settle(page, 10);
  await prepare(page, key);
  await settle(page, 10);
  await page.screenshot({ path: file });
  await context.close();
}

try {
  for (const [name, viewport] of [["phone", { width: 390, height: 844 }], ["tablet", { width: 820, height: 1180 }]])
    for (const [key, query] of Object.entries(LESSONS))
      await shot("", viewport, query, path.join(outDir, `device-${name}-${key}.png`), key);
  await shot("embed.html", { width: 360, height: 640 }, LESSONS.formats, path.join(outDir, "device-embed-360-formats.png"), "formats");
  await shot("embed.html", { width: 360, height: 640 }, LESSONS.train, path.join(outDir, "device-embed-360-train.png"), "train");
  if (process.argv.includes("--docs"))
    await shot("", { width: 390, height: 844 }, LESSONS.formats, path.join(docs, "phone-formats.png"), "formats");
  console.log("wrote tests/e2e/out/device-*.png");
} finally {
  await browser.close();
  server.close();
}
