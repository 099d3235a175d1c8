"""GrooVAE in the trainer (training/groove.py, groove_data.py, groove_eval.py) and in the engine.

    /usr/bin/python3 -m unittest training.test_groove

Needs build/libmusicvae.so (skips without it). The loss is checked against NumPy float64, the data
against a hand-worked MIDI file, and the engine's greedy decode of an exported file against the
PyTorch model's (random weights; and the trained groovae_2bar_* fp32 files when models/retrain.sh
has made them).
"""
import os
import shutil
import tempfile
import unittest

import mido
import numpy as np
import torch

from training import engine, groove_data, groove_eval, train
from training.configs import get_config
from training.groove import GrooveVAE, reconstruction_terms
from training.model import build_model
from training.test_parity import HAVE_LIB, NO_LIB, export_model, randomize, rel_err

torch.set_num_threads(1)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOL = 1e-4  # test_parity's relative tolerance


def write_midi(path, notes, tpb=480):
    """notes: (tick, pitch, velocity) drum hits, one 10-tick note each, on channel 10."""
    events = []
    for tick, pitch, velocity in notes:
        events += [(tick, 1, mido.Message('note_on', channel=9, note=pitch, velocity=velocity)),
                   (tick + 10, 0, mido.Message('note_off', channel=9, note=pitch))]
    track, now = mido.MidiTrack(), 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    mid = mido.MidiFile(ticks_per_beat=tpb)
    mid.tracks.append(track)
    mid.save(path)


def random_values(n, t, gen):
    """Plausible groove tensors: hits 0/1, velocities in 0..1 where hit, offsets in -1..1."""
    hits = (torch.rand(n, t, 9, generator=gen) < 0.3).double()
    vel = torch.rand(n, t, 9, generator=gen).double() * hits
    off = (torch.rand(n, t, 9, generator=gen).double() * 2 - 1) * hits
    return torch.cat([hits, vel, off], dim=-1)


class TestLoss(unittest.TestCase):
    def test_terms_match_float64_numpy(self):
        gen = torch.Generator().manual_seed(0)
        raw = torch.randn(3, 5, 27, generator=gen, dtype=torch.float64) * 3
        target = random_values(3, 5, gen)
        hits, vel, off = (v.numpy() for v in reconstruction_terms(raw, target))
        r, t = raw.numpy(), target.numpy()
        p = 1 / (1 + np.exp(-r[..., :9]))
        want_hits = -(t[..., :9] * np.log(p) + (1 - t[..., :9]) * np.log(1 - p)).sum((1, 2))
        want_vel = ((1 / (1 + np.exp(-r[..., 9:18])) - t[..., 9:18]) ** 2).sum((1, 2))
        want_off = ((np.tanh(r[..., 18:]) - t[..., 18:]) ** 2).sum((1, 2))
        np.testing.assert_allclose(hits, want_hits, rtol=1e-12)
        np.testing.assert_allclose(vel, want_vel, rtol=1e-12)
        np.testing.assert_allclose(off, want_off, rtol=1e-12)

    def test_training_steps_lower_the_loss(self):
        cfg = get_config('groovae_2bar_humanize-tiny')
        gen = torch.Generator().manual_seed(1)
        targets = random_values(32, cfg.num_steps, gen).float()
        inputs = targets.clone()
        inputs[..., 9:] = 0  # humanized: hits only
        windows = torch.stack([inputs, targets], dim=1).numpy()
        tmp = tempfile.mkdtemp(prefix='mvae_groove_')
        try:
            hist = train.main(['--config', cfg.name, '--out', tmp, '--steps', '40',
                               '--log-every', '100', '--threads', '1'], windows=windows)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.assertLess(np.mean([h['recon'] for h in hist[-5:]]), 0.9 * hist[0]['recon'])


@unittest.skipUnless(HAVE_LIB, NO_LIB)
class TestData(unittest.TestCase):
    def test_hand_worked_windows(self):
        tpb = 480
        # Bar 0: a kick on the beat (step 0), a snare 10 ticks early for step 4 (beat 1), a
        # closed hi-hat late for step 1; bar 1: a kick at step 16; pitch 20 is not mapped.
        notes = [(0, 36, 127), (tpb - 10, 38, 64), (tpb // 4 + 24, 42, 100), (4 * tpb, 36, 90),
                 (4 * tpb + tpb // 2, 20, 50)]
        tmp = tempfile.mkdtemp(prefix='mvae_groove_')
        try:
            path = os.path.join(tmp, 'a.mid')
            write_midi(path, notes, tpb)
            w = groove_data.file_windows(path, 2)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        # Windows at bars 0 and 1 (hop 1 bar); bar 2 onwards holds no note.
        self.assertEqual(w['targets'].shape, (2, 32, 27))
        t = w['targets'][0]
        want = np.zeros((32, 27), np.float32)
        step = 0.125  # seconds at 120 qpm, 4 steps per quarter
        # offset = 2 (step time - start) / step length (magenta.js's GrooveConverter)
        want[0, 0], want[0, 9], want[0, 18] = 1, 127 / 127, 0
        start = (tpb - 10) / tpb * 0.5
        want[4, 1], want[4, 10], want[4, 19] = 1, 64 / 127, 2 * (4 * step - start) / step
        start = (tpb // 4 + 24) / tpb * 0.5
        want[1, 2], want[1, 11], want[1, 20] = 1, 100 / 127, 2 * (1 * step - start) / step
        want[16, 0], want[16, 9] = 1, 90 / 127
        np.testing.assert_allclose(t, want, atol=1e-6)
        # The second window starts at bar 1: its kick is at step 0.
        self.assertEqual(np.argwhere(w['targets'][1][:, :9]).tolist(), [[0, 0]])
        # Humanize: hits only; tap: every note on class 3, offsets kept, velocities 0.
        np.testing.assert_array_equal(w['humanize'][0][:, :9], want[:, :9])
        self.assertFalse(w['humanize'][0][:, 9:].any())
        tap = w['tap'][0]
        # tapify maps every pitch, the unmapped one too (beat 4.5: step 18).
        self.assertEqual(np.argwhere(tap[:, :9]).tolist(),
                         [[0, 3], [1, 3], [4, 3], [16, 3], [18, 3]])
        self.assertFalse(tap[:, 9:18].any())
        np.testing.assert_allclose(tap[4, 21], want[4, 19], atol=1e-6)

    def test_model_converter_agrees(self):
        """A model file's own converter (mvae_groove_to_input) gives the training inputs."""
        tmp = tempfile.mkdtemp(prefix='mvae_groove_')
        try:
            for name, field in (('groovae_2bar_humanize-tiny', 'humanize'),
                                ('groovae_2bar_tap_fixed_velocity-tiny', 'tap')):
                path = os.path.join(tmp, name + '.mvae')
                export_model(build_model(get_config(name)), path)
                notes = engine.groove_notes([(36, 127, 0, 0.0), (38, 64, 4, 0.49),
                                             (42, 100, 1, 0.15), (36, 90, 16, 2.0)])
                want = engine.groove_tensor(notes, 32, humanize=field == 'humanize',
                                            tapify=field == 'tap')
                with engine.Engine(path) as eng:
                    np.testing.assert_array_equal(eng.groove_to_input(notes), want)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


@unittest.skipUnless(HAVE_LIB, NO_LIB)
class TestEngineParity(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mvae_groove_')

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check(self, model, path, inputs):
        with engine.Engine(path) as eng, torch.no_grad():
            info = eng.info
            self.assertEqual((info['converter'], info['output_depths'], info['input_depth']),
                             ('groove', [27], 27))
            self.assertEqual((info['groove_humanize'], info['groove_tapify']),
                             (int(model.cfg.groove_humanize), int(model.cfg.groove_tapify)))
            mu, sigma = model.encode(torch.from_numpy(inputs))
            c_mu, c_sigma = eng.encode(inputs)
            self.assertLess(rel_err(c_mu, mu), TOL)
            self.assertLess(rel_err(c_sigma, sigma), TOL)
            values, raw = eng.decode_groove(c_mu)
            fed, want_raw = model.greedy_values(torch.from_numpy(c_mu))
            self.assertLess(rel_err(raw, want_raw), TOL)
            np.testing.assert_array_equal(values[..., :9], fed[..., :9].numpy())  # the hits
            self.assertLess(np.abs(values - fed.numpy()).max(), TOL)
            np.testing.assert_array_equal(eng.decode(c_mu)[:, 0], model.greedy(
                torch.from_numpy(c_mu))[:, 0].numpy())

    def test_random_weights(self):
        for name in ('groovae_2bar_humanize-tiny', 'groovae_2bar_tap_fixed_velocity-tiny'):
            with self.subTest(config=name):
                cfg = get_config(name)
                torch.manual_seed(0)
                model = randomize(build_model(cfg), 0).eval()
                self.assertIsInstance(model, GrooveVAE)
                path = os.path.join(self.tmp, name + '.mvae')
                export_model(model, path)
                gen = torch.Generator().manual_seed(3)
                inputs = random_values(6, cfg.num_steps, gen).float().numpy()
                self.check(model, path, inputs)

    def test_trained_files_on_held_out_windows(self):
        """The fp32 exports of the shipped models (models/retrain.sh writes them; git keeps only
        the int8 files) decode as the PyTorch model with their weights does."""
        ran = 0
        for name in ('groovae_2bar_humanize', 'groovae_2bar_tap'):
            path = os.path.join(REPO, 'models', name + '.mvae')
            if not os.path.exists(path):
                continue
            with self.subTest(model=name):
                meta, _ = train.mvae_format.read_model(path)
                cfg = get_config('groovae_2bar_tap_fixed_velocity-small'
                                 if meta.get('converter.groove_tapify') else
                                 'groovae_2bar_humanize-small')
                model = build_model(cfg).eval()
                loaded, missing, _, _ = train.load_tensors_by_name(model, path)
                self.assertEqual(missing, [])
                d = groove_data.load_groove(2, 'test')
                rng = np.random.default_rng(0)
                idx = rng.choice(len(d['targets']), 8, replace=False)
                self.check(model, path, d[groove_data.input_field(cfg)][idx])
                ran += 1
        if not ran:
            self.skipTest('no fp32 groovae_2bar_* files in models/ (bash models/retrain.sh NAME)')


class TestEval(unittest.TestCase):
    def test_metrics_hand_worked(self):
        t = np.zeros((1, 2, 27), np.float32)
        v = np.zeros((1, 2, 27), np.float32)
        t[0, 0, 0], t[0, 0, 9], t[0, 0, 18] = 1, 100 / 127, 0.5    # a true hit
        t[0, 1, 1], t[0, 1, 10], t[0, 1, 19] = 1, 50 / 127, -0.2    # a missed hit
        v[0, 0, 0], v[0, 0, 9], v[0, 0, 18] = 1, 90 / 127, 0.1      # found
        v[0, 1, 2] = 1                                               # a wrong hit
        v[0, 1, 10], v[0, 1, 19] = 60 / 127, 0.0
        m = groove_eval.metrics(v, t)
        self.assertAlmostEqual(m['hit_accuracy'], 16 / 18, places=6)
        self.assertAlmostEqual(m['hit_precision'], 0.5)
        self.assertAlmostEqual(m['hit_recall'], 0.5)
        self.assertAlmostEqual(m['hit_f1'], 0.5)
        self.assertAlmostEqual(m['velocity_mae'], 10.0, places=4)
        self.assertAlmostEqual(m['offset_mae_steps'], (0.4 / 2 + 0.2 / 2) / 2, places=6)
        self.assertAlmostEqual(m['offset_mae_ms'], 0.15 * 125, places=4)
        self.assertAlmostEqual(m['velocity_mae_found'], 10.0, places=4)  # cell (0, 0) only
        self.assertAlmostEqual(m['offset_mae_ms_found'], 0.2 * 125, places=4)

    def test_tap_baseline(self):
        x = np.zeros((1, 3, 27), np.float32)
        x[0, 1, 3], x[0, 1, 21] = 1, 0.4
        b = groove_eval.baseline('tap', x, 0.5, 2)
        self.assertEqual(np.argwhere(b[0]).tolist(), [[1, 2], [1, 11], [1, 20]])
        self.assertAlmostEqual(float(b[0, 1, 20]), 0.4, places=6)


if __name__ == '__main__':
    unittest.main()
