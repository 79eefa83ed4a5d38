#!/usr/bin/env bash
# Lin 2016 Table 1 (1-4 bits) and eq. 2: optimal uniform step sizes, here for 1..8 bits, and the
# efficiency kappa.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s qlab -- sqnr --optimal-steps "$@"
