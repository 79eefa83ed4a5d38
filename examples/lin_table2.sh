#!/usr/bin/env bash
# Lin 2016 Table 2 on our own network: test error with weights and activations in Lin's fixed-point
# formats (sigma_hat = 3 sigma, Gaussian steps, per layer), before and after fine-tuning within
# those formats (§5.3). The Fashion-MNIST CNN of sakr_cnn_fashion.sh stands in for Lin's CIFAR-10
# network (trained first if missing, ~1 min); one fine-tuning epoch per cell (~15 s each).
set -euo pipefail
cd "$(dirname "$0")/.."
model="${MODEL:-build/models/sakr-fashion-cnn.json}"
if [[ ! -f "$model" ]]; then
  mkdir -p "$(dirname "$model")"
  npm run -s qlab -- train --data fashion-mnist --normalize unit --model cnn:28x28x1-c8k5-p2-c16k5-p2-10:act=hardsigmoid \
    --optimizer adam --lr 0.002 --batch 64 --lr-decay 1 --clip-weights --epochs 4 --save "$model" | tail -1
fi
echo "weights activations  quantized %  fine-tuned %  (float error in the first line of each run)"
for w in 0 8 6 4 3; do
  for a in 8 6 4; do
    npm run -s qlab -- finetune --model "$model" --data fashion-mnist --normalize unit --weight-bits "$w" --activation-bits "$a" \
      --epochs "${EPOCHS:-1}" --json | node -e '
        const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
        const b = (x) => (x ? x + "b" : "float").padStart(7);
        console.log(`${b(j.weight_bits)} ${b(j.activation_bits)}      ${(100 * j.quantized_error).toFixed(2).padStart(7)}` +
          `       ${(100 * j.finetuned_error).toFixed(2).padStart(7)}   (float ${(100 * j.float_error).toFixed(2)})`);'
  done
done
