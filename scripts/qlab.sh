#!/usr/bin/env bash
# Runs the native qlab command, building it first if it is missing (build messages go to stderr).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/build/native-release/cli/qlab"
if [[ ! -x "$bin" ]]; then
  bash "$root/scripts/build.sh" native-release >&2
fi
exec "$bin" "$@"
