"""Chord conditioning in the trainer against the engine (training/chords.py, training/model.py).

    /usr/bin/python3 -m unittest training.test_chords

Needs build/libmusicvae.so (skips without it). The checks on mel_2bar_small need
models/mel_2bar_small.mvae (scripts/build.sh assembles it); those on real windows need ../shared.
"""
import os
import tempfile
import unittest

import numpy as np
import torch

from training import chords, engine, train
from training.configs import get_config
from training.model import MusicVAE
from training.test_parity import HAVE_LIB, NO_LIB, export_model, randomize

torch.set_num_threads(1)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEL_2BAR = os.path.join(REPO, 'models', 'mel_2bar_small.mvae')
MEL_CHORDS = os.path.join(REPO, 'models', 'mel_2bar_chords.mvae')  # fp32 (retrain.sh writes it)
HAVE_POP909 = os.path.isdir(os.path.join(REPO, '..', 'shared', 'data', 'pop909'))


@unittest.skipUnless(HAVE_LIB, NO_LIB)
class ChordData(unittest.TestCase):
    def test_codes_and_controls_are_the_engines(self):
        self.assertEqual(chords.control_depth(), get_config('cat-mel_2bar_small-chords').control_depth)
        for code in range(-1, 24):
            self.assertEqual(chords.code_of(chords.symbol_of(code)), code)
        prog = ['C', 'G', 'Am', 'F']
        codes = np.repeat([chords.code_of(s) for s in prog], 8)
        np.testing.assert_array_equal(chords.codes_to_controls(codes),
                                      engine.chord_progression(prog, 32))
        # PitchChordEncoder of Am: [N.C., root A, pitch classes A C E, bass A] (magenta.js).
        row = chords.codes_to_controls(np.array([chords.code_of('Am')]))[0]
        self.assertEqual(np.flatnonzero(row).tolist(), [1 + 9, 13 + 0, 13 + 4, 13 + 9, 25 + 9])

    def test_transpose_moves_melody_and_chords(self):
        rows = np.array([[0, 62, 1, 2], [-1, 0, 21, 21]], np.int16)  # N.C., C, Am, Am
        up = chords.transpose_window(rows, 3)
        np.testing.assert_array_equal(up, [[0, 65, 1, 5], [-1, 3, 12, 12]])  # N.C., D#, Cm, Cm
        self.assertIsNone(chords.transpose_window(np.array([[89], [0]], np.int16), 1))

    def test_inference_is_the_engines_rule(self):
        # Hand-worked (tests/test_chord_infer.c): C major, then A minor, then nothing.
        notes = [(0, 8, 60), (0, 8, 64), (0, 4, 67), (4, 6, 62),
                 (8, 16, 57), (8, 16, 72), (8, 12, 76), (12, 16, 79)]
        self.assertEqual(engine.chords_infer(notes, 24, 8), ['C', 'Am', 'N.C.'])

    @unittest.skipUnless(HAVE_POP909, '../shared/data/pop909 not found')
    def test_windows_carry_their_files_chords(self):
        windows, sources = chords.load_windows('test', with_sources=True)
        self.assertEqual(windows.shape[1:], (2, 32))
        self.assertTrue(all(s.startswith('pop909/') for s in sources[:100].tolist()))
        codes = windows[:, 1]
        self.assertTrue(((codes >= -1) & (codes < 24)).all())
        # One chord per half bar: constant over each 8-step span.
        self.assertTrue((codes.reshape(len(codes), 4, 8) == codes[:, ::8, None]).all())


@unittest.skipUnless(HAVE_LIB, NO_LIB)
class ChordModel(unittest.TestCase):
    def test_engine_decodes_what_the_trainer_computes(self):
        """Random weights everywhere (the chord rows included): the exported file's encoder mu,
        teacher-forced logits and greedy decode in the engine equal the PyTorch model's, so the
        controls sit where the engine reads them."""
        cfg = get_config('cat-mel_2bar_small-chords-tiny')
        model = randomize(MusicVAE(cfg), 3).eval()
        g = np.random.default_rng(4)
        x = torch.from_numpy(g.integers(0, 90, (5, 1, 32)))
        codes = torch.from_numpy(g.integers(-1, 24, (5, 32)))
        ctl = chords.codes_to_controls(codes)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'tiny.mvae')
            export_model(model, path)
            with torch.no_grad(), engine.Engine(path) as eng:
                self.assertEqual((eng.info['control_depth'], eng.info['chord_encoding']), (37, 1))
                mu, _ = model.encode(x, ctl)
                emu, _ = eng.encode(np.eye(90, dtype=np.float32)[x[:, 0]], controls=ctl.numpy())
                np.testing.assert_allclose(emu, mu.numpy(), rtol=0, atol=1e-5)
                logits = model.decode_logits(mu, x, ctl)[0].numpy()
                _, elogits = eng.decode(mu.numpy(), teacher=x.numpy().astype(np.int32),
                                        logits=True, controls=ctl.numpy())
                np.testing.assert_allclose(elogits, logits, rtol=0, atol=1e-4)
                greedy = model.greedy(mu, ctl).numpy()
                np.testing.assert_array_equal(eng.decode(mu.numpy(), controls=ctl.numpy()), greedy)
                # The chords matter: other chords, another decode.
                other = eng.decode(mu.numpy(), controls=np.roll(ctl.numpy(), 1, axis=2))
                self.assertFalse(np.array_equal(other, greedy))

    def test_boosted_control_rows_take_scaled_adam_steps(self):
        import copy
        cfg = get_config('cat-mel_2bar_small-chords-tiny')
        a = randomize(MusicVAE(cfg), 7)
        b = copy.deepcopy(a)
        g = np.random.default_rng(8)
        x = torch.from_numpy(g.integers(0, 90, (4, 1, 32)))
        ctl = chords.codes_to_controls(torch.from_numpy(g.integers(-1, 24, (4, 32))))
        before = {n: p.detach().clone() for n, p in a.tf_parameters().items()}
        for m, scale in ((a, 1.0), (b, 3.0)):
            opt = torch.optim.Adam(m.parameters(), lr=1e-3)
            torch.manual_seed(9)
            m(x, 0, 0.0, ctl)['loss'].backward()
            with chords.boosted_control_rows(m, scale):
                opt.step()
        pa, pb = a.tf_parameters(), b.tf_parameters()
        rows = {'encoder/cell_0/bidirectional_rnn/fw/multi_rnn_cell/cell_0/lstm_cell/kernel': 90,
                'encoder/cell_0/bidirectional_rnn/bw/multi_rnn_cell/cell_0/lstm_cell/kernel': 90,
                'decoder/multi_rnn_cell/cell_0/lstm_cell/kernel': 90 + 16}
        for n in pa:
            da, db = pa[n].detach() - before[n], pb[n].detach() - before[n]
            if n in rows:
                r = slice(rows[n], rows[n] + 37)
                torch.testing.assert_close(db[r], 3 * da[r], rtol=1e-5, atol=1e-7)
                keep = torch.ones(len(da), dtype=torch.bool)
                keep[r] = False
                torch.testing.assert_close(db[keep], da[keep], rtol=0, atol=0)
            else:
                torch.testing.assert_close(db, da, rtol=0, atol=0)

    @unittest.skipUnless(os.path.exists(MEL_2BAR), f'{MEL_2BAR} not found (scripts/build.sh)')
    def test_widened_start_decodes_as_mel_2bar_small(self):
        base = MusicVAE(get_config('cat-mel_2bar_small')).eval()
        train.load_tensors_by_name(base, MEL_2BAR)
        model = MusicVAE(get_config('cat-mel_2bar_small-chords')).eval()
        loaded, missing, unused, _ = train.load_tensors_by_name(model, MEL_2BAR)
        self.assertEqual((len(loaded), missing, unused), (16, [], []))
        g = np.random.default_rng(5)
        x = torch.from_numpy(g.integers(0, 90, (3, 1, 32)))
        ctl = chords.codes_to_controls(torch.from_numpy(g.integers(-1, 24, (3, 32))))
        with torch.no_grad():
            mu, _ = base.encode(x)
            mu_c, _ = model.encode(x, ctl)
            self.assertTrue(torch.equal(mu, mu_c))
            self.assertTrue(torch.equal(base.decode_logits(mu, x)[0],
                                        model.decode_logits(mu, x, ctl)[0]))

    @unittest.skipUnless(os.path.exists(MEL_CHORDS) and HAVE_POP909,
                         f'{MEL_CHORDS} (models/retrain.sh mel_2bar_chords) or ../shared not found')
    def test_trained_model_decodes_in_the_engine_as_in_torch(self):
        """The exported fp32 mel_2bar_chords on held-out windows with their inferred chords: mu,
        teacher-forced logits and greedy decodes of the engine equal the PyTorch model's."""
        model = MusicVAE(get_config('cat-mel_2bar_small-chords')).eval()
        loaded, missing, _, _ = train.load_tensors_by_name(model, MEL_CHORDS)
        self.assertEqual((len(loaded), missing), (16, []))
        w = chords.load_windows('test')
        w = w[np.random.default_rng(6).choice(len(w), 16, replace=False)]
        x = torch.from_numpy(w[:, :1].astype(np.int64))
        ctl = chords.codes_to_controls(torch.from_numpy(w[:, 1].astype(np.int64)))
        with torch.no_grad(), engine.Engine(MEL_CHORDS) as eng:
            mu, _ = model.encode(x, ctl)
            emu, _ = eng.encode(np.eye(90, dtype=np.float32)[x[:, 0]], controls=ctl.numpy())
            np.testing.assert_allclose(emu, mu.numpy(), rtol=0, atol=1e-4)
            logits = model.decode_logits(mu, x, ctl)[0].numpy()
            _, elogits = eng.decode(mu.numpy(), teacher=x.numpy().astype(np.int32), logits=True,
                                    controls=ctl.numpy())
            np.testing.assert_allclose(elogits, logits, rtol=0, atol=1e-3 * np.abs(logits).max())
            np.testing.assert_array_equal(eng.decode(mu.numpy(), controls=ctl.numpy()),
                                          model.greedy(mu, ctl).numpy())


if __name__ == '__main__':
    unittest.main()
