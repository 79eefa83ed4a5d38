// CLI contract tests for the Lin 2016 and Kundu 2017 analyses: qlab sqnr --model, qlab allocate
// (Table 4 from Table 3) and qlab ternary (Algorithm 2's errors, accuracy per residual level).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const qlab = path.join(root, "build/native-release/cli/qlab");
const run = (args) => spawnSync(qlab, args, { encoding: "utf8" });

// A small trained model on the circle data, saved once for the tests below.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qlab-analysis-"));
const model = path.join(dir, "m.json");
const data = "synth:circle:n=300,seed=2";
const trained = run(["train", "--data", data, "--model", "mlp:2-16-16-2", "--epochs", "40", "--save", model]);

test("allocate: Lin Table 4 from Table 3's parameters with kappa = 3", () => {
  const r = run(["allocate", "--params", "0.007,0.295,0.295,0.590,0.590,1.606", "--objective", "size",
    "--kappa", "3", "--base-bits", "16", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.offsets, [0, -5, -5, -6, -6, -8]);
  assert.deepEqual(j.bits, [16, 11, 11, 10, 10, 8]);  // Table 6 case 7
  assert.equal(j.kappa_source, "given");
  const table = run(["allocate", "--params", "1,2", "--objective", "size"]);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /kappa 3\.000 dB\/bit \(default\)/);
  assert.equal(run(["allocate", "--params", "1,x", "--objective", "size"]).status, 2);
  assert.equal(run(["allocate", "--params", "1,2", "--objective", "speed"]).status, 2);
  assert.equal(run(["allocate", "--objective", "size"]).status, 2);
  assert.match(run(["allocate", "--help"]).stdout, /--objective/);
});

test("allocate --model: measured kappa, compute objective, size against error", () => {
  assert.equal(trained.status, 0, trained.stderr);
  const r = run(["allocate", "--model", model, "--data", data, "--objective", "compute", "--tradeoff",
    "--tradeoff-min", "3", "--tradeoff-max", "5", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.kappa_source, "measured");
  assert.ok(j.kappa > 3 && j.kappa < 7, `kappa ${j.kappa}`);
  assert.deepEqual(j.rho, [32, 256, 32]);  // MACs of 2-16-16-2
  // eq. 16: round(10 log10(32/256) / kappa) = round(-9.03 / kappa)
  assert.deepEqual(j.offsets, [0, Math.round(-10 * Math.log10(8) / j.kappa), 0]);
  assert.equal(j.tradeoff.points.length, 6);
  for (const p of j.tradeoff.points) assert.ok(p.error >= 0 && p.error <= 1);
});

test("sqnr --model: per-step and output SQNR, measured and predicted", () => {
  assert.equal(trained.status, 0, trained.stderr);
  const r = run(["sqnr", "--model", model, "--data", data, "--weights", "fixed:w=8,f=6",
    "--activations", "ufixed:w=8,f=5", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.steps.map((s) => s.name), ["W1", "a1", "W2", "a2", "W3"]);
  for (const s of j.steps) assert.ok(s.sqnr_db > 10 && s.sqnr_db < 60, `${s.name} ${s.sqnr_db}`);
  // eq. 9 from the steps as printed
  const inv = j.steps.reduce((a, s) => a + 10 ** (-s.sqnr_db / 10), 0);
  assert.ok(Math.abs(j.predicted_output_db - -10 * Math.log10(inv)) < 1e-9);
  assert.ok(Math.abs(j.measured_output_db - j.predicted_output_db) < 10);
  const sweep = JSON.parse(run(["sqnr", "--model", model, "--data", data, "--sweep", "4..8", "--json"]).stdout);
  assert.equal(sweep.rows.length, 5);
  assert.equal(sweep.steps.length, 5);
  assert.equal(run(["sqnr", "--model", model, "--data", data, "--sweep", "8"]).status, 2);
  assert.equal(run(["sqnr", "--model", "/nonexistent.json", "--data", data]).status, 2);
});

test("ternary: Algorithm 2's errors fall, Table 2 figures and accuracy per level", () => {
  assert.equal(trained.status, 0, trained.stderr);
  const r = run(["ternary", "--model", model, "--data", data, "--block", "8", "--tolerance", "0.05", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.layers.length, 3);
  for (const l of j.layers) {
    for (let i = 1; i < l.errors.length; i++) assert.ok(l.errors[i] < l.errors[i - 1], "Theorem 3");
    assert.ok(l.errors.at(-1) / l.norm <= 0.05);
    assert.equal(l.model_size_bits, l.scale_factors * (8 + 2 * 8));  // (8 + 2n/k) sum (r_i + 1)
  }
  assert.ok(j.accuracy_by_level.length >= 2);
  assert.ok(j.accuracy_by_level.at(-1) >= j.float_accuracy - 0.05);
  assert.equal(j.levels[0].compute, 1);
  assert.equal(run(["ternary", "--model", model, "--data", data]).status, 0);
  assert.equal(run(["ternary", "--model", model, "--data", data, "--tolerance", "-1"]).status, 2);
  assert.match(run(["ternary", "--help"]).stdout, /--tolerance/);
});

test("finetune: Lin's formats, errors before and after each epoch, the fine-tuned model saved", () => {
  assert.equal(trained.status, 0, trained.stderr);
  const tuned = path.join(dir, "tuned.json");
  const r = run(["finetune", "--model", model, "--data", data, "--weight-bits", "3", "--activation-bits", "6",
    "--epochs", "3", "--lr", "0.003", "--save", tuned, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.formats.length, 3);
  for (const f of j.formats) assert.match(f.weights, /^fixed:w=3,f=-?\d+$/);
  assert.match(j.formats[0].activations, /^fixed:w=6,f=-?\d+$/);
  assert.equal(j.formats[2].activations, "", "the logits stay float");
  assert.equal(j.epoch_errors.length, 3);
  assert.equal(j.finetuned_error, j.epoch_errors[2]);
  for (const e of [j.float_error, j.quantized_error, j.finetuned_error]) assert.ok(e >= 0 && e <= 1);
  const saved = JSON.parse(fs.readFileSync(tuned, "utf8"));
  assert.equal(saved.format, "quantlab-model");
  assert.equal(saved.layers.length, 3);
  const human = run(["finetune", "--model", model, "--data", data, "--epochs", "1"]);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /quantized \d+\.\d\d%, fine-tuned \d+\.\d\d% \(1 epochs\)/);
  assert.equal(run(["finetune", "--model", model, "--data", data, "--weight-bits", "1"]).status, 2);
  assert.equal(run(["finetune", "--model", model, "--data", data, "--test-fraction", "0"]).status, 2);
  assert.match(run(["finetune", "--help"]).stdout, /--weight-bits/);
});
