#!/usr/bin/env bash
# Cherkhev Theorem 1 against the lab's quantized perceptron: a seeded search over hard small sets
# (points near a hyperplane; "simplex" sets where every pair of signed points has a negative inner
# product), formats (lattices with an odd and an even number of points, floats without
# subnormals, random codebooks) and example orders, then greedy refinement of the run closest to
# R^2/(gamma - delta)^2. Prints how many runs exceed the paper's bound and the safe
# R^2/(gamma - 2 delta)^2, and the closest runs. TRIALS and REFINE make it longer.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s qlab -- bound-search --trials "${TRIALS:-2000}" --refine "${REFINE:-5000}" --seed "${SEED:-1}"
