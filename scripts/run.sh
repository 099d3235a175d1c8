#!/usr/bin/env bash
# The main job: set up, build, and sample melodies from the bundled default model with the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
./build/mvae info models/mel_2bar_small.q8.mvae
./build/mvae sample models/mel_2bar_small.q8.mvae -n 4 -t 0.5 -s "${SEED:-$RANDOM}" "$@"
