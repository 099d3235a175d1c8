#!/usr/bin/env bash
# Converts Magenta's published mel_2bar_small checkpoint (shared/, decoder without its encoder
# kernels; see models/README.md) into build/magenta/:
#   mel_2bar_small_decoder.mvae     f32 (7.8 MB)
#   mel_2bar_small_decoder.q8.mvae  int8 kernels, one scale per 128 columns (2.0 MB)
# These are the starting point for training the encoder (models/retrain.sh mel_2bar_small) and the
# decode-only model of the tests. MVAE_MAGENTA_OUT overrides the output folder.
# The output is deterministic: the same checkpoint gives the same bytes on every run.
# MVAE_SHARED_DIR overrides where shared/ is (default: ../shared beside the repository).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${MVAE_SHARED_DIR:-"$(dirname "$0")/../../shared"}
ckpt=$shared/checkpoints/mel_2bar_small
[ -f "$ckpt/manifest.json" ] || { echo "build.sh: no checkpoint at $ckpt (set MVAE_SHARED_DIR)" >&2; exit 1; }

common=(
  --name mel_2bar_small
  --description "MusicVAE cat-mel_2bar_small: 2-bar monophonic melodies, 32 steps, 90 classes, z 256; the published decoder. The encoder LSTM kernels are absent, so this model decodes, samples and interpolates but does not encode."
  --license Apache-2.0
  --source "googlecreativelab/melody-mixer@a118ffe252d151f5c55579e91728609b8ba4ad70 demo_4/data/mel_small/ (the magenta.js mel_2bar_small checkpoint)"
  --allow-missing-encoder
)
out=${MVAE_MAGENTA_OUT:-"$here/../build/magenta"}
mkdir -p "$out"
node "$here/convert.mjs" "$ckpt" "$out/mel_2bar_small_decoder.mvae" "${common[@]}"
node "$here/convert.mjs" "$ckpt" "$out/mel_2bar_small_decoder.q8.mvae" --quantize q8 "${common[@]}"
