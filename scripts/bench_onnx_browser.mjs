// ONNX import and export of a 10 MB model in the browser lab (issue 17's goal: each at most 0.5 s),
// beside yardsticks measured in the same run: a copy of the same bytes and JSON.parse of the same
// model's JSON. A harness, not a test: it prints one JSON line. The e2e test checks the model.
// Usage: node scripts/bench_onnx_browser.mjs   (needs dist/ and build/native-release, npm run build)
import fs from "node:fs";
import path from "node:path";
import { startServer, launchBrowser, openLab } from "../tests/e2e/browser.mjs";
import { tenMegabyteModel, tmp } from "../tests/cli/onnx_common.mjs";

const dir = fs.mkdtempSync(path.join(tmp, "bench-"));
tenMegabyteModel(dir);
const { server, url } = await startServer(undefined, { mounts: [["/bench/", dir]] });
const browser = await launchBrowser();
try {
  const { page, context } = await openLab(browser, url + "?panel=train&data=mnist&model=bench/ten.onnx");
  await page.waitForFunction(() => {
    const m = window.quantlab.metrics();
    return m.model_imported && m.float_accuracy !== null;
  }, null, { timeout: 120000 });
  const r = await page.evaluate(async () => {
    const q = window.quantlab;
    const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const time = (f) => { const t = performance.now(); const out = f(); return [performance.now() - t, out]; };
    const exp = [], copy = [], parse = [], imp = [], whole = [];
    let bytes;
    for (let i = 0; i < 5; i++) {
      const [ms, b] = time(() => q.exportModel("onnx"));
      exp.push(ms);
      bytes = b;
      copy.push(time(() => new Uint8Array(bytes))[0]);
    }
    const json = q.exportModel("json");
    for (let i = 0; i < 5; i++) parse.push(time(() => JSON.parse(json))[0]);
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const shown = await q.loadModel(bytes.slice(), `ten${i}.onnx`);
      whole.push(performance.now() - t);
      if (shown) throw new Error(shown);
      imp.push(q.metrics().import.import_ms);
    }
    return { onnx_mb: bytes.length / 1e6, json_mb: json.length / 1e6, export_ms: median(exp), import_ms: median(imp),
      load_model_ms: median(whole), copy_ms: median(copy), json_parse_ms: median(parse) };
  });
  r.export_over_json_parse = r.export_ms / r.json_parse_ms;
  r.import_over_json_parse = r.import_ms / r.json_parse_ms;
  r.goal_met = r.export_ms <= 500 && r.import_ms <= 500;
  console.log(JSON.stringify(r));
  await context.close();
} finally {
  await browser.close();
  server.close();
}
