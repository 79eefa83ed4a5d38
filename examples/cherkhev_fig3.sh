#!/usr/bin/env bash
# Cherkhev Fig. 3 in QuantLab's per-coordinate form: atoms learned by k-means from the synth02
# training features (2k atoms per coordinate for k = 1, 3, 9), then the quantized perceptron.
# The paper clusters each class's 2-D points and uses the centres as 2-D atoms; QuantLab's formats
# quantize each coordinate, so this is the 1-D analogue of the same idea.
set -euo pipefail
cd "$(dirname "$0")/.."
printf "%-4s %-22s %8s %8s\n" k format train test
for k in 1 3 9; do
  npm run -s qlab -- train --data synth:synth02 --model perceptron --format "codebook:kmeans=$((2 * k))" --json |
    node -e 'const j = JSON.parse(require("fs").readFileSync(0));
             console.log(process.argv[1].padEnd(4), ("codebook:kmeans=" + 2 * process.argv[1]).padEnd(22),
               (100 * j.train_accuracy).toFixed(1).padStart(8), (100 * j.test_accuracy).toFixed(1).padStart(8))' "$k"
done
