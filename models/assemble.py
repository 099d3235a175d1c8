"""Assembles the fp32 mel_2bar_small from its two sources, so git holds neither twice:
Magenta's decoder, converted from ../shared by models/build.sh (build/magenta/), and the tensors
trained here (encoder LSTMs, mu, sigma, and the model's metadata), kept in
models/parts/mel_2bar_small.encoder.mvae (a partial model, so outside models/*.mvae).

    /usr/bin/python3 models/assemble.py            (scripts/build.sh runs it)
    /usr/bin/python3 models/assemble.py --split    (after retraining: refresh the encoder file)
The output holds exactly the tensors and metadata training.export wrote (tensors in name order).
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'training'))
from mvae_format import read_model, write_model  # noqa: E402

FULL = os.path.join(ROOT, 'models', 'mel_2bar_small.mvae')
TRAINED = os.path.join(ROOT, 'models', 'parts', 'mel_2bar_small.encoder.mvae')
MAGENTA = os.path.join(ROOT, 'build', 'magenta', 'mel_2bar_small_decoder.mvae')


def is_magenta(name):
    return name.startswith('decoder/')


if '--split' in sys.argv:
    meta, tensors = read_model(FULL)
    write_model(TRAINED, meta, {k: v for k, v in tensors.items() if not is_magenta(k)})
else:
    meta, trained = read_model(TRAINED)
    _, magenta = read_model(MAGENTA)
    tensors = {**{k: v for k, v in magenta.items() if is_magenta(k)}, **trained}
    write_model(FULL, meta, {k: tensors[k] for k in sorted(tensors)})
