#!/usr/bin/env bash
# Builds the native engine, tools and tests (build/), and the fp32 model from ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
[ -f build/magenta/mel_2bar_small_decoder.mvae ] || bash models/build.sh
# fp32 mel_2bar_small = Magenta's decoder (just converted) + the encoder trained here (in git).
[ models/mel_2bar_small.mvae -nt models/parts/mel_2bar_small.encoder.mvae ] || /usr/bin/python3 models/assemble.py
# The WebAssembly engine (wasm_api/dist/), rebuilt when a source changed.
bash wasm_api/build.sh
# The explorer as a static site (web/dist/): page, engine, models, icons, service worker.
node web/build.mjs
