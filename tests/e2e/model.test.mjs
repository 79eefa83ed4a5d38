// End-to-end tests of the one shared model (web/lab/shared_model): a run asked for while its data
// set downloads starts when the data arrives, an untrained model is analysed by no lesson (each
// says so instead of numbers), and exportModel() gives the model the CLI reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { openLab, outDir, useLab, metrics, waitFor, clickView } from "./browser.mjs";

const lab = useLab();

test("Run pressed while MNIST downloads starts training when the digits arrive", async () => {
  const context = await lab.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  // Hold the download until Run has been pressed, as a slow network would.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route("**/data/mnist-*.idx", async (route) => { await held; await route.continue(); });
  await page.goto(lab.url + "?panel=train&data=mnist&hidden=128&epochs=1");
  await page.evaluate(() => window.quantlab.ready);
  let m = await waitFor(page, () => window.quantlab.metrics().dataset_loading);
  assert.equal(m.rows_train, 0);
  await clickView(page, "train_run_button");
  m = await metrics(page);
  assert.equal(m.waiting_for_data, true);
  assert.equal(m.batches, 0);
  assert.match(m.status, /waiting for mnist to load, then it runs/);
  await page.screenshot({ path: path.join(outDir, "train-waiting-for-mnist.png") });
  release();
  m = await waitFor(page, () => window.quantlab.metrics().batches > 0, null, 60000);
  assert.equal(m.rows_train, 8000);
  assert.equal(m.waiting_for_data, false);
  assert.ok(m.running || m.state === "finished", `state ${m.state}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("No lesson analyses an untrained model: each says so in place of its numbers", async () => {
  const { page, context, errors } = await openLab(lab.browser,
    lab.url + "?panel=ternary&tview=pareto&data=digits&hidden=32&seed=1");
  let m = await waitFor(page, () => window.quantlab.metrics().model !== "");
  assert.equal(m.trained, false);
  assert.equal(m.state, "untrained");
  assert.equal(m.pareto.state, "untrained");
  assert.deepEqual(m.pareto.points, []);
  assert.deepEqual(m.levels, []);
  await page.screenshot({ path: path.join(outDir, "ternary-pareto-untrained.png") });

  await page.evaluate(() => window.quantlab.setState({ panel: "layers" }));
  m = await waitFor(page, () => window.quantlab.metrics().panel === "layers");
  assert.equal(m.trained, false);
  assert.deepEqual(m.layers, []);
  assert.equal(m.sweep.state, "idle");

  await page.evaluate(() => window.quantlab.setState({ panel: "precision" }));
  m = await waitFor(page, () => window.quantlab.metrics().panel === "precision");
  assert.equal(m.analysis.state, "untrained");
  assert.equal(m.e_a, null);
  assert.equal(m.thm1, null);

  // One Step trains a batch: the weights are trained (a little) and the analyses follow.
  await page.evaluate(() => window.quantlab.setState({ panel: "ternary" }));
  await page.evaluate(() => window.quantlab.step(20));
  m = await waitFor(page, () => {
    const x = window.quantlab.metrics();
    return x.trained && x.pareto.state === "finished";
  }, null, 45000);
  assert.ok(m.pareto.points.length > 30);
  assert.deepEqual(errors, []);
  await context.close();
});

test("exportModel() is the shared model as the quantlab-model JSON the CLI reads", async () => {
  const { page, context, errors } = await openLab(lab.browser,
    lab.url + "?panel=train&data=xor&hidden=6&seed=3");
  await waitFor(page, () => window.quantlab.metrics().rows_train > 0);
  await page.evaluate(() => window.quantlab.step(10));
  const text = await page.evaluate(() => window.quantlab.exportModel());
  const model = JSON.parse(text);
  assert.equal(model.format, "quantlab-model");
  assert.equal(model.version, 1);
  assert.deepEqual(model.layers.map((l) => [l.in, l.out]), [[2, 6], [6, 2]]);
  assert.deepEqual(errors, []);
  await context.close();
});
