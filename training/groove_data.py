"""GrooVAE's data: the Groove MIDI Dataset's 4/4 performances -> 2-bar windows of expressive drums.

    /usr/bin/python3 -m training.groove_data [--bars 2]       (builds the cache, prints counts)

Every tensor comes from the engine's GrooVAE converter (training/engine.groove_tensor, magenta.js's
GrooveConverter.toTensor in src/notes/convert_groove.c): per step and drum class a hit, velocity /
127 and offset 2 (step time - start) / step length. A window gives three of them: the decoder's
target (the performance as played), the humanize model's input (hits only) and the tap model's
input (tapify: every note on one class, velocity 0, its timing kept), so training sees exactly what
mvae_groove_to_input gives a user's notes at inference.

Rules:
* Files: the 4/4 rows of groove/info.csv with their official split (training.data._groove_files).
* Timing in beats (as training.data): a note at tick t is at beat b = t / ticks_per_beat, on step
  floor(4 b + 1/2) (magenta.js's quantization, round half up) and at start time b / 2 seconds, i.e.
  at 120 qpm, the tempo the converter is given, so tempo changes do not matter.
* Windows of `bars` bars, hop 1 bar, aligned to the file's bar lines; a window holds the notes whose
  step falls inside it, its start times relative to the window (a note played early for the
  window's first step has a negative start time). Windows without a mapped hit are dropped, and
  identical windows of one file are kept once (as training.data's drum windows).
"""
import argparse
import hashlib
import os
import sys

import mido
import numpy as np

from training import data, engine

VERSION = 'g1'
STEPS_PER_QUARTER = data.STEPS_PER_QUARTER
STEPS_PER_BAR = data.STEPS_PER_BAR
QPM = 120.0  # start times below are beats / 2 seconds, i.e. at this tempo
FIELDS = ('targets', 'humanize', 'tap')  # the arrays of a window set, [N, T, 27] each


def read_hits(path):
    """(tick, pitch, velocity) of every note-on with velocity > 0 of a file, ticks_per_beat, and
    the file's last tick."""
    mid = mido.MidiFile(path)
    tpb = mid.ticks_per_beat
    if not isinstance(tpb, int) or tpb <= 0 or tpb >= 0x8000:
        raise ValueError('unsupported time division %r' % (tpb,))
    hits, end = [], 0
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == 'note_on' and msg.velocity > 0:
                hits.append((tick, msg.note, msg.velocity))
        end = max(end, tick)
    hits.sort()
    return hits, tpb, end


def file_windows(path, bars):
    """{field: float32 [N, bars * 16, 27]} of one file's windows (FIELDS; rules above)."""
    hits, tpb, end = read_hits(path)
    steps = bars * STEPS_PER_BAR
    out = {f: [] for f in FIELDS}
    if not hits:
        return {f: np.zeros((0, steps, engine.GROOVE_DEPTH), np.float32) for f in FIELDS}
    ticks = np.array([h[0] for h in hits], np.int64)
    step_of = (ticks * 2 * STEPS_PER_QUARTER + tpb) // (2 * tpb)  # data.tick_to_step
    last_step = max(int(step_of.max()), data.tick_to_step(end, tpb))
    seen = set()
    for bar in range(last_step // STEPS_PER_BAR + 1):
        first = bar * STEPS_PER_BAR
        inside = np.nonzero((step_of >= first) & (step_of < first + steps))[0]
        if not len(inside):
            continue
        rows = [(hits[i][1], hits[i][2], int(step_of[i]) - first,
                 (hits[i][0] / tpb - first / STEPS_PER_QUARTER) * 60.0 / QPM) for i in inside]
        notes = engine.groove_notes(rows)
        target = engine.groove_tensor(notes, steps, STEPS_PER_QUARTER, qpm=QPM)
        if not target[:, :9].any():
            continue  # only unmapped pitches
        key = hashlib.sha1(target.tobytes()).digest()
        if key in seen:
            continue
        seen.add(key)
        out['targets'].append(target)
        out['humanize'].append(engine.groove_tensor(notes, steps, STEPS_PER_QUARTER,
                                                    humanize=True, qpm=QPM))
        out['tap'].append(engine.groove_tensor(notes, steps, STEPS_PER_QUARTER, tapify=True,
                                               qpm=QPM))
    return {f: np.stack(v) if v else np.zeros((0, steps, engine.GROOVE_DEPTH), np.float32)
            for f, v in out.items()}


def _cache_path(cache_dir, data_dir, bars, split):
    tag = hashlib.sha1(data_dir.encode('utf-8')).hexdigest()[:8]
    return os.path.join(data._cache_dir(cache_dir),
                        'groove_%dbar_%s_%s_%s.npz' % (bars, split, VERSION, tag))


def _build(bars, data_dir, cache_dir):
    per_split = {s: {f: [] for f in FIELDS + ('sources',)} for s in data.SPLITS}
    skipped = 0
    for rel, split in data._groove_files(data_dir):
        try:
            w = file_windows(os.path.join(data_dir, rel), bars)
        except (OSError, ValueError, EOFError, KeyError, IndexError, engine.EngineError) as e:
            data.log.warning('%s: skipped (%s)', data.printable(rel), e)
            skipped += 1
            continue
        for f in FIELDS:
            per_split[split][f].append(w[f])
        per_split[split]['sources'].append(np.array([rel] * len(w['targets'])))
    for split, d in per_split.items():
        arrays = {f: np.concatenate(d[f]) if d[f] else
                  np.zeros((0, bars * STEPS_PER_BAR, engine.GROOVE_DEPTH), np.float32)
                  for f in FIELDS}
        arrays['sources'] = np.concatenate(d['sources']) if d['sources'] else np.zeros(0, str)
        data._save_npz(_cache_path(cache_dir, data_dir, bars, split), **arrays)
    return skipped


def load_groove(bars, split, shared_dir=None, cache_dir=None):
    """{'targets', 'humanize', 'tap': float32 [N, bars * 16, 27], 'sources': str [N]} of a split
    ('train', 'valid', 'test'); built on first use, then read from training/cache."""
    data_dir = data.resolve_data_dir(shared_dir)
    split = data._norm_split(split)
    path = _cache_path(cache_dir, data_dir, bars, split)
    if not os.path.exists(path):
        _build(bars, data_dir, cache_dir)
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def training_pairs(cfg, split, shared_dir=None, cache_dir=None):
    """float32 [N, 2, T, 27]: each window's encoder input (cfg's humanize or tapify) and decoder
    target, stacked (what training.groove.GrooveVAE.forward takes)."""
    d = load_groove(cfg.bars, split, shared_dir, cache_dir)
    return np.stack([d[input_field(cfg)], d['targets']], axis=1)


def input_field(cfg):
    """Which input a configuration's converter flags give (the engine has no model without one)."""
    if cfg.groove_tapify:
        return 'tap'
    if cfg.groove_humanize:
        return 'humanize'
    raise ValueError(f'{cfg.name}: a GrooVAE config here needs groove_humanize or groove_tapify')


def main(argv=None):
    p = argparse.ArgumentParser(prog='python3 -m training.groove_data', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--bars', type=int, default=2)
    p.add_argument('--shared-dir', default=None)
    p.add_argument('--cache-dir', default=None)
    a = p.parse_args(argv)
    for split in data.SPLITS:
        d = load_groove(a.bars, split, a.shared_dir, a.cache_dir)
        t = d['targets']
        print(f'{split}: {len(t)} windows from {len(set(d["sources"].tolist()))} files, '
              f'{int(t[..., :9].sum())} hits')


if __name__ == '__main__':
    main(sys.argv[1:])
