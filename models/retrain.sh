#!/usr/bin/env bash
# Retrains a shipped model from ../shared end to end (download-free) and exports it to models/ as
# NAME.mvae (fp32) and NAME.q8.mvae (int8). Interrupted runs resume from their last checkpoint.
#   bash models/retrain.sh mel_2bar_small      Magenta's decoder (frozen) + an encoder trained for it
#   bash models/retrain.sh drums_2bar_small    cat-drums_2bar_small trained from scratch (Groove)
# STEPS=N sets the total steps; EXPORT_ONLY=1 exports the run's latest checkpoint without training;
# more options (e.g. --batch 512 on a GPU) are passed to training.train.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: models/retrain.sh mel_2bar_small|drums_2bar_small [train options]}
shift
run=${RUN:-training/runs/$name}
case "$name" in
  mel_2bar_small)
    [ -f build/magenta/mel_2bar_small_decoder.mvae ] || bash models/build.sh
    args=(--config cat-mel_2bar_small --init-from build/magenta/mel_2bar_small_decoder.mvae
          --freeze decoder --batch 64 --sampling-prob 0 --seed 1 --steps "${STEPS:-3990}")
    description="MusicVAE cat-mel_2bar_small: 2-bar monophonic melodies, 32 steps, 90 classes, z 256. \
Decoder and latent layers: Magenta's published weights (decoder bit-identical); encoder LSTMs (and \
mu/sigma, fine-tuned) trained here on POP909 + Nottingham (training/), decoder frozen."
    license=Apache-2.0 ;;
  drums_2bar_small)
    args=(--config cat-drums_2bar_small --batch 64 --seed 1 --steps "${STEPS:-4000}")
    description="MusicVAE cat-drums_2bar_small trained here: 2-bar drum patterns, 9 drum classes \
(512-way output, 10-wide roll input), z 256, on the Groove MIDI Dataset's train split (training/)."
    license="CC-BY-4.0 (trained on the Groove MIDI Dataset, CC BY 4.0)" ;;
  *) echo "retrain.sh: unknown model '$name'" >&2; exit 2 ;;
esac
if [ -z "${EXPORT_ONLY:-}" ]; then
  /usr/bin/python3 -m training.train --out "$run" --log-every 100 --ckpt-every 250 "${args[@]}" "$@"
fi
for q in "" q8; do
  /usr/bin/python3 -m training.export --ckpt "$run" --out "models/$name${q:+.$q}.mvae" \
    ${q:+--quantize $q --block 32} --name "$name" --description "$description" --license "$license"
done
cp "$run/train.log" "models/$name.train.log"
# git keeps only the trained tensors of mel_2bar_small; its decoder comes from ../shared.
[ "$name" != mel_2bar_small ] || /usr/bin/python3 models/assemble.py --split
ls -l "models/$name"*.mvae
