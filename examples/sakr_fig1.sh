#!/usr/bin/env bash
# Sakr Fig. 1 and Table 1 on our MNIST network: Theorems 1 and 2 (literal and with t optimised)
# against the fixed-point simulation, for B_W = B_A (Fig. 1(a)) and B_W = B_A + eq. 12's offset
# (Fig. 1(b)), then design options A-D by the p_m <= 1% rule with their costs (eq. 3-4).
# Uses build/models/sakr-mnist.json from sakr_mnist_mlp.sh when it exists (784-512-512-512-10);
# otherwise trains a smaller 784-128-128-10 hard-sigmoid network in a few seconds. MODEL=path
# picks another. Bounds on 1000 random held-out digits, simulations on all 2,000 held-out digits.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${MODEL:-build/models/sakr-mnist.json}"
if [[ ! -f "$model" ]]; then
  model=build/models/sakr-mnist-128.json
  mkdir -p build/models
  if [[ ! -f "$model" ]]; then
    echo "training 784-128-128-10 (hard sigmoid, Sakr's recipe, 15 epochs) into $model"
    npm run -s qlab -- train --data mnist --model mlp:784-128-128-10:act=hardsigmoid --optimizer sgd \
      --lr 0.1 --lr-decay 0.978 --batch 200 --clip-weights --epochs 15 --save "$model" | tail -1
  fi
fi
common=(--model "$model" --data mnist --test-fraction 0.2 --samples 1000 --simulate)
out="$(mktemp -d)"
npm run -s qlab -- bounds "${common[@]}" --grid 2..12 --json >"$out/a.json"
npm run -s qlab -- bounds "${common[@]}" --grid 2..12 --offset auto --json >"$out/b.json"
node - "$out/a.json" "$out/b.json" <<'JS'
const fs = require("fs");
const [a, b] = process.argv.slice(2).map((f) => JSON.parse(fs.readFileSync(f)));
const pct = (x) => (x === null ? "inf" : x >= 10 ? (100 * x).toExponential(1) : (100 * x).toFixed(2));
console.log(`E_A = ${a.E_A.toFixed(1)}, E_W = ${a.E_W.toFixed(1)}; eq. 12: B_W - B_A = ` +
  `round(log2 sqrt(E_W/E_A)) = round(${Math.log2(Math.sqrt(a.E_W / a.E_A)).toFixed(2)}) = ${a.suggested_bw_minus_ba}`);
console.log(`float test error ${pct(a.float_error)}% on ${a.simulated_examples} held-out digits\n`);
for (const [name, j] of [["Fig. 1(a): B_W = B_A", a], [`Fig. 1(b): B_W = B_A + ${a.suggested_bw_minus_ba}`, b]]) {
  console.log(name + " (all in %)");
  console.log("B_A B_W    Thm 1    Thm 2 Thm2 opt  p_m sim  err sim  bounds >= p_m sim where < 100%");
  for (const r of j.rows) {
    const ok = [r.thm1, r.thm2, r.thm2_opt].every((x) => x === null || x >= 1 || x >= r.p_m_sim);
    console.log(`${String(r.ba).padStart(3)} ${String(r.bw).padStart(3)} ${pct(r.thm1).padStart(8)} ` +
      `${pct(r.thm2).padStart(8)} ${pct(r.thm2_opt).padStart(8)} ${pct(r.p_m_sim).padStart(8)} ` +
      `${pct(r.error_sim).padStart(8)}  ${ok ? "yes" : "NO"}`);
  }
  console.log();
}
// Table 1's design options: the smallest precision whose bound is at most 1%.
const pick = (j, key) => j.rows.find((r) => r[key] !== null && r[key] <= 0.01);
console.log("Table 1 design options (smallest B_A with the bound <= 1%), costs by eq. 3 and eq. 4:");
console.log("option  rule                  (B_A, B_W)  test err %  p_m sim %  FAs (1e6)  bits (1e6)");
for (const [opt, rule, j, key] of [["A", "B_W = B_A, Thm 1", a, "thm1"], ["B", "B_W = B_A, Thm 2", a, "thm2"],
  ["C", "eq. 12 offset, Thm 1", b, "thm1"], ["D", "eq. 12 offset, Thm 2", b, "thm2"]]) {
  const r = pick(j, key);
  if (!r) { console.log(`${opt}       ${rule.padEnd(21)} none in the grid`); continue; }
  console.log(`${opt}       ${rule.padEnd(21)} (${r.ba}, ${r.bw})`.padEnd(42) +
    `${pct(r.error_sim).padStart(8)}  ${pct(r.p_m_sim).padStart(9)}  ${(r.fa / 1e6).toFixed(2).padStart(9)}  ` +
    `${(r.bits / 1e6).toFixed(3).padStart(10)}`);
}
JS
rm -rf "$out"
echo
echo "Table 1's costs for Sakr's 784-512-512-512-10 (qlab cost; the paper's in brackets):"
for p in "8 8 82.9 7.5" "6 6 53.1 5.63" "6 9 72.7 8.43" "4 7 44.7 6.54"; do
  set -- $p
  npm run -s qlab -- cost --arch 784-512-512-512-10 --ba "$1" --bw "$2" --json |
    node -e 'const j = JSON.parse(require("fs").readFileSync(0)); const [fa, bits] = process.argv.slice(1).map(Number);
      console.log(`(${j.ba}, ${j.bw})  FAs ${(j.fa / 1e6).toFixed(2)}M (${fa}M, ${(100 * (j.fa / 1e6 - fa) / fa).toFixed(3)}%)` +
        `  bits ${(j.bits / 1e6).toFixed(3)}M (${bits}M, ${(100 * (j.bits / 1e6 - bits) / bits).toFixed(2)}%)`)' "$3" "$4"
done
