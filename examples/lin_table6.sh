#!/usr/bin/env bash
# Lin Fig. 4 and Table 6: the paper's cases with their model sizes recomputed from Table 3's
# layers and its error column, the pairs behind "> 20% reduction in model size for the same
# performance" (case 10 against case 2: 22% smaller), then the same comparison on our measured
# trade-off (equal widths against eq. 16's offsets) for the digits MLP of lin_table4.sh and the
# MNIST CNN of sakr_cnn_mnist.sh when it exists.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s qlab -- allocate --table6
echo
model="$(mktemp -d)/digits_mlp.json"
npm run -s qlab -- train --data sklearn:digits --model mlp:64-128-64-10 --epochs 20 --test-fraction 0.2 --save "$model" >/dev/null
echo "== digits MLP 64-128-64-10"
npm run -s qlab -- allocate --model "$model" --data sklearn:digits --test-fraction 0.2 --objective size \
  --tradeoff --tradeoff-min 2 --tradeoff-max 7
if [[ -f build/models/sakr-mnist-cnn.json ]]; then
  echo
  echo "== MNIST CNN (sakr_cnn_mnist.sh)"
  npm run -s qlab -- allocate --model build/models/sakr-mnist-cnn.json --data mnist --normalize unit --test-fraction 0.2 \
    --objective size --tradeoff --tradeoff-min 2 --tradeoff-max 7
fi
