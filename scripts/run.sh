#!/usr/bin/env bash
# The main job: set up, build, and serve the latent-space explorer (web/) on http://127.0.0.1:8080/
# (PORT=8081 or HOST=0.0.0.0 to change; Ctrl+C stops). With --cli instead: sample melodies from the
# bundled default model with the native CLI (extra arguments go to `mvae sample`, e.g. -t 1.0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
if [ "${1:-}" = "--cli" ]; then
  shift
  ./build/mvae info models/mel_2bar_small.q8.mvae
  ./build/mvae sample models/mel_2bar_small.q8.mvae -n 4 -t 0.5 -s "${SEED:-$RANDOM}" "$@"
  exit 0
fi
exec node web/serve.mjs --no-build --port "${PORT:-8080}" --host "${HOST:-127.0.0.1}"
