// End-to-end tests of the Layers lesson (Lin et al. 2016) in headless Chromium: a real click
// trains digits 64-32-10, then the per-layer SQNRs rise by about kappa dB per bit, eq. 9 holds for
// the reported step SQNRs, the allocation follows eq. 16, size against error is computed, the
// objective radio (a real click) leaves dense layers' bits alone but moves a conv net's, a bad URL
// falls back with messages, the lattice designer (a dragged level, 2 against 16 levels, tuning), and
// Lin Table 6's pair beside the same pairing on the measured trade-off.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { openLab, settle, outDir, useLab, metrics, getState, waitFor, clickView } from "./browser.mjs";

const lab = useLab();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// The analysis is complete for the current weights: snapshot, kappa sweep and size/error job.
const analysed = () => {
  const m = window.quantlab.metrics();
  return m.layers.length > 0 && m.analysis_current && m.sweep.state === "finished" && m.sweep.batches === m.batches &&
    m.tradeoff_state === "finished" && m.tradeoff_batches === m.batches && m.tradeoff.length === 18;
};

// eq. 9: 1/gamma = sum of 1/gamma_i over the steps, in dB.
const eq9 = (dbs) => 10 * Math.log10(1 / dbs.reduce((s, d) => s + 10 ** (-d / 10), 0));
// C's lround: halves away from zero.
const lround = (x) => Math.sign(x) * Math.round(Math.abs(x));

function checkEq9(m) {
  const stepDbs = [];
  for (const l of m.layers) {
    stepDbs.push(l.sqnr_w_db);
    if (l.sqnr_a_db !== null) stepDbs.push(l.sqnr_a_db);
    // Each layer's meter: eq. 9 over the steps up to it.
    assert.ok(Math.abs(l.out_sqnr_predicted_db - eq9(stepDbs)) < 1e-6, `${l.name}: ${l.out_sqnr_predicted_db} vs ${eq9(stepDbs)}`);
  }
  assert.deepEqual(stepDbs, m.steps.map((s) => s.sqnr_db));
  assert.ok(Math.abs(m.output_sqnr_predicted_db - eq9(stepDbs)) < 1e-6, `${m.output_sqnr_predicted_db} vs ${eq9(stepDbs)}`);
  assert.equal(m.output_sqnr_measured_db, m.layers.at(-1).out_sqnr_measured_db);
}

function checkAllocation(m, rhoKey) {
  const rho = m.layers.map((l) => l[rhoKey]);
  m.layers.forEach((l, i) => {
    assert.equal(l.rho, rho[i]);
    const exact = (10 * Math.log10(rho[0] / rho[i])) / m.kappa_used;  // eq. 16
    assert.ok(Math.abs(l.exact_offset - exact) < 1e-9, `${l.name} offset ${l.exact_offset} vs ${exact}`);
    assert.equal(l.bits, Math.max(2, m.lbits + lround(exact)));
  });
}

test("digits 64-32-10: trained by a real click; SQNR per bit, eq. 9, kappa, allocation, size against error, objective", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=layers&data=digits&hidden=32&epochs=3&lbits=6&seed=1");
  let m = await waitFor(page, () => window.quantlab.metrics().model !== "");
  assert.equal(m.trained, false);
  assert.deepEqual(m.layers, []);  // random weights are not analysed: the lesson says so instead
  assert.equal(m.model, "mlp:64-32-10:act=relu");
  await clickView(page, "layers_run_button");
  m = await waitFor(page, () => window.quantlab.metrics().running || window.quantlab.metrics().trained);
  // The frame budget while the training job runs (jobs run between frames in slices).
  let frameWhileTraining = m.frame_ms_median;
  while (m.running) {
    await page.waitForTimeout(150);
    m = await metrics(page);
    if (m.running) frameWhileTraining = m.frame_ms_median;
  }
  const started = Date.now();
  m = await waitFor(page, analysed);
  const analysisMs = Date.now() - started;
  assert.ok(m.trained);
  assert.equal(m.batches, 3 * Math.ceil(1438 / 32));
  assert.ok(m.test_accuracy > 0.85, `test accuracy ${m.test_accuracy}`);
  console.log(`# frame median while training ${frameWhileTraining} ms; analysis after training ${analysisMs} ms; ` +
    `snapshot ${m.snapshot_ms.toFixed(1)} ms`);

  // Two dense layers: MACs = parameters.
  assert.deepEqual(m.layers.map((l) => [l.name, l.params, l.macs]), [["layer 1", 2048, 2048], ["layer 2", 320, 320]]);
  assert.equal(m.lbits, 6);
  assert.equal(m.rows, 359);
  checkEq9(m);
  // kappa per layer from the 2..12-bit sweep: about 5 dB/bit for Lin's formats (Table 1's step
  // shrinks by less than half per bit), and the single kappa is the weights' mean.
  for (const l of m.layers) assert.ok(l.kappa > 4 && l.kappa < 7, `${l.name} kappa ${l.kappa}`);
  assert.equal(m.kappa_source, "measured");
  assert.ok(Math.abs(m.kappa_used - (m.layers[0].kappa + m.layers[1].kappa) / 2) < 1e-9);
  checkAllocation(m, "params");
  assert.deepEqual(m.layers.map((l) => l.bits), [6, 8]);  // 10 log10(2048/320)/5 = 1.6 -> +2

  // Size against error: 9 equal and 9 optimised points; sizes are bits x parameters.
  const equal = m.tradeoff.filter((p) => !p.optimised), opt = m.tradeoff.filter((p) => p.optimised);
  assert.equal(equal.length, 9);
  equal.forEach((p, i) => assert.equal(p.size_bits, (i + 2) * (2048 + 320)));
  opt.forEach((p) => assert.equal(p.size_bits, p.bits[0] * 2048 + p.bits[1] * 320));
  // What holds here: some optimised point is at least as good as an equal one no smaller than it.
  const wins = opt.flatMap((o) => equal.filter((e) => e.size_bits >= o.size_bits && o.error <= e.error).map((e) => [o, e]));
  assert.ok(wins.length >= 1, JSON.stringify(m.tradeoff));
  console.log(`# optimised beats or ties equal at no larger size in ${wins.length} pairs, e.g. ` +
    `${wins[0][0].bits} (${wins[0][0].size_bits} bit, error ${wins[0][0].error.toFixed(3)}) vs ` +
    `${wins[0][1].bits} (${wins[0][1].size_bits} bit, error ${wins[0][1].error.toFixed(3)})`);

  // Two more bits. Lin's step is a power of two, 2^-f with f = -ceil(log2(3 sigma x Table 1's
  // step)): each extra fractional bit halves the noise's amplitude, +6.02 dB, but about one width
  // in six only widens the range (f stays; Table 1's step shrinks by less than half per bit), which
  // is why kappa is near 5, not 6. So the rise is 6.02 dB per extra fractional bit, and over six
  // bits about six kappa.
  const at6 = m;
  const frac = (spec) => Number(/f=(-?\d+)/.exec(spec)[1]);
  await page.evaluate(() => window.quantlab.setState({ lbits: 8 }));
  m = await waitFor(page, () => window.quantlab.metrics().analysis_bits === 8);
  const rises = [];
  for (let i = 0; i < 2; i++) {
    const rise = m.layers[i].sqnr_w_db - at6.layers[i].sqnr_w_db;
    const df = frac(m.layers[i].format_w) - frac(at6.layers[i].format_w);
    rises.push(`${m.layers[i].name} +${rise.toFixed(2)} dB (f +${df})`);
    assert.ok(df >= 1 && df <= 2, `${m.layers[i].format_w} vs ${at6.layers[i].format_w}`);
    assert.ok(Math.abs(rise - 6.02 * df) < 1, `${m.layers[i].name}: ${at6.layers[i].sqnr_w_db} -> ${m.layers[i].sqnr_w_db}, f +${df}`);
  }
  console.log(`# lbits 6 -> 8: ${rises.join(", ")}`);
  assert.ok(m.layers[0].sqnr_a_db > at6.layers[0].sqnr_a_db + 6);
  assert.ok(m.output_sqnr_measured_db > at6.output_sqnr_measured_db + 6);
  checkEq9(m);
  checkAllocation(m, "params");
  assert.deepEqual(m.layers.map((l) => l.bits), [8, 10]);

  // compute by a real click: dense layers have MACs = params, so the bits stay as they are, and the
  // size/error job reruns with the same allocations.
  const sizeBits = m.layers.map((l) => l.bits), sizeTrade = m.tradeoff;
  await clickView(page, "layers_objective_compute");
  assert.equal((await getState(page)).objective, "compute");
  m = await waitFor(page, () => {
    const x = window.quantlab.metrics();
    return x.objective === "compute" && x.tradeoff_objective === "compute" && x.tradeoff_state === "finished" && x.tradeoff.length === 18;
  });
  checkAllocation(m, "macs");
  assert.deepEqual(m.layers.map((l) => l.bits), sizeBits);
  assert.deepEqual(m.tradeoff, sizeTrade);
  await clickView(page, "layers_objective_size");
  assert.equal((await getState(page)).objective, "size");

  // Six bits more than at 6: six kappa, give or take one power-of-two step.
  await page.evaluate(() => window.quantlab.setState({ lbits: 12 }));
  m = await waitFor(page, () => window.quantlab.metrics().analysis_bits === 12);
  for (let i = 0; i < 2; i++) {
    const rise = m.layers[i].sqnr_w_db - at6.layers[i].sqnr_w_db;
    assert.ok(Math.abs(rise - 6 * at6.layers[i].kappa) < 6.1, `${m.layers[i].name}: +${rise} over 6 bits, kappa ${at6.layers[i].kappa}`);
    assert.ok(rise > 24 && rise < 37, `${m.layers[i].name}: +${rise} dB over 6 bits`);
  }
  await page.evaluate(() => window.quantlab.setState({ lbits: 6 }));
  await waitFor(page, () => window.quantlab.metrics().analysis_bits === 6);
  await page.mouse.move(1270, 790);  // no tooltip in the picture
  await settle(page, 4);
  await page.screenshot({ path: path.join(outDir, "layers.png") });
  assert.deepEqual(m.messages, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test("embedded with hide=objective: the objective cannot be clicked, lbits can", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "embed.html?panel=layers&data=digits&hide=objective");
  await waitFor(page, () => window.quantlab.metrics().model !== "");
  await page.evaluate(() => window.quantlab.step(20));
  let m = await waitFor(page, () => window.quantlab.metrics().layers.length > 0);
  assert.deepEqual(m.locked, ["objective"]);
  await clickView(page, "layers_objective_compute");
  assert.equal((await getState(page)).objective, "size");
  // A real click near the right end of the lbits slider moves it up.
  const r = (await metrics(page)).layout.layers_lbits;
  await page.mouse.click(r.x + r.width - 4, r.y + r.height / 2, { delay: 120 });
  m = await waitFor(page, () => Number(window.quantlab.getState().lbits) > 12);
  assert.ok(m.analysis_bits > 12 && m.analysis_bits <= 16, `analysis at ${m.analysis_bits} bits`);
  assert.deepEqual(errors, []);
  await context.close();
});

// A conv net for the 8x8 digits, weights from a seeded generator: conv 4 channels 3x3 (36 weights
// used at 36 positions: 1296 MACs) then dense 144 -> 10 (1440 weights, 1440 MACs).
function convModelJson(seed = 7) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5);
  const matrix = (rows, cols, scale) => Array.from({ length: rows }, () => Array.from({ length: cols }, () => rand() * scale));
  return JSON.stringify({
    format: "quantlab-model", version: 1, layers: [
      { type: "conv2d", channels: 1, height: 8, width: 8, kernel: 3, out: 4, activation: "relu",
        weight: matrix(4, 9, 1.2), bias: [0.01, 0.02, 0.03, 0.04] },
      { type: "dense", in: 144, out: 10, activation: "none", weight: matrix(10, 144, 0.3), bias: Array(10).fill(0) },
    ],
  });
}

test("a conv net (MACs differ from params): compute moves the allocation as eq. 16 says", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=layers&data=digits&lbits=8&kappa=3");
  await waitFor(page, () => window.quantlab.metrics().model !== "");
  await page.evaluate((text) => window.quantlab.upload({ name: "conv.json", text }), convModelJson());
  let m = await waitFor(page, () => window.quantlab.metrics().model_from_file && window.quantlab.metrics().layers.length === 2 &&
    window.quantlab.metrics().layers[0].shape.startsWith("conv"));
  assert.deepEqual(m.layers.map((l) => [l.params, l.macs]), [[36, 1296], [1440, 1440]]);
  assert.equal(m.kappa_source, "given");
  assert.equal(m.kappa_used, 3);
  checkAllocation(m, "params");
  assert.deepEqual(m.layers.map((l) => l.bits), [8, 3]);  // 10 log10(36/1440)/3 = -5.3 -> -5
  checkEq9(m);
  await clickView(page, "layers_objective_compute");
  m = await waitFor(page, () => window.quantlab.metrics().objective === "compute");
  checkAllocation(m, "macs");
  assert.deepEqual(m.layers.map((l) => l.bits), [8, 8]);  // 10 log10(1296/1440)/3 = -0.15 -> 0
  // Space keeps a loaded model (it is trained): a message says where to retrain.
  await page.mouse.click(5, 790);
  await page.keyboard.down(" ");
  await page.waitForTimeout(120);
  await page.keyboard.up(" ");
  await settle(page, 3);
  m = await metrics(page);
  assert.equal(m.running, false);
  assert.ok(m.messages.some((t) => t.includes("Train lesson")), JSON.stringify(m.messages));
  assert.deepEqual(errors, []);
  await context.close();
});

test("a bad URL value gives a message and keeps the default", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=layers&data=digits&lbits=1&objective=speed&kappa=-2");
  await waitFor(page, () => window.quantlab.metrics().model !== "");
  await page.evaluate(() => window.quantlab.step(20));
  const m = await waitFor(page, () => window.quantlab.metrics().layers.length > 0);
  const texts = (await page.evaluate(() => window.quantlab.messages())).map((x) => x.text);
  for (const key of ["lbits", "objective", "kappa"])
    assert.ok(texts.some((t) => t.includes(key)), `no message about ${key}: ${JSON.stringify(texts)}`);
  const st = await getState(page);
  assert.equal(Number(st.lbits), 6);
  assert.equal(st.objective, "size");
  assert.equal(Number(st.kappa), 0);
  assert.equal(m.lbits, 6);
  assert.equal(m.analysis_bits, 6);
  // A bad value through the API is refused alone, the rest applied.
  const r = await page.evaluate(() => window.quantlab.setState({ lbits: 17, objective: "compute" }));
  assert.equal(r.ok, false);
  assert.equal((await getState(page)).objective, "compute");
  assert.equal(Number((await getState(page)).lbits), 6);
  assert.deepEqual(errors, []);
  await context.close();
});

test("lattice designer: dragging a level (real mouse) re-evaluates; 2 levels lose accuracy against 16; fine-tuning", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=layers&data=digits&hidden=32&epochs=3&lbits=6&seed=1");
  await waitFor(page, () => window.quantlab.metrics().model !== "");
  await page.evaluate(() => window.quantlab.step(135));
  await clickView(page, "layers_tab_designer");
  let m = await waitFor(page, () => {
    const x = window.quantlab.metrics();
    return x.view === "designer" && x.designer && x.designer.batches === x.batches && x.trained;
  });
  let d = m.designer;
  assert.equal(d.layer, "layer 1");
  assert.equal(d.source, "k-means 16");
  assert.equal(d.levels.length, 16);
  assert.ok(d.levels.every((v, i) => i === 0 || v > d.levels[i - 1]));
  assert.ok(d.accuracy > 0.85 && d.accuracy <= d.float_accuracy + 0.02, `accuracy ${d.accuracy} float ${d.float_accuracy}`);
  assert.ok(d.sqnr_db > 15, `weight SQNR ${d.sqnr_db}`);

  // Drag level 10 by 40 px to the right with the mouse, a frame at a time as a hand does.
  const plot = m.layout.layers_designer_plot;
  const scale = (d.view_hi - d.view_lo) / plot.width;
  const old = d.levels[10];
  const x = plot.x + (old - d.view_lo) / scale, y = plot.y + plot.height / 2;
  await page.mouse.move(x, y);
  await settle(page, 2);
  await page.mouse.down();
  await settle(page, 2);
  for (let k = 1; k <= 8; k++) {
    await page.mouse.move(x + 5 * k, y);
    await settle(page, 1);
  }
  await page.mouse.up();
  m = await waitFor(page, (n) => window.quantlab.metrics().designer.evaluations > n, d.evaluations);
  const moved = m.designer;
  assert.ok(!moved.levels.includes(old), "the dragged level is still where it was");
  const target = old + 40 * scale;
  assert.ok(moved.levels.some((v) => Math.abs(v - target) < 2.5 * scale), `no level near ${target}: ${moved.levels}`);
  assert.equal(moved.source, "edited");
  // The edited levels are in the link (4 significant digits), exactly the ones evaluated.
  const linked = (await getState(page)).dlevels;
  assert.deepEqual(linked.split(";").map(Number), moved.levels);
  assert.equal(new URLSearchParams(await page.evaluate(() => location.search)).get("dlevels"), linked);
  assert.equal((await getState(page)).lview, "designer");
  const movedLink = await page.evaluate(() => location.search);
  assert.notEqual(moved.sqnr_db, d.sqnr_db);
  assert.ok(moved.accuracy > 0 && moved.accuracy <= 1);
  console.log(`# designer: level ${old.toFixed(4)} -> ${target.toFixed(4)}; weight SQNR ${d.sqnr_db.toFixed(2)} -> ` +
    `${moved.sqnr_db.toFixed(2)} dB, accuracy ${d.accuracy.toFixed(4)} -> ${moved.accuracy.toFixed(4)}`);

  // 16 k-means levels against 2.
  await clickView(page, "layers_designer_kmeans_16");
  const k16 = (await waitFor(page, () => window.quantlab.metrics().designer.source === "k-means 16")).designer;
  await clickView(page, "layers_designer_kmeans_2");
  const k2 = (await waitFor(page, () => window.quantlab.metrics().designer.source === "k-means 2")).designer;
  assert.equal(k16.levels.length, 16);
  assert.equal(k2.levels.length, 2);
  assert.deepEqual([k16.bits, k2.bits], [4, 1]);
  assert.ok(k2.accuracy < k16.accuracy, `2 levels ${k2.accuracy} vs 16 levels ${k16.accuracy}`);
  assert.ok(k2.sqnr_db < k16.sqnr_db - 10, `SQNR 2 levels ${k2.sqnr_db} vs 16 ${k16.sqnr_db}`);
  console.log(`# designer: k-means 16 levels ${k16.accuracy.toFixed(4)} (${k16.sqnr_db.toFixed(1)} dB), ` +
    `2 levels ${k2.accuracy.toFixed(4)} (${k2.sqnr_db.toFixed(1)} dB), eval ${k2.eval_ms.toFixed(1)} ms`);
  // k-means levels are in the link by their recipe: they are refitted to the weights it trains.
  assert.equal((await getState(page)).dlevels, "kmeans:2");
  // Layer 1 alone on 2 levels (the rest float): a fine-tuned copy keeps it so and wins accuracy back.
  await clickView(page, "layers_designer_finetune");
  m = await waitFor(page, () => {
    const f = window.quantlab.metrics().designer.finetune;
    return f && f.state === "finished" && f.accuracy !== null;
  });
  assert.equal(m.designer.finetune.before, k2.accuracy);
  assert.ok(m.designer.finetune.accuracy >= m.designer.finetune.before,
            `one layer fine-tuned ${m.designer.finetune.accuracy} vs ${m.designer.finetune.before}`);
  console.log(`# designer: layer 1 on 2 levels ${k2.accuracy.toFixed(4)}, fine-tuned ${m.designer.finetune.accuracy.toFixed(4)}`);
  // Fine-tuning a copy on 2 levels, every layer on them (QAT, one epoch) wins accuracy back.
  await clickView(page, "layers_designer_all");
  const all2 = (await waitFor(page, () => window.quantlab.metrics().designer.all_layers)).designer;
  await clickView(page, "layers_designer_finetune");
  m = await waitFor(page, () => {
    const f = window.quantlab.metrics().designer.finetune;
    return f && f.state === "finished" && f.accuracy !== null;
  });
  const tune = m.designer.finetune;
  assert.equal(tune.before, all2.accuracy);
  assert.ok(tune.accuracy > tune.before + 0.03, `fine-tuned ${tune.accuracy} vs ${tune.before}`);
  assert.equal(m.batches, 135);  // the lab's model is untouched
  console.log(`# designer: all layers on 2 levels ${tune.before.toFixed(4)}, fine-tuned 1 epoch ${tune.accuracy.toFixed(4)}`);
  await clickView(page, "layers_designer_kmeans_16");
  await page.mouse.move(1270, 790);
  await settle(page, 4);
  await page.screenshot({ path: path.join(outDir, "layers-designer.png") });
  assert.deepEqual(errors, []);
  await context.close();

  // The link taken after the drag rebuilds the same model (seed), opens the designer on the same
  // levels and scores them the same.
  const again = await openLab(lab.browser, lab.url + movedLink);
  await waitFor(again.page, () => window.quantlab.metrics().model !== "");
  await again.page.evaluate(() => window.quantlab.step(135));
  m = await waitFor(again.page, () => {
    const x = window.quantlab.metrics();
    return x.view === "designer" && x.designer && x.designer.batches === 135;
  });
  assert.deepEqual(m.designer.levels, moved.levels);
  assert.equal(m.designer.source, "levels from the link");
  assert.equal(m.designer.accuracy, moved.accuracy);
  assert.equal(m.designer.sqnr_db, moved.sqnr_db);
  assert.deepEqual(again.errors, []);
  await again.context.close();
});

test("lattice designer links: layer 2 on all layers from the link; a bad level list and a layer past the model are named", async () => {
  const { page, context } = await openLab(lab.browser, lab.url +
    "?panel=layers&data=digits&hidden=32&epochs=3&seed=1&lview=designer&dlevels=uniform:2&dlayer=2&dall=1");
  await waitFor(page, () => window.quantlab.metrics().model !== "");
  await page.evaluate(() => window.quantlab.step(135));
  let m = await waitFor(page, () => {
    const x = window.quantlab.metrics();
    return x.designer && x.designer.batches === 135;
  });
  assert.equal(m.designer.layer, "layer 2");
  assert.equal(m.designer.all_layers, true);
  assert.equal(m.designer.levels.length, 4);  // Lin's fixed point at 2 bits
  assert.ok(m.designer.source.startsWith("Lin uniform 2 bits"), m.designer.source);
  // A real click on "all layers" clears it in the link.
  await clickView(page, "layers_designer_all");
  assert.equal((await getState(page)).dall, 0);
  m = await waitFor(page, () => !window.quantlab.metrics().designer.all_layers);
  // Bad values are named and the designer keeps what it had.
  await page.evaluate(() => window.quantlab.setState({ dlevels: "0.1;x" }));
  await page.evaluate(() => window.quantlab.setState({ dlayer: 3 }));
  await settle(page, 4);
  const msgs = (await page.evaluate(() => window.quantlab.messages())).map((x) => x.text).join("\n");
  assert.match(msgs, /dlevels.*item 2 'x' is not a finite number/);
  assert.match(msgs, /dlayer=3: the model has 2 weighted layers/);
  m = await metrics(page);
  assert.equal((await getState(page)).dlevels, "uniform:2");
  assert.equal(m.designer.layer, "layer 2");
  assert.equal(m.designer.levels.length, 4);
  await context.close();
});

// Lin Table 6's pairs as qlab allocate --table6 gives them, beside the same pairing on the
// measured trade-off (checked here by brute force over its points).
test("Lin Table 6's pair (case 10 against case 2) beside the pairing on our trade-off", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url + "?panel=layers&data=digits&hidden=32&epochs=3&lbits=6&seed=1");
  await waitFor(page, () => window.quantlab.metrics().model !== "");
  let m = await metrics(page);
  assert.equal(m.table6.measured, false);
  assert.equal(m.table6.ours, null);
  await clickView(page, "layers_run_button");  // trains the model (a real click)
  m = await waitFor(page, analysed, null, 90000);
  const r = spawnSync(path.join(root, "build/native-release/cli/qlab"), ["allocate", "--table6", "--json"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const t6 = JSON.parse(r.stdout);
  assert.equal(m.table6.match_error, t6.match_error);
  assert.deepEqual(m.table6.paper_case_pairs, t6.saving_case_pairs);
  assert.deepEqual(m.table6.paper, t6.savings);
  const lin = m.table6.paper.find((p, i) => m.table6.paper_case_pairs[i][0] === 10);
  assert.deepEqual(m.table6.paper_case_pairs.find((p) => p[0] === 10), [10, 2]);
  assert.ok(Math.abs(lin.saving - 0.221) < 0.0005 && Math.abs(lin.optimised_size_mbit - 21.09) < 0.005, JSON.stringify(lin));
  // Ours: every optimised point against the smallest equal-width one within 0.1 points.
  assert.equal(m.table6.measured, true);
  const pts = m.tradeoff.map((p) => ({ optimised: p.optimised, size: p.size_bits / 1e6, error: 100 * p.error }));
  const expected = [];
  pts.forEach((p, i) => {
    if (!p.optimised) return;
    let best = -1;
    pts.forEach((q, j) => {
      if (!q.optimised && Math.abs(q.error - p.error) <= 0.1 + 1e-9 && (best < 0 || q.size < pts[best].size)) best = j;
    });
    if (best >= 0 && p.size < pts[best].size) expected.push([i, best, 1 - p.size / pts[best].size]);
  });
  assert.deepEqual(m.table6.ours.map((v) => [v.optimised, v.equal]), expected.map((e) => [e[0], e[1]]));
  m.table6.ours.forEach((v, k) => assert.ok(Math.abs(v.saving - expected[k][2]) < 1e-12));
  console.log(`# Table 6 beside ours: ${JSON.stringify(m.table6.ours.map((v) => [m.tradeoff[v.optimised].bits, m.tradeoff[v.equal].bits, v.saving.toFixed(3)]))}`);
  await settle(page, 3);
  await page.screenshot({ path: path.join(outDir, "layers-table6.png") });
  assert.deepEqual(errors, []);
  await context.close();
});
