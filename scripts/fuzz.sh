#!/usr/bin/env bash
# Runs the spec/URL parser fuzzer: scripts/fuzz.sh [seconds] (npm test uses a short run).
# Seeds come from the malformed-spec corpus and a list of good specs; new finds go to fuzz-corpus/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${1:-20}"
bash scripts/build.sh native-fuzz >/dev/null
corpus=fuzz-corpus/spec
mkdir -p "$corpus"
i=0
while IFS=$'\t' read -r spec _; do
  [[ -z "$spec" || "$spec" == \#* ]] && continue
  printf '%s' "$spec" > "$corpus/seed-bad-$i"; i=$((i + 1))
done < tests/data/bad_specs.txt
for spec in "fixed:w=8,f=4" "ufixed:w=4,f=1,overflow=wrap" "float:e=5,m=10,sub=0,sat=1" \
            "lattice:range=0.5,points=17" "int:b=8,scale=0.1,zero=3" "ternary:alpha=1,threshold=0.2" \
            "binary:alpha=2" "codebook:values=-1;0;0.5" "bfp:w=8,block=16" \
            "panel=formats&format=fixed:w=4,f=2&x=0.3&lo=-1&hi=1"; do
  printf '%s' "$spec" > "$corpus/seed-good-$i"; i=$((i + 1))
done
log=$(mktemp)
status=0
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
  build/native-fuzz/tests/fuzz/spec_parser_fuzz -max_total_time="$seconds" -max_len=256 \
  -print_final_stats=1 -artifact_prefix=fuzz-corpus/ "$corpus" >"$log" 2>&1 || status=$?
if [[ $status -ne 0 ]]; then
  tail -60 "$log"
  echo "fuzz: spec parser fuzzer FAILED (status $status); the crashing input is in fuzz-corpus/"
  exit 1
fi
runs=$(grep -E "^stat::number_of_executed_units" "$log" | awk '{print $2}')
echo "fuzz: spec/URL parser fuzzer ran ${runs:-?} inputs in ${seconds}s without a failure"
rm -f "$log"
