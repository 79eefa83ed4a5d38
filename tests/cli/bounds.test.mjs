// CLI tests for Sakr 2017: qlab bounds (E_A, E_W, Theorems 1 and 2, simulations) and qlab cost.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const qlab = path.join(root, "build/native-release/cli/qlab");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qlab-bounds-"));

function run(args) {
  const r = spawnSync(qlab, args, { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A small trained model on a synthetic 2-D, 2-class problem.
const model = path.join(tmp, "gauss.json");
const data = "synth:gauss:n=300,noise=0.3,seed=2";
{
  const r = run(["train", "--data", data, "--model", "mlp:2-8-2:act=hardsigmoid", "--epochs", "20", "--save", model]);
  assert.equal(r.status, 0, r.stderr);
}

test("cost: Sakr Table 1's network at (8, 8) and (4, 7)", () => {
  let r = run(["cost", "--arch", "784-512-512-512-10", "--ba", "8", "--bw", "8", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  let j = JSON.parse(r.stdout);
  // 512(785*64 + 784*25) + 2*512(513*64 + 512*25) + 10(513*64 + 512*25); Table 1: 82.9M, 7.5M.
  assert.equal(j.fa, 82941568);
  assert.equal(j.bits, (2320 + 930816) * 8);
  r = run(["cost", "--arch", "784-512-512-512-10", "--ba", "4", "--bw", "7", "--json"]);
  j = JSON.parse(r.stdout);
  assert.equal(j.fa, 44722456);  // Table 1: 44.7M
  assert.equal(j.bits, 2320 * 4 + 930816 * 7);  // Table 1: 6.54M
  r = run(["cost", "--arch", "784-512-512-512-10"]);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /82941568/);
  r = run(["cost", "--arch", "784-x-10"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /architecture/);
});

test("bounds: JSON keys, a grid, simulations, and the bounds against them", () => {
  const r = run(["bounds", "--model", model, "--data", data, "--samples", "200", "--grid", "2..8",
    "--simulate", "--noise-mc", "20", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /Infinity|NaN/);
  const j = JSON.parse(r.stdout);
  assert.equal(j.samples, 200);
  assert.ok(j.E_A > 0 && j.E_W > 0, r.stdout);
  assert.equal(j.suggested_bw_minus_ba, Math.round(Math.log2(Math.sqrt(j.E_W / j.E_A))) + 0);  // + 0: -0 is 0
  assert.equal(j.rows.length, 7);
  for (const row of j.rows) {
    for (const key of ["ba", "bw", "thm1", "thm2", "thm2_opt", "fa", "bits", "p_m_sim", "error_sim", "p_m_noise"])
      assert.ok(key in row, key);
    assert.equal(row.bw, row.ba);
    // Theorem 1 is Delta_A^2 E_A + Delta_W^2 E_W.
    const d = 2 ** -(row.ba - 1);
    assert.ok(Math.abs(row.thm1 - d * d * (j.E_A + j.E_W)) <= 1e-9 * row.thm1);
    assert.ok(row.thm2_opt <= row.thm2 * (1 + 1e-12));
    // The cost columns are qlab cost's.
    const c = JSON.parse(run(["cost", "--arch", "2-8-2", "--ba", String(row.ba), "--bw", String(row.bw), "--json"]).stdout);
    assert.equal(row.fa, c.fa);
    assert.equal(row.bits, c.bits);
  }
  // Precision helps: the bounds fall with the bits.
  assert.ok(j.rows[6].thm1 < j.rows[0].thm1 && j.rows[6].thm2 < j.rows[0].thm2);
});

test("bounds: one (B_A, B_W), --offset auto, and a table for people", () => {
  let r = run(["bounds", "--model", model, "--data", data, "--ba", "4", "--bw", "6", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  let j = JSON.parse(r.stdout);
  assert.deepEqual(j.rows.map((x) => [x.ba, x.bw]), [[4, 6]]);
  assert.equal(j.samples, 300);  // the default: every row
  r = run(["bounds", "--model", model, "--data", data, "--grid", "3..4", "--offset", "auto", "--json"]);
  j = JSON.parse(r.stdout);
  assert.deepEqual(j.rows.map((x) => x.bw - x.ba), [j.suggested_bw_minus_ba, j.suggested_bw_minus_ba]);
  r = run(["bounds", "--model", model, "--data", data, "--grid", "4..5"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /E_A = .*E_W = .*eq\. 12 suggests B_W - B_A = -?\d+/);
  assert.match(r.stdout, /Thm 1\s+Thm 2\s+Thm 2 opt/);
});

test("bounds: an exact logit tie is a message, and the JSON stays valid", () => {
  const tied = path.join(tmp, "tied.json");
  fs.writeFileSync(tied, JSON.stringify({ format: "quantlab-model", version: 1, layers: [
    { type: "dense", in: 2, out: 2, activation: "none", weight: [[0, 0], [0, 0]], bias: [0.5, 0.5] }] }));
  const r = run(["bounds", "--model", tied, "--data", data, "--samples", "10", "--ba", "8", "--bw", "8", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.E_A, null);
  assert.equal(j.rows[0].thm1, null);
  assert.equal(j.rows[0].thm2, 1);  // T = 0: each tied pair counts 1
  assert.equal(j.ties, 10);
  assert.match(j.message, /10 \(sample, class\) pairs with an exact logit tie/);
});

test("bounds: bad arguments exit with status 2 and say why", () => {
  for (const [args, re] of [
    [["--ba", "4"], /both --ba and --bw/],
    [["--ba", "4", "--bw", "4", "--grid", "2..4"], /either --ba\/--bw or --grid/],
    [["--grid", "2-4"], /BMIN\.\.BMAX/],
    [["--grid", "2..40"], /bit widths must be in 1\.\.24/],
    [["--grid", "2..4", "--offset", "x"], /--offset/],
    [["--grid", "1..4", "--simulate"], /--simulate needs B_A, B_W >= 2/],
  ]) {
    const r = run(["bounds", "--model", model, "--data", data, ...args]);
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, re);
  }
  const r = run(["bounds", "--model", model, "--data", "sklearn:iris"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /features/);
  const help = run(["--help"]);
  assert.match(help.stdout, /bounds/);
  assert.match(help.stdout, /cost/);
});
