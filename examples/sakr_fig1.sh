#!/usr/bin/env bash
# Sakr Fig. 1 and Table 1 on our MNIST network: Theorems 1 and 2 (literal and with t optimised)
# against the fixed-point simulation, for B_W = B_A (Fig. 1(a)) and B_W = B_A + eq. 12's offset
# (Fig. 1(b)), how sure E_A and E_W are, design options A-D by the p_m <= 1% rule with their
# costs (eq. 3-4), and Table 1 complete with the two readings of the printed E values.
# Uses build/models/sakr-mnist.json from sakr_mnist_mlp.sh when it exists (784-512-512-512-10);
# otherwise trains a smaller 784-128-128-10 hard-sigmoid network in a few seconds. MODEL=path
# picks another. Bounds on every held-out digit (SAMPLES=1000 for Sakr's estimation set size),
# simulations on all 2,000 held-out digits.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${MODEL:-build/models/sakr-mnist.json}"
if [[ ! -f "$model" ]]; then
  model=build/models/sakr-mnist-128.json
  mkdir -p build/models
  if [[ ! -f "$model" ]]; then
    echo "training 784-128-128-10 (hard sigmoid, Sakr's recipe, 15 epochs) into $model"
    npm run -s qlab -- train --data mnist --normalize unit --model mlp:784-128-128-10:act=hardsigmoid --optimizer sgd \
      --lr 0.1 --lr-decay 0.978 --batch 200 --clip-weights --epochs 15 --save "$model" | tail -1
  fi
fi
common=(--model "$model" --data mnist --normalize unit --test-fraction 0.2 --samples "${SAMPLES:-0}" --simulate)
out="$(mktemp -d)"
npm run -s qlab -- bounds "${common[@]}" --grid 2..12 --design --json >"$out/a.json"
npm run -s qlab -- bounds "${common[@]}" --grid 2..12 --offset auto --json >"$out/b.json"
node - "$out/a.json" "$out/b.json" <<'JS'
const fs = require("fs");
const [a, b] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f)));
const pct = (x) => (x === null ? "inf" : x >= 10 ? (100 * x).toExponential(1) : (100 * x).toFixed(2));
const s = a.spread;
console.log(`E_A = ${a.E_A.toFixed(2)}, E_W = ${a.E_W.toFixed(1)} on ${a.samples} samples; eq. 12: B_W - B_A = ` +
  `round(log2 sqrt(E_W/E_A)) = round(${Math.log2(Math.sqrt(a.E_W / a.E_A)).toFixed(2)}) = ${a.suggested_bw_minus_ba}`);
console.log(`how sure: 95% bootstrap intervals E_A ${s.E_A_interval[0].toFixed(2)}..${s.E_A_interval[1].toFixed(2)}, ` +
  `E_W ${s.E_W_interval[0].toFixed(1)}..${s.E_W_interval[1].toFixed(1)}; the ${s.top} largest samples carry ` +
  `${(100 * s.top_share_E_A).toFixed(0)}% of E_A's sum and ${(100 * s.top_share_E_W).toFixed(0)}% of E_W's`);
console.log(`float test error ${pct(a.float_error)}% on ${a.simulated_examples} held-out digits (inputs clipped to [-1, 1])\n`);
for (const [name, j] of [["Fig. 1(a): B_W = B_A", a], [`Fig. 1(b): B_W = B_A + ${a.suggested_bw_minus_ba}`, b]]) {
  console.log(name + " (all in %)");
  console.log("B_A B_W    Thm 1  Thm 1 (95% interval)    Thm 2 Thm2 opt  p_m sim  err sim  bounds >= p_m sim where < 100%");
  for (const r of j.rows) {
    const ok = [r.thm1, r.thm2, r.thm2_opt].every((x) => x === null || x >= 1 || x >= r.p_m_sim);
    const iv = `${pct(r.thm1_interval[0])}..${pct(r.thm1_interval[1])}`;
    console.log(`${String(r.ba).padStart(3)} ${String(r.bw).padStart(3)} ${pct(r.thm1).padStart(8)}  ${iv.padEnd(20)} ` +
      `${pct(r.thm2).padStart(8)} ${pct(r.thm2_opt).padStart(8)} ${pct(r.p_m_sim).padStart(8)} ` +
      `${pct(r.error_sim).padStart(8)}  ${ok ? "yes" : "NO"}`);
  }
  console.log();
}
console.log("Table 1 design options (smallest B_A with the bound <= 1%), costs by eq. 3 and eq. 4:");
console.log("option  rule                                    (B_A, B_W)  test err %  p_m sim %  FAs (1e6)  bits (1e6)");
for (const o of a.design_options) {
  if (!o.found) { console.log(`${o.option}       ${o.rule.padEnd(40)} none up to 16 bits`); continue; }
  console.log(`${o.option}       ${o.rule.padEnd(40)} (${o.ba}, ${o.bw})`.padEnd(58) +
    `${pct(o.error_sim).padStart(8)}  ${pct(o.p_m_sim).padStart(9)}  ${(o.fa / 1e6).toFixed(2).padStart(9)}  ` +
    `${(o.bits / 1e6).toFixed(3).padStart(10)}`);
}
JS
rm -rf "$out"
echo
npm run -s qlab -- cost --table1
