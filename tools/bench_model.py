"""Writes benchmark copies (fp32 and int8 at the default block) of a model: of mel_2bar_small's
decoder with the missing encoder LSTM kernels filled at random (as the magenta.js timings in
../shared/reference/measurements.md were taken), so that encode can be timed before a trained
encoder exists (not for music: the encodings are meaningless); of a model that has an encoder (the
16-bar one, an int8 file: its values dequantized) unchanged.

    /usr/bin/python3 tools/bench_model.py models/mel_2bar_small.mvae build/bench
    /usr/bin/python3 tools/bench_model.py models/mel_16bar_on_2bar.q8.mvae build/bench
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
if not any(k.startswith("encoder/") for k in tensors):
    for direction in ("fw", "bw"):
        prefix = tensor_name("encoder_lstm", layer=0, direction=direction)
        tensors[prefix + "kernel"] = rng.normal(0, 0.05, (rows, width))
        tensors[prefix + "bias"] = np.zeros(width)
    meta["general.name"] = meta.get("general.name", "model") + " (random encoder, benchmark only)"
tensors = {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}
os.makedirs(out_dir, exist_ok=True)
name = os.path.basename(source).split(".")[0]
write_model(os.path.join(out_dir, name + ".fp32.mvae"), meta, tensors)
write_model(os.path.join(out_dir, name + ".q8.mvae"), meta, tensors, quantize="q8")
