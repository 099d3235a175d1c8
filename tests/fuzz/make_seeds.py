"""Writes tiny valid models as the loader fuzzer's seed corpus (tests/fuzz/corpus/loader/).

Tiny (z 2, 2 units, 4 steps) so that libFuzzer mutates the header, tables and data rather than
spending its time in megabytes of weights. Run: /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(here, "..", "..", "training"), os.path.join(here, "..", "reference")]

from make_cases import build_model  # noqa: E402
from mvae_format import write_model  # noqa: E402

CASES = {
    "flat": dict(seed=1, depths=[90], z=2, encoder="bidirectional", enc=[2], dec=[2], steps=4),
    "hier": dict(seed=2, depths=[90], z=2, encoder="bidirectional", enc=[2], dec=[2], steps=4,
                 conductor=[2], segments=2),
    "decode_only": dict(seed=3, depths=[90], z=2, encoder=None, dec=[2, 2], steps=4),
}

out = os.path.join(here, "corpus", "loader")
os.makedirs(out, exist_ok=True)
for name, cfg in CASES.items():
    meta, tensors = build_model(name, cfg)
    write_model(os.path.join(out, name + ".mvae"), meta, tensors)
    write_model(os.path.join(out, name + ".q8.mvae"), meta, tensors, quantize="q8", block=32)
print("wrote", sorted(os.listdir(out)))
