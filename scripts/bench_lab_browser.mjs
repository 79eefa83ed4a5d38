// Frame times in the lessons while their jobs run (training, the perceptron's sweep, the analyses), against the same lab idle (the
// yardstick, measured in the same run): a harness, not a test; it prints one JSON line per job.
// The e2e tests assert only that frames keep coming while a job runs; the budget lives here.
// Usage: node scripts/bench_lab_browser.mjs   (needs dist/, i.e. npm run build)
import { fileURLToPath } from "node:url";
import { startServer, launchBrowser, openLab, settle, clickView } from "../tests/e2e/browser.mjs";

const MODEL = "data=digits&hidden=32&epochs=3&seed=1";
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};

// Every frame's CPU time while running(m) holds, after start(page): metrics() every 3 frames
// gives the last 32 frames' times (frame_ms_recent) and the frame count, so none is counted twice.
function collect(m, seen, into) {
  const fresh = Math.min(m.frames - seen, m.frame_ms_recent.length);
  into.push(...m.frame_ms_recent.slice(m.frame_ms_recent.length - fresh));
  return m.frames;
}

export async function whileRunning(browser, url, query, prepare, start, running) {
  const { page, context } = await openLab(browser, url + query);
  await page.waitForFunction(() => {
    const m = window.quantlab.metrics();
    return m.panel === "perceptron" || m.rows_train > 0 || m.model;  // the lesson's data is there
  }, null, { timeout: 120000 });
  await prepare(page);
  await settle(page, 40);
  const idle = (await page.evaluate(() => window.quantlab.metrics())).frame_ms_recent;
  const t0 = Date.now();
  const before = await page.evaluate(() => window.quantlab.metrics().frames);
  await start(page);
  const times = [];
  let seen = before, m;
  do {
    await settle(page, 3);
    m = await page.evaluate(() => window.quantlab.metrics());
    seen = collect(m, seen, times);
  } while (running(m) && Date.now() - t0 < 120000);
  await context.close();
  const p95 = [...times].sort((a, b) => a - b)[Math.floor(times.length * 0.95)] ?? null;
  return {
    idle_frame_ms_median: median(idle), job_wall_ms: Date.now() - t0, frames: times.length,
    frame_ms_median: median(times), frame_ms_p95: p95, frame_ms_max: times.length ? Math.max(...times) : null,
    median_ratio_to_idle: times.length ? median(times) / median(idle) : null,
  };
}

const train = (page) => page.evaluate(() => window.quantlab.step(135));
const nothing = async () => {};

async function main() {
  const { server, url } = await startServer();
  const browser = await launchBrowser();
  try {
    const runs = [
      ["train_mnist_784-128-10", "?panel=train&data=mnist&hidden=128&epochs=2&seed=1", nothing,
        (p) => p.evaluate(() => window.quantlab.toggleRun()), (m) => m.state !== "finished"],
      ["perceptron_sweep", "?panel=perceptron", nothing,
        (p) => p.evaluate(() => window.quantlab.setState({ grid: "float" })), (m) => m.sweep.done < m.sweep.total],
      ["precision_analysis", `?panel=precision&${MODEL}&act=hardsigmoid&ba=6&bw=6`, nothing, train,
        (m) => m.analysis.state !== "finished"],
      ["precision_bitflip", `?panel=precision&${MODEL}&act=hardsigmoid&ba=8&bw=8`,
        async (p) => { await train(p); await p.waitForFunction(() => window.quantlab.metrics().analysis.state === "finished"); },
        (p) => clickView(p, "precision_bitflip_button"), (m) => m.bitflip.state === "running"],
      ["layers_training", `?panel=layers&${MODEL}&lbits=6`, nothing, (p) => clickView(p, "layers_run_button"),
        (m) => m.running],
      ["ternary_pareto", `?panel=ternary&${MODEL}&tblock=16&ttol=0.05`,
        async (p) => { await p.evaluate(() => window.quantlab.step(1000)); },
        (p) => clickView(p, "ternary_view_pareto"), (m) => m.pareto.state !== "finished"],
    ];
    for (const [name, query, prepare, start, running] of runs)
      console.log(JSON.stringify({ name, ...(await whileRunning(browser, url, query, prepare, start, running)) }));
  } finally {
    await browser.close();
    server.close();
  }
}

// Run as a script (scripts/bench.mjs imports whileRunning instead).
if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
