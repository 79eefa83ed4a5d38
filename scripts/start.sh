#!/usr/bin/env bash
# npm start: installs what is missing, builds the CLI and the lab, writes dist/ and serves it at
# http://127.0.0.1:8080/ (HOST and PORT override). `npm run course` (--course) serves the sample
# course page at /course/ with the lab under /course/quantlab/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
bash scripts/build.sh native-release wasm-release  # also writes dist/
exec node scripts/serve.mjs dist "$@"
