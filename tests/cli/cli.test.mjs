// CLI contract tests: qlab quantize and qlab format, including bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const qlab = path.join(root, "build/native-release/cli/qlab");

function run(args, input = "") {
  const r = spawnSync(qlab, args, { input, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("quantize: the issue's example", () => {
  const r = run(["quantize", "--format", "fixed:w=8,f=4"], "0.1\n-3.3\n100\n");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "0.125\n-3.3125\n7.9375\n");
});

test("quantize: the npm script runs the same command", () => {
  const r = spawnSync("npm", ["run", "-s", "qlab", "--", "quantize", "--format", "fixed:w=8,f=4"],
    { input: "0.1\n-3.3\n100\n", encoding: "utf8", cwd: root });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "0.125\n-3.3125\n7.9375\n");
});

test("quantize: IEEE binary16 values, specials and shortest round-trip output", () => {
  const r = run(["quantize", "--format", "float:e=5,m=10"],
    "0.1\n65504\n65520\n1e-8\n-1e-8\ninf\n-inf\nnan\n3.0000000001\n");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, ["0.0999755859375", "65504", "inf", "0", "-0", "inf", "-inf", "nan", "3", ""].join("\n"));
});

test("quantize: rounding modes and seeded stochastic rounding", () => {
  const input = "0.3\n-0.3\n0.375\n";
  const want = { rne: "0.25\n-0.25\n0.5\n", rna: "0.25\n-0.25\n0.5\n", rtz: "0.25\n-0.25\n0.25\n",
    up: "0.5\n-0.25\n0.5\n", down: "0.25\n-0.5\n0.25\n" };
  for (const [mode, out] of Object.entries(want)) {
    const r = run(["quantize", "--format", "fixed:w=4,f=2", "--rounding", mode], input);
    assert.equal(r.stdout, out, mode);
  }
  const many = "0.3\n".repeat(2000);
  const a = run(["quantize", "--format", "fixed:w=8,f=2", "--rounding", "stochastic", "--seed", "7"], many);
  const b = run(["quantize", "--format", "fixed:w=8,f=2", "--rounding", "stochastic", "--seed", "7"], many);
  assert.equal(a.stdout, b.stdout);
  const values = a.stdout.trim().split("\n").map(Number);
  assert.ok(values.every((v) => v === 0.25 || v === 0.5));
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  assert.ok(Math.abs(mean - 0.3) < 0.01, `mean ${mean}`);
});

test("quantize: data-dependent formats fit to the whole input (Kundu ternary, bfp)", () => {
  let r = run(["quantize", "--format", "ternary"], "1\n0.9\n0.8\n0.1\n-1\n");
  assert.equal(r.status, 0, r.stderr);
  // alpha* = mean of the four largest magnitudes = 0.925, T* between 0.8 and 0.1.
  assert.equal(r.stdout, "0.925\n0.925\n0.925\n0\n-0.925\n");
  r = run(["quantize", "--format", "bfp:w=8,block=4"], "0.1\n-3.3\n2.5\n0.01\n");
  assert.equal(r.stdout, "0.09375\n-3.3125\n2.5\n0\n");
});

test("quantize: bad input gives status 2 and names the line", () => {
  const r = run(["quantize", "--format", "fixed:w=8,f=4"], "1\n2\nthree\n4\n");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /line 3: expected a number, got 'three'/);
  assert.equal(r.stdout, "1\n2\n");
  const empty = run(["quantize", "--format", "fixed:w=8,f=4"], "1\n\n2\n");
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /line 2/);
  const junk = run(["quantize", "--format", "fixed:w=8,f=4"], "1.5x\n");
  assert.equal(junk.status, 2);
});

test("quantize: bad spec or rounding gives status 2 naming the key", () => {
  let r = run(["quantize", "--format", "fixed:w=8,f=4,q=1"], "1\n");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown key 'q'/);
  r = run(["quantize", "--format", "float:e=5"], "1\n");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /missing key 'm'/);
  r = run(["quantize", "--format", "fixed:w=8,f=4", "--rounding", "nearest"], "1\n");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown rounding mode 'nearest'/);
  r = run(["quantize"], "1\n");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--format is required/);
});

test("format: facts as a table and as JSON", () => {
  const t = run(["format", "fixed:w=8,f=4"]);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /atoms\s+256/);
  assert.match(t.stdout, /max finite\s+7.9375/);
  const j = run(["format", "float:e=5,m=10", "--range", "1", "--json"]);
  assert.equal(j.status, 0, j.stderr);
  const facts = JSON.parse(j.stdout);
  assert.equal(facts.spec, "float:e=5,m=10");
  assert.equal(facts.bits, 16);
  assert.equal(facts.atoms, 63487);
  assert.equal(facts.max_finite, 65504);
  assert.equal(facts.min_positive, 2 ** -24);
  assert.equal(facts.delta, 2 ** -12);
  assert.equal(facts.atoms_in_range.length, 16);
  assert.equal(facts.atoms_truncated, true);
  assert.equal(facts.sqnr_distribution, "gaussian");
  assert.ok(facts.sqnr_db > 60 && facts.sqnr_db < 75, `binary16 SQNR ${facts.sqnr_db}`);
  const tern = JSON.parse(run(["format", "ternary", "--json"]).stdout);
  assert.match(tern.fitted_to_distribution, /^ternary:alpha=1\.2/);
  // Optimal ternary on N(0,1): T* = 0.612, P(|X| > T) = 0.5405, E[|X|; |X| > T] = 2 phi(T) = 0.6614,
  // so MSE = 1 - 0.6614^2 / 0.5405 = 0.1907 and SQNR = 7.20 dB.
  assert.ok(Math.abs(tern.sqnr_db - 7.20) < 0.1, `ternary on N(0,1): ${tern.sqnr_db} dB`);
  const fine = JSON.parse(run(["format", "ternary:block=16", "--json"]).stdout);
  assert.ok(fine.sqnr_db > tern.sqnr_db + 0.5, "per-block alphas beat one alpha (Kundu's FGQ)");
  const bad = run(["format", "lattice:range=0,points=4"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /key 'range' must be positive/);
});

test("format --list, --help and docs/formats.md come from the kinds' declarations", () => {
  const list = run(["format", "--list"]);
  assert.equal(list.status, 0, list.stderr);
  const kinds = ["fixed", "ufixed", "float", "lattice", "int", "binary", "ternary", "codebook", "bfp",
    "fp8", "fp6", "fp4", "e8m0", "mxfp8", "mxfp6", "mxfp4", "mxint8", "nvfp4"];
  for (const kind of kinds) assert.match(list.stdout, new RegExp(`^${kind}: `, "m"), kind);
  assert.match(list.stdout, /^ {4}w {10}int, from 2 to 53, required: width in bits/m);
  assert.match(list.stdout, /group-wise form: .*\n  int:b=B,group=G\[,asym=0\|1\]/);
  assert.match(list.stdout, /Cherkhev's regular lattice \(§4\.1\)/);
  assert.match(list.stdout, /Kundu's eq\. 7/);
  // The same usage lines in the help of format and quantize, and in the parser's messages.
  const help = run(["format", "--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--list/);
  assert.match(help.stdout, /^ {2}fixed:w=W,f=F\[,overflow=sat\|wrap\]$/m);
  assert.match(help.stdout, /^ {2}int:b=B,scale=S.* or int:b=B,group=G\[,asym=0\|1\]$/m);
  const qhelp = run(["quantize", "--help"]);
  assert.match(qhelp.stdout, /^ {2}mxfp4\[:block=B\]$/m);
  const bad = run(["format", "float:e=5,m=10,bias=3"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown key 'bias' \(expected float:e=E,m=M\[,sub=0\|1\]\[,sat=0\|1\]\)/);
  // docs/formats.md is this command's output, byte for byte: regenerate it after a change.
  const md = run(["format", "--list", "--markdown"]);
  assert.equal(md.status, 0, md.stderr);
  const committed = fs.readFileSync(path.join(root, "docs/formats.md"), "utf8");
  assert.ok(committed === md.stdout,
    "docs/formats.md differs from `qlab format --list --markdown`; regenerate it with " +
    "`npm run -s qlab -- format --list --markdown > docs/formats.md`");
  for (const kind of kinds) assert.match(md.stdout, new RegExp(`^## ${kind}$`, "m"), kind);
  const none = run(["format"]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /a format spec is required/);
});

test("sqnr: Lin Table 1 and kappa, and a format's SQNR on a distribution", () => {
  const t = run(["sqnr", "--optimal-steps", "--bits", "4", "--json"]);
  assert.equal(t.status, 0, t.stderr);
  const out = JSON.parse(t.stdout);
  const step = (d, b) => out.steps.find((r) => r.distribution === d && r.bits === b).step;
  assert.ok(Math.abs(step("gaussian", 2) / 0.996 - 1) < 0.01);
  assert.ok(Math.abs(step("gamma", 3) / 0.796 - 1) < 0.01);
  assert.ok(Math.abs(out.kappa_db_per_bit.uniform - 6.02) < 0.01);
  const s = run(["sqnr", "--format", "fixed:w=8,f=4", "--dist", "uniform", "--n", "200000", "--json"]);
  assert.equal(s.status, 0, s.stderr);
  assert.ok(Math.abs(JSON.parse(s.stdout).sqnr_db - 30.10) < 0.15);
  const bad = run(["sqnr", "--format", "fixed:w=8,f=4", "--dist", "cauchy"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown distribution 'cauchy'/);
  const missing = run(["sqnr", "--format", "fixed:w=8,f=4", "--data", "/nonexistent/file"]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot open data file/);
});

test("train: quantized perceptron on generated data, JSON with accuracy, bound and history", () => {
  const r = run(["train", "--data", "synth:linear:d=2,n=400,margin=0.1,seed=1", "--model", "perceptron",
    "--format", "lattice:range=2,points=1025", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.train_accuracy, 1);
  assert.ok(j.test_accuracy >= 0.95, `test accuracy ${j.test_accuracy}`);
  assert.ok(j.converged);
  assert.ok(j.margin >= 0.09, `gamma ${j.margin}`);
  assert.ok(j.updates <= j.mistake_bound, `${j.updates} updates > bound ${j.mistake_bound}`);
  assert.equal(j.history.at(-1).mistakes, 0);
  assert.equal(j.train_size, 320);
  // The same seed gives the same run.
  const again = run(["train", "--data", "synth:linear:d=2,n=400,margin=0.1,seed=1", "--format",
    "lattice:range=2,points=1025", "--json"]);
  assert.deepEqual(JSON.parse(again.stdout).weights, j.weights);
  const fw = JSON.parse(run(["train", "--data", "synth:synth02", "--model", "frank-wolfe", "--format",
    "lattice:range=3,points=257", "--json"]).stdout);
  assert.ok(fw.train_accuracy >= 0.95, `Frank-Wolfe train accuracy ${fw.train_accuracy}`);
});

test("train and sweep: bad input gives status 2 with a message", () => {
  let r = run(["train", "--data", "synth:linear:d=0"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /key 'd' must be from 1/);
  r = run(["train", "--data", "synth:circle", "--model", "cnn:28x28x1-c8k5-10"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /28x28x1 is 784 values, the data has 2 features/);
  r = run(["sweep", "--data", "synth:circle", "--model", "mlp:2-4-2", "--grid", "lattice:range={1,2},points=8"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /sweep takes perceptron or frank-wolfe/);
  r = run(["train", "--data", "synth:circle", "--model", "mlp:784-10"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /input width 784 does not match the data's 2 features/);
  r = run(["train", "--data", "sklearn:iris"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /has 3 classes; the perceptron and Frank-Wolfe need exactly 2/);
  r = run(["sweep", "--data", "synth:synth01", "--grid", "lattice:range={1,2,points=8"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unclosed '\{'/);
  r = run(["sweep", "--data", "synth:synth01", "--grid", "lattice:range={1,-2},points=8"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /key 'range' must be positive/);
});

test("sweep: a range x points heatmap in the form of Cherkhev's tables", () => {
  const r = run(["sweep", "--data", "synth:linear:d=2,n=200,margin=0.1", "--grid",
    "lattice:range={1,8},points={4,256}", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const cells = JSON.parse(r.stdout).cells;
  assert.deepEqual(cells.map((c) => c.spec), ["lattice:range=1,points=4", "lattice:range=1,points=256",
    "lattice:range=8,points=4", "lattice:range=8,points=256"]);
  const acc = Object.fromEntries(cells.map((c) => [c.spec, c.test_accuracy]));
  assert.ok(acc["lattice:range=1,points=256"] >= 0.95);
  assert.ok(acc["lattice:range=8,points=4"] < acc["lattice:range=1,points=256"]);
  const table = run(["sweep", "--data", "synth:linear:d=2,n=200,margin=0.1", "--grid",
    "lattice:range={1,8},points={4,256}"]);
  assert.match(table.stdout, /^\s+4\s+256$/m);
});

test("train an MLP with QAT, save it, and eval it quantized against the float model", () => {
  const model = path.join(os.tmpdir(), `qlab-cli-${process.pid}.json`);
  const r = run(["train", "--data", "synth:circle:n=400,noise=0.05", "--model", "mlp:2-16-16-2", "--lr", "0.01",
    "--epochs", "30", "--batch", "32", "--save", model, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(j.test_accuracy >= 0.9, `test accuracy ${j.test_accuracy}`);
  assert.equal(j.history.length, 30);
  const saved = JSON.parse(fs.readFileSync(model, "utf8"));
  assert.equal(saved.format, "quantlab-model");
  assert.equal(saved.version, 1);
  assert.deepEqual(saved.layers.map((l) => [l.in, l.out, l.activation]), [[2, 16, "relu"], [16, 16, "relu"], [16, 2, "none"]]);
  const e = JSON.parse(run(["eval", "--model", model, "--data", "synth:circle:n=400,noise=0.05", "--weights",
    "fixed:w=4,f=2", "--activations", "fixed:w=6,f=2", "--json"]).stdout);
  assert.equal(e.examples, 400);
  assert.ok(e.float_accuracy >= 0.9);
  assert.ok(e.mismatch_rate >= 0 && e.mismatch_rate <= 1);
  assert.equal(e.confusion.flat().reduce((a, b) => a + b, 0), 400);
  const cal = JSON.parse(run(["eval", "--model", model, "--data", "synth:circle:n=400,noise=0.05", "--calibrate", "kl",
    "--bits", "8", "--per-channel", "--asymmetric", "--json"]).stdout);
  assert.equal(cal.calibration, "kl");
  assert.equal(cal.calibrated_formats.length, 3);
  assert.match(cal.calibrated_formats[0], /^layer 1 weights 16 per-channel formats, first int:b=8,scale=.*,signed=0; activations int:b=8/);
  assert.ok(cal.mismatch_rate <= 0.02, `8-bit calibrated p_m ${cal.mismatch_rate}`);
  const both = run(["eval", "--model", model, "--data", "synth:circle", "--calibrate", "mse", "--weights", "fixed:w=8,f=6"]);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /either --calibrate or explicit/);
  const bad = run(["eval", "--model", "/nonexistent.json", "--data", "synth:circle"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /cannot open model/);
  const zero = run(["train", "--data", "synth:linear:d=64,n=100,margin=0.01", "--model", "mlp:64-64-2",
    "--weights", "int:b=2,scale=0.5", "--epochs", "1"]);
  assert.match(zero.stderr, /warning: --weights int:b=2,scale=0.5 rounds 100% of layer 1's initial weights to zero/);
  fs.rmSync(model, { force: true });
});

test("train a CNN on real digits and save it as conv2d/maxpool2d JSON", () => {
  const model = path.join(os.tmpdir(), `qlab-cnn-${process.pid}.json`);
  const r = run(["train", "--data", "sklearn:digits", "--model", "cnn:8x8x1-c8k3-p2-10", "--lr", "0.01", "--epochs", "8",
    "--batch", "32", "--save", model, "--json"]);
  if (r.status === 2 && /bootstrap/.test(r.stderr)) return;  // datasets not installed
  assert.equal(r.status, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout).test_accuracy >= 0.93);
  const saved = JSON.parse(fs.readFileSync(model, "utf8"));
  assert.deepEqual(saved.layers.map((l) => l.type), ["conv2d", "maxpool2d", "dense"]);
  assert.equal(saved.layers[0].weight.length, 8);
  assert.equal(saved.layers[0].weight[0].length, 9);
  fs.rmSync(model, { force: true });
});

test("sweep: floats by bit budget, as Cherkhev's Tables 3-4", () => {
  const r = run(["sweep", "--data", "synth:linear:d=2,n=200,margin=0.1", "--grid",
    "float:e={2,5},bits={6,7},sub=0,sat=1", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const cells = JSON.parse(r.stdout).cells;
  assert.deepEqual(cells.map((c) => c.spec), ["float:e=2,m=3,sub=0,sat=1", "float:e=2,m=4,sub=0,sat=1",
    "float:e=5,m=0,sub=0,sat=1", "float:e=5,m=1,sub=0,sat=1"]);
  const table = run(["sweep", "--data", "synth:linear:d=2,n=200,margin=0.1", "--grid", "float:e={2,6},bits={6,7}"]);
  assert.equal(table.status, 0, table.stderr);
  // e=6 with 6 or 7 bits leaves no mantissa bit: "-", as Cherkhev's tables print them.
  assert.match(table.stdout, /^\s+6\s+-\s+-\s*$/m);
  assert.match(table.stdout, /^\s+2\s+\d+\.\d\D+\d+\.\d/m);
  assert.equal(cells[2].possible, false);
  assert.equal(cells[3].possible, undefined);
});

test("--help documents every subcommand", () => {
  const r = run(["--help"]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /quantize/);
  assert.match(r.stdout, /format/);
  assert.match(r.stdout, /sqnr/);
  assert.match(r.stdout, /train/);
  assert.match(r.stdout, /sweep/);
});

// ---- Block-scaled formats (issue 10): MX v1.0, NVFP4, group-wise int --------------------------

test("quantize: MX blocks of consecutive values, by hand", () => {
  // amax 8 = 2^3, emax_elem(E2M1) = 2: X = 2. V / X = 0.5 .. 4; 2.5 and 3.5 are ties that go to
  // the even codes (2 and 4), so 5 -> 4 and 7 -> 8.
  let r = run(["quantize", "--format", "mxfp4"], "1\n2\n3\n4\n5\n6\n7\n8\n");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "1\n2\n3\n4\n4\n6\n8\n8\n");
  // Blocks of 4: the first has X = 1 (amax 4); the second amax 0.4, floor(log2 0.4) = -2, X = 2^-4:
  // 1.6 -> 1.5, 3.2 -> 3, 4.8 -> 4, 6.4 clamps to 6 (MX §6.3), times 1/16.
  r = run(["quantize", "--format", "mxfp4:block=4"], "1\n2\n3\n4\n0.1\n0.2\n0.3\n0.4\n");
  assert.equal(r.stdout, "1\n2\n3\n4\n0.09375\n0.1875\n0.25\n0.375\n");
  // A NaN: FP8 keeps it in its element, FP4 has no NaN code so the whole block is NaN.
  r = run(["quantize", "--format", "mxfp8:e4m3"], "1\nnan\n2\n-0.3\n");
  assert.equal(r.stdout, "1\nnan\n2\n-0.3125\n");
  r = run(["quantize", "--format", "mxfp4"], "1\nnan\n2\n");
  assert.equal(r.stdout, "nan\nnan\nnan\n");
  // MXINT8: two's complement times 2^-6; X = 1 here; -1.999 * 64 rounds to -128, i.e. -2.
  r = run(["quantize", "--format", "mxint8"], "1.99\n-1\n0.7\n-1.999\n");
  assert.equal(r.stdout, "1.984375\n-1\n0.703125\n-2\n");
});

test("quantize: NVFP4 and group-wise int by hand", () => {
  // amax 2688 = 6 * 448 makes the FP32 global scale 1; block scale e4m3(2688 / 6) = 448;
  // 1000 / 448 = 2.23 -> 2, -300 / 448 = -0.67 -> -0.5, 560 / 448 = 1.25 -> 1 (tie, even code).
  let r = run(["quantize", "--format", "nvfp4"], "2688\n1000\n-300\n560\n");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "2688\n896\n-224\n448\n");
  // int4 sym, group 4: scale 0.7 / 7 stored in FP16 = 0.0999755859375; codes 7, -4, 1, 0.
  r = run(["quantize", "--format", "int:b=4,group=4"], "0.7\n-0.35\n0.1\n0\n");
  assert.equal(r.stdout, "0.6998291015625\n-0.39990234375\n0.0999755859375\n0\n");
  // asym: range [-0.5, 1], scale 1.5 / 15 (the same FP16 value), zero point 5.
  r = run(["quantize", "--format", "int:b=4,group=4,asym=1"], "1\n0.2\n-0.5\n0.25\n");
  assert.equal(r.stdout, "0.999755859375\n0.199951171875\n-0.4998779296875\n0.2999267578125\n");
  r = run(["quantize", "--format", "mxfp8"], "1\n");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /missing element type \(mxfp8:e4m3 or mxfp8:e5m2\)/);
});

test("format and sqnr: block formats' facts and bits per value with the scale's share", () => {
  const want = { "mxfp8:e4m3": 8.25, "mxfp6:e2m3": 6.25, mxfp4: 4.25, mxint8: 8.25, nvfp4: 4.5, "int:b=4,group=128": 4.125,
    "int:b=4,group=128,asym=1": 4 + 20 / 128 };
  for (const [spec, bpv] of Object.entries(want)) {
    const r = run(["format", spec, "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.spec, spec);
    assert.equal(j.bits_per_value, bpv, spec);
    assert.ok(j.sqnr_db > 10, `${spec}: ${j.sqnr_db} dB`);
  }
  const fp4 = JSON.parse(run(["format", "mxfp4", "--json"]).stdout);
  assert.equal(fp4.block_size, 32);
  assert.equal(fp4.scale, "e8m0");
  assert.equal(fp4.element.spec, "fp4:e2m1");
  assert.equal(fp4.element.max_finite, 6);
  assert.equal(fp4.element.min_positive, 0.5);
  assert.deepEqual(fp4.element.atoms_in_range, [-6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 6]);
  const nv = JSON.parse(run(["format", "nvfp4", "--json"]).stdout);
  assert.equal(nv.block_size, 16);
  assert.equal(nv.scale, "fp8:e4m3,sat=1");
  assert.equal(nv.tensor_scale, "float:e=8,m=23");
  const table = run(["format", "int:b=4,group=128"]);
  assert.match(table.stdout, /bits\/value\s+4.125/);
  assert.match(table.stdout, /scale\s+float:e=5,m=10,sat=1 per block of 128/);
  assert.equal(JSON.parse(run(["format", "bfp:w=8,block=16", "--json"]).stdout).bits_per_value, 8.5);
  const s = JSON.parse(run(["sqnr", "--format", "mxfp4", "--dist", "gaussian", "--json"]).stdout);
  assert.equal(s.bits_per_value, 4.25);
  assert.ok(s.sqnr_db > 17 && s.sqnr_db < 21, `MXFP4 on N(0,1): ${s.sqnr_db} dB`);
  const nvs = JSON.parse(run(["sqnr", "--format", "nvfp4", "--dist", "gaussian", "--n", "1000", "--json"]).stdout);
  assert.equal(nvs.bits_per_value, 4.5 + 32 / 1000 + 8 * (63 - 62.5) / 1000);  // 63 blocks for 1000 values
});

test("train, eval and sweep take block formats in their roles", () => {
  const model = path.join(os.tmpdir(), `qlab-cli-block-${process.pid}.json`);
  let r = run(["train", "--data", "synth:circle:n=200,noise=0.05", "--model", "mlp:2-16-2", "--epochs", "3",
    "--weights", "int:b=4,group=8", "--activations", "mxfp8:e4m3", "--save", model, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).history.length, 3);
  r = run(["eval", "--model", model, "--data", "synth:circle:n=200,noise=0.05", "--weights", "nvfp4",
    "--activations", "mxfp4", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).examples, 200);
  r = run(["sweep", "--data", "synth:linear:d=2,n=200,margin=0.1", "--grid", "int:b={2,4},group=8", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).cells.map((c) => c.spec), ["int:b=2,group=8", "int:b=4,group=8"]);
  fs.rmSync(model, { force: true });
});

// MNIST's own training defaults (qlab/optimizer.hpp: the lab's Train lesson starts from the same)
// and its automatic scaling (pixel / 255): taken where no flag sets them, said in the output.
test("train: --data mnist without flags takes MNIST's defaults; a flag wins", () => {
  const plain = run(["train", "--data", "mnist", "--model", "mlp:784-8-10", "--epochs", "1", "--json"]);
  assert.equal(plain.status, 0, plain.stderr);
  const j = JSON.parse(plain.stdout);
  assert.equal(j.lr, 0.003);
  assert.equal(j.batch, 32);
  assert.equal(j.lr_decay, 0.7);
  assert.equal(j.optimizer, "adam");
  assert.equal(j.normalize, "none");
  assert.equal(j.train_defaults, "lr, batch, lr-decay: MNIST default");
  assert.equal(j.train_size, 8000);
  const set = run(["train", "--data", "mnist", "--model", "mlp:784-8-10", "--epochs", "1", "--lr", "0.01",
    "--normalize", "unit", "--json"]);
  assert.equal(set.status, 0, set.stderr);
  const k = JSON.parse(set.stdout);
  assert.equal(k.lr, 0.01);
  assert.equal(k.lr_decay, 0.7);
  assert.equal(k.normalize, "unit");
  assert.equal(k.train_defaults, "batch, lr-decay: MNIST default");
  const text = run(["train", "--data", "mnist", "--model", "mlp:784-8-10", "--epochs", "1"]);
  assert.match(text.stdout, /adam MLP, lr 0\.003 x0\.7 per epoch, batch 32 \(lr, batch, lr-decay: MNIST default\)/);
  // Other data keep TrainOptions' defaults.
  const digits = JSON.parse(run(["train", "--data", "sklearn:digits", "--model", "mlp:64-8-10", "--epochs", "1",
    "--json"]).stdout);
  assert.equal(digits.lr, 0.001);
  assert.equal(digits.batch, 64);
  assert.equal(digits.lr_decay, 1);
  assert.equal(digits.train_defaults, "");
  assert.equal(digits.normalize, "unit");
  const help = run(["train", "--help"]).stdout;
  assert.match(help, /--lr FLOAT +MLP: learning rate \(default 0\.001; --data mnist: 0\.003, fashion-mnist: 0\.003\)/);
  assert.match(help, /--batch INT +MLP: batch size \(default 64; --data mnist: 32, fashion-mnist: 32\)/);
  assert.match(help, /--lr-decay FLOAT +MLP: learning-rate factor per epoch \(default 1; --data mnist: 0\.7/);
});
