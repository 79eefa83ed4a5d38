// CLI tests for the papers' figures beside the lab's (issue 18): Cherkhev's Tables 2-4 and the
// sweep's protocols, Theorem 1's two bounds and the search, Sakr's Table 1 complete and the E
// values' readings and spread, Lin's Table 6, Kundu's Tables 3-4 and the abstract's figures. Every
// number is checked against an independent computation written out here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const qlab = path.join(root, "build/native-release/cli/qlab");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qlab-papers-"));

function run(args) {
  const r = spawnSync(qlab, args, { encoding: "utf8", cwd: root });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function json(args) {
  const r = run([...args, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
const near = (a, b, tol, what = "") => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

// eq. 3 for one D-term dot product and a dense network (Sakr §2.3).
const fa = (d, ba, bw) => d * ba * bw + (d - 1) * (ba + bw + Math.ceil(Math.log2(d)) - 1);
const networkFa = (w, ba, bw, bias) =>
  w.slice(1).reduce((s, out, l) => s + out * fa(w[l] + bias, ba, bw), 0);

test("sweep --table: the paper's cells beside ours, 3 passes scored on held-out rows", () => {
  const data = "synth:linear:d=2,n=200,margin=0.1,seed=3";
  const j = json(["sweep", "--data", data, "--table", "3-float"]);
  assert.equal(j.protocol, "paper");
  assert.equal(j.epochs, 3);
  assert.equal(j.scored_on, "test");
  assert.equal(j.test_size, 40);
  assert.equal(j.grid, "float:e={2,3,4,5,6,7},bits={6,7,8,9},sub=0,sat=1");
  assert.equal(j.paper.rows.length, 7);
  // Row e = 1 has no lab format; e = 5 at 6 bits is "-" in both; e = 7 at 9 bits has m = 1.
  assert.deepEqual(j.paper.rows[0].paper, [57, 71, 82, 82]);
  assert.deepEqual(j.paper.rows[0].ours, [null, null, null, null]);
  assert.equal(j.paper.rows[4].paper[0], "-");
  assert.equal(j.paper.rows[4].ours[0], "-");
  assert.equal(j.paper.rows[6].paper[3], 50);
  assert.equal(typeof j.paper.rows[6].ours[3], "number");
  // Every cell's accuracy is its test accuracy; a possible cell is m >= 1 mantissa bits.
  for (const c of j.cells) {
    const m = /m=(\d+)/.exec(c.spec);
    if (c.possible === false) assert.equal(Number(m[1]), 0, c.spec);
    else assert.equal(c.accuracy, c.test_accuracy);
  }
  const t4 = json(["sweep", "--data", data, "--table", "4-float"]);
  assert.equal(t4.paper.rows[6].paper[2], "-");  // printed "-" though m = 1 ...
  assert.equal(typeof t4.paper.rows[6].ours[2], "number");  // ... which the lab runs
  const conv = json(["sweep", "--data", data, "--grid", "lattice:range={1,2},points={9,33}",
    "--protocol", "converge"]);
  assert.equal(conv.epochs, 50);
  assert.equal(conv.scored_on, "train");
  assert.equal(conv.train_size, 200);
  for (const c of conv.cells) assert.equal(c.accuracy, c.train_accuracy);
  const text = run(["sweep", "--data", data, "--table", "2"]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /Cherkhev Table 2 \(mushrooms\)/);
  assert.match(text.stdout, /\[-8, 8\]\s+48 \| [\d.]+\s+48 \|/);
  for (const [args, re] of [[["--table", "9"], /unknown table '9'/],
    [["--protocol", "fast", "--table", "2"], /unknown sweep protocol 'fast'/],
    [["--table", "2", "--grid", "lattice:range=1,points=8"], /either --grid or --table/],
    [[], /give --grid SPEC or --table ID/]]) {
    const r = run(["sweep", "--data", data, ...args]);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, re);
  }
});

test("train: delta for the rounding in use, Theorem 1's bound and the safe one", () => {
  const data = "synth:linear:d=2,n=100,margin=0.2,seed=4";
  // lattice:range=4,points=257: 0 is an atom, and the weights stay inside the range.
  const step = 8 / 256;
  const rne = json(["train", "--data", data, "--format", "lattice:range=4,points=257"]);
  const rtz = json(["train", "--data", data, "--format", "lattice:range=4,points=257", "--rounding", "rtz"]);
  near(rne.delta, Math.SQRT2 * step / 2, 1e-12, "nearest: half a step");
  near(rtz.delta, Math.SQRT2 * step, 1e-12, "rtz: a full step");
  assert.equal(rne.start_norm, 0);
  for (const j of [rne, rtz]) {
    near(j.mistake_bound, (j.radius / (j.margin - j.delta)) ** 2, 1e-9 * j.mistake_bound, "paper");
    const g = j.margin - 2 * j.delta;
    assert.ok(g > 0);
    near(j.mistake_bound_safe, (j.radius / g) ** 2, 1e-9 * j.mistake_bound_safe, "safe");
    assert.ok(j.updates <= j.mistake_bound_safe);
    assert.match(j.delta_kind, /worst case over the box/);
  }
  const even = json(["train", "--data", data, "--format", "lattice:range=4,points=256"]);
  near(even.start_norm, Math.SQRT2 * 4 / 255, 1e-12, "q(0) = +-step/2 per coordinate");
  const g = even.margin - 2 * even.delta, s0 = even.start_norm, R = even.radius;
  near(even.mistake_bound_safe, ((R + Math.sqrt(R * R + 8 * s0 * g)) / (2 * g)) ** 2, 1e-9 * even.mistake_bound_safe);
  const text = run(["train", "--data", data, "--format", "lattice:range=4,points=256"]);
  assert.match(text.stdout, /safe bound/);
  assert.match(text.stdout, /starts at q\(0\) != 0/);
  const vec = json(["train", "--data", "synth:synth02", "--vector-kmeans", "3"]);
  assert.match(vec.delta_kind, /lower estimate/);
});

test("bound-search: no run beyond the safe bound; the closest run comes with its data", () => {
  const j = json(["bound-search", "--trials", "20", "--refine", "20", "--seed", "3"]);
  assert.ok(j.runs >= 100, `${j.runs} runs`);
  assert.equal(j.above_safe, 0);
  assert.ok(j.in_scope > 0);
  const w = j.worst;
  assert.equal(w.start_norm, 0);
  near(w.paper_ratio, w.mistakes / w.paper_bound, 1e-12);
  assert.equal(w.x.length, w.points);
  assert.equal(w.y.length, w.points);
  near(w.paper_bound, (w.radius / (w.margin - w.delta)) ** 2, 1e-9 * w.paper_bound);
  const again = json(["bound-search", "--trials", "20", "--refine", "20", "--seed", "3"]);
  assert.equal(again.worst.mistakes, w.mistakes);
  const bad = run(["bound-search", "--trials", "-1"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /trials >= 0/);
});

test("cost --table1: SQ and BN from their architectures, and the two readings of E", () => {
  const j = json(["cost", "--table1"]);
  const rows = Object.fromEntries(j.rows.map((r) => [r.row, r]));
  for (const r of j.rows) {
    const w = r.architecture.split("-").map(Number);
    assert.equal(r.d_fan_in_plus_1.fa, networkFa(w, r.ba, r.bw, 1), r.row);
    assert.equal(r.d_fan_in.fa, networkFa(w, r.ba, r.bw, 0), r.row);
    const acts = w.slice(0, -1).reduce((a, b) => a + b, 0);
    const weights = w.slice(1).reduce((s, out, l) => s + out * w[l], 0);
    assert.equal(r.d_fan_in_plus_1.bits, acts * r.ba + weights * r.bw, r.row);
  }
  near(rows["SQ (16, 16)"].d_fan_in_plus_1.fa / 1e6, 533.33, 0.005);
  near(rows["BN (1, 1)"].d_fan_in_plus_1.fa / 1e6, 137.00, 0.005);
  near(rows["BN (1, 1)"].d_fan_in.fa / 1e6, 128.51, 0.005);
  assert.equal(rows["BN (1, 1)"].paper.fa_millions, 117);
  // Theorem 1 at (8, 8) with the printed 41 and 3803: (41 + 3803) 2^-14, and a 24th of it.
  const [printed, divided] = j.readings;
  near(printed.theorem1_at_8_8, (41 + 3803) / 2 ** 14, 1e-15);
  near(divided.theorem1_at_8_8, (41 + 3803) / 2 ** 14 / 24, 1e-15);
  assert.deepEqual([printed.option_a, printed.option_c], [[11, 11], [8, 11]]);
  assert.deepEqual([divided.option_a, divided.option_c], [[8, 8], [6, 9]]);
  assert.deepEqual(j.table1_options, { A: [8, 8], C: [6, 9] });
  const text = run(["cost", "--table1"]);
  assert.match(text.stdout, /BN \(1, 1\)\s+784-2048-2048-2048-10\s+117\s+137\.00 \(\+17\.1%\)\s+128\.51 \(\+9\.8%\)/);
  assert.equal(run(["cost"]).status, 2);
  assert.equal(run(["cost", "--table1", "--arch", "784-10"]).status, 2);
  const nobias = json(["cost", "--arch", "784-512-10", "--ba", "4", "--bw", "4", "--no-bias"]);
  assert.equal(nobias.fa, networkFa([784, 512, 10], 4, 4, 0));
});

test("allocate --table6: every size from Table 3's layers and the > 20% pair", () => {
  const j = json(["allocate", "--table6"]);
  assert.equal(j.conv_weights, 6912 + 294912 + 294912 + 589824 + 589824 + 1605632);
  for (const c of j.cases) {
    const w = [6912, 294912, 294912, 589824, 589824, 1605632];
    near(c.size_mbit, c.bits.reduce((s, b, l) => s + b * w[l], 0) / 1e6, 1e-9);
    near(c.size_mbit, c.size_printed_mbit, 0.005, `case ${c.case}`);
  }
  assert.deepEqual(j.output_maps_round_up, [22, 12, 10, 8, 5, 2]);
  const i = j.saving_case_pairs.findIndex(([o]) => o === 10);
  assert.deepEqual(j.saving_case_pairs[i], [10, 2]);
  near(j.savings[i].saving, 1 - 21.09 / 27.06, 1e-12);
  assert.equal(run(["allocate", "--table6", "--params", "1,2"]).status, 2);
});

// A small digits MLP for the model commands.
const digits = "sklearn:digits";
const mlp = path.join(tmp, "digits.json");
let haveDigits = false;
{
  const r = run(["train", "--data", digits, "--model", "mlp:64-32-10:act=hardsigmoid", "--epochs", "8",
    "--test-fraction", "0.2", "--save", mlp]);
  haveDigits = r.status === 0;
  if (!haveDigits) assert.match(r.stderr, /bootstrap/);  // datasets not installed
}

test("bounds: every row by default, how sure E is, design options", { skip: !haveDigits }, () => {
  const j = json(["bounds", "--model", mlp, "--data", digits, "--test-fraction", "0.2", "--grid", "4..8",
    "--design", "--simulate"]);
  assert.equal(j.samples, j.simulated_examples);  // every held-out row
  const s = j.spread;
  assert.ok(s.E_A_interval[0] < j.E_A && j.E_A < s.E_A_interval[1]);
  assert.ok(s.E_W_interval[0] < j.E_W && j.E_W < s.E_W_interval[1]);
  assert.ok(s.top_share_E_A > 10 / j.samples && s.top_share_E_A <= 1);
  for (const r of j.rows) {
    near(r.thm1, 4 ** -(r.ba - 1) * j.E_A + 4 ** -(r.bw - 1) * j.E_W, 1e-12 * r.thm1);
    assert.ok(r.thm1_interval[0] <= r.thm1 && r.thm1 <= r.thm1_interval[1]);
    assert.equal(r.below_simulation.thm1, r.thm1 < r.p_m_sim);
  }
  assert.deepEqual(j.design_options.map((o) => o.option), ["A", "B", "C", "D"]);
  const a = j.design_options[0];
  assert.ok(a.found);
  // Option A: the smallest B with Theorem 1 <= 1% at B_W = B_A, written out here.
  let want = 1;
  while (4 ** -(want - 1) * (j.E_A + j.E_W) > 0.01) ++want;
  assert.deepEqual([a.ba, a.bw], [want, want]);
  assert.equal(run(["bounds", "--model", mlp, "--data", digits, "--bootstrap", "-1"]).status, 2);
});

test("ternary-tables: # blocks and comp within each loss, the abstract's figures", { skip: !haveDigits }, () => {
  const j = json(["ternary-tables", "--model", mlp, "--data", digits, "--block", "16", "--scales", "5",
    "--eps-max", "0.8", "--eps-min", "0.05"]);
  assert.equal(j.activation_bits, 8);
  assert.match(j.activation_formats[0], /^ufixed:w=8,f=-?\d+$/);
  near(j.compute_share.reduce((a, b) => a + b, 0), 1, 1e-12);
  assert.deepEqual(j.schemes.map((s) => s.scheme), ["uniform", "sensitivity", "compute-aware"]);
  for (const s of j.schemes) {
    assert.equal(s.points.length, 5);
    for (const [t, target] of [[0, 0.01], [1, 0.02]]) {
      const within = s.points.filter((p) => p.loss <= target + 1e-12);
      const best = within.reduce((b, p) => (b === null || p.comp < b.comp ? p : b), null);
      assert.deepEqual(s.at_loss[t].point, best);
    }
    for (const p of s.points) near(p.power_performance, 5.5 / (p.comp * (5.5 / 16 + 1)), 1e-12);
  }
  assert.equal(j.paper.length, 8);
  const pp = Object.fromEntries(j.abstract.map((f) => [f.what, f]));
  near(pp["~1% loss: power-performance gain over 8-8"].from_comp, 5.5 / (2.5 * (5.5 / 64 + 1)), 1e-12);
  near(pp["~2% loss: power-performance gain over 8-8"].from_comp, 5.5 / (2.2 * (5.5 / 64 + 1)), 1e-12);
  near(pp["~2% loss: fewer multiplications than 8-8"].from_blocks, 32, 1e-12);
  const bad = run(["ternary-tables", "--model", mlp, "--data", digits, "--losses", "x"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--losses/);
});

test("sqnr --model says what eq. 9 leaves out", { skip: !haveDigits }, () => {
  const j = json(["sqnr", "--model", mlp, "--data", digits, "--weights", "fixed:w=8,f=6",
    "--activations", "ufixed:w=8,f=6"]);
  assert.match(j.eq9_note, /1\/gamma_a\(0\) and 1\/gamma_a\(L\) are left out/);
  const text = run(["sqnr", "--model", mlp, "--data", digits, "--weights", "fixed:w=8,f=6"]);
  assert.match(text.stdout, /input a\(0\) and the scores a\(L\) are not quantized/);
});

test("data specs: @classes and @binarize, and bad ones named", { skip: !haveDigits }, () => {
  const j = json(["train", "--data", "sklearn:digits@classes=3/8", "--format", "lattice:range=1,points=65",
    "--epochs", "3"]);
  assert.ok(j.train_size + j.test_size > 300 && j.train_size + j.test_size < 400);
  const b = run(["train", "--data", "sklearn:digits@classes=3/8@binarize=0.5", "--normalize", "none",
    "--epochs", "3", "--json"]);
  assert.equal(b.status, 0, b.stderr);
  const r = run(["train", "--data", "sklearn:digits@classes=3/12"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /sklearn:digits@classes=3\/12.*not 12/);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
