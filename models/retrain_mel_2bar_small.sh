#!/usr/bin/env bash
# Rebuilds the shipped mel_2bar_small end to end from ../shared, download-free: converts Magenta's
# decoder, trains an encoder for it with the decoder frozen (bit-identical), and exports the complete
# model as models/mel_2bar_small.mvae (fp32) and models/mel_2bar_small.q8.mvae (int8).
#   STEPS=3000 bash models/retrain_mel_2bar_small.sh        (resumes an interrupted run)
# Set EXPORT_ONLY=1 to export the run's latest checkpoint without training further.
set -euo pipefail
cd "$(dirname "$0")/.."
run=${RUN:-training/runs/mel_2bar_small_encoder}
[ -f build/magenta/mel_2bar_small_decoder.mvae ] || bash models/build.sh
if [ -z "${EXPORT_ONLY:-}" ]; then
  /usr/bin/python3 -m training.train --config cat-mel_2bar_small --out "$run" \
    --init-from build/magenta/mel_2bar_small_decoder.mvae --freeze decoder \
    --batch 64 --sampling-prob 0 --seed 1 --steps "${STEPS:-3000}" --log-every 100 --ckpt-every 250
fi
description="MusicVAE cat-mel_2bar_small: 2-bar monophonic melodies, 32 steps, 90 classes, z 256. \
Decoder and latent layers: Magenta's published weights (decoder bit-identical); encoder LSTMs (and \
mu/sigma, fine-tuned) trained here on POP909 + Nottingham (training/), decoder frozen."
for q in "" q8; do
  out=models/mel_2bar_small${q:+.$q}.mvae
  /usr/bin/python3 -m training.export --ckpt "$run" --out "$out" ${q:+--quantize $q --block 32} \
    --name mel_2bar_small --description "$description" --license Apache-2.0
done
ls -l models/mel_2bar_small*.mvae
