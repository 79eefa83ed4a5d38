// Training in the browser lab vs the same training at full speed under Node: samples/s and frame
// times measured through window.quantlab.metrics() in headless Chromium, against
// build/wasm-release/tests/bench/train_bench_wasm.js (MLP 784-512x3-10, hardsigmoid, Adam, batch
// 200); then MNIST 784-128-10 (the lesson's MNIST defaults) from Run to 95% test accuracy, and the
// newcomer's curve from a Run pressed while the data downloads. A harness, not a test: it prints
// numbers. scripts/bench.mjs imports these measurements for its table.
// Usage: node scripts/bench_train_browser.mjs [--seconds 12] [--target-seconds 60]
// Needs dist/ (npm run build) with data/mnist-*.idx, and the wasm bench built.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser, openLab, settle } from "../tests/e2e/browser.mjs";

const root = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const seconds = arg("--seconds", 12);
const targetSeconds = arg("--target-seconds", 60);

export function nodeReference() {
  const out = execFileSync("node", ["--no-experimental-fetch", path.join(root, "build/wasm-release/tests/bench/train_bench_wasm.js")],
    { encoding: "utf8" });
  const lines = out.trim().split("\n").map((l) => JSON.parse(l));
  return lines.find((l) => l.name === "lab_mlp784-512x3-10").samples_per_second;
}

// Runs the lab's training and measures samples/s by wall clock over whole epochs (each with its
// evaluation, as Node's lab_* reference runs them): from the end of the first epoch to the end of
// the first epoch at least `secs` seconds later.
export async function measure(browser, url, query, secs) {
  const { page, context } = await openLab(browser, url + query);
  await page.waitForFunction(() => window.quantlab.metrics().rows_train > 0, null, { timeout: 120000 });
  await settle(page, 5);
  await page.evaluate(() => window.quantlab.toggleRun());
  const epochEnd = async (after, notBefore) => {
    for (;;) {
      const p = await page.evaluate(() => ({ m: window.quantlab.metrics(), t: performance.now() }));
      if (p.m.epochs_done > after && p.t >= notBefore) return p;
      await page.waitForTimeout(50);
    }
  };
  const a = await epochEnd(0, 0);
  const b = await epochEnd(a.m.epochs_done, a.t + secs * 1000);
  await context.close();
  return {
    samples_per_second: (b.m.samples - a.m.samples) / ((b.t - a.t) / 1000),
    epochs: b.m.epochs_done - a.m.epochs_done,
    lab_samples_per_second: b.m.samples_per_second,
    frame_ms_median: b.m.frame_ms_median,
    frame_ms_p95: b.m.frame_ms_p95,
    training_in: b.m.training_in,
    state: b.m.state,
  };
}

// Seconds from Run to the first test accuracy >= target (or the best seen within the limit).
export async function timeToAccuracy(browser, url, query, target, limit) {
  const { page, context } = await openLab(browser, url + query);
  await page.waitForFunction(() => window.quantlab.metrics().rows_train > 0, null, { timeout: 120000 });
  await settle(page, 5);
  const t0 = Date.now();
  await page.evaluate(() => window.quantlab.toggleRun());
  let best = 0, at20 = null, reached = null, m;
  for (;;) {
    await page.waitForTimeout(250);
    m = await page.evaluate(() => window.quantlab.metrics());
    const t = (Date.now() - t0) / 1000;
    best = Math.max(best, m.test_accuracy ?? 0);
    if (at20 === null && t >= 20) at20 = { accuracy: best, epochs_done: m.epochs_done };
    if (best >= target) { reached = t; break; }
    if (t > limit || m.state === "finished") break;
  }
  await context.close();
  return { reached_seconds: reached, best_accuracy: best, at_20_seconds: at20, frame_ms_median: m.frame_ms_median,
    frame_ms_p95: m.frame_ms_p95, samples_per_second: m.samples_per_second };
}

// Time from navigation to the first interactive frames (quantlab.ready), and what was downloaded.
export async function firstFrame(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(url);
  await page.evaluate(() => window.quantlab.ready);
  const ms = Date.now() - t0;
  const bytes = await page.evaluate(() =>
    performance.getEntriesByType("resource").reduce((sum, e) => sum + (e.encodedBodySize || 0), 0)
    + (performance.getEntriesByType("navigation")[0]?.encodedBodySize || 0));
  await context.close();
  return { first_interactive_ms: ms, first_download_bytes: bytes };
}

// A newcomer's run: open the link and press Run at once, while the data set still downloads
// (the run starts when it arrives); test accuracy against seconds since the press, polled from
// metrics(), until `target` or `limit` seconds or the run's end.
export async function curveFromPress(browser, url, query, target, limit) {
  const { page, context } = await openLab(browser, url + query);
  const t0 = Date.now();
  await page.evaluate(() => window.quantlab.toggleRun());
  const curve = [];
  let reached = null, m, last = -1;
  for (;;) {
    await page.waitForTimeout(250);
    m = await page.evaluate(() => window.quantlab.metrics());
    const t = (Date.now() - t0) / 1000;
    const acc = m.test_accuracy ?? 0;
    if (m.batches > 0 && acc !== last) { curve.push([Number(t.toFixed(2)), acc]); last = acc; }
    if (m.batches > 0 && acc >= target) { reached = t; break; }
    if (t > limit || m.state === "finished") break;
  }
  const state = await page.evaluate(() => window.quantlab.getState());
  await context.close();
  return { reached_seconds: reached, best_accuracy: Math.max(0, ...curve.map((c) => c[1])), curve,
    ended_seconds: (Date.now() - t0) / 1000, finished: m.state === "finished",
    lr: state.lr, batch: state.batch, decay: state.decay, samples_per_second: m.samples_per_second };
}

async function main() {
  const { server, url } = await startServer();
  const browser = await launchBrowser();
  try {
    await firstFrame(browser, url);  // warm the server's file cache, as a second visit would be
    console.log(JSON.stringify({ name: "first_frame", ...(await firstFrame(browser, url)) }));
    const reference = nodeReference();
    const same = await measure(browser, url,
      "?panel=train&data=mnist&hidden=512-512-512&act=hardsigmoid&optimizer=adam&batch=200&epochs=100&seed=1", seconds);
    console.log(JSON.stringify({ name: "mlp784-512x3-10_browser", ...same, node_samples_per_second: reference,
      ratio: same.samples_per_second / reference }));
    const small = await measure(browser, url, "?panel=train&data=mnist&hidden=128&epochs=100&seed=1", seconds);
    console.log(JSON.stringify({ name: "mlp784-128-10_browser", ...small }));
    const t = await timeToAccuracy(browser, url, "?panel=train&data=mnist&hidden=128&seed=1", 0.95, targetSeconds);
    console.log(JSON.stringify({ name: "mnist784-128-10_to_95", ...t }));
    const c = await curveFromPress(browser, url, "?panel=train&data=mnist&hidden=128", 0.95, targetSeconds);
    console.log(JSON.stringify({ name: "mnist784-128-10_from_press", ...c }));
  } finally {
    await browser.close();
    server.close();
  }
}

// Run as a script (scripts/bench.mjs imports the measurements instead).
if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
