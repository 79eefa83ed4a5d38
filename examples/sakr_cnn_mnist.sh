#!/usr/bin/env bash
# Sakr §4.2 (Fig. 2 and Table 2) on an MNIST CNN: CIFAR-10 is not available here, and MNIST is
# Sakr's other data set. cnn:28x28x1-c8k5-p2-c16k5-p2-10 with the hard sigmoid (Adam, clipped
# weights, 4 epochs on the 8,000 training digits), kept in build/models/sakr-mnist-cnn.json
# (MODEL=path picks another). Then E_A, E_W and eq. 12's offset (Sakr: for his CNN E_W/E_A is
# much closer to 1, offset 0), Theorems 1 and 2 against the fixed-point simulation for B_W = B_A
# (Fig. 2), and the design options laid out as Table 2 (float; Theorem 1 and Theorem 2 at 1%, with
# test error, full adders and bits; conv layers count one dot product per output position).
set -euo pipefail
cd "$(dirname "$0")/.."
model="${MODEL:-build/models/sakr-mnist-cnn.json}"
if [[ ! -f "$model" ]]; then
  mkdir -p "$(dirname "$model")"
  echo "training cnn:28x28x1-c8k5-p2-c16k5-p2-10 (hard sigmoid) on MNIST into $model"
  npm run -s qlab -- train --data mnist --normalize unit --model cnn:28x28x1-c8k5-p2-c16k5-p2-10:act=hardsigmoid \
    --optimizer adam --lr 0.002 --batch 64 --lr-decay 1 --clip-weights --epochs 4 --save "$model" | tail -1
fi
common=(--model "$model" --data mnist --normalize unit --test-fraction 0.2 --simulate)
echo "== B_W = B_A (Fig. 2 analogue), with Table 2's layout below"
npm run -s qlab -- bounds "${common[@]}" --grid 2..12 --design
echo
echo "Sakr Table 2 (CIFAR-10, as printed): float 17.02%; (12, 12) 17.08%, 3626 M FAs, 5.09 M bits;"
echo "(10, 10) 17.23%, 2749 M, 4.24 M; SQ (16, 16) 25.4%, 4203 M, 4.54 M; BN (1, 1) 10.15%, 3608 M, 6.48 M."
echo "Sakr Fig. 2: E_A = 21033, E_W = 31641, log2 sqrt(E_W/E_A) = 0.29, so B_W = B_A."
