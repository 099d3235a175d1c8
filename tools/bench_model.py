"""Writes benchmark copies of mel_2bar_small with the missing encoder LSTM kernels filled at random
(as the magenta.js timings in ../shared/reference/measurements.md were taken), so that encode can be
timed before a trained encoder exists. Not for music: the encodings are meaningless.

    /usr/bin/python3 tools/bench_model.py models/mel_2bar_small.mvae build/bench
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training"))
from mvae_format import read_model, tensor_name, tensor_size, write_model  # noqa: E402

source, out_dir = sys.argv[1], sys.argv[2]
meta, tensors = read_model(source)
rng = np.random.default_rng(0)
units = 512
depth = tensor_size("encoder_input", input_depth=meta["musicvae.input_depth"],
                    control_depth=meta.get("musicvae.control_depth", 0))
rows, width = tensor_size("lstm_rows", input=depth, units=units), tensor_size("lstm_width", units=units)
for direction in ("fw", "bw"):
    prefix = tensor_name("encoder_lstm", layer=0, direction=direction)
    tensors.setdefault(prefix + "kernel", rng.normal(0, 0.05, (rows, width)))
    tensors.setdefault(prefix + "bias", np.zeros(width))
tensors = {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}
meta["general.name"] = meta.get("general.name", "model") + " (random encoder, benchmark only)"
os.makedirs(out_dir, exist_ok=True)
name = os.path.basename(source).split(".")[0]
write_model(os.path.join(out_dir, name + ".fp32.mvae"), meta, tensors)
write_model(os.path.join(out_dir, name + ".q8.mvae"), meta, tensors, quantize="q8", block=32)
