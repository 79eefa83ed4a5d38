#!/usr/bin/env bash
# Lin 2016 Table 4 from Table 3 (eq. 16, kappa = 3), then the same analysis on our own digits MLP:
# SQNR per step across widths with kappa (eq. 2, eq. 9), and a Fig. 4 / Table 6 analogue.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s qlab -- allocate --params 0.007,0.295,0.295,0.590,0.590,1.606 --objective size --kappa 3 --base-bits 16
model="$(mktemp -d)/digits_mlp.json"
npm run -s qlab -- train --data sklearn:digits --model mlp:64-128-64-10 --epochs 20 --test-fraction 0.2 --save "$model" >/dev/null
npm run -s qlab -- sqnr --model "$model" --data sklearn:digits --test-fraction 0.2 --sweep 2..10
npm run -s qlab -- allocate --model "$model" --data sklearn:digits --test-fraction 0.2 --objective size --tradeoff --tradeoff-min 2 --tradeoff-max 7
