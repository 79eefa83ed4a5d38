#!/usr/bin/env bash
# Configures (once) and builds the given presets, e.g. scripts/build.sh native-release wasm-release;
# after wasm-release it also rewrites dist/ (scripts/make_dist.sh), the folder that gets hosted.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export NODE_PATH=/usr/share/nodejs  # Debian's emscripten needs acorn from here
mkdir -p build
for preset in "$@"; do
  # One build per preset at a time (several terminals or agents may ask at once).
  exec 9>"build/.lock-$preset"
  flock 9
  if [[ ! -f "build/$preset/build.ninja" ]]; then
    echo "== configure $preset"
    cmake --preset "$preset" >"build-$preset.configure.log" 2>&1 || { cat "build-$preset.configure.log"; exit 1; }
    rm -f "build-$preset.configure.log"
  fi
  echo "== build $preset"
  cmake --build --preset "$preset" -- -j"$(nproc)" | grep -v -E '^\[[0-9]+/[0-9]+\] ' || test "${PIPESTATUS[0]}" -eq 0
  # The browser tests and `npm start` serve dist/, so it follows every lab build (still under the lock).
  if [[ "$preset" == wasm-release ]]; then bash scripts/make_dist.sh; fi
  exec 9>&-
done
