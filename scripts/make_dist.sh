#!/usr/bin/env bash
# Writes dist/: exactly the files the hosted lab needs (pages, JS, wasm, CSS and the datasets it
# fetches lazily from data/), all referenced by relative URLs so the folder works under any sub-path.
# Run after `scripts/build.sh wasm-release`; `npm run build` does both.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
web=build/wasm-release/web
data=.deps/datasets
out=${QLAB_DIST_DIR:-dist}

# The page, its shell and the Emscripten output. The fonts are --embed-file'd into the wasm's data
# segment (no quantlab.data file), so these are all the lab downloads before the first frame.
files=(index.html embed.html quantlab-shell.js quantlab-worker.js style.css quantlab.js quantlab.wasm)
# Datasets the lessons request by name (App::request_dataset -> fetch("data/<name>")).
# Fashion-MNIST: its 10,000 test images (the lab's fashion set, offered to models of 784 inputs).
datasets=("sklearn/digits.csv:digits.csv" "mnist/images.idx:mnist-images.idx" "mnist/labels.idx:mnist-labels.idx"
          "fashion-mnist/test-images.idx:fashion-images.idx" "fashion-mnist/test-labels.idx:fashion-labels.idx")

missing=()
for f in "${files[@]}"; do [[ -f "$web/$f" ]] || missing+=("$web/$f"); done
for d in "${datasets[@]}"; do [[ -f "$data/${d%%:*}" ]] || missing+=("$data/${d%%:*}"); done
if (( ${#missing[@]} )); then
  echo "make_dist: missing ${missing[*]}" >&2
  echo "make_dist: run 'bash scripts/bootstrap.sh' and 'bash scripts/build.sh wasm-release' first" >&2
  exit 1
fi
if [[ -f "$web/quantlab.data" ]]; then
  echo "make_dist: $web/quantlab.data exists: the build now uses --preload-file; add it to make_dist.sh" >&2
  exit 1
fi

# Build into a fresh folder and swap it in, so a server reading dist/ never sees it half written.
tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/data"
trap 'rm -rf "$tmp"' EXIT
for f in "${files[@]}"; do cp "$web/$f" "$tmp/$f"; done
for d in "${datasets[@]}"; do cp "$data/${d%%:*}" "$tmp/data/${d##*:}"; done
rm -rf "$out.old"
[[ -d "$out" ]] && mv "$out" "$out.old"
mv "$tmp" "$out"
rm -rf "$out.old"
trap - EXIT

first=0
for f in "${files[@]}"; do first=$(( first + $(stat -c %s "$out/$f") )); done
echo "== dist: $out/ ($(( first / 1024 )) KiB to download before the first frame, plus data/ on demand)"
