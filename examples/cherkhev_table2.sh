#!/usr/bin/env bash
# Cherkhev Table 2 (mushrooms, which is not available here) on a real binary dataset from the
# registries: sklearn's breast_cancer (569 x 30), features scaled to [-1, 1], 20% held out.
# Rows: lattice range [-R, R]; columns: lattice points per dimension; cells: test accuracy (%)
# after 3 passes, the paper's protocol (§4.2), with the paper's cells beside (qlab sweep --table 2).
# PROTOCOL=converge runs the lab's other protocol: 50 passes, training accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "Measured: quantized perceptron on sklearn:breast_cancer (majority baseline 62.7%)"
npm run -s qlab -- sweep --data sklearn:breast_cancer --model perceptron --table 2 \
  --protocol "${PROTOCOL:-paper}" "$@"
