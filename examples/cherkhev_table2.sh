#!/usr/bin/env bash
# Cherkhev Table 2 (mushrooms, which is not available here) on a real binary dataset from the
# registries: sklearn's breast_cancer (569 x 30), features scaled to [-1, 1], 20% held out.
# Rows: lattice range [-R, R]; columns: lattice points per dimension; cells: test accuracy (%).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "Measured: quantized perceptron on sklearn:breast_cancer (majority baseline 62.7%)"
npm run -s qlab -- sweep --data sklearn:breast_cancer --model perceptron --epochs 50 \
  --grid "lattice:range={0.5,0.75,1,2,4,8},points={8,16,32,64,128,256}" "$@"
cat <<'PAPER'

Cherkhev Table 2, mushrooms (112 boolean features, majority baseline 52%):
                 8      16      32      64     128     256
       0.5      52      93      97      98     100     100
      0.75      48      93      99     100     100     100
         1      52      93      95      98      99     100
         2      52      48      88      96      99     100
         4      48      48      52      99     100     100
         8      48      48      52      48      85      99
PAPER
