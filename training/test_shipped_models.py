"""Every model file shipped in models/ must load in the C engine, round-trip held-out data through
encode -> greedy decode far better than chance, and sample plausible music:
melody: notes in the range the training data covers; drums: a kick or a snare in most bars.
The hierarchical 16-bar melody model must beat the flat one in sampled reconstruction accuracy
(the paper's claim), and each shipped recipe's first training step must reproduce its recorded loss.

    /usr/bin/python3 -m unittest training.test_shipped_models
"""
import functools
import glob
import os
import subprocess
import unittest

import numpy as np

from training import chords, chords_report
from training import engine as engine_mod
from training import groove_eval
from training import mvae_format
from training.data import load_windows
from training.evaluate import encoder_inputs, split_argmax

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = sorted(glob.glob(os.path.join(ROOT, 'models', '*.mvae')))
KIND = {'melody': 'melody', 'drums': 'drums', 'trio': 'trio'}
KICK, SNARE = 1 << 0, 1 << 1  # drum classes 0 and 1 of the 512-way token
# Greedy round trip on held-out windows, by (converter, bars): (the accuracy a model must reach,
# the points by which it must beat decoding a random z instead, i.e. z must carry the music).
# mel_2bar_small is near Magenta's (98.7%, +60 points). The models trained here from scratch saw
# 0.2-1% of the paper's training (models/README.md): the bars are set under what they reach and
# above what a model that ignores z would (the 16-bar melody test steps are 59.3% "no event").
# Raise them when the models are retrained longer.
ROUND_TRIP = {('melody', 2): (0.75, 0.20), ('melody', 16): (0.55, 0.01),
              ('drums', 2): (0.45, 0.20), ('trio', 16): (0.40, 0.01)}
# (model, track) whose sampled notes are known to stray from the trained range, and why. The test
# checks they still do (so a retrained model that fixes it gets noticed) and prints them.
KNOWN_FAILURES = {}  # (model, track): why; none at present


@functools.lru_cache(maxsize=None)
def training_windows(kind, bars):
    """Loaded once per kind: a trio model asks for each of its three tracks."""
    return load_windows(kind, bars, 'train')


def trained_range(info, bars, track):
    """MIDI pitches of the training windows of this kind and track, widened by a fourth each side
    (the 2-bar melody training transposes by up to 5 semitones)."""
    events = training_windows(KIND[info['converter']], bars)[:, track]
    pitches = events[events >= 2] + info['min_pitch'] - 2
    return int(pitches.min()) - 5, int(pitches.max()) + 5


HIER, FLAT = (os.path.join(ROOT, 'models', f'{n}_mel_16bar_small.q8.mvae')
              for n in ('hierdec', 'flat'))
MEL_2BAR = os.path.join(ROOT, 'models', 'mel_2bar_small.q8.mvae')
MEL_16BAR = os.path.join(ROOT, 'models', 'mel_16bar_on_2bar.q8.mvae')
TRIO = os.path.join(ROOT, 'models', 'trio_16bar_on_2bar.q8.mvae')
DRUMS_2BAR = os.path.join(ROOT, 'models', 'drums_2bar_small.q8.mvae')
MEL_CHORDS = os.path.join(ROOT, 'models', 'mel_2bar_chords.q8.mvae')
CHORDS_DEFAULT = ['C', 'G', 'Am', 'F']  # web/models.json's progression for it
# The chord model's samples must sit on the chords' tones this much more often than
# mel_2bar_small's (unconditioned) samples of the same z (models/README.md has the full figures).
CHORD_FIT_MARGIN = 0.04  # measured: 0.316 vs 0.239 on these 4 progressions x 50 z (int8)
MAGENTA_DECODER = os.path.join(ROOT, 'build', 'magenta', 'mel_2bar_small_decoder.q8.mvae')
TRIO_MARGIN = 0.20  # issue 12: each track's teacher-forced accuracy >= its "no event" share + 20 points


def longest_same_pitch(events):
    """Longest stretch of steps (a melody's events) in which one pitch sounds throughout: a
    note held, or the same pitch struck again and again, with no rest or other pitch."""
    best = run = 0
    current = None  # the sounding pitch class, None for silence
    for e in events:
        if e == 1:
            current, run = None, 0
        elif e >= 2:
            run = run + 1 if e == current else 1
            current = e
        elif current is not None:
            run += 1
        best = max(best, run)
    return best


# GrooVAE models against training/groove_eval.py's baselines: (figure, lower is better) by input.
GROOVE_BEATS = {'humanize': [('velocity_mae', True), ('velocity_mae_found', True),
                             ('offset_mae_steps', True)],
                'tap': [('hit_f1', False), ('hit_accuracy', False), ('velocity_mae', True),
                        ('offset_mae_steps', True)]}
# (model, figure) a shipped GrooVAE model does not yet beat its baseline on, and why.
_GROOVE_SHORT = ('2,000 steps x 64 on one CPU core (54 min), 0.5% of what Magenta trains GrooVAE on: '
                 'models/README.md')
GROOVE_SHORTFALLS = {
    ('groovae_2bar_humanize', 'velocity_mae'): 'it drops 38% of the input hits (recall 0.62), '
    'whose velocities then count near 0; on the hits it plays it beats the mean. ' + _GROOVE_SHORT,
    ('groovae_2bar_tap', 'hit_f1'): 'it plays few drums per tap (recall 0.21). ' + _GROOVE_SHORT,
    ('groovae_2bar_tap', 'offset_mae_steps'): 'the baseline copies each tap\'s own timing. '
    + _GROOVE_SHORT,
}

# Models that miss an issue's target, with the figures and why; the tests check they still do.
KNOWN_SHORTFALLS = {
    'trio_16bar_on_2bar': '64 minutes of training on one CPU thread (latent stage 1,501 x 64, end to '
                          'end 1,972 x 16) on 1,959 Freedoom windows; shipped: melody 54.2% (no '
                          'event 47.7%), bass 59.0% (53.9%), drums 56.9% (45.4%); the drums part '
                          'reaches only 69.5% from its own 2-bar latents',
    'trio_16bar_on_2bar bass range': 'shipped: 87.1% of sampled bass notes in 23..50, median '
                                     '36 (melody 53)',
    'mel_16bar_on_2bar': '90 minutes of training on 2 CPU threads (the latent stage 60, then end '
                         'to end 30); shipped: 2 of 100 samples hold a pitch over 2 bars, 73% have '
                         'a note in every bar (over 1,000 z: 1.9% and 76.1%; the from-scratch '
                         'hierarchical model: 53 and 20%)',
}


def same_q8_rows(test, a, b, rows, name):
    """Tensors a and b (read_model_raw) hold the same stored values in `rows` (all: None): dtype,
    width and block, and for q8 the same scales and int8 values row for row."""
    test.assertEqual((a.dtype, a.dims[-1], a.block), (b.dtype, b.dims[-1], b.block), name)
    pick = (lambda d: d) if rows is None else (lambda d: d[rows] if d.ndim == 2 else d)
    parts = lambda d: d if isinstance(d, tuple) else (d,)  # q8: (scales, values)
    for x, y in zip(parts(a.data), parts(b.data)):
        test.assertTrue(np.array_equal(pick(x), pick(y)), name)


def teacher_forced_by_track(path, split='test'):
    """C engine, z = mu of every window of the trio split: per-track teacher-forced accuracy and
    the share of each track's steps that are "no event" (class 0: the always-no-event baseline)."""
    x = np.asarray(load_windows('trio', 16, split), dtype=np.int32)
    with engine_mod.Engine(path) as eng:
        mu, _ = eng.encode(encoder_inputs(eng.info, x))
        _, logits = eng.decode(mu, teacher=x, logits=True)
        depths = eng.info['output_depths']
    pred = split_argmax(logits, depths)
    return (pred == x).mean(axis=(0, 2)), (x == 0).mean(axis=(0, 2))


def musicality(path, n=100):
    """Over n random z at temperature 0.5 (fixed seeds): how many samples hold one pitch for more
    than 2 bars, and the share with a note in every bar."""
    with engine_mod.Engine(path) as eng:
        z = np.random.default_rng(3).standard_normal((n, eng.info['z_size'])).astype(np.float32)
        tokens = eng.decode(z, temperature=0.5, seed=3)[:, 0]
    bars = tokens.shape[1] // 16
    held = [longest_same_pitch(t) for t in tokens]
    every_bar = float(((tokens.reshape(n, bars, 16) >= 2).any(axis=2)).all(axis=1).mean())
    return {'holding': int(sum(h > 32 for h in held)), 'every_bar': every_bar}


def greedy_accuracy(path, kind, bars, n, seed=0):
    """Greedy round trip (encode, decode mu) on n random windows of every split of `kind` when
    kind is an out-of-corpus set, else of the test split."""
    windows = load_windows(kind, bars, 'all' if kind == 'melody_freedoom' else 'test')
    x = windows[np.random.default_rng(seed).choice(len(windows), min(n, len(windows)), replace=False)]
    x = np.asarray(x, dtype=np.int32)
    with engine_mod.Engine(path) as eng:
        mu, _ = eng.encode(encoder_inputs(eng.info, x))
        return (eng.decode(mu) == x).mean()


def library_missing():
    try:
        engine_mod.load_library()
        return None
    except Exception as e:  # the C build is a prerequisite, not part of this test
        return f'no engine library ({e}); run scripts/build.sh'


class ShippedModels(unittest.TestCase):
    def test_every_shipped_model(self):
        reason = library_missing()
        if reason:
            self.skipTest(reason)
        self.assertTrue(MODELS, 'no model files in models/')
        for path in MODELS:
            with self.subTest(model=os.path.basename(path)):
                self.check_model(path)

    def check_model(self, path):
        with engine_mod.Engine(path) as eng:
            info = eng.info
            if info['converter'] == 'groove':
                return self.check_groove(path, eng)
            steps, bars = info['num_steps'], info['num_steps'] // info['steps_per_bar']
            rng = np.random.default_rng(0)
            if info['has_encoder']:
                controls = None
                if info['control_depth']:  # a chord model: POP909 windows with their chords
                    windows = chords.load_windows('test')
                    x = windows[rng.choice(len(windows), min(200, len(windows)), replace=False)]
                    x, controls = x[:, :1].astype(np.int32), chords.codes_to_controls(x[:, 1])
                else:
                    windows = load_windows(KIND[info['converter']], bars, 'test')
                    x = windows[rng.choice(len(windows), min(200, len(windows)), replace=False)]
                    x = np.asarray(x, dtype=np.int32)
                mu, _ = eng.encode(encoder_inputs(info, x), controls=controls)
                with_z = (eng.decode(mu, controls=controls) == x).mean()
                prior = rng.standard_normal(mu.shape).astype(np.float32)
                without_z = (eng.decode(prior, controls=controls) == x).mean()
                # The paper's whole point: reconstructions use z (no posterior collapse).
                floor, margin = ROUND_TRIP[(info['converter'], bars)]
                self.assertGreater(with_z, floor, f'round-trip accuracy {with_z:.3f}')
                self.assertGreater(with_z, without_z + margin,
                                   f'z barely matters: {with_z:.3f} vs {without_z:.3f}')
            z = rng.standard_normal((32, info['z_size'])).astype(np.float32)
            sample_controls = None
            if info['control_depth']:  # over the page's default progression
                sample_controls = np.repeat(
                    engine_mod.chord_progression(CHORDS_DEFAULT, steps)[None], len(z), axis=0)
            tokens = eng.decode(z, temperature=0.5, seed=1, controls=sample_controls)
            for track, depth in enumerate(info['output_depths']):
                t = tokens[:, track]
                if depth == 512:
                    per_bar = t.reshape(len(t), bars, -1)
                    has_kick_or_snare = ((per_bar & (KICK | SNARE)) != 0).any(axis=2)
                    self.assertGreater(has_kick_or_snare.mean(), 0.5,
                                       'a kick or snare in most bars')
                else:
                    pitches = t[t >= 2] + info['min_pitch'] - 2
                    self.assertTrue(len(pitches) > 0, 'samples contain notes')
                    lo, hi = trained_range(info, bars, track)
                    inside = ((pitches >= lo) & (pitches <= hi)).mean()
                    name = os.path.basename(path).split('.')[0]
                    msg = f'{inside:.3f} of sampled notes in {lo}..{hi} (track {track})'
                    if (name, track) in KNOWN_FAILURES:
                        # Still failing, as recorded; when it passes, take it off the list.
                        self.assertLessEqual(inside, 0.9, f'{msg}: now passes, remove it from '
                                             'KNOWN_FAILURES')
                        print(f'\nknown failure, {name}: {msg}; {KNOWN_FAILURES[(name, track)]}')
                    else:
                        self.assertGreater(inside, 0.9, msg)

    def check_groove(self, path, eng):
        """A GrooVAE model against the no-model baselines of training/groove_eval.py on 200 held-out
        windows (models/README.md has the whole test split's figures): humanize, the input with the
        mean velocity and no offsets, on velocity and timing; tap, every tap on the most frequent
        drum, on which drums hit (F1, accuracy) and on timing. A comparison it is known to lose is in
        GROOVE_SHORTFALLS: checked to still lose (so a retrained model gets noticed) and printed.
        Its samples have hits."""
        r = groove_eval.evaluate(path, 'test', limit=200, seed=0)
        m, b = r['model'], r['baseline']
        name = os.path.basename(path).split('.')[0]
        for figure, lower in GROOVE_BEATS[r['input']]:
            beats = m[figure] < b[figure] if lower else m[figure] > b[figure]
            msg = f'{name}: {figure} {m[figure]:.4f}, baseline {b[figure]:.4f}'
            if (name, figure) in GROOVE_SHORTFALLS:
                self.assertFalse(beats, f'{msg}: now beats it, remove it from GROOVE_SHORTFALLS')
                print(f'\nknown shortfall, {msg}; {GROOVE_SHORTFALLS[(name, figure)]}')
            else:
                self.assertTrue(beats, msg)
        z = np.random.default_rng(0).standard_normal((32, eng.info['z_size'])).astype(np.float32)
        values, _ = eng.decode_groove(z, temperature=0.5, seed=1)
        self.assertGreater((values[..., :9].sum(axis=(1, 2)) > 0).mean(), 0.9, 'samples have hits')

    def test_hierarchical_beats_flat_on_16_bars(self):
        """Table 1's claim on our pair: sampled (T = 1) reconstruction of the same held-out
        windows, z = mu, is better with the conductor than with the flat decoder."""
        reason = library_missing()
        if reason:
            self.skipTest(reason)
        if not (os.path.exists(HIER) and os.path.exists(FLAT)):
            self.skipTest('the 16-bar melody pair is not in models/')
        windows = load_windows('melody', 16, 'test')
        rng = np.random.default_rng(0)
        x = np.asarray(windows[rng.choice(len(windows), 1000, replace=False)], dtype=np.int32)
        acc = {}
        for path in (HIER, FLAT):
            with engine_mod.Engine(path) as eng:
                mu, _ = eng.encode(encoder_inputs(eng.info, x))
                acc[path] = (eng.decode(mu, temperature=1.0, seed=7) == x).mean()
        self.assertGreater(acc[HIER], acc[FLAT],
                           f'sampled accuracy: hierarchical {acc[HIER]:.3f}, flat {acc[FLAT]:.3f}')

    def test_mel_2bar_small_encodes_music_it_was_not_trained_on(self):
        """Issue 12's encoder targets, greedy, C engine (int8): held-out POP909 / Nottingham
        windows >= 99%, Freedoom's melodic parts (no part of the model trained on them) >= 95%."""
        reason = library_missing()
        if reason:
            self.skipTest(reason)
        self.assertGreaterEqual(greedy_accuracy(MEL_2BAR, 'melody', 2, 1000), 0.99)
        self.assertGreaterEqual(greedy_accuracy(MEL_2BAR, 'melody_freedoom', 2, 1000), 0.95)

    def test_16_bar_core_decoder_is_magentas(self):
        """mel_16bar_on_2bar's core decoder is Magenta's mel_2bar_small decoder: its recurrent and
        output tensors equal, value for value, the published checkpoint (models/build.sh's f32
        conversion) quantized at the file's own q8 block; only the conditioning weights were
        trained here."""
        magenta = os.path.join(ROOT, 'build', 'magenta', 'mel_2bar_small_decoder.mvae')
        if not (os.path.exists(MEL_16BAR) and os.path.exists(magenta)):
            self.skipTest('needs models/mel_16bar_on_2bar.q8.mvae and models/build.sh\'s output')
        _, ours = mvae_format.read_model_raw(MEL_16BAR)
        _, theirs = mvae_format.read_model(magenta)
        same = ['decoder/multi_rnn_cell/cell_1/lstm_cell/kernel', 'decoder/multi_rnn_cell/cell_1/lstm_cell/bias',
                'decoder/output_projection/kernel', 'decoder/output_projection/bias']
        for name in same:
            a, w = ours['core_decoder/' + name], theirs[name]
            self.assertEqual(tuple(a.dims), w.shape, name)
            want = (w,) if w.ndim == 1 else mvae_format.quantize_q8(w, a.block)
            got = a.data if isinstance(a.data, tuple) else (a.data,)  # q8: (scales, values)
            self.assertEqual(len(got), len(want), name)
            for x, y in zip(got, want):
                self.assertTrue(np.array_equal(x, y), name)

    def test_trio_core_decoders_are_the_2bar_ones(self):
        """trio_16bar_on_2bar's melody and bass core decoders are Magenta's mel_2bar_small decoder
        (compared with the int8 conversion of the published checkpoint, models/build.sh) and its
        drums core decoder drums_2bar_small's: cell 1, the output projection and cell 0's
        previous-output and h rows hold the same stored values; only the conditioning weights
        (z_to_initial_state, cell 0's conditioning rows and bias) were trained here."""
        if not (os.path.exists(TRIO) and os.path.exists(MAGENTA_DECODER)):
            self.skipTest("needs models/trio_16bar_on_2bar.q8.mvae and models/build.sh's output")
        _, ours = mvae_format.read_model_raw(TRIO)
        cond = 256  # the conductor's output width, the 2-bar models' z size
        for track, source in enumerate((MAGENTA_DECODER, MAGENTA_DECODER, DRUMS_2BAR)):
            _, theirs = mvae_format.read_model_raw(source)
            core = f'core_decoder/core_decoder_{track}/'
            for name in ('decoder/multi_rnn_cell/cell_1/lstm_cell/kernel',
                         'decoder/multi_rnn_cell/cell_1/lstm_cell/bias',
                         'decoder/output_projection/kernel', 'decoder/output_projection/bias'):
                same_q8_rows(self, ours[core + name], theirs[name], None, f'{core}{name}')
            name = 'decoder/multi_rnn_cell/cell_0/lstm_cell/kernel'
            a, b = ours[core + name], theirs[name]
            self.assertEqual(tuple(a.dims), tuple(b.dims), name)
            depth = a.dims[0] - cond - a.dims[1] // 4
            keep = np.r_[0:depth, depth + cond:a.dims[0]]  # previous output and h rows
            same_q8_rows(self, a, b, keep, f'{core}{name} (previous-output and h rows)')

    def test_trio_tracks_beat_no_event(self):
        """Issue 12's trio target on all held-out 16-bar trio windows (C engine, z = mu, teacher
        forcing): each track's accuracy >= its "always no event" share + 20 points. A shortfall
        is recorded in KNOWN_SHORTFALLS with the figures; the test checks it still misses (and
        that every track is still above its baseline)."""
        reason = library_missing()
        if reason:
            self.skipTest(reason)
        if not os.path.exists(TRIO):
            self.skipTest('trio_16bar_on_2bar is not in models/')
        acc, no_event = teacher_forced_by_track(TRIO)
        figures = ', '.join(f'{n} {a:.1%} (no event {b:.1%})'
                            for n, a, b in zip(('melody', 'bass', 'drums'), acc, no_event))
        self.assertTrue((acc > no_event).all(), figures)
        meets = bool((acc >= no_event + TRIO_MARGIN).all())
        name = 'trio_16bar_on_2bar'
        if name not in KNOWN_SHORTFALLS:
            self.assertTrue(meets, figures)
            return
        self.assertFalse(meets, f'{figures}: now meets the target, remove it from KNOWN_SHORTFALLS')
        print(f'\nknown shortfall, {name}: {figures}; {KNOWN_SHORTFALLS[name]}')

    def test_trio_bass_in_the_bass_range(self):
        """Sampled bass (32 random z, T = 0.5) sits in the bass range: 90% of its notes within the
        1st..99th percentile of the training windows' bass pitches, and its median pitch an
        octave or more under the sampled melody's."""
        reason = library_missing()
        if reason:
            self.skipTest(reason)
        if not os.path.exists(TRIO):
            self.skipTest('trio_16bar_on_2bar is not in models/')
        train = training_windows('trio', 16)[:, 1]
        with engine_mod.Engine(TRIO) as eng:
            lowest = eng.info['min_pitch'] - 2
            z = np.random.default_rng(5).standard_normal((32, eng.info['z_size'])).astype(np.float32)
            tokens = eng.decode(z, temperature=0.5, seed=5)
        lo, hi = np.percentile(train[train >= 2] + lowest, [1, 99])
        bass, melody = (tokens[:, t][tokens[:, t] >= 2] + lowest for t in (1, 0))
        self.assertGreater(len(bass), 0, 'the bass plays')
        inside = ((bass >= lo) & (bass <= hi)).mean()
        self.assertLessEqual(np.median(bass) + 12, np.median(melody),
                             f'bass median {np.median(bass)}, melody {np.median(melody)}')
        msg = f'{inside:.3f} of bass notes in {lo:.0f}..{hi:.0f}'
        key = 'trio_16bar_on_2bar bass range'
        if key not in KNOWN_SHORTFALLS:
            self.assertGreater(inside, 0.9, msg)
            return
        self.assertLessEqual(inside, 0.9, f'{msg}: now passes, remove it from KNOWN_SHORTFALLS')
        self.assertGreater(inside, 0.8, msg)
        print(f'\nknown shortfall, {key}: {msg}; {KNOWN_SHORTFALLS[key]}')

    def test_longest_same_pitch(self):
        # Hand-worked: a note held 3 steps then re-struck twice (5 steps of one pitch), a rest,
        # another pitch.
        self.assertEqual(longest_same_pitch([40, 0, 0, 40, 40, 1, 0, 41, 0]), 5)
        self.assertEqual(longest_same_pitch([0, 0, 1, 0]), 0)

    def test_16_bar_samples_are_music(self):
        """Issue 12's target: over 100 random z at temperature 0.5, no sample holds one pitch for
        more than 2 bars, and at least 95% of the samples have a note in every bar. A model in
        KNOWN_SHORTFALLS must still miss it (so that a retrained one that meets it gets noticed)
        and must beat the from-scratch hierarchical model on both measures."""
        reason = library_missing()
        if reason:
            self.skipTest(reason)
        if not os.path.exists(MEL_16BAR):
            self.skipTest('mel_16bar_on_2bar is not in models/')
        ours = musicality(MEL_16BAR)
        meets = ours['holding'] == 0 and ours['every_bar'] >= 0.95
        name = 'mel_16bar_on_2bar'
        if name not in KNOWN_SHORTFALLS:
            self.assertTrue(meets, f'{ours}')
            return
        self.assertFalse(meets, f'{ours}: now meets the target, remove it from KNOWN_SHORTFALLS')
        print(f'\nknown shortfall, {name}: {ours}; {KNOWN_SHORTFALLS[name]}')
        if os.path.exists(HIER):
            scratch = musicality(HIER)
            self.assertLess(ours['holding'], scratch['holding'], f'{ours} vs {scratch}')
            self.assertGreater(ours['every_bar'], scratch['every_bar'], f'{ours} vs {scratch}')

    def test_chord_model_follows_the_chords(self):
        """mel_2bar_chords: on held-out progressions (POP909 test files, the engine's inferred
        chords), the duration-weighted share of sampled notes that are chord tones beats
        mel_2bar_small's for the same z (temperature 0.5)."""
        reason = library_missing()
        if reason:
            self.skipTest(reason)
        if not os.path.exists(MEL_CHORDS):
            self.skipTest(f'{MEL_CHORDS} not found')
        progressions = chords_report.progressions_of(chords.load_windows('test'), 4)
        fit = {}
        for path in (MEL_CHORDS, MEL_2BAR):
            with engine_mod.Engine(path) as eng:
                fit[path] = chords_report.chord_fit(eng, progressions, 50, 0.5)
        self.assertGreater(fit[MEL_CHORDS], fit[MEL_2BAR] + CHORD_FIT_MARGIN,
                           f'chord-tone fraction {fit[MEL_CHORDS]:.3f} vs {fit[MEL_2BAR]:.3f}')

    def test_first_training_step_reproduces(self):
        """Same seed, same first-step loss, for every shipped model's recipe (models/retrain.sh)."""
        names = sorted({os.path.basename(p).split('.')[0] for p in MODELS})
        for name in names:
            with self.subTest(model=name):
                r = subprocess.run(['bash', os.path.join(ROOT, 'models', 'retrain.sh'), name],
                                   env=dict(os.environ, CHECK='1'), capture_output=True,
                                   text=True, cwd=ROOT)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == '__main__':
    unittest.main()
