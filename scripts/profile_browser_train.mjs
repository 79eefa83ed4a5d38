// Where the page's main thread spends its time while the lab trains MNIST 784-128-10 (Chromium's
// CPU profiler through the DevTools protocol): self time grouped as WebAssembly, the Emscripten
// glue (GL and HTML5 calls), the shell's JS, garbage collection, the browser's own work and idle.
// A harness, not a test. Usage: node scripts/profile_browser_train.mjs [--seconds 6] [--worker 0]
//   [--hidden 512-512-512]  (the other keys as the bench sets them: hardsigmoid, Adam, batch 200)
// Needs dist/ (npm run build) with data/mnist-*.idx.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser, openLab, settle } from "../tests/e2e/browser.mjs";

// wasm-function[N] -> its C++ name, from the link's --emit-symbol-map (build folder only).
const symbolsFile = path.resolve(fileURLToPath(new URL("..", import.meta.url)), "build/wasm-release/web/quantlab.js.symbols");
const symbols = new Map(fs.existsSync(symbolsFile) ? fs.readFileSync(symbolsFile, "utf8").trim().split("\n")
  .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]) : []);
// The map's names are demangled with their punctuation escaped (\2c is ','); templates are dropped.
const shorten = (name) => {
  let s = name.replace(/\\([0-9a-f]{2})/g, (all, hex) => String.fromCharCode(parseInt(hex, 16)));
  for (let before = ""; before !== s;) before = s, s = s.replace(/<[^<>]*>/g, "");
  return s;
};
const demangle = (name) => name.replace(/^wasm-function\[(\d+)\]$/, (all, n) => (symbols.has(n) ? shorten(symbols.get(n)) : all));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const seconds = Number(arg("--seconds", 6));
const worker = arg("--worker", "1");

const { server, url } = await startServer();
const browser = await launchBrowser();
const hidden = arg("--hidden", "128");
const big = hidden === "128" ? "" : "&act=hardsigmoid&optimizer=adam&batch=200";
const query = `?panel=train&data=mnist&hidden=${hidden}${big}&epochs=50${worker === "0" ? "&worker=0" : ""}`;
const { page, context } = await openLab(browser, url + query);
await page.waitForFunction(() => window.quantlab.metrics().rows_train > 0, null, { timeout: 120000 });
await settle(page, 5);
const cdp = await context.newCDPSession(page);
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
await page.evaluate(() => window.quantlab.toggleRun());
await page.waitForTimeout(1500);
await cdp.send("Profiler.start");
const before = await page.evaluate(() => window.quantlab.metrics());
await page.waitForTimeout(seconds * 1000);
const after = await page.evaluate(() => window.quantlab.metrics());
const { profile } = await cdp.send("Profiler.stop");
await context.close();
await browser.close();
server.close();

// Self time per node from the samples and their time deltas.
const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) || 0) + (profile.timeDeltas[i] || 0)));
const groups = new Map(), functions = new Map();
let total = 0;
for (const node of profile.nodes) {
  const us = self.get(node.id) || 0;
  if (!us) continue;
  total += us;
  const f = node.callFrame;
  const group = f.url.endsWith(".wasm") || f.url.startsWith("wasm://") ? "WebAssembly"
    : f.url.endsWith("quantlab.js") ? "Emscripten glue (GL, HTML5)"
    : f.url.endsWith("quantlab-shell.js") ? "the shell's JS"
    : f.functionName === "(idle)" ? "idle"
    : f.functionName === "(garbage collector)" ? "garbage collection"
    : f.functionName === "(program)" ? "the browser's own work (layout, compositing, GPU calls)"
    : "other JS / natives";
  groups.set(group, (groups.get(group) || 0) + us);
  const name = `${demangle(f.functionName || "(anonymous)")} ${f.url.split("/").pop()}`;
  functions.set(name, (functions.get(name) || 0) + us);
}
const pct = (us) => `${(100 * us / total).toFixed(1).padStart(5)}%`;
console.log(`main thread, ${seconds} s of training (${worker === "0" ? "in the frames" : "in the worker"}): ` +
  `${after.frames - before.frames} frames, frame CPU median ${after.frame_ms_median} ms, p95 ${after.frame_ms_p95} ms, ` +
  `${((after.samples - before.samples) / seconds).toFixed(0)} samples/s, training in ${after.training_in}`);
for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(us)}  ${g}`);
console.log("top functions by self time:");
const top = [...functions].sort((a, b) => b[1] - a[1]).slice(0, 12);
const readable = top.map(([n]) => n);
top.forEach(([, us], i) => console.log(`  ${pct(us)}  ${readable[i].slice(0, 120)}`));
