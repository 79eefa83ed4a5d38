#!/usr/bin/env bash
# Sakr's analysis on a CNN, standing in for the paper's CIFAR-10 network (not available here): a
# Fashion-MNIST 28x28x1-c8k5-p2-c16k5-p2-10 hard-sigmoid CNN (Adam, clipped weights, 4 epochs,
# ~1 min), then Theorems 1 and 2 against the fixed-point simulation for B_W = B_A and for eq. 12's
# offset. The model is kept in build/models/sakr-fashion-cnn.json (MODEL=path picks another).
set -euo pipefail
cd "$(dirname "$0")/.."
model="${MODEL:-build/models/sakr-fashion-cnn.json}"
if [[ ! -f "$model" ]]; then
  mkdir -p "$(dirname "$model")"
  echo "training cnn:28x28x1-c8k5-p2-c16k5-p2-10 (hard sigmoid) on Fashion-MNIST into $model"
  npm run -s qlab -- train --data fashion-mnist --normalize unit --model cnn:28x28x1-c8k5-p2-c16k5-p2-10:act=hardsigmoid \
    --optimizer adam --lr 0.002 --batch 64 --lr-decay 1 --clip-weights --epochs 4 --save "$model" | tail -1
fi
common=(--model "$model" --data fashion-mnist --normalize unit --test-fraction 0.2 --samples 1000 --simulate)
echo "== B_W = B_A (Fig. 1(a) analogue)"
npm run -s qlab -- bounds "${common[@]}" --grid 2..12
echo
echo "== B_W = B_A + eq. 12's offset (Fig. 1(b) analogue)"
npm run -s qlab -- bounds "${common[@]}" --grid 2..12 --offset auto
echo
echo "Costs of this CNN at (8, 8) by eq. 3 and eq. 4 (conv layers count one dot product per output):"
npm run -s qlab -- bounds --model "$model" --data fashion-mnist --normalize unit --samples 50 --ba 8 --bw 8 | tail -2
