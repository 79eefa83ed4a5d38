#!/usr/bin/env bash
# Gupta et al. (2015) in QuantLab's terms: the master weights are stored in fixed point
# (--updates), and each SGD update is rounded into it either to nearest or stochastically.
# Nearest rounding loses every update smaller than half an ulp; stochastic rounding keeps them
# in expectation. MNIST digits, 784-256-10, SGD lr 0.05, 10 epochs.
set -euo pipefail
cd "$(dirname "$0")/.."
printf "%-18s %-11s %9s %14s\n" "stored weights" rounding "test acc" "lost updates"
for fmt in "fixed:w=16,f=14" "fixed:w=12,f=10" "fixed:w=10,f=8"; do
  for mode in rne stochastic; do
    npm run -s qlab -- train --data mnist --normalize unit --model mlp:784-256-10 --optimizer sgd --lr 0.05 --batch 64 --lr-decay 1 \
      --epochs "${EPOCHS:-10}" --updates "$fmt" --rounding "$mode" --json |
      node -e 'const j = JSON.parse(require("fs").readFileSync(0));
               console.log(process.argv[1].padEnd(18), process.argv[2].padEnd(11), (100 * j.test_accuracy).toFixed(2).padStart(9),
                 ((100 * j.lost_updates / j.updates).toFixed(1) + "%").padStart(14))' "$fmt" "$mode"
  done
done
echo "float32 reference:"
npm run -s qlab -- train --data mnist --normalize unit --model mlp:784-256-10 --optimizer sgd --lr 0.05 --batch 64 --lr-decay 1 --epochs "${EPOCHS:-10}" --json |
  node -e 'const j = JSON.parse(require("fs").readFileSync(0)); console.log("test accuracy", (100 * j.test_accuracy).toFixed(2))'
