#!/usr/bin/env bash
# MLP training speed (784-512-512-512-10, batch 200, one thread): native (Google Benchmark, with
# the one-core Eigen 512^3 GEMM as yardstick), WebAssembly under Node, and PyTorch CPU.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh --bench
preset="${QLAB_BENCH_PRESET:-native-bench}"
bash scripts/build.sh "$preset" wasm-release >/dev/null
out=build/bench && mkdir -p "$out"
"build/$preset/tests/bench/train_bench" --benchmark_min_time=2 --benchmark_format=json \
  --benchmark_out="$out/train-native.json" --benchmark_out_format=json >/dev/null
node --no-experimental-fetch build/wasm-release/tests/bench/train_bench_wasm.js > "$out/train-wasm.jsonl"
/usr/bin/python3 scripts/bench_train_torch.py > "$out/train-torch.jsonl"
node - "$out" "$preset" <<'JS'
const fs = require("fs");
const [dir, preset] = process.argv.slice(2);
const b = Object.fromEntries(JSON.parse(fs.readFileSync(dir + "/train-native.json", "utf8")).benchmarks.map((x) => [x.name, x]));
const lines = (f) => Object.fromEntries(fs.readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l)).map((r) => [r.name, r]));
const wasm = lines(dir + "/train-wasm.jsonl"), torch = lines(dir + "/train-torch.jsonl");
const peak = b["BM_EigenGemm512"]["GFLOP/s"];
const native = b["BM_TrainMlpFloat/real_time"]["samples/s"];
const nativeFlops = b["BM_TrainMlpFloat/real_time"]["GFLOP/s"];
const qat = b["BM_TrainMlpQat8/real_time"]["samples/s"];
const w = wasm.train_mlp_float.samples_per_second, t = torch.torch_train_mlp.samples_per_second;
console.log(`native build ${preset}: Eigen 512^3 GEMM ${peak.toFixed(1)} GFLOP/s on one core`);
console.log(`native training  ${native.toFixed(0)} samples/s = ${nativeFlops.toFixed(1)} GFLOP/s = ${(100 * nativeFlops / peak).toFixed(0)}% of the GEMM peak`);
console.log(`native QAT 8-bit ${qat.toFixed(0)} samples/s`);
console.log(`wasm training    ${w.toFixed(0)} samples/s = ${(w / native).toFixed(2)}x native (wasm GEMM ${wasm.gemm512.gflops} GFLOP/s)`);
console.log(`PyTorch ${torch.torch_train_mlp.torch} CPU 1 thread: ${t.toFixed(0)} samples/s; QuantLab native is ${(native / t).toFixed(1)}x`);
JS
