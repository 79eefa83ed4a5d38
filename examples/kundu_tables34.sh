#!/usr/bin/env bash
# Kundu Tables 3 and 4 (ResNet-101 and AlexNet on ImageNet, not available here) and Fig. 1 on our
# MNIST networks: Algorithm 2 per layer with per-layer tolerances epsilon_k (uniform, by measured
# sensitivity, compute-aware), 8-bit dynamic fixed-point activations as the paper's "8-2"
# networks, and the "# blocks" and "comp" columns at ~1% and ~2% loss from FP32, for N = 64 and
# N = 32, beside the paper's cells; then the abstract's ~2x and ~2.3x from Table 3's comp column.
# Needs the models of sakr_mnist_mlp.sh (dense: comp = # blocks) and sakr_cnn_mnist.sh (conv
# layers reuse each weight, so comp weighs their blocks more).
set -euo pipefail
cd "$(dirname "$0")/.."
for model in build/models/sakr-mnist.json build/models/sakr-mnist-cnn.json; do
  if [[ ! -f "$model" ]]; then
    echo "missing $model: run examples/sakr_mnist_mlp.sh and examples/sakr_cnn_mnist.sh first" >&2
    exit 1
  fi
  for n in 64 32; do
    echo "== $model, N = $n"
    npm run -s qlab -- ternary-tables --model "$model" --data mnist --normalize unit --test-fraction 0.2 --block "$n" |
      sed -n '1,/^Kundu.s cells/p' | sed '$d'
    echo
  done
done
npm run -s qlab -- ternary-tables --model build/models/sakr-mnist.json --data mnist --normalize unit --test-fraction 0.2 |
  sed -n '/^Kundu.s cells/,$p'
