#!/usr/bin/env bash
# Format speed: native Google Benchmark, the WebAssembly harness under Node, and PyTorch CPU
# (one thread) on the same 1M float32 values; prints values/s and the ratios the issue asks for.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh --bench
preset="${QLAB_BENCH_PRESET:-native-bench}"  # native-bench: -march=native; native-release: portable
bash scripts/build.sh "$preset" wasm-release >/dev/null
out=build/bench && mkdir -p "$out"
echo "native build: $preset"
"build/$preset/tests/bench/format_bench" --benchmark_min_time=0.5 \
  --benchmark_format=json --benchmark_out="$out/native.json" --benchmark_out_format=json >/dev/null
node --no-experimental-fetch build/wasm-release/tests/bench/format_bench_wasm.js > "$out/wasm.jsonl"
/usr/bin/python3 scripts/bench_torch.py > "$out/torch.jsonl"
node - "$out" <<'JS'
const fs = require("fs");
const dir = process.argv[2];
const native = {};
for (const b of JSON.parse(fs.readFileSync(dir + "/native.json", "utf8")).benchmarks)
  native[b.name] = b.items_per_second;
const lines = (f) => fs.readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const wasm = Object.fromEntries(lines(dir + "/wasm.jsonl").map((r) => [r.name, r.values_per_second]));
const torch = Object.fromEntries(lines(dir + "/torch.jsonl").map((r) => [r.name.replace("torch/", ""), r.values_per_second]));
const fmt = (v) => (v / 1e6).toFixed(0).padStart(7) + " M/s";
console.log("format".padEnd(42) + "native".padStart(11) + "wasm".padStart(11) + "  wasm/native" + "  vs PyTorch");
for (const [name, v] of Object.entries(native)) {
  if (!name.startsWith("quantize/")) continue;
  const spec = name.slice("quantize/".length);
  const w = wasm[name];
  const t = torch[spec];
  console.log(spec.padEnd(42) + fmt(v).padStart(11) + (w ? fmt(w) : "").padStart(11) +
    (w ? (w / v).toFixed(2).padStart(13) : "".padStart(13)) +
    (t ? ("  " + (v / t).toFixed(1) + "x (torch " + (t / 1e6).toFixed(0) + " M/s)") : ""));
}
// Issue 19: block formats' time per value against float:e=5,m=10, same run, both rounding modes.
const base = "float:e=5,m=10";
const wasmRatio = {};
for (const r of lines(dir + "/wasm.jsonl")) if (r.name.startsWith("ratio/")) wasmRatio[r.name] = r;
console.log("\nblock format / " + base + ", time per value".padEnd(30) + "native".padStart(9) + "wasm".padStart(9) + "  target");
for (const [mode, prefix] of [["rne", "quantize/"], ["stochastic", "quantize_stochastic/"]]) {
  const b = native[prefix + base];
  for (const [name, v] of Object.entries(native)) {
    if (!name.startsWith(prefix) || name === prefix + base) continue;
    const spec = name.slice(prefix.length);
    const w = wasmRatio["ratio/" + mode + "/" + spec];
    if (!w) continue;
    console.log((mode + " " + spec).padEnd(44) + (b / v).toFixed(2).padStart(9) + w.ratio.toFixed(2).padStart(9) + ("  <= " + w.target));
  }
}
JS
