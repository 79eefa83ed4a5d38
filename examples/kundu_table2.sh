#!/usr/bin/env bash
# Kundu 2017 on a network we trained: Algorithm 2 (FGQ blocks of N = 16, tolerance 0.1) per layer
# with Table 2's model size, capacity and scale factors, then test accuracy per residual level.
set -euo pipefail
cd "$(dirname "$0")/.."
model="$(mktemp -d)/digits_mlp.json"
npm run -s qlab -- train --data sklearn:digits --model mlp:64-128-64-10 --epochs 20 --test-fraction 0.2 --save "$model" >/dev/null
npm run -s qlab -- ternary --model "$model" --data sklearn:digits --test-fraction 0.2 --block 16 --tolerance 0.1
