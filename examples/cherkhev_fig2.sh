#!/usr/bin/env bash
# Cherkhev Fig. 2: the synth01-like set (Table 1: 2 features, magnitudes 0.9..6.9, 160/40)
# learned under full precision, fixed point in [-6, 6] with 32 and 4 points per dimension, and a
# float with 3 exponent bits and 1 mantissa bit (no subnormals, saturating: Cherkhev's floats).
set -euo pipefail
cd "$(dirname "$0")/.."
printf "%-30s %8s %8s %8s %6s %8s\n" format train test updates sinks gamma
for f in "float:e=11,m=52" "lattice:range=6,points=32" "float:e=3,m=1,sub=0,sat=1" "lattice:range=6,points=4"; do
  npm run -s qlab -- train --data synth:synth01 --model perceptron --format "$f" --json |
    node -e 'const j = JSON.parse(require("fs").readFileSync(0));
             console.log(process.argv[1].padEnd(30), (100 * j.train_accuracy).toFixed(1).padStart(8),
               (100 * j.test_accuracy).toFixed(1).padStart(8), String(j.updates).padStart(8),
               String(j.sink_atoms).padStart(6), j.margin.toFixed(3).padStart(8))' "$f"
done
