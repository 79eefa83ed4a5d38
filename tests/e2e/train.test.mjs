// End-to-end tests of the Train lesson in headless Chromium: digits load lazily, real clicks train
// a network to a stated accuracy, nearest rounding of a narrow update format loses more updates
// than stochastic (Gupta et al.), format controls, uploads (bad CSV, model JSON round trip),
// calibration, the 2-D decision boundary, and a bad URL that falls back.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { openLab, settle, outDir, MIN_RENDERED_PNG_BYTES, useLab, metrics, center, waitFor } from "./browser.mjs";

const lab = useLab();

// Clicks a recorded view; one outside the window is scrolled into view first with the mouse wheel
// over the controls column, as a person would. The wheel's direction is learnt from the first
// scroll (Emscripten's GLFW has flipped it between versions).
async function clickView(page, name) {
  await settle(page, 2);
  let m = await metrics(page);
  const view = m.layout.train_controls;
  const top = view ? view.y : 0, bottom = view ? view.y + view.height : page.viewportSize().height;
  let r = m.layout[name];
  const inControls = r && view && r.x < view.x + view.width;
  let sign = 1;
  for (let tries = 0; inControls && (r.y < top || r.y + r.height > bottom) && tries < 12; tries++) {
    const want = r.y < top ? -1 : 1;  // +1: the content has to move up
    await page.mouse.move(view.x + 20, view.y + view.height / 2);
    await page.mouse.wheel(0, want * sign * 120);
    await settle(page, 3);
    const next = (await metrics(page)).layout[name];
    if (Math.sign(r.y - next.y) !== want) sign = -sign;
    r = next;
  }
  assert.ok(r, `no view '${name}' in the layout`);
  assert.ok(!inControls || (r.y >= top && r.y + r.height <= bottom), `'${name}' is off screen: ${JSON.stringify(r)}`);
  // Held for 120 ms as a person's click is: ImGui 1.86 reads the button state once per frame, so a
  // press and release between two frames (training keeps the page busy) would be missed.
  await page.mouse.click(...center(r), { delay: 120 });
  await settle(page, 2);
}

// A key held for 150 ms, for the same reason as clicks (ImGui's text fields read keys per frame).
async function hold(page, key, modifier) {
  if (modifier) await page.keyboard.down(modifier);
  await page.keyboard.down(key);
  await page.waitForTimeout(150);
  await page.keyboard.up(key);
  if (modifier) await page.keyboard.up(modifier);
  await settle(page, 2);
}

// Opens the lab on the Train lesson and waits for its data set to be there.
async function openTrain(query, options = {}) {
  const opened = await openLab(lab.browser, lab.url + query, options);
  await waitFor(opened.page, () => window.quantlab.metrics().rows_train > 0);
  return opened;
}

// Clicks Run and waits until the job is finished.
async function trainToEnd(page, timeout = 30000) {
  await clickView(page, "train_run_button");
  return waitFor(page, () => window.quantlab.metrics().state === "finished", null, timeout);
}

test("digits load lazily when the lesson opens: progress first, then 1438 training rows", async () => {
  const context = await lab.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  const dataRequests = [];
  page.on("console", (msg) => msg.type() === "error" && errors.push(msg.text()));
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("request", (r) => r.url().includes("/data/") && dataRequests.push(r.url()));
  // Hold the CSV back a moment so the loading state can be seen.
  await page.route("**/data/digits.csv", async (route) => {
    await new Promise((r) => setTimeout(r, 700));
    await route.continue();
  });
  // Another lesson fetches nothing.
  await page.goto(lab.url + "?panel=formats");
  await page.evaluate(() => window.quantlab.ready);
  await settle(page);
  assert.deepEqual(dataRequests, []);

  await page.evaluate(() => window.quantlab.setState({ panel: "train", data: "digits", hidden: "32", epochs: 3, seed: 1 }));
  await settle(page, 3);
  let m = await metrics(page);
  assert.equal(m.dataset_loading, true);
  assert.equal(m.rows_train, 0);
  m = await waitFor(page, () => window.quantlab.metrics().rows_train > 1000);
  assert.equal(m.dataset_loading, false);
  assert.equal(m.rows_train, 1438);  // 1797 rows, 20% held out
  assert.equal(m.rows_test, 359);
  assert.equal(m.features, 64);
  assert.equal(m.classes, 10);
  assert.equal(m.model, "mlp:64-32-10:act=relu");
  assert.deepEqual(dataRequests.map((u) => u.replace(/.*\/data\//, "")), ["digits.csv"]);
  assert.deepEqual(errors, []);
  await context.close();
});

test("Run (a real click) trains digits 64-32-10 to >= 90% test accuracy; curves, matrix and digit grid follow", async () => {
  const { page, context, errors } = await openTrain("?panel=train&data=digits&hidden=32&epochs=3&seed=1");
  let m = await metrics(page);
  assert.ok(m.test_accuracy < 0.3, `untrained accuracy ${m.test_accuracy}`);
  assert.equal(m.running, false);
  await clickView(page, "train_run_button");
  m = await metrics(page);
  assert.ok(m.running || m.state === "finished", `state ${m.state} after clicking Run`);
  m = await waitFor(page, () => window.quantlab.metrics().state === "finished");
  assert.equal(m.history.length, 3);
  assert.ok(m.history[2].loss < m.history[0].loss / 2, `loss ${m.history.map((h) => h.loss)}`);
  assert.ok(m.test_accuracy >= 0.9, `test accuracy ${m.test_accuracy}`);
  assert.equal(m.test_accuracy, m.history[2].test_accuracy);  // the matrix and the curve agree
  assert.equal(m.batches, 3 * Math.ceil(1438 / 32));
  assert.ok(m.updates > 0);
  assert.equal(m.lost_updates, 0);  // float updates lose nothing
  const diag = m.confusion.reduce((s, row, i) => s + row[i], 0);
  const total = m.confusion.flat().reduce((s, v) => s + v, 0);
  assert.equal(total, 359);
  assert.equal(diag / total, m.test_accuracy);
  assert.equal(m.digits_shown, 32);
  assert.ok(m.misclassified_shown >= 0 && m.misclassified_shown <= 32);
  assert.ok(m.samples_per_second > 0);
  const shot = await page.screenshot({ path: path.join(outDir, "train-digits.png") });
  assert.ok(shot.length > MIN_RENDERED_PNG_BYTES);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a narrow update format: nearest rounding loses more updates than stochastic (Gupta et al.)", async () => {
  // sgd with lr 0.01 on fixed:w=10,f=8: most updates are below half an ulp (2^-9).
  const q = "?panel=train&data=digits&hidden=32&epochs=3&seed=1&optimizer=sgd&lr=0.01&batch=32";
  const { page, context, errors } = await openTrain(q);
  // The updates format from the quick picks, by mouse.
  await clickView(page, "train_updates_picks");
  await clickView(page, "train_updates_pick1");
  assert.equal((await page.evaluate(() => window.quantlab.getState())).updates, "fixed:w=10,f=8");
  const nearest = await trainToEnd(page);
  await clickView(page, "train_urounding_stochastic");
  assert.equal((await page.evaluate(() => window.quantlab.getState())).urounding, "stochastic");
  const stochastic = await trainToEnd(page);  // Run after a finished run starts over
  const ratio = (m) => m.lost_updates / m.updates;
  assert.ok(nearest.updates > 100000 && stochastic.updates > 100000);
  assert.ok(ratio(nearest) > 0.99, `nearest lost ${ratio(nearest)}`);
  assert.ok(ratio(stochastic) < ratio(nearest) - 0.02, `stochastic lost ${ratio(stochastic)} vs ${ratio(nearest)}`);
  // Updates that survive on average are learning: nearest stays near chance.
  assert.ok(nearest.test_accuracy < 0.3, `nearest accuracy ${nearest.test_accuracy}`);
  assert.ok(stochastic.test_accuracy > nearest.test_accuracy + 0.2,
    `stochastic ${stochastic.test_accuracy} vs nearest ${nearest.test_accuracy}`);
  await page.screenshot({ path: path.join(outDir, "train-lost-updates.png") });
  assert.deepEqual(errors, []);
  await context.close();
});

test("update rounding switches while training runs, without restarting", async () => {
  const q = "?panel=train&data=digits&hidden=32&epochs=1000&seed=1&optimizer=sgd&lr=0.01&updates=fixed:w=10,f=8";
  const { page, context, errors } = await openTrain(q);
  await clickView(page, "train_run_button");
  const before = await waitFor(page, () => window.quantlab.metrics().batches > 60);
  assert.equal(before.running, true);
  await clickView(page, "train_urounding_stochastic");
  const after = await waitFor(page, (b) => window.quantlab.metrics().batches > b + 60, before.batches);
  assert.equal(after.urounding, "stochastic");
  assert.equal(after.running, true);
  assert.ok(after.batches > before.batches, "the run restarted");
  // Pause with the same button; the count stands still.
  await clickView(page, "train_run_button");
  const paused = await metrics(page);
  assert.equal(paused.running, false);
  await settle(page, 6);
  assert.equal((await metrics(page)).batches, paused.batches);
  // 's' steps one batch.
  await page.mouse.click(700, 790);
  await page.keyboard.press("s");
  await settle(page, 3);
  assert.equal((await metrics(page)).batches, paused.batches + 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test("formats change from the controls: a quick pick, a typed spec, and a bad spec that is refused", async () => {
  const { page, context, errors } = await openTrain("?panel=train&data=digits&hidden=32&seed=1");
  await clickView(page, "train_weights_picks");
  await clickView(page, "train_weights_pick2");
  let state = await page.evaluate(() => window.quantlab.getState());
  assert.equal(state.weights, "ternary");
  assert.equal((await metrics(page)).roles.weights, "ternary");

  await clickView(page, "train_activations_field");
  await page.keyboard.type("fixed:w=6,f=3");
  await settle(page, 2);  // the characters reach the field before Enter does
  await hold(page, "Enter");
  await settle(page, 3);
  state = await page.evaluate(() => window.quantlab.getState());
  assert.equal(state.activations, "fixed:w=6,f=3");

  await clickView(page, "train_activations_field");
  await hold(page, "a", "Control");
  await page.keyboard.type("fixed:w=99,f=3");
  await settle(page, 2);
  await hold(page, "Enter");
  await settle(page, 3);
  state = await page.evaluate(() => window.quantlab.getState());
  assert.equal(state.activations, "fixed:w=6,f=3");  // the last good format stays
  const messages = (await page.evaluate(() => window.quantlab.messages())).map((m) => m.text).join("\n");
  assert.match(messages, /activations/);
  assert.match(messages, /w=99|99/);
  assert.deepEqual(errors, []);
  await context.close();
});

test("uploads: a malformed CSV names its line and keeps the data; a model exported and loaded back scores the same", async () => {
  const { page, context, errors } = await openTrain("?panel=train&data=digits&hidden=32&epochs=3&seed=1");
  const bad = await page.evaluate(() => window.quantlab.upload({ name: "bad.csv", text: "1,2,3\n4,x,6\n" }));
  assert.equal(bad, "");
  const messages = (await page.evaluate(() => window.quantlab.messages())).map((m) => m.text);
  assert.ok(messages.some((t) => /bad\.csv/.test(t) && /line 2/.test(t)), messages.join("\n"));
  let m = await metrics(page);
  assert.equal(m.data, "digits");
  assert.equal(m.rows_train, 1438);

  const trained = await trainToEnd(page);
  const downloadPromise = page.waitForEvent("download");
  await clickView(page, "train_export_button");
  const download = await downloadPromise;
  assert.match(download.suggestedFilename(), /\.json$/);
  const json = fs.readFileSync(await download.path(), "utf8");
  const model = JSON.parse(json);
  assert.equal(model.format, "quantlab-model");
  await clickView(page, "train_reset_button");
  assert.ok((await metrics(page)).test_accuracy < 0.3);
  await page.evaluate((text) => window.quantlab.upload({ name: "model.json", text }), json);
  await settle(page, 2);
  m = await metrics(page);
  assert.equal(m.model_from_file, true);
  assert.equal(m.test_accuracy, trained.test_accuracy);

  // The same model on a 2-D set does not fit: a message, and the lab keeps its model.
  await page.evaluate(() => window.quantlab.setState({ data: "circle" }));
  await settle(page, 2);
  await page.evaluate((text) => window.quantlab.upload({ name: "model.json", text }), json);
  const last = (await page.evaluate(() => window.quantlab.messages())).at(-1).text;
  assert.match(last, /64 inputs/);
  assert.equal((await metrics(page)).model_from_file, false);

  // A good CSV becomes the "uploaded" data set.
  let csv = "";
  for (let i = 0; i < 60; i++) csv += `${(i % 7) / 7},${(i % 5) / 5},${i % 2}\n`;
  await page.evaluate((text) => window.quantlab.upload({ name: "mine.csv", text }), csv);
  await settle(page, 2);
  m = await metrics(page);
  assert.equal(m.data, "uploaded:mine.csv");
  assert.equal(m.rows_train + m.rows_test, 60);
  assert.equal(m.features, 2);
  assert.deepEqual(errors, []);
  await context.close();
});

test("Calibrate after training: post-training int8 accuracy close to float, QAT beside it at the same bits", async () => {
  const { page, context, errors } = await openTrain("?panel=train&data=digits&hidden=32&epochs=3&seed=1&cbits=8");
  const trained = await trainToEnd(page);
  await clickView(page, "train_calibrate_button");
  // A job (in the Web Worker): its result shows when it ends.
  const m = await waitFor(page, () => { const x = window.quantlab.metrics(); return x.ptq ? x : null; });
  assert.deepEqual({ method: m.ptq.method, bits: m.ptq.bits }, { method: "minmax", bits: 8 });
  assert.equal(m.ptq.in_worker, true);
  assert.ok(Math.abs(m.ptq.accuracy - trained.test_accuracy) < 0.02, `PTQ ${m.ptq.accuracy} vs ${trained.test_accuracy}`);
  // 2 bits hurt.
  await page.evaluate(() => window.quantlab.setState({ cbits: 2 }));
  await clickView(page, "train_calibrate_button");
  const two = await waitFor(page, () => { const x = window.quantlab.metrics(); return x.ptq && x.ptq.bits === 2 ? x : null; });
  assert.equal(two.ptq.bits, 2);
  assert.ok(two.ptq.accuracy < m.ptq.accuracy, `2-bit PTQ ${two.ptq.accuracy}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("2-D circle: the decision boundary from the GPU pass, trained past 90%", async () => {
  const { page, context, errors } = await openTrain("?panel=train&data=circle&hidden=8&epochs=30&lr=0.03&seed=1");
  let m = await metrics(page);
  assert.equal(m.features, 2);
  assert.equal(m.rows_train, 400);
  assert.equal(m.boundary_cells, 64 * 64);
  assert.equal(m.digits_shown, 0);
  const before = await page.screenshot();
  m = await trainToEnd(page);
  assert.ok(m.test_accuracy >= 0.9, `circle test accuracy ${m.test_accuracy}`);
  await settle(page, 3);
  const after = await page.screenshot({ path: path.join(outDir, "train-circle.png") });
  assert.ok(!before.equals(after));
  assert.deepEqual(errors, []);
  await context.close();
});

test("a bad URL shows messages, falls back and still renders; 800x600 keeps the controls reachable", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=train&hidden=0&data=imagenet&weights=fixed:w=99",
    { width: 800, height: 600 });
  const m = await waitFor(page, () => window.quantlab.metrics().rows_train > 0);
  const state = await page.evaluate(() => window.quantlab.getState());
  assert.equal(state.hidden, "32");
  assert.equal(state.data, "digits");
  assert.equal(state.weights, "");
  const text = m.messages.join("\n");
  assert.match(text, /imagenet/);
  assert.match(text, /hidden/);
  assert.match(text, /w=99|99/);
  const run = m.layout.train_run_button;
  assert.ok(run && run.x + run.width <= 800 && run.y + run.height <= 600, JSON.stringify(run));
  const shot = await page.screenshot({ path: path.join(outDir, "train-800x600.png") });
  assert.ok(shot.length > MIN_RENDERED_PNG_BYTES / 2);
  assert.deepEqual(errors, []);
  await context.close();
});

test("dropout: a real click on its slider sets it (in the link), training with it still learns; a bad value is refused", async () => {
  const { page, context, errors } = await openTrain("?panel=train&data=digits&hidden=32&epochs=3&dropout=abc");
  let messages = await page.evaluate(() => window.quantlab.messages());
  assert.ok(messages.some((m) => m.text.includes("dropout")), JSON.stringify(messages));
  assert.equal(Number((await page.evaluate(() => window.quantlab.getState())).dropout), 0);
  // The slider runs 0..0.9: a click at its middle sets about 0.45, applied on release.
  await clickView(page, "train_dropout");
  await settle(page, 4);
  const state = await page.evaluate(() => window.quantlab.getState());
  assert.ok(Number(state.dropout) > 0.35 && Number(state.dropout) < 0.55, `dropout ${state.dropout}`);
  assert.equal(Number(new URLSearchParams(await page.evaluate(() => location.search)).get("dropout")), Number(state.dropout));
  const m = await trainToEnd(page);
  assert.equal(m.dropout, Number(state.dropout));
  assert.ok(m.test_accuracy > 0.8, `test accuracy ${m.test_accuracy} with dropout ${m.dropout}`);
  assert.equal((await page.evaluate(() => window.quantlab.setState({ dropout: 0.95 }))).ok, false);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a costly model's test predictions are sliced over frames and stitched exactly (64-512-512-10)", async () => {
  const { page, context, errors } = await openTrain("?panel=train&data=digits&hidden=512-512&epochs=1&batch=64");
  await page.evaluate(() => window.quantlab.toggleRun());
  // Frames alone finish the run and its predictions (359 rows x 300k MACs, ~16 rows a frame).
  await page.waitForFunction(() => window.quantlab.metrics().state === "finished", null, { timeout: 60000, polling: 500 });
  await page.waitForTimeout(1500);
  const m = await metrics(page);
  const sum = m.confusion.flat().reduce((a, b) => a + b, 0);
  assert.equal(sum, m.rows_test, "every test row predicted once");
  // The stitched slices give exactly the job's own evaluation of the same weights.
  assert.equal(m.test_accuracy, m.history.at(-1).test_accuracy);
  console.log(`# 64-512-512-10: test accuracy ${m.test_accuracy}, frame p95 ${m.frame_ms_p95} ms, median ${m.frame_ms_median} ms`);
  assert.deepEqual(errors, []);
  await context.close();
});

// A long job's progress line says how long it has run and about how long is left (issue 19).
test("the training's progress line shows elapsed time and an estimate of the time left", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=train&data=digits&hidden=64&epochs=1000&seed=1");
  await waitFor(page, () => { const m = window.quantlab.metrics(); return m.rows_train > 0 && m.model; });
  await settle(page, 5);
  await page.evaluate(() => window.quantlab.toggleRun());
  // Running for a while (a loaded machine may take longer to start it): its line has a rate.
  await page.waitForFunction(() => {
    const j = window.quantlab.metrics().jobs.find((x) => x.label === "training");
    return j && j.elapsed_s >= 1.5 && j.left_s !== null;
  }, null, { timeout: 60000, polling: 100 });
  const m = await metrics(page);
  const job = m.jobs.find((j) => j.label === "training");
  assert.ok(job, JSON.stringify(m.jobs));
  assert.ok(job.elapsed_s >= 1.5 && job.elapsed_s < 30, `elapsed ${job.elapsed_s}`);
  // Time left = elapsed x (1 - f) / f for the fraction f done since the first step.
  const f = job.done / job.total;
  assert.ok(job.left_s > 0 && Math.abs(job.left_s - job.elapsed_s * (1 - f) / f) < 0.05 * job.left_s + 1,
    `left ${job.left_s} at ${f} after ${job.elapsed_s} s`);
  assert.match(job.timing, /^\d+( min \d+)? s, about \d+( min \d+)?( s| min)? ?\w* left$/);
  await page.evaluate(() => window.quantlab.toggleRun());
  assert.deepEqual(errors, []);
  await context.close();
});

test("MNIST opens on its own defaults (pixels / 255, lr 0.003 x0.7 per epoch, batch 32); a dragged decay wins until 'use the defaults'", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=train&data=mnist&hidden=128");
  let m = await waitFor(page, () => window.quantlab.metrics().rows_train > 0, null, 60000);
  assert.equal(m.preprocessing, "none");
  let s = await page.evaluate(() => window.quantlab.getState());
  assert.deepEqual([s.lr, s.batch, s.decay], ["", "", ""]);  // the data set's defaults
  await clickView(page, "train_decay");  // scrolls it into sight
  const r = (await metrics(page)).layout.train_decay;
  await page.mouse.move(r.x + r.width / 2, r.y + r.height / 2);
  await page.mouse.down();
  await page.mouse.move(r.x + 2, r.y + r.height / 2, { steps: 8 });  // to the slider's left end
  await page.mouse.up();
  await settle(page, 4);
  s = await page.evaluate(() => window.quantlab.getState());
  assert.ok(Number(s.decay) >= 0.5 && Number(s.decay) < 0.6, `decay ${s.decay}`);
  assert.equal(s.lr, "");
  await settle(page, 4);
  assert.match(await page.evaluate(() => window.location.search), /decay=0\.5/);  // the link keeps it
  await clickView(page, "train_defaults");
  s = await page.evaluate(() => window.quantlab.getState());
  assert.equal(s.decay, "");
  assert.deepEqual(errors, []);
  await context.close();
});
