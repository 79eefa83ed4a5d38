// Training in a Web Worker (issue 19): Run (a real click) trains in the worker while the page
// draws; Pause hands the run back exactly (the model equals the same run trained in the page's
// frames with ?worker=0, bit for bit); live settings reach it; a worker that crashes is restarted
// and the run goes on from its last checkpoint; without a worker the frames train.
import { test } from "node:test";
import http from "node:http";
import assert from "node:assert/strict";
import { useLab, openLab, metrics, waitFor, clickView, settle } from "./browser.mjs";

const lab = useLab();
const DIGITS = "?panel=train&data=digits&hidden=32&epochs=4&seed=5&batch=16";

async function openReady(query) {
  const opened = await openLab(lab.browser, lab.url + query);
  await waitFor(opened.page, () => { const m = window.quantlab.metrics(); return m.rows_train > 0 && m.model; });
  return opened;
}

// Trains to the end and returns the model JSON and the final metrics.
async function trainToEnd(page) {
  await clickView(page, "train_run_button");
  const m = await waitFor(page, () => window.quantlab.metrics().state === "finished", null, 60000);
  return { m, model: await page.evaluate(() => window.quantlab.exportModel("json")) };
}

test("Run trains in the worker; the model equals the same run in the page's frames bit for bit", async () => {
  const inWorker = await openReady(DIGITS);
  await waitFor(inWorker.page, () => window.quantlab.metrics().worker === "ready");
  await clickView(inWorker.page, "train_run_button");
  // On a quiet machine the 360 batches take a fraction of a second: the run may be back already.
  await inWorker.page.waitForFunction(() => window.quantlab.metrics().state === "finished", null, { timeout: 60000 });
  await settle(inWorker.page);
  const w = await metrics(inWorker.page);
  const workerModel = await inWorker.page.evaluate(() => window.quantlab.exportModel("json"));
  assert.equal(w.training_in, "page", "the finished run is back in the page");
  assert.equal(w.worker_runs, 1, "the run was handed to the worker once");
  assert.equal(w.history.length, 4);

  const inPage = await openReady(DIGITS + "&worker=0");
  assert.equal((await metrics(inPage.page)).worker, "off");
  const p = await trainToEnd(inPage.page);
  assert.equal(p.m.training_in, "page");
  assert.equal(p.m.worker_runs, 0);
  assert.equal(workerModel, p.model, "the worker's weights equal the frames' weights");
  assert.deepEqual(w.history, p.m.history);
  assert.ok(w.test_accuracy > 0.85, `test accuracy ${w.test_accuracy}`);
  console.log(`# digits 64-32-10, 4 epochs: test accuracy ${w.test_accuracy} in the worker and in the frames`);
  assert.deepEqual(inWorker.errors, []);
  assert.deepEqual(inPage.errors, []);
  await inWorker.context.close();
  await inPage.context.close();
});

test("Pause hands the run back (Step then trains here); Run hands it over again; rounding changes live", async () => {
  const { page, context, errors } = await openReady("?panel=train&data=digits&hidden=32&epochs=1000&seed=2&updates=fixed:w=12,f=9");
  await waitFor(page, () => window.quantlab.metrics().worker === "ready");
  await page.evaluate(() => window.quantlab.toggleRun());
  await waitFor(page, () => window.quantlab.metrics().batches >= 100);
  await page.evaluate(() => window.quantlab.setState({ urounding: "stochastic" }));
  await page.evaluate(() => window.quantlab.toggleRun());
  const paused = await waitFor(page, () => window.quantlab.metrics().training_in === "page");
  assert.equal(paused.running, false);
  assert.equal(paused.run_update_rounding, "stochastic", "the worker switched the rounding mid-run");
  const before = paused.batches;
  await settle(page);
  assert.equal((await metrics(page)).batches, before, "nothing trains while paused");
  assert.equal(await page.evaluate(() => window.quantlab.step(3)), 3, "Step trains in the page");
  assert.equal((await metrics(page)).batches, before + 3);
  await page.evaluate(() => window.quantlab.toggleRun());
  await waitFor(page, (b) => { const m = window.quantlab.metrics(); return m.training_in === "worker" && m.batches > b; }, before + 3);
  await page.evaluate(() => window.quantlab.toggleRun());
  await waitFor(page, () => window.quantlab.metrics().training_in === "page");
  // Run again, then the progress line's Cancel (a real click): the worker's run stops there.
  await page.evaluate(() => window.quantlab.toggleRun());
  await waitFor(page, () => window.quantlab.metrics().training_in === "worker");
  await settle(page, 3);
  const cancel = (await page.evaluate(() => window.quantlab.widgets())).find((w) => w.label === "Cancel");
  assert.ok(cancel, "the progress line has a Cancel button");
  await page.mouse.click(cancel.rect.x + cancel.rect.width / 2, cancel.rect.y + cancel.rect.height / 2, { delay: 120 });
  const cancelled = await waitFor(page, () => window.quantlab.metrics().state === "cancelled");
  assert.equal(cancelled.training_in, "page");
  await page.waitForTimeout(500);
  assert.equal((await metrics(page)).batches, cancelled.batches, "nothing trains after Cancel");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a worker that crashes is restarted and the run goes on from its last checkpoint", async () => {
  // The first worker script crashes 1.5 s after it starts; the restarted one is the real file.
  let served = 0;
  const context = await lab.browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.route("**/quantlab-worker.js", async (route) => {
    if (served++ > 0) return route.continue();
    const response = await route.fetch();
    const crash = "\nsetTimeout(() => { throw new Error('test crash'); }, 1500);\n";
    await route.fulfill({ response, body: (await response.text()) + crash });
  });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (err) => pageErrors.push(String(err)));
  await page.goto(lab.url + "?panel=train&data=digits&hidden=32&epochs=1000&seed=3");
  await page.evaluate(() => window.quantlab.ready);
  await waitFor(page, () => { const m = window.quantlab.metrics(); return m.rows_train > 0 && m.model && m.worker === "ready"; });
  await page.evaluate(() => window.quantlab.toggleRun());
  const m = await waitFor(page, () => window.quantlab.messages().some((x) => x.text.includes("training worker")), null, 30000);
  const said = (await page.evaluate(() => window.quantlab.messages())).find((x) => x.text.includes("training worker"));
  assert.match(said.text, /^training worker: .*test crash.*; the run goes on from batch \d+, in a restarted worker$/);
  assert.equal(said.level, "warning");
  // The restarted worker takes the run again and it goes on.
  const after = await waitFor(page, (b) => { const x = window.quantlab.metrics(); return x.training_in === "worker" && x.batches > b + 50; }, m.batches);
  assert.equal(after.running, true);
  assert.equal(served, 2);
  await page.evaluate(() => window.quantlab.toggleRun());
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test("in a cross-origin iframe (a course page on another origin) the embedded lesson trains in its worker", async () => {
  // The course page is served from another port: another origin, no COOP/COEP headers anywhere.
  const embed = lab.url + "embed.html?panel=train&data=digits&hidden=32&epochs=1000";
  const course = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(`<!doctype html><title>course</title><iframe src="${embed}" width="900" height="700"></iframe>`);
  });
  await new Promise((resolve) => course.listen(0, "127.0.0.1", resolve));
  course.unref();  // a failed assertion must not keep the test process alive
  const context = await lab.browser.newContext({ viewport: { width: 1000, height: 800 } });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    await page.goto(`http://127.0.0.1:${course.address().port}/`);
    const frame = await (await page.waitForSelector("iframe")).contentFrame();
    assert.notEqual(new URL(frame.url()).origin, new URL(page.url()).origin);
    await frame.waitForFunction(() => window.quantlab, null, { timeout: 30000 });
    await frame.evaluate(() => window.quantlab.ready);  // metrics() throws before it
    await frame.waitForFunction(() => window.quantlab.metrics().worker === "ready", null, { timeout: 30000 });
    await frame.waitForFunction(() => window.quantlab.metrics().rows_train > 0, null, { timeout: 30000 });
    await frame.evaluate(() => window.quantlab.toggleRun());
    await frame.waitForFunction(() => {
      const m = window.quantlab.metrics();
      return m.worker_runs === 1 && m.batches > 20;  // a quiet machine may be done in a moment
    }, null, { timeout: 30000 });
    assert.equal(await frame.evaluate(() => typeof SharedArrayBuffer === "undefined" || !crossOriginIsolated), true);
    await frame.evaluate(() => window.quantlab.toggleRun());
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
    course.close();
  }
});

// Frames drawn per second over `ms`, while `during` runs (it may move the mouse).
async function framesPerSecond(page, ms, during = async () => {}) {
  const a = await page.evaluate(() => ({ f: window.quantlab.metrics().frames, t: performance.now() }));
  await during(ms);
  const b = await page.evaluate(() => ({ f: window.quantlab.metrics().frames, t: performance.now() }));
  return (b.f - a.f) / ((b.t - a.t) / 1000);
}

test("while the worker trains a quiet page draws every 200 ms; a moving mouse, or training in the frames, draws every frame", async () => {
  const long = "?panel=train&data=mnist&hidden=128&epochs=1000&seed=5";  // minutes of training
  const { page, context } = await openLab(lab.browser, lab.url + long, { width: 640, height: 480 });
  try {
    await waitFor(page, () => { const m = window.quantlab.metrics(); return m.rows_train > 0 && m.worker === "ready"; });
    await clickView(page, "train_run_button");
    await waitFor(page, () => window.quantlab.metrics().training_in === "worker");
    await page.waitForTimeout(1500);  // a second after the click, the page is quiet
    const quiet = await framesPerSecond(page, 3000, (ms) => page.waitForTimeout(ms));
    const moving = await framesPerSecond(page, 2000, async (ms) => {
      for (let i = 0, end = Date.now() + ms; Date.now() < end; ++i) {
        await page.mouse.move(300 + (i % 40), 300);
        await page.waitForTimeout(20);
      }
    });
    const m = await metrics(page);
    assert.equal(m.training_in, "worker");
    assert.ok(quiet <= 5.5, `quiet page: ${quiet.toFixed(1)} frames/s (at most 5 expected)`);
    assert.ok(moving >= 2 * quiet + 4, `moving mouse: ${moving.toFixed(1)} frames/s against ${quiet.toFixed(1)} quiet`);
    assert.ok(m.batches > 0 && m.epochs_done >= 0);
  } finally {
    await context.close();
  }
  const frames = await openLab(lab.browser, lab.url + long + "&worker=0", { width: 640, height: 480 });
  try {
    await waitFor(frames.page, () => window.quantlab.metrics().rows_train > 0);
    await clickView(frames.page, "train_run_button");
    await waitFor(frames.page, () => window.quantlab.metrics().batches > 0);
    await frames.page.waitForTimeout(1500);
    const inFrames = await framesPerSecond(frames.page, 2000, (ms) => frames.page.waitForTimeout(ms));
    assert.equal((await metrics(frames.page)).training_in, "page");
    assert.ok(inFrames > 8, `training in the frames: ${inFrames.toFixed(1)} frames/s`);
  } finally {
    await frames.context.close();
  }
});

test("with no frames (a hidden tab pauses requestAnimationFrame) the worker's progress is still taken, not piled up", async () => {
  const { page, context } = await openLab(lab.browser, lab.url + "?panel=train&data=mnist&hidden=128&epochs=1000&seed=5",
    { width: 640, height: 480 });
  try {
    await waitFor(page, () => { const m = window.quantlab.metrics(); return m.rows_train > 0 && m.worker === "ready"; });
    await clickView(page, "train_run_button");
    await waitFor(page, () => window.quantlab.metrics().training_in === "worker" && window.quantlab.metrics().batches > 0);
    // As a hidden tab: no animation frame runs from here on.
    await page.evaluate(() => { window.requestAnimationFrame = () => 0; });
    await page.waitForTimeout(500);
    const a = await metrics(page);
    await page.waitForTimeout(3000);  // nothing asks metrics() meanwhile (it would take them too)
    const b = await metrics(page);
    assert.ok(b.frames - a.frames <= 1, `no frames drawn (${b.frames - a.frames})`);
    assert.equal(b.training_in, "worker");
    assert.ok(b.batches > a.batches + 50, `the worker went on: ${a.batches} -> ${b.batches} batches`);
    // About 30 progress saves came in those 3 s: they were taken four at a time.
    assert.ok(b.worker_queue_peak <= 4, `at most 4 messages waited at once, not ${b.worker_queue_peak}`);
  } finally {
    await context.close();
  }
});

// A lesson opened with (or, with ?worker=0, without) a ready worker, its model trained by Space.
async function openAndTrain(q) {
  const opened = await openLab(lab.browser, lab.url + q);
  await waitFor(opened.page, (inPage) => {
    const m = window.quantlab.metrics();
    return m.model && (inPage ? m.worker === "off" : m.worker === "ready");
  }, q.includes("worker=0"));
  await opened.page.evaluate(() => window.quantlab.toggleRun());  // Space: trains the model
  return opened;
}

// The Layers lesson's per-layer sensitivity runs in the worker (its own instance of the module),
// and its rows equal those the page's frames compute with ?worker=0, number for number. A new
// weight format starts a new analysis there.
test("the per-layer sensitivity runs in the worker and gives the rows the page's frames give", async () => {
  const query = "?panel=layers&data=digits&hidden=32-16&epochs=2&seed=5&lview=sensitivity&sweights=fixed:w=4,f=2";
  const rowsOf = async (page, weights) => {
    const m = await waitFor(page, (w) => {
      const s = window.quantlab.metrics().sensitivity;
      return s && s.state === "finished" && s.weights === w ? window.quantlab.metrics() : null;
    }, weights, 60000);
    return { layers: m.sensitivity.layers, inWorker: m.sensitivity.in_worker, posted: m.worker_analyses };
  };
  const open = openAndTrain;
  const w = await open(query);
  const there = await rowsOf(w.page, "fixed:w=4,f=2");
  assert.equal(there.inWorker, true, "it ran in the worker");
  assert.ok(there.posted >= 1, `analyses posted to the worker: ${there.posted}`);
  assert.equal(there.layers.length, 3);
  const p = await open(query + "&worker=0");
  const here = await rowsOf(p.page, "fixed:w=4,f=2");
  assert.equal(here.inWorker, false);
  assert.equal(here.posted, 0);
  assert.deepEqual(there.layers, here.layers, "the worker's rows equal the frames' rows");
  // Two bits fewer: a new analysis in the worker, and it hurts more.
  await w.page.evaluate(() => window.quantlab.setState({ sweights: "fixed:w=2,f=1" }));
  const two = await rowsOf(w.page, "fixed:w=2,f=1");
  assert.equal(two.inWorker, true);
  assert.equal(two.posted, there.posted + 1);
  assert.ok(two.layers[0].accuracy_drop > there.layers[0].accuracy_drop,
            `2 bits drop ${two.layers[0].accuracy_drop} against 4 bits ${there.layers[0].accuracy_drop}`);
  console.log(`# sensitivity in the worker: ${there.layers.map((l) => `${l.description} drop ${l.accuracy_drop}`).join(", ")}; the frames agree`);
  assert.deepEqual(w.errors, []);
  assert.deepEqual(p.errors, []);
  await w.context.close();
  await p.context.close();
});

// The Precision lesson's Sakr analysis (E_A and E_W over the estimation set) runs in the worker;
// its numbers and the bounds shown equal the page's own with ?worker=0.
test("Sakr's analysis runs in the worker and gives the page's own E_A, E_W and bounds", async () => {
  const query = "?panel=precision&data=digits&hidden=32&epochs=2&seed=5&psamples=300&ba=6&bw=7";
  const analysed = async (q) => {
    const opened = await openAndTrain(q);
    const m = await waitFor(opened.page, () => {
      const x = window.quantlab.metrics();
      return x.analysis.state === "finished" && x.e_a !== null ? x : null;
    }, null, 60000);
    return { opened, m };
  };
  const w = await analysed(query);
  assert.equal(w.m.analysis.in_worker, true);
  assert.ok(w.m.worker_analyses >= 1);
  const p = await analysed(query + "&worker=0");
  assert.equal(p.m.analysis.in_worker, false);
  assert.equal(p.m.worker_analyses, 0);
  assert.equal(w.m.samples, 300);
  assert.equal(w.m.e_a, p.m.e_a);
  assert.equal(w.m.e_w, p.m.e_w);
  assert.equal(w.m.suggested_offset, p.m.suggested_offset);
  assert.deepEqual(w.m.table1, p.m.table1, "Table 1's rows from the worker's analysis");
  console.log(`# Sakr analysis in the worker: E_A ${w.m.e_a}, E_W ${w.m.e_w} over ${w.m.samples} samples; the frames agree`);
  assert.deepEqual(w.opened.errors, []);
  assert.deepEqual(p.opened.errors, []);
  await w.opened.context.close();
  await p.opened.context.close();
});

// The Ternary lesson's analysis (Kundu's Algorithm 2 per layer and the accuracy per residual
// level) runs in the worker; its levels and per-layer errors equal the page's own with ?worker=0.
test("Kundu's residual analysis runs in the worker and gives the page's own levels", async () => {
  const query = "?panel=ternary&data=digits&hidden=32&epochs=2&seed=1&tblock=16&ttol=0.05";
  const analysed = async (q) => {
    const opened = await openAndTrain(q);
    const m = await waitFor(opened.page, () => {
      const x = window.quantlab.metrics();
      return x.state === "finished" && x.current && x.training_state !== "running" && x.levels.length > 0 ? x : null;
    }, null, 60000);
    return { opened, m };
  };
  const w = await analysed(query);
  assert.equal(w.m.in_worker, true);
  assert.ok(w.m.worker_analyses >= 1);
  const p = await analysed(query + "&worker=0");
  assert.equal(p.m.in_worker, false);
  assert.deepEqual(w.m.levels, p.m.levels, "the levels' accuracies and sizes");
  assert.deepEqual(w.m.layers.map((l) => l.errors), p.m.layers.map((l) => l.errors), "Algorithm 2's errors");
  console.log(`# Kundu in the worker: ${w.m.levels.length} levels, accuracy ${w.m.levels.map((l) => l.accuracy).join(", ")}; the frames agree`);
  assert.deepEqual(w.opened.errors, []);
  assert.deepEqual(p.opened.errors, []);
  await w.opened.context.close();
  await p.opened.context.close();
});

// The Perceptron lesson's format sweep (one quantized perceptron per cell) runs in the worker; its
// cells equal the page's own with ?worker=0.
test("the Perceptron lesson's format sweep runs in the worker and gives the page's own cells", async () => {
  const query = "?panel=perceptron&n=80&seed=4&grid=float&protocol=converge";
  const swept = async (q) => {
    const opened = await openLab(lab.browser, lab.url + q);
    await waitFor(opened.page, (inPage) => window.quantlab.metrics().worker === (inPage ? "off" : "ready"),
                  q.includes("worker=0"));
    await opened.page.evaluate(() => window.quantlab.setState({ grid: "range" }));  // a new sweep
    const m = await waitFor(opened.page, () => {
      const x = window.quantlab.metrics();
      return x.sweep.total > 0 && x.sweep.done === x.sweep.total ? x : null;
    }, null, 60000);
    return { opened, m };
  };
  const w = await swept(query);
  assert.equal(w.m.sweep.in_worker, true);
  assert.ok(w.m.worker_analyses >= 1);
  const p = await swept(query + "&worker=0");
  assert.equal(p.m.sweep.in_worker, false);
  const numbers = (cells) => cells.map(({ rect, ...c }) => c);  // where a cell is drawn may differ
  assert.deepEqual(numbers(w.m.sweep.cells), numbers(p.m.sweep.cells), "every cell's spec and accuracy");
  assert.ok(w.m.sweep.cells.some((c) => c.train_accuracy > 0.9), "some cells learn the set");
  console.log(`# sweep in the worker: ${w.m.sweep.total} cells; the frames agree`);
  assert.deepEqual(w.opened.errors, []);
  assert.deepEqual(p.opened.errors, []);
  await w.opened.context.close();
  await p.opened.context.close();
});

// While an analysis runs in the worker (and nothing in the page) a quiet page also draws every
// 200 ms, leaving the cores to the worker.
test("while an analysis runs in the worker a quiet page draws every 200 ms", async () => {
  const q = "?panel=precision&data=mnist&hidden=64&epochs=1&psamples=0&seed=2";
  const { page, context } = await openLab(lab.browser, lab.url + q, { width: 640, height: 480 });
  try {
    await waitFor(page, () => { const m = window.quantlab.metrics(); return m.model && m.worker === "ready"; }, null, 60000);
    await page.evaluate(() => window.quantlab.toggleRun());
    await waitFor(page, () => { const m = window.quantlab.metrics(); return m.analysis.state === "running" && m.analysis.in_worker; }, null, 120000);
    await page.waitForTimeout(1200);
    const quiet = await framesPerSecond(page, 3000, (ms) => page.waitForTimeout(ms));
    const m = await metrics(page);
    // Sakr's analysis, then the fixed-point and noise simulations: all in the worker.
    assert.ok(m.jobs.some((j) => j.state === "running"), `still running while the frames were counted: ${JSON.stringify(m.jobs)}`);
    assert.ok(m.analysis.in_worker);
    assert.ok(quiet <= 5.5, `quiet page while the worker analyses: ${quiet.toFixed(1)} frames/s (at most 5 expected)`);
  } finally {
    await context.close();
  }
});
