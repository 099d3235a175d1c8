#!/usr/bin/env bash
# Retrains a shipped model from ../shared end to end (download-free) and exports it to models/ as
# NAME.mvae (fp32) and NAME.q8.mvae (int8). Interrupted runs resume from their last checkpoint.
#   bash models/retrain.sh mel_2bar_small      Magenta's decoder (frozen) + an encoder trained for it
#   bash models/retrain.sh drums_2bar_small    cat-drums_2bar_small trained from scratch (Groove)
#   bash models/retrain.sh hierdec_mel_16bar_small   16-bar melody, conductor decoder (POP909+Nottingham)
#   bash models/retrain.sh flat_mel_16bar_small      16-bar melody, flat decoder (the baseline)
#   bash models/retrain.sh hierdec_trio_16bar_small  16-bar trio, conductor + 3 core decoders (Freedoom)
#   bash models/retrain.sh mel_2bar_chords    mel_2bar_small over chords (PitchChordEncoder controls),
#                                              fine-tuned from it on POP909 + inferred chords
#   bash models/retrain.sh mel_16bar_on_2bar   16-bar melody on mel_2bar_small (Magenta's decoder as
#                                              the core decoder; training/conductor.py)
#   bash models/retrain.sh trio_16bar_on_2bar  16-bar trio on mel_2bar_small (melody, bass) and
#                                              drums_2bar_small (drums) (training/conductor.py)
#   bash models/retrain.sh groovae_2bar_humanize  GrooVAE: a beat in, played as a drummer would (Groove)
#   bash models/retrain.sh groovae_2bar_tap       GrooVAE: taps on one key in, drums out (Groove)
# The *_small 16-bar models are scaled down to train on 2 CPU cores; on a GPU pass e.g.
#   --set dec_rnn_size=[1024,1024] ... or use the full configs (training/configs.py).
# STEPS=N sets the total steps; EXPORT_ONLY=1 exports the run's latest checkpoint without training;
# CHECK=1 only trains step 1 (in a temporary directory) and compares its loss with the one recorded
# here for the shipped model (same seed, same first-step loss); more options (e.g. --batch 512 on a
# GPU, --minutes 120 to stop with a checkpoint after two hours) are passed to training.train.
# CONFIG=NAME swaps the recipe's configuration for another of training/configs.py with the same
# data, e.g. the paper-size one on a GPU:
#   CONFIG=hierdec-mel_16bar STEPS=100000 RUN=training/runs/big bash models/retrain.sh \
#     hierdec_mel_16bar_small --batch 512
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = mel_16bar_on_2bar ] || [ "${1:-}" = trio_16bar_on_2bar ]; then
  # Their own trainer (training/conductor.py): a latent stage, then end to end; the 2-bar model
  # (encoder v2 + Magenta's decoder) must exist first. The trio's drums part is drums_2bar_small,
  # of which only the int8 file exists (its fp32 run is not kept): it is read dequantized.
  name=$1
  shift
  run=${RUN:-training/runs/$name}
  two_bar=models/mel_2bar_small.mvae
  [ -f "$two_bar" ] || bash scripts/build.sh
  if [ "$name" = mel_16bar_on_2bar ]; then
    parts=(--two-bar "$two_bar")
    common=(--config hier-mel_16bar-on-2bar --data melody_wide --seed 1)
    windows=${WINDOWS:-12000}
    first_loss=8747.09  # step 1 on 64 windows, seed 1 (CHECK=1 reproduces it)
    latent_minutes=${LATENT_MINUTES:-60} finetune_minutes=${FINETUNE_MINUTES:-30}
    latent=(--threads 2) finetune=(--threads 2)
    description="16-bar melodies (8 segments of 2 bars) on Magenta's mel_2bar_small: its decoder is the \
core decoder (recurrent and output weights bit-identical), the 2-bar encoder v2 the level-0 encoder; \
level-1 encoder, z 512, conductor and the core decoder's conditioning weights trained here \
(training/conductor.py) on POP909 + Nottingham 16-bar windows."
    license=Apache-2.0
  else
    parts=(--two-bar "$two_bar" --drums models/drums_2bar_small.q8.mvae)
    common=(--config hier-trio_16bar-on-2bar --data trio --mix 0.5 --seed 1)
    windows=${WINDOWS:-0}  # 0: all of Freedoom's 1,959 training windows
    first_loss=23337.40  # step 1 on 64 windows, seed 1 (CHECK=1 reproduces it)
    latent_minutes=${LATENT_MINUTES:-20} finetune_minutes=${FINETUNE_MINUTES:-30}
    latent=() finetune=(--threads 1 --batch 16)
    description="16-bar trios (melody, bass, drums; 8 segments of 2 bars) on 2-bar models: melody and \
bass core decoders are Magenta's mel_2bar_small decoder (recurrent and output weights bit-identical), \
drums our drums_2bar_small's; level 0 of the encoder is their encoders (encoder v2 for melody and \
bass) side by side; level-1 encoder, z 512, conductor and the core decoders' conditioning weights \
trained here (training/conductor.py) on Freedoom's trios."
    license="Apache-2.0 (Magenta's mel_2bar_small decoder); drums part trained on the Groove MIDI \
Dataset (CC BY 4.0); trained on Freedoom music (BSD-3-Clause); see models/README.md"
  fi
  if [ -n "${CHECK:-}" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    /usr/bin/python3 -m training.conductor train --out "$tmp" "${parts[@]}" "${common[@]}" \
      --windows 64 --steps 1 --log-every 1 >/dev/null
    got=$(sed -n 's/^step 1 loss \([0-9.]*\) .*/\1/p' "$tmp/train.log")
    echo "$name: first-step loss $got, recorded $first_loss"
    exec /usr/bin/python3 -c 'import sys; a, b = map(float, sys.argv[1:]); sys.exit(abs(a - b) > 1e-5 * abs(b))' \
      "$got" "$first_loss"
  fi
  if [ -z "${EXPORT_ONLY:-}" ]; then
    /usr/bin/python3 -m training.conductor train --out "$run" "${parts[@]}" "${common[@]}" \
      --windows "$windows" --minutes "$latent_minutes" ${latent[@]+"${latent[@]}"} "$@"
    /usr/bin/python3 -m training.conductor finetune --run "$run" --minutes "$finetune_minutes" "${finetune[@]}"
  fi
  for q in "" q8; do
    /usr/bin/python3 -m training.conductor export --run "$run" --out "models/$name${q:+.$q}.mvae" \
      ${q:+--quantize $q} --name "$name" --description "$description" --license "$license" \
      ${q:+--config-json models/$name.config.json}
  done
  cp "$run/train.log" "models/$name.train.log"
  exit 0
fi
name=${1:?usage: models/retrain.sh mel_2bar_small|mel_2bar_chords|drums_2bar_small|hierdec_mel_16bar_small|flat_mel_16bar_small|hierdec_trio_16bar_small [train options]}
shift
run=${RUN:-training/runs/$name}
case "$name" in
  mel_2bar_small)
    [ -f build/magenta/mel_2bar_small_decoder.mvae ] || bash models/build.sh
    # Two stages (encoder v2): (1) an encoder for Magenta's frozen decoder on POP909 melodies +
    # Nottingham, transposed -5..5; (2) from it, every POP909 part (MELODY, BRIDGE, PIANO) +
    # Nottingham, transposed -12..12, so that it encodes music from other sources (Freedoom is
    # held out of both as the out-of-corpus check). CHECK=1 checks stage 1's first step.
    first_loss=252.4752  # stage 1, step 1, seed 1 (data v2) (CHECK=1 reproduces it)
    args=(--config cat-mel_2bar_small --init-from build/magenta/mel_2bar_small_decoder.mvae
          --freeze decoder --batch 64 --sampling-prob 0 --seed 1 --steps "${STAGE1_STEPS:-3990}")
    if [ -z "${CHECK:-}" ] && [ -z "${EXPORT_ONLY:-}" ]; then
      stage1=$run.stage1
      [ -f "$stage1/model.mvae" ] || {
        /usr/bin/python3 -m training.train --out "$stage1" --log-every 100 --ckpt-every 250 "${args[@]}" "$@"
        /usr/bin/python3 -m training.export --ckpt "$stage1" --out "$stage1/model.mvae"; }
      args=(--config cat-mel_2bar_small --init-from "$stage1/model.mvae" --freeze decoder --batch 64
            --sampling-prob 0 --seed 2 --data melody_wide --set transpose_range=-12,12
            --steps "${STEPS:-3353}")
    fi
    description="MusicVAE cat-mel_2bar_small: 2-bar monophonic melodies, 32 steps, 90 classes, z 256. \
Decoder and latent layers: Magenta's published weights (decoder bit-identical); encoder LSTMs (and \
mu/sigma, fine-tuned) trained here (encoder v2: POP909's MELODY, BRIDGE and PIANO parts + Nottingham, \
transposed -12..12; training/), decoder frozen."
    license=Apache-2.0 ;;
  mel_2bar_chords)
    # From the shipped mel_2bar_small (Magenta's decoder + encoder v2), zero rows for the 37 chord
    # columns (it starts out decoding exactly as mel_2bar_small), then everything fine-tuned on
    # POP909 MELODY windows with the engine's half-bar chords of PIANO + BRIDGE (training/chords.py),
    # melody and chords transposed together -5..5. One thread: the recorded run shared 2 cores.
    [ -f build/magenta/mel_2bar_small_decoder.mvae ] || bash models/build.sh
    [ models/mel_2bar_small.mvae -nt models/parts/mel_2bar_small.encoder.mvae ] || /usr/bin/python3 models/assemble.py
    # Two stages: (1) everything at lr 3e-4, beta rising to 0.2; (2) from (1), the chord rows at 10x
    # the learning rate (they start at zero, the rest trained) and beta 0.2 throughout.
    args=(--config cat-mel_2bar_small-chords --init-from models/mel_2bar_small.mvae --seed 1 --threads 1
          --steps "${STAGE1_STEPS:-347}")
    first_loss=0.7013  # stage 1, step 1, seed 1 (CHECK=1 reproduces it)
    if [ -z "${CHECK:-}" ] && [ -z "${EXPORT_ONLY:-}" ]; then
      stage1=$run.stage1
      [ -f "$stage1/model.mvae" ] || {
        /usr/bin/python3 -m training.train --out "$stage1" --log-every 100 --ckpt-every 100 "${args[@]}" "$@"
        /usr/bin/python3 -m training.export --ckpt "$stage1" --out "$stage1/model.mvae"; }
      args=(--config cat-mel_2bar_small-chords --init-from "$stage1/model.mvae" --seed 2 --threads 1
            --set control_lr_scale=10 --set beta_rate=0 --steps "${STEPS:-229}")
    fi
    description="MusicVAE cat-mel_2bar_small over chords: 2-bar monophonic melodies, 32 steps, 90 classes, \
z 256, conditioned on a chord per step as magenta.js's mel_chords (PitchChordEncoder, 37 control columns). \
Started from mel_2bar_small (Magenta's published decoder and latent layers + our encoder v2) with zero \
kernel rows for the chord columns; every tensor then fine-tuned here (training/) on POP909 MELODY 2-bar \
windows with the chords the engine infers from the PIANO and BRIDGE tracks (mvae_chords_infer)."
    license="Apache-2.0 (Magenta's mel_2bar_small weights); fine-tuned on POP909 (MIT); see models/README.md" ;;
  drums_2bar_small)
    args=(--config cat-drums_2bar_small --batch 64 --seed 1 --steps "${STEPS:-3706}")
    first_loss=199.5802  # step 1, seed 1 (CHECK=1 reproduces it)
    description="MusicVAE cat-drums_2bar_small trained here: 2-bar drum patterns, 9 drum classes \
(512-way output, 10-wide roll input), z 256, on the Groove MIDI Dataset's train split (training/)."
    license="CC-BY-4.0 (trained on the Groove MIDI Dataset, CC BY 4.0)" ;;
  hierdec_mel_16bar_small)
    args=(--config hierdec-mel_16bar-small --seed 1 --steps "${STEPS:-5173}")
    first_loss=1151.5558  # step 1, seed 1 (data v2) (CHECK=1 reproduces it)
    description="MusicVAE hierdec-mel_16bar, scaled down (ours) and trained here: 16-bar monophonic \
melodies, 256 steps, 90 classes, z 128; bidirectional encoder 256, conductor LSTM 256 over 16 bars, \
core decoder LSTM 256 per bar; trained on POP909 + Nottingham 16-bar windows (training/)."
    license="trained on POP909 (MIT) + Nottingham (GPL-3.0); see models/README.md" ;;
  flat_mel_16bar_small)
    args=(--config flat-mel_16bar-small --seed 1 --steps "${STEPS:-2930}")
    first_loss=1159.6963  # step 1, seed 1 (data v2) (CHECK=1 reproduces it)
    description="MusicVAE flat-mel_16bar, scaled down (ours) and trained here as the flat baseline: \
16-bar monophonic melodies, 256 steps, 90 classes, z 128; bidirectional encoder 256, one flat \
autoregressive decoder LSTM 512; trained on POP909 + Nottingham 16-bar windows (training/)."
    license="trained on POP909 (MIT) + Nottingham (GPL-3.0); see models/README.md" ;;
  hierdec_trio_16bar_small)
    args=(--config hierdec-trio_16bar-small --seed 1 --steps "${STEPS:-325}")
    first_loss=3899.3872  # step 1, seed 1 (data v2) (CHECK=1 reproduces it)
    description="MusicVAE hierdec-trio_16bar, scaled down (ours) and trained here: 16-bar trios \
(melody, bass, drums), z 128; bidirectional encoder 256, conductor LSTM 256 over 16 bars, three \
core decoder LSTMs 256 per bar; trained on Freedoom's multi-track MIDI (training/)."
    license="trained on Freedoom music (BSD-3-Clause); see models/README.md" ;;
  groovae_2bar_humanize | groovae_2bar_tap)
    # GrooVAE (training/groove.py), scaled down; one thread each, so the two can train side by side.
    if [ "$name" = groovae_2bar_humanize ]; then
      config=groovae_2bar_humanize-small first_loss=278.6968 steps=2031
      what="a drum pattern's hits in (velocities and timing dropped), the pattern played as a drummer \
would out: each hit's velocity and its offset from the 16th-note grid"
    else
      config=groovae_2bar_tap_fixed_velocity-small first_loss=278.7021 steps=2039
      what="a rhythm tapped on one key in (every note on one class, velocity dropped, timing kept), a \
drum part out: which drums hit, each hit's velocity and its offset from the 16th-note grid"
    fi
    # step 1, seed 1 (CHECK=1 reproduces the first loss)
    args=(--config "$config" --seed 1 --threads 1 --steps "${STEPS:-$steps}")
    description="GrooVAE (Magenta's ${config%-small}, scaled down: bidirectional encoder 256, \
decoder LSTMs 256 x 2, z 128) trained here on the Groove MIDI Dataset's 2-bar windows (train split, \
training/groove_data.py): $what."
    license="CC-BY-4.0 (trained on the Groove MIDI Dataset, CC BY 4.0)" ;;
  *) echo "retrain.sh: unknown model '$name'" >&2; exit 2 ;;
esac
if [ -n "${CONFIG:-}" ]; then
  for i in "${!args[@]}"; do [ "${args[$i]}" != --config ] || args[$((i + 1))]=$CONFIG; done
  description="$description Retrained with configuration $CONFIG (training/configs.py)."
  first_loss=  # recorded for the recipe's own configuration only
fi
if [ -n "${CHECK:-}" ]; then
  [ -n "$first_loss" ] || { echo "retrain.sh: no recorded first-step loss for CONFIG=$CONFIG" >&2; exit 2; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  /usr/bin/python3 -m training.train --out "$tmp" "${args[@]}" "$@" --steps 1 >/dev/null
  got=$(sed -n 's/^step 1 loss \([0-9.]*\) .*/\1/p' "$tmp/train.log")
  echo "$name: first-step loss $got, recorded $first_loss"
  # Equal to 1e-5 relative: other CPUs / BLAS builds may round the last digits differently.
  exec /usr/bin/python3 -c 'import sys; a, b = map(float, sys.argv[1:]); sys.exit(abs(a - b) > 1e-5 * abs(b))' \
    "$got" "$first_loss"
fi
if [ -z "${EXPORT_ONLY:-}" ]; then
  /usr/bin/python3 -m training.train --out "$run" --log-every 100 --ckpt-every 250 "${args[@]}" "$@"
fi
for q in "" q8; do
  /usr/bin/python3 -m training.export --ckpt "$run" --out "models/$name${q:+.$q}.mvae" \
    ${q:+--quantize $q} --name "$name" --description "$description" --license "$license" \
    ${q:+--config-json "models/$name.config.json"}
done
cp "$run/train.log" "models/$name.train.log"
# mel_2bar_chords: both stages' logs.
[ "$name" != mel_2bar_chords ] || cat "$run.stage1/train.log" "$run/train.log" >"models/$name.train.log"
# git keeps only the trained tensors of mel_2bar_small; its decoder comes from ../shared.
[ "$name" != mel_2bar_small ] || /usr/bin/python3 models/assemble.py --split
ls -l "models/$name"*.mvae
