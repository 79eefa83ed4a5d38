#!/usr/bin/env bash
# npm test: installs what is missing, builds each preset once, then runs every suite:
# native GoogleTest (release and ASan+UBSan), the same tests as WebAssembly under Node,
# CLI tests, and browser end-to-end tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export NODE_PATH=/usr/share/nodejs
start=$(date +%s)

bash scripts/bootstrap.sh
echo "== every C++ file follows .clang-format"
bash scripts/check_format.sh
bash scripts/build.sh native-release native-asan native-fuzz wasm-release

jobs=$(nproc)
echo "== native tests (release)"
ctest --preset native-release -j"$jobs" --timeout 600
echo "== native tests (AddressSanitizer + UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --preset native-asan -j"$jobs" --timeout 900
echo "== the same tests as WebAssembly under Node"
ctest --preset wasm-release -j"$jobs" --timeout 900
echo "== fuzzing the spec/URL parsers, dataset loaders and model loader briefly (scripts/fuzz.sh SECONDS for a long run)"
bash scripts/fuzz.sh 10
echo "== dist/ for the browser tests (they serve what is hosted; build.sh wrote it, this checks it is whole)"
bash scripts/make_dist.sh
echo "== CLI and browser tests"
node --test --test-concurrency=1 tests/cli/ tests/e2e/

echo "== all suites passed in $(( $(date +%s) - start )) s"
