"""Writes the fuzzers' seed corpora (tests/fuzz/corpus/). Run: /usr/bin/python3 tests/fuzz/make_seeds.py

loader/: tiny valid models in the current format (version 2, with its checksum), f32 and q8, one per
architecture; z 2, 2 units, 4 steps, so that libFuzzer mutates the header, tables and data rather than
spending its time in megabytes of weights. The *.v1.mvae files beside them are version 1 files (no
checksum) written before the format gained one, kept so the version 1 path is fuzzed too.

convert/: real note sequences, read from MIDI files in ../shared/data (POP909 melodies, Groove drums,
Freedoom trios), in fuzz_convert.c's byte layout: num_steps - 1, min pitch, max pitch, flags, then
7 bytes per note (pitch, velocity, start step, length - 1, program, is_drum, instrument).
"""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..")
sys.path[:0] = [root, os.path.join(root, "training"), os.path.join(root, "tests", "reference")]

from make_cases import build_model  # noqa: E402
from mvae_format import write_model  # noqa: E402

MODELS = {
    "flat": dict(seed=1, depths=[90], z=2, encoder="bidirectional", enc=[2], dec=[2], steps=4),
    "hier": dict(seed=2, depths=[90], z=2, encoder="bidirectional", enc=[2], dec=[2], steps=4,
                 conductor=[2], segments=2),
    "decode_only": dict(seed=3, depths=[90], z=2, encoder=None, dec=[2, 2], steps=4),
    "trio": dict(seed=4, depths=[90, 90, 512], z=2, encoder="hierarchical", enc=[[2], [2]],
                 dec=[2], steps=4, conductor=[2], segments=2),
    "drums": dict(seed=5, depths=[512], z=2, encoder="bidirectional", enc=[2], dec=[2], steps=4),
    "groove": dict(seed=6, depths=[27], z=2, encoder="bidirectional", enc=[2], dec=[2], steps=4,
                   converter="groove"),
}

# (folder, file, first step, num_steps, flags): flags bit 0 clean drum encoding, bit 1 roll input.
NOTE_SEEDS = [
    ("pop909", "001/001.mid", 0, 32, 0),
    ("pop909", "002/002.mid", 64, 64, 0),
    ("pop909", "003/003.mid", 128, 32, 1),
    ("groove", "drummer1/session1/1_funk_80_beat_4-4.mid", 0, 32, 0),
    ("groove", "drummer1/session1/1_funk_80_beat_4-4.mid", 32, 64, 3),
    ("freedoom", "musics/d_e2m1.mid", 0, 64, 0),
    ("freedoom", "musics/d_map09.mid", 64, 32, 1),
]


def write_models(out):
    os.makedirs(out, exist_ok=True)
    for name, cfg in MODELS.items():
        meta, tensors = build_model(name, cfg)
        if name == "drums":
            meta.update({"converter.type": "drums", "musicvae.input_depth": 512})
        write_model(os.path.join(out, name + ".mvae"), meta, tensors)
        write_model(os.path.join(out, name + ".q8.mvae"), meta, tensors, quantize="q8", block=32)


def note_bytes(notes, first, num_steps, flags):
    """The notes sounding from `first` for num_steps steps, shifted to start at 0, as bytes."""
    out = bytearray([num_steps - 1, 21, 108, flags])
    for n in notes:
        if not first <= n.start < first + num_steps:
            continue
        length = min(n.end - n.start, 24)
        out += bytes([n.pitch, 100, n.start - first, length - 1, n.program % 48,
                      1 if n.channel == 9 else 0, n.track % 4])
        if len(out) >= 4 + 7 * 96:
            break
    return bytes(out)


def write_notes(out):
    from training import data  # mido; only needed here

    shared = data.resolve_data_dir()
    os.makedirs(out, exist_ok=True)
    for folder, name, first, num_steps, flags in NOTE_SEEDS:
        midi = data.read_midi(os.path.join(shared, folder, name))
        seed = note_bytes(midi.notes, first, num_steps, flags)
        label = "%s_%s_%d" % (folder, os.path.basename(name).split(".")[0], first)
        with open(os.path.join(out, label + ".notes"), "wb") as f:
            f.write(seed)


if __name__ == "__main__":
    write_models(os.path.join(here, "corpus", "loader"))
    write_notes(os.path.join(here, "corpus", "convert"))
    for sub in ("loader", "convert"):
        print(sub, sorted(os.listdir(os.path.join(here, "corpus", sub))))
