"""Held-out report of a chord-conditioned 2-bar melody model, in the C engine.

    /usr/bin/python3 -m training.chords_report --model models/mel_2bar_chords.q8.mvae \\
        [--baseline models/mel_2bar_small.q8.mvae] [--windows 1000] [--progressions 20] \\
        [--samples 100] [--temperature 0.5] [--json OUT]

* Reconstruction: held-out POP909 windows (the test split, by file) with their inferred chords
  (training/chords.py): mu of the encoder (fed the chords), then per-step accuracy of the decoder's
  argmax with teacher forcing and of its greedy decode.
* Chord fit: for `progressions` held-out chord progressions (distinct 4-chord windows without
  N.C.), `samples` z ~ N(0, I) (the same z for every model) decoded at `temperature`; the
  fraction of sounding note steps (each note's steps from onset to its end, the engine's event ->
  note rule) whose pitch class is a tone of the chord at that step (the engine's chord parse). The
  baseline (an unconditioned model) decodes the same z without the chords; both are scored against
  the same progression. The held-out melodies' own fraction is given for reference.
"""
import argparse
import json
import sys

import numpy as np

from training import chords, engine

MIN_PITCH, MAX_PITCH = 21, 108


def _masks():
    """int [25]: pitch-class mask of chord code - 1 (row 0 N.C. = 0), from the engine's parse."""
    return np.array([engine.chord_parse(chords.symbol_of(c))['pitches']
                     for c in range(chords.NO_CHORD, 24)], np.int64)


def chord_tone_steps(tokens, codes):
    """tokens int [N, T] melody classes, codes int [N, T] chord code per step -> (chord-tone note
    steps, note steps under a chord) summed over the N sequences. Steps under N.C. are not
    counted."""
    masks = _masks()
    tone = total = 0
    for seq, code in zip(np.asarray(tokens), np.asarray(codes)):
        for n in engine.events_to_notes(seq, MIN_PITCH, MAX_PITCH):
            for t in range(int(n['start_step']), min(int(n['end_step']), len(code))):
                if code[t] < 0:
                    continue
                total += 1
                tone += int(masks[code[t] + 1] >> (int(n['pitch']) % 12) & 1)
    return tone, total


def one_hot(windows):
    return np.eye(90, dtype=np.float32)[np.asarray(windows[:, 0], np.int64)]


def reconstruction(eng, windows):
    """windows int [N, 2, T] ([melody, codes]) -> (teacher-forced accuracy, greedy accuracy)."""
    mel = windows[:, :1].astype(np.int32)
    ctl = chords.codes_to_controls(windows[:, 1]) if eng.info['control_depth'] else None
    mu, _ = eng.encode(one_hot(windows), controls=ctl)
    _, logits = eng.decode(mu, teacher=mel, logits=True, controls=ctl)
    greedy = eng.decode(mu, controls=ctl)
    return (float((logits.argmax(-1) == mel[:, 0]).mean()), float((greedy == mel).mean()))


def progressions_of(windows, n, seed=0):
    """n distinct held-out 4-chord progressions (no N.C.), drawn with a fixed seed."""
    seen, out = set(), []
    for i in np.random.default_rng(seed).permutation(len(windows)):
        symbols = tuple(chords.symbols_of(windows[i, 1]))
        if 'N.C.' in symbols or symbols in seen:
            continue
        seen.add(symbols)
        out.append(list(symbols))
        if len(out) == n:
            break
    return out


def chord_fit(eng, progressions, samples, temperature, seed=0):
    """Chord-tone fraction of `samples` decodes per progression (z from a fixed seed, the same
    for every model; the engine's sampler seeded per progression)."""
    t = eng.info['num_steps']
    z = np.random.default_rng(seed).standard_normal((samples, eng.info['z_size'])).astype(np.float32)
    tone = total = 0
    for k, prog in enumerate(progressions):
        codes = np.array([chords.code_of(prog[s * len(prog) // t]) for s in range(t)])
        ctl = None
        if eng.info['control_depth']:
            ctl = np.repeat(engine.chord_progression(prog, t)[None], samples, axis=0)
        tokens = eng.decode(z, temperature=temperature, seed=1000 + k, controls=ctl)[:, 0]
        a, b = chord_tone_steps(tokens, np.repeat(codes[None], samples, axis=0))
        tone, total = tone + a, total + b
    return tone / max(total, 1)


def report(model, baseline=None, n_windows=1000, n_progressions=20, samples=100,
           temperature=0.5, split='test'):
    windows = chords.load_windows(split)
    pick = np.random.default_rng(0).permutation(len(windows))[:n_windows]
    held = windows[np.sort(pick)]
    progs = progressions_of(windows, n_progressions)
    out = {'split': split, 'windows': int(len(held)), 'progressions': progs, 'samples': samples,
           'temperature': temperature}
    tone, total = chord_tone_steps(held[:, 0], held[:, 1])
    out['data_chord_tone_fraction'] = tone / max(total, 1)
    for key, path in (('model', model), ('baseline', baseline)):
        if not path:
            continue
        with engine.Engine(path) as eng:
            tf, greedy = reconstruction(eng, held)
            out[key] = {'file': path, 'teacher_forced_accuracy': tf, 'greedy_accuracy': greedy,
                        'chord_tone_fraction': chord_fit(eng, progs, samples, temperature)}
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog='python3 -m training.chords_report', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--model', required=True)
    p.add_argument('--baseline', default=None)
    p.add_argument('--windows', type=int, default=1000)
    p.add_argument('--progressions', type=int, default=20)
    p.add_argument('--samples', type=int, default=100)
    p.add_argument('--temperature', type=float, default=0.5)
    p.add_argument('--split', default='test')
    p.add_argument('--json', default=None)
    a = p.parse_args(argv)
    out = report(a.model, a.baseline, a.windows, a.progressions, a.samples, a.temperature, a.split)
    text = json.dumps(out, indent=1)
    print(text)
    if a.json:
        with open(a.json, 'w') as f:
            f.write(text + '\n')


if __name__ == '__main__':
    main(sys.argv[1:])
