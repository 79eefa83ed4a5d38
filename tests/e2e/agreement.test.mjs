// The lab and the CLI agree: one model trained in the browser, handed to `qlab` through
// exportModel(), gives the same figures in each analysis lesson as the CLI prints for the same
// file and flags (Sakr: E_A, E_W, both theorems and the measured mismatch; Lin: the SQNR of every
// step and each layer's meter, and the allocation; Kundu: accuracy and size per residual level).
// The lab runs as WebAssembly (Eigen's simd128 kernels) and the CLI natively (SSE2 kernels): the
// same float32 products summed in another order. Counts agree exactly (mismatch, errors,
// accuracies, sizes, bits). Sakr's E_A and E_W are sums of g / (24 d^2) in which the few rows with
// a tiny margin d carry much of the total, so a logit that moves by ~1e-7 of its size moves them by
// more: measured 4.6e-5 (E_A) and 5.1e-5 (E_W) relative on this model; they, and the bounds
// built on them, agree within kFloatOrderRelative; the other figures within kRelative.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { metrics, openLab, settle, useLab, waitFor } from "./browser.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const qlabPath = path.join(root, "build/native-release/cli/qlab");
const qlab = (args) => {
  const r = spawnSync(qlabPath, args, { encoding: "utf8" });
  assert.equal(r.status, 0, `qlab ${args.join(" ")}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};
const kFloatOrderRelative = 5e-4;
const kRelative = 1e-6;  // SQNRs in dB, kappa, compute: measured 1.1e-8 (a1 SQNR)
const within = (tolerance) => (a, b, what) =>
  assert.ok(Math.abs(a - b) <= tolerance * Math.max(1e-12, Math.abs(a), Math.abs(b)), `${what}: lab ${a}, qlab ${b}`);
const close = within(kRelative);
const closeSakr = within(kFloatOrderRelative);

const lab = useLab();
// The lab's data as `qlab` names it: sklearn's digits, 20% held out with the link's seed, scaled
// to [-1, 1] with the training rows (both call qlab::prepare_split).
const data = ["--data", "sklearn:digits", "--test-fraction", "0.2", "--seed", "1"];

test("Precision, Layers and Ternary show what qlab bounds, sqnr, allocate and ternary print", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url +
    "?panel=precision&data=digits&hidden=32&act=hardsigmoid&epochs=3&seed=1&ba=6&bw=7&psamples=500");
  await waitFor(page, () => window.quantlab.metrics().model !== "");
  await page.evaluate(() => window.quantlab.step(1000));  // 3 epochs: the run ends
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qlab-agree-"));
  const file = path.join(dir, "lab-model.json");
  fs.writeFileSync(file, await page.evaluate(() => window.quantlab.exportModel()));

  // Sakr: the analysis on 500 random held-out rows, the bounds and the fixed-point network at (6, 7).
  const p = await waitFor(page, () => {
    const m = window.quantlab.metrics();
    return m.analysis.state === "finished" && m.thm2 !== null && m.p_m_sim !== null;
  }, null, 60000);
  const b = qlab(["bounds", "--model", file, ...data, "--samples", "500", "--ba", "6", "--bw", "7", "--simulate", "--json"]);
  assert.equal(p.samples, b.samples);
  closeSakr(p.e_a, b.E_A, "E_A");
  closeSakr(p.e_w, b.E_W, "E_W");
  assert.equal(p.suggested_offset, b.suggested_bw_minus_ba);
  assert.equal(p.inputs_clipped !== null, true);
  closeSakr(p.thm1, b.rows[0].thm1, "Theorem 1");
  closeSakr(p.thm2, b.rows[0].thm2, "Theorem 2");
  closeSakr(p.thm2_opt, b.rows[0].thm2_opt, "Theorem 2 (t optimised)");
  assert.equal(p.p_m_sim, b.rows[0].p_m_sim, "measured mismatch");
  assert.equal(p.error_sim, b.rows[0].error_sim, "fixed-point error");
  assert.equal(p.float_error, b.float_error, "float error");
  console.log(`# Sakr: E_A ${p.e_a} (qlab ${b.E_A}), E_W ${p.e_w} (qlab ${b.E_W}), p_m ${p.p_m_sim}`);

  // Lin: Lin's formats at lbits for every step, the meters, and the allocation for size.
  await page.evaluate(() => window.quantlab.setState({ panel: "layers", lbits: 6, objective: "size" }));
  const l = await waitFor(page, () => {
    const m = window.quantlab.metrics();
    return m.panel === "layers" && m.analysis_current && m.analysis_bits === 6 && m.allocation;
  }, null, 60000);
  const s = qlab(["sqnr", "--model", file, ...data, "--lin-bits", "6", "--rows", String(l.rows), "--json"]);
  assert.equal(s.rows, l.rows);
  assert.equal(s.steps.length, l.steps.length);
  for (let k = 0; k < s.steps.length; k++) {
    assert.equal(l.steps[k].format, s.steps[k].format, `step ${k} format`);
    close(l.steps[k].sqnr_db, s.steps[k].sqnr_db, `step ${s.steps[k].name} SQNR`);
  }
  close(l.output_sqnr_measured_db, s.measured_output_db, "measured output SQNR");
  close(l.output_sqnr_predicted_db, s.predicted_output_db, "eq. 9 output SQNR");
  for (let i = 0; i < l.layers.length; i++) {
    close(l.layers[i].out_sqnr_measured_db, s.meters[i].measured_db, `layer ${i + 1} meter`);
    close(l.layers[i].out_sqnr_predicted_db, s.meters[i].predicted_db, `layer ${i + 1} eq. 9`);
  }
  const a = qlab(["allocate", "--model", file, ...data, "--objective", "size", "--base-bits", "6", "--min-bits", "2", "--json"]);
  close(l.kappa_used, a.kappa, "kappa");
  assert.deepEqual(l.allocation.bits, a.bits);
  assert.deepEqual(l.allocation.offsets, a.offsets);
  console.log(`# Lin: ${s.steps.length} steps, kappa ${l.kappa_used}, bits ${a.bits.join(",")}`);

  // Kundu: Algorithm 2 with N = 16, epsilon = 0.05, accuracy and size at every residual level.
  await page.evaluate(() => window.quantlab.setState({ panel: "ternary", tblock: 16, ttol: 0.05 }));
  const t = await waitFor(page, () => {
    const m = window.quantlab.metrics();
    return m.panel === "ternary" && m.state === "finished" && m.current && m.levels.length > 0;
  }, null, 60000);
  const k = qlab(["ternary", "--model", file, ...data, "--block", "16", "--tolerance", "0.05", "--json"]);
  close(t.float_accuracy, k.float_accuracy, "float accuracy");
  assert.equal(t.levels.length, k.levels.length);
  for (let i = 0; i < k.levels.length; i++) {
    assert.equal(t.levels[i].accuracy, k.levels[i].accuracy, `level ${i} accuracy`);
    assert.equal(t.levels[i].model_size_bits, k.levels[i].model_size_bits, `level ${i} size`);
    close(t.levels[i].compute, k.levels[i].compute, `level ${i} compute`);
  }
  console.log(`# Kundu: ${k.levels.length} levels, accuracy ${k.levels.map((v) => v.accuracy.toFixed(4)).join(" ")}`);
  assert.deepEqual(errors, []);
  await context.close();
});

// The lab's own CNN (the hidden key's CNN body, chosen in Precision's net combo with the mouse) is
// analysed as `qlab bounds` analyses the exported file: Sakr §4.2's CNN result on the digits.
test("Precision's CNN, chosen in its net combo, shows what qlab bounds prints for it", async () => {
  const { page, context, errors } = await openLab(lab.browser, lab.url +
    "?panel=precision&data=digits&hidden=32&act=hardsigmoid&epochs=3&seed=1&ba=6&bw=6&psamples=500");
  let m = await waitFor(page, () => { const x = window.quantlab.metrics(); return x.model !== "" && x.layout.precision_net_combo; });
  await settle(page, 6);  // the model line above it has its final height
  const combo = (await metrics(page)).layout.precision_net_combo;
  await page.mouse.click(combo.x + combo.width / 2, combo.y + combo.height / 2, { delay: 120 });
  const cnn = () => window.quantlab.widgets().find((w) => w.label === "CNN, two conv + pool");
  await page.waitForFunction(cnn, null, { timeout: 10000 });
  const item = await page.evaluate(cnn);
  await page.mouse.click(item.rect.x + item.rect.width / 2, item.rect.y + item.rect.height / 2, { delay: 120 });
  m = await waitFor(page, () => window.quantlab.metrics().model.startsWith("cnn:"));
  assert.equal(m.model, "cnn:8x8x1-c8k3-p2-32-10:act=hardsigmoid");
  assert.equal((await page.evaluate(() => window.quantlab.getState())).hidden, "c8k3-p2-32");
  await page.evaluate(() => window.quantlab.step(1000));  // 3 epochs: the run ends
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qlab-agree-cnn-"));
  const file = path.join(dir, "lab-cnn.json");
  fs.writeFileSync(file, await page.evaluate(() => window.quantlab.exportModel()));
  const p = await waitFor(page, () => {
    const x = window.quantlab.metrics();
    return x.analysis.state === "finished" && x.thm2 !== null && x.p_m_sim !== null;
  }, null, 120000);
  const b = qlab(["bounds", "--model", file, ...data, "--samples", "500", "--ba", "6", "--bw", "6", "--simulate", "--json"]);
  assert.equal(p.samples, b.samples);
  closeSakr(p.e_a, b.E_A, "E_A");
  closeSakr(p.e_w, b.E_W, "E_W");
  assert.equal(p.suggested_offset, b.suggested_bw_minus_ba);
  closeSakr(p.thm1, b.rows[0].thm1, "Theorem 1");
  assert.ok(p.float_error < 0.2, `float error ${p.float_error}`);
  console.log(`# Sakr, the lab's CNN on the digits: E_A ${p.e_a.toFixed(3)}, E_W ${p.e_w.toFixed(3)}, ` +
    `E_W/E_A ${(p.e_w / p.e_a).toFixed(2)}, eq. 12 offset ${p.suggested_offset} (Sakr's CIFAR-10 CNN: 0)`);
  assert.deepEqual(errors, []);
  await context.close();
});
