"""Checks mvae_ref against the real mel_2bar_small decoder and the shared test vectors.

Greedy-decodes the 539 `mu` of shared/testvectors/mel_2bar_small_decode.json with the raw float32
checkpoint in shared/checkpoints/mel_2bar_small (or an MVAE file given as argv[1]) and compares
with `greedy_events` (class index k is also the event: 0 no event, 1 note off, k >= 2 pitch k + 19).
Run: /usr/bin/python3 tests/reference/check_mel_2bar_small.py [models/mel_2bar_small.mvae]
"""
import json
import os
import sys

import numpy as np

from mvae_ref import MusicVAERef

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SHARED = os.path.join(ROOT, "..", "shared")


def load_checkpoint(folder):
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    tensors = {}
    for name, entry in manifest.items():
        path = os.path.join(folder, entry["filename"])
        if not os.path.exists(path):  # the encoder LSTM kernels are missing from shared/
            continue
        raw = np.fromfile(path, dtype="<f4")
        tensors[name] = raw.reshape(entry["shape"])
    metadata = {"musicvae.z_size": 256, "musicvae.num_steps": 32, "musicvae.decoder": "flat",
                "musicvae.encoder": "bidirectional", "musicvae.output_depths": [90],
                "musicvae.input_depth": 90}
    return MusicVAERef(metadata, tensors)


def main():
    if len(sys.argv) > 1:
        model = MusicVAERef.from_file(sys.argv[1])
    else:
        model = load_checkpoint(os.path.join(SHARED, "checkpoints", "mel_2bar_small"))
    with open(os.path.join(SHARED, "testvectors", "mel_2bar_small_decode.json")) as f:
        cases = json.load(f)["cases"]
    mu = np.array([c["mu"] for c in cases], dtype=np.float32)
    want = np.array([c["greedy_events"] for c in cases])
    tokens, _, margin = model.decode(mu)
    got = tokens[:, 0, :]
    bad = [c["id"] for c, g, w in zip(cases, got, want) if not np.array_equal(g, w)]
    print(f"{len(cases) - len(bad)} of {len(cases)} greedy decodes match; "
          f"min margin {margin.min():.4f} (file says "
          f"{min(c['greedy_min_margin'] for c in cases):.4f})")
    if bad:
        print("mismatches:", ", ".join(bad[:20]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
