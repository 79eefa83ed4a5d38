#!/usr/bin/env bash
# Runs the libFuzzer targets: scripts/fuzz.sh [seconds per target] (npm test uses a short run).
# spec_parser_fuzz: format specs and URL queries; dataset_fuzz: CSV, libsvm, IDX and data specs;
# model_fuzz: model JSON; onnx_fuzz: ONNX files (seeded with the bad corpus and the fixtures).
# Seeds come from the malformed-input corpora in tests/data; new finds go to fuzz-corpus/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${1:-10}"
bash scripts/build.sh native-fuzz >/dev/null

seed_specs() {
  local dir=fuzz-corpus/spec i=0
  mkdir -p "$dir"
  while IFS=$'\t' read -r spec _; do
    [[ -z "$spec" || "$spec" == \#* ]] && continue
    printf '%s' "$spec" > "$dir/seed-bad-$i"; i=$((i + 1))
  done < tests/data/bad_specs.txt
  for spec in "fixed:w=8,f=4" "ufixed:w=4,f=1,overflow=wrap" "float:e=5,m=10,sub=0,sat=1" \
              "lattice:range=0.5,points=17" "int:b=8,scale=0.1,zero=3" "ternary:alpha=1,threshold=0.2" \
              "binary:alpha=2" "codebook:values=-1;0;0.5" "bfp:w=8,block=16" \
              "panel=formats&format=fixed:w=4,f=2&x=0.3&lo=-1&hi=1"; do
    printf '%s' "$spec" > "$dir/seed-good-$i"; i=$((i + 1))
  done
}

seed_datasets() {
  local dir=fuzz-corpus/dataset
  mkdir -p "$dir"
  # Each case of the malformed corpus becomes one seed file.
  awk -v dir="$dir" '/^=== /{n++; next} n>0{print > (dir "/seed-" n)}' tests/data/bad_datasets.txt
  printf '5,2,setosa,versicolor\n1.5,2,0\n3,4,1\n' > "$dir/seed-good-csv"
  printf '+1 1:0.5 3:2\n-1 2:1\n' > "$dir/seed-good-svm"
  printf 'synth:linear:d=3,margin=0.2' > "$dir/seed-good-spec"
}

seed_models() {
  local dir=fuzz-corpus/model
  mkdir -p "$dir"
  printf '%s' '{"format":"quantlab-model","version":1,"layers":[{"type":"dense","in":2,"out":2,"activation":"none","weight":[[1,0],[0,1]],"bias":[0,0.5]}]}' > "$dir/seed-good"
  printf '%s' '{"format":"quantlab-model","version":1,"layers":[{"type":"dense","in":1,"out":2,"activation":"relu","weight":[[1],[1]],"bias":[0,0]},{"type":"dense","in":2,"out":1,"activation":"tanh","weight":[[1,1]],"bias":[0]}]}' > "$dir/seed-two"
  printf '%s' '{"format":"quantlab-model","version":2}' > "$dir/seed-bad"
  printf '%s' '{"format":"quantlab-model","version":1,"layers":[{"type":"conv2d","channels":1,"height":4,"width":4,"kernel":2,"out":2,"activation":"relu","weight":[[1,0,0,1],[0,1,1,0]],"bias":[0,0]},{"type":"maxpool2d","channels":2,"height":3,"width":3,"size":2},{"type":"dense","in":2,"out":2,"activation":"none","weight":[[1,0],[0,1]],"bias":[0,0]}]}' > "$dir/seed-cnn"
}

seed_onnx() {
  local dir=fuzz-corpus/onnx
  mkdir -p "$dir"
  # Every bad file with the message it must give, PyTorch's fixtures (the large ones are cut to
  # -max_len, which still exercises every truncation path) and small files written by the lab.
  cp tests/data/onnx_bad/*.onnx tests/data/onnx/*.onnx tests/data/onnx_seeds/*.onnx "$dir"/
}

run_target() {
  local target=$1 corpus=$2 max_len=${3:-4096} log status=0 runs
  log=$(mktemp)
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
    "build/native-fuzz/tests/fuzz/$target" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=fuzz-corpus/ "$corpus" >"$log" 2>&1 || status=$?
  if [[ $status -ne 0 ]]; then
    tail -60 "$log"
    echo "fuzz: $target FAILED (status $status); the input that broke it is in fuzz-corpus/"
    exit 1
  fi
  runs=$(grep -E "^stat::number_of_executed_units" "$log" | awk '{print $2}')
  echo "fuzz: $target ran ${runs:-?} inputs in ${seconds}s without a failure"
  rm -f "$log"
}

seed_specs
seed_datasets
seed_models
seed_onnx
run_target spec_parser_fuzz fuzz-corpus/spec
run_target dataset_fuzz fuzz-corpus/dataset
run_target model_fuzz fuzz-corpus/model
run_target onnx_fuzz fuzz-corpus/onnx 20000
