"""Chord-conditioned training data and controls (magenta.js's mel_chords: PitchChordEncoder).

    load_windows(split) -> int16 [N, 2, 32]: POP909 MELODY 2-bar windows (training.data's
        'melody' windows of the pop909 files) with a second row: the chord code of each step
    codes_to_controls(codes) -> float32 [..., T, 37]: the engine's chord encoding of each step
    transpose_window(rows, semitones): melody and chords shifted together (augmentation)
    symbols_of(codes) -> chord symbols of a window's half bars, e.g. ['C', 'Am', 'F', 'G']

The chords are the engine's (mvae_chords_infer through training/engine.py): one chord per half bar
(span_steps(): 8 steps, two beats, the engine's mvae_chord_span_steps) of the file's PIANO and
BRIDGE tracks, the accompaniment, inferred over the whole file so that notes held across a
window's start count. Half bars, not bars: pop songs change chord on the half bar often, and the
page's default progression (C G Am F over 2 bars) is four chords, i.e. one per half bar, spread by
magenta.js's encodeProgression as floor(s * 4 / 32) = s // 8; a bar whose harmony holds gets the
same chord twice. The page infers a dropped file's chords by the same rule (its accompaniment:
the window's other pitched tracks; MusicVAE.inferChordProgression).

A chord code is -1 for N.C., else root + 12 * quality (quality 0 major, 1 minor); the controls of a
code are the engine's encoding of its symbol (codes_to_controls reads a table the engine filled).
The model (training/model.py) concatenates them to every encoder input step and after [previous
output, z] at every decoder step, as the engine (src/nn/encoder.c, src/nn/decoder.c) and magenta.js
feed controls.
"""
import hashlib
import os

import numpy as np
import torch

from training import data, engine

ENCODING = 'pitch'       # magenta.js's mel_chords: PitchChordEncoder, 37 columns
ACCOMPANIMENT = ('PIANO', 'BRIDGE')
NO_CHORD = -1
ROOTS = ('C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B')  # mvae_chord_symbol's
VERSION = 'c1'


def code_of(symbol):
    """'N.C.' -> -1, 'C' -> 0, 'C#m' -> 13 (the symbols mvae_chord_symbol writes)."""
    if symbol == 'N.C.':
        return NO_CHORD
    minor = symbol.endswith('m')
    return ROOTS.index(symbol[:-1] if minor else symbol) + 12 * int(minor)


def symbol_of(code):
    code = int(code)
    if code < 0:
        return 'N.C.'
    return ROOTS[code % 12] + ('m' if code >= 12 else '')


_TABLE = {}


def control_table(lib=None):
    """float32 [25, depth]: row 0 N.C., row 1 + code the encoding of chord `code` (the engine's)."""
    if lib not in _TABLE:
        rows = [engine.chord_progression([symbol_of(c)], 1, ENCODING, lib)[0]
                for c in range(NO_CHORD, 24)]
        _TABLE[lib] = np.stack(rows).astype(np.float32)
    return _TABLE[lib]


def control_depth():
    return engine.chord_encoding_depth(ENCODING)


def codes_to_controls(codes):
    """Chord codes [..., T] (int array or tensor) -> controls [..., T, depth] (same kind)."""
    table = control_table()
    if isinstance(codes, torch.Tensor):
        return torch.from_numpy(table).to(codes.device)[codes.long() + 1]
    return table[np.asarray(codes, np.int64) + 1]


def transpose_codes(codes, semitones):
    codes = np.asarray(codes)
    return np.where(codes < 0, codes,
                    (codes % 12 + semitones) % 12 + 12 * (codes // 12)).astype(codes.dtype)


def transpose_window(rows, semitones):
    """rows [2, T] = [melody classes, chord codes] -> both shifted, or None when a melody pitch
    would leave 21..108 (training.train.Batches' transpose_fn for chord windows)."""
    mel = data.transpose_melody(rows[:1], semitones)
    if mel is None:
        return None
    return np.concatenate([mel, transpose_codes(rows[1:], semitones)]).astype(rows.dtype)


def span_steps():
    """The steps one chord label spans: half a bar, the engine's rule (mvae_chord_span_steps), which
    the page infers a dropped file's chords with too."""
    return engine.chord_span_steps(data.STEPS_PER_BAR)


def symbols_of(window_codes):
    """A window's per-step codes -> its chord symbols, one per span."""
    return [symbol_of(c) for c in np.asarray(window_codes)[::span_steps()]]


def file_chords(path):
    """The codes of every half bar of a POP909 file's accompaniment (the whole file)."""
    midi = data.read_midi(path)
    tracks = [t for t, name in midi.track_names.items() if name.strip().upper() in ACCOMPANIMENT]
    notes = [(n.start, n.end, n.pitch) for n in midi.notes
             if n.track in tracks and n.channel != data.DRUM_CHANNEL]
    symbols = engine.chords_infer(notes, max(midi.end_step, 1), span_steps())
    return np.array([code_of(s) for s in symbols], np.int16)


def _cache_path(split, cache_dir=None, shared_dir=None):
    data_dir = data.resolve_data_dir(shared_dir)
    tag = hashlib.sha1(data_dir.encode('utf-8')).hexdigest()[:8]
    cdir = os.path.abspath(cache_dir or os.path.join(data.repo_root(), 'training', 'cache'))
    return os.path.join(cdir, 'chords_melody_2bar_%s_%s_%s.npz' % (split, VERSION, tag))


def load_windows(split, cache_dir=None, shared_dir=None, with_sources=False):
    """int16 [N, 2, 32]: [melody classes, chord code per step] of every POP909 2-bar melody window
    of the split (split by file: training.data's hash rule). Cached."""
    path = _cache_path(split, cache_dir, shared_dir)
    if not os.path.exists(path):
        wins = data.load_windows('melody', 2, split, shared_dir, cache_dir)
        srcs = data.window_sources('melody', 2, split, shared_dir, cache_dir)
        origins = data.window_origins('melody', 2, split, shared_dir, cache_dir)
        keep = np.array([s.startswith('pop909/') for s in srcs.tolist()], bool)
        wins, srcs, starts = wins[keep], srcs[keep], origins[keep, 0]
        data_dir = data.resolve_data_dir(shared_dir)
        per_file = {f: file_chords(os.path.join(data_dir, f)) for f in sorted(set(srcs.tolist()))}
        steps, span_len = wins.shape[-1], span_steps()
        codes = np.full((len(wins), steps), NO_CHORD, np.int16)
        for i, (f, s) in enumerate(zip(srcs.tolist(), starts.tolist())):
            fc = per_file[f]
            span = np.arange(s, s + steps) // span_len
            codes[i] = np.where(span < len(fc), fc[np.minimum(span, len(fc) - 1)], NO_CHORD)
        out = np.concatenate([wins[:, :1], codes[:, None]], axis=1).astype(np.int16)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = '%s.%d.tmp.npz' % (path[:-4], os.getpid())
        np.savez(tmp, windows=out, sources=srcs)
        os.replace(tmp, path)
    with np.load(path) as z:
        return (z['windows'], z['sources']) if with_sources else z['windows']


def widen_kernel(kernel, shape, control_depth):
    """An unconditioned LSTM kernel [in + units, 4 units] -> [in + control_depth + units, 4 units]
    with zero rows for the controls (after the inputs, before h, where the engine reads them), so
    the widened model computes exactly what the unconditioned one did. Refuses other shapes."""
    kernel = np.asarray(kernel, np.float32)
    rows, cols = kernel.shape
    units = cols // 4
    if tuple(shape) != (rows + control_depth, cols):
        raise ValueError(f'kernel of shape {kernel.shape} cannot widen to {tuple(shape)} '
                         f'with {control_depth} control rows')
    at = rows - units
    return np.concatenate([kernel[:at], np.zeros((control_depth, cols), np.float32),
                           kernel[at:]])


class boosted_control_rows:
    """Around an optimizer step: the control rows of the model's LSTM kernels (encoder layer 0,
    decoder cell 0) move `scale` times as far as the step moved them. For Adam this is exactly a
    learning rate `scale` times larger for those rows (its moments do not depend on the rate).

        with boosted_control_rows(model, cfg.control_lr_scale):
            optimizer.step()
    """

    def __init__(self, model, scale):
        self.scale, self.rows = scale, []
        if scale != 1.0 and model.cfg.control_depth:
            depth = model.cfg.control_depth
            cells = [model.encoder.fw[0], model.encoder.bw[0], model.decoder.cell.cells[0]]
            self.rows = [(c.kernel, c.n_in - depth, c.n_in) for c in cells]

    def __enter__(self):
        self.before = [k.detach()[a:b].clone() for k, a, b in self.rows]
        return self

    def __exit__(self, *exc):
        with torch.no_grad():
            for (k, a, b), old in zip(self.rows, self.before):
                k[a:b] = old + self.scale * (k[a:b] - old)
