#!/usr/bin/env bash
# npm start: installs what is missing, builds the CLI and the lab, and serves it
# (http://localhost:8080, PORT overrides).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
bash scripts/build.sh native-release wasm-release
exec node scripts/serve.mjs build/wasm-release/web
