#!/usr/bin/env bash
# Cherkhev Fig. 3: atoms from clustering. The paper clusters each class's training examples
# into k = 1, 3, 9 clusters and uses the centres as the (2-D) atoms of features and weights:
# `--vector-kmeans K`. For comparison, the per-coordinate analogue with 2K codebook atoms per
# coordinate (`--format codebook:kmeans=2K`). Data: the synth02-like set of Table 1.
set -euo pipefail
cd "$(dirname "$0")/.."
printf "%-4s %-28s %8s %8s %6s\n" k atoms train test sinks
for k in 1 3 9; do
  for mode in vector coordinate; do
    if [[ $mode == vector ]]; then args=(--vector-kmeans "$k"); label="$((2 * k)) centres in 2-D"
    else args=(--format "codebook:kmeans=$((2 * k))"); label="$((2 * k)) per coordinate"; fi
    npm run -s qlab -- train --data synth:synth02 --model perceptron "${args[@]}" --json |
      node -e 'const j = JSON.parse(require("fs").readFileSync(0));
               console.log(process.argv[1].padEnd(4), process.argv[2].padEnd(28), (100 * j.train_accuracy).toFixed(1).padStart(8),
                 (100 * j.test_accuracy).toFixed(1).padStart(8), String(j.sink_atoms).padStart(6))' "$k" "$label"
  done
done
