"""Tests for the PyTorch MusicVAE, trainer and exporter.

    /usr/bin/python3 -m unittest training.test_model

Uses tiny configs on one thread; reads ../shared (Magenta's mel_2bar_small decoder and its test
vectors) and training/cache (real windows) when they are there, and skips those parts otherwise.
"""
import json
import math
import os
import shutil
import tempfile
import threading
import unittest
from unittest import mock

import numpy as np
import torch

from training import export, model, mvae_format, train
from training.configs import CONFIGS, get_config
from training.model import LSTMCell, MusicVAE, StackedLSTM
from training.test_parity import MAGENTA, SHARED, magenta_files

torch.set_num_threads(1)
VECTORS = os.path.join(SHARED, 'testvectors', 'mel_2bar_small_decode.json')


def synthetic_windows(cfg, n=256, seed=0):
    """Learnable windows: each sequence repeats a random 4-event motif per track."""
    rng = np.random.default_rng(seed)
    t = cfg.num_steps
    out = np.zeros((n, len(cfg.output_depths), t), np.int16)
    for k, d in enumerate(cfg.output_depths):
        for i in range(n):
            if d == 90:
                motif = rng.integers(40, 60) + rng.integers(0, 7, size=4)
            else:
                motif = rng.choice([1, 3, 5, 9, 0], size=4)
            out[i, k, 0::2] = np.resize(motif, t // 2)
            out[i, k, 1::2] = 0 if d != 90 else rng.integers(0, 2)
    return out


def magenta_tensors():
    """The published mel_2bar_small tensors that exist: the manifest, {name: float32 array}."""
    return magenta_files(lambda path, e: np.fromfile(path, dtype='<f4').reshape(e['shape']))


def expected_shapes(cfg):
    """Tensor names and shapes derived from the rules of docs/model-format.md."""
    out = {}

    def lstm(scope, n_in, u):
        out[scope + '/kernel'] = (n_in + u, 4 * u)
        out[scope + '/bias'] = (4 * u,)

    def dense(scope, n_in, n_out):
        out[scope + '/kernel'] = (n_in, n_out)
        out[scope + '/bias'] = (n_out,)

    def bi(prefix, n_in, sizes):
        for l, u in enumerate(sizes):
            for d in ('fw', 'bw'):
                lstm(f'{prefix}/cell_{l}/bidirectional_rnn/{d}/multi_rnn_cell/cell_0/lstm_cell',
                     n_in, u)
            n_in = 2 * u
        return n_in

    def flat(prefix, depth, cond, sizes, controls=0):
        dense(prefix + '/z_to_initial_state', cond, 2 * sum(sizes))
        n_in = depth + cond + controls  # [previous output, z, controls] (model-format.md)
        for l, u in enumerate(sizes):
            lstm(f'{prefix}/multi_rnn_cell/cell_{l}/lstm_cell', n_in, u)
            n_in = u
        dense(prefix + '/output_projection', sizes[-1], depth)

    if cfg.encoder == 'bidirectional':  # [input, controls] at each step
        top = bi('encoder', cfg.input_depth + cfg.control_depth, cfg.enc_rnn_size)
    else:
        top = bi('encoder/hierarchical_level_0', cfg.input_depth, cfg.enc_rnn_size)
        # Level 1 as level 0 (Magenta's one enc_rnn_size), unless our enc_level1_rnn_size says.
        top = bi('encoder/hierarchical_level_1', top, cfg.enc_level1_rnn_size or cfg.enc_rnn_size)
    dense('encoder/mu', top, cfg.z_size)
    dense('encoder/sigma', top, cfg.z_size)
    if cfg.decoder == 'flat':
        flat('decoder', cfg.output_depths[0], cfg.z_size, cfg.dec_rnn_size, cfg.control_depth)
    else:
        sizes = cfg.conductor_rnn_size
        dense('decoder/hierarchical_level_0/initial_state', cfg.z_size, 2 * sum(sizes))
        n_in = 1
        for l, u in enumerate(sizes):
            lstm(f'decoder/hierarchical_level_0/cell_{l}/lstm_cell', n_in, u)
            n_in = u
        depths = cfg.output_depths
        for i, d in enumerate(depths):
            prefix = ('core_decoder/decoder' if len(depths) == 1
                      else f'core_decoder/core_decoder_{i}/decoder')
            flat(prefix, d, sizes[-1], cfg.dec_rnn_size)
    return out


def sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v))


class TestLSTMCell(unittest.TestCase):
    def test_hand_computed_float64(self):
        cell = LSTMCell('c', 2, 1).double()
        with torch.no_grad():
            # rows: x0, x1, h; columns: gates i, j, f, o
            cell.kernel.copy_(torch.tensor([[0.1, 0.2, 0.3, 0.4],
                                            [-0.5, 0.6, -0.7, 0.8],
                                            [0.9, -1.0, 1.1, -1.2]], dtype=torch.float64))
            cell.bias.copy_(torch.tensor([0.01, 0.02, 0.03, 0.04], dtype=torch.float64))
        x = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
        c0 = torch.tensor([[0.1]], dtype=torch.float64)
        h0 = torch.tensor([[0.25]], dtype=torch.float64)
        # By hand: [x, h] W + b
        i = 0.5 * 0.1 + 1.0 * 0.5 + 0.25 * 0.9 + 0.01      # 0.785
        j = 0.5 * 0.2 - 1.0 * 0.6 - 0.25 * 1.0 + 0.02      # -0.73
        f = 0.5 * 0.3 + 1.0 * 0.7 + 0.25 * 1.1 + 0.03      # 1.155
        o = 0.5 * 0.4 - 1.0 * 0.8 - 0.25 * 1.2 + 0.04      # -0.86
        c1 = sigmoid(i) * math.tanh(j) + 0.1 * sigmoid(f + 1.0)  # forget bias +1 at run time
        h1 = math.tanh(c1) * sigmoid(o)
        c, h = cell(x, (c0, h0))
        self.assertAlmostEqual(c.item(), c1, places=14)
        self.assertAlmostEqual(h.item(), h1, places=14)
        # the precomputed-input path gives the same step
        _, (c, h) = cell.run(cell.input_proj(x[:, None]), (c0, h0))
        self.assertAlmostEqual(c.item(), c1, places=14)
        self.assertAlmostEqual(h.item(), h1, places=14)

    def test_run_matches_reference_steps(self):
        torch.manual_seed(0)
        stack = StackedLSTM('s/cell_{}', 5, [7, 6]).double()
        x = torch.randn(3, 9, 5, dtype=torch.float64)
        states = [(torch.randn(3, u, dtype=torch.float64), torch.randn(3, u, dtype=torch.float64))
                  for u in (7, 6)]
        ref, st = [], states
        for t in range(9):
            inp, new = x[:, t], []
            for cell, s in zip(stack.cells, st):
                s = cell(inp, s)
                new.append(s)
                inp = s[1]
            st = new
            ref.append(inp)
        ref = torch.stack(ref, 1)
        out, finals = stack.run(stack.cells[0].input_proj(x), states)
        torch.testing.assert_close(out, ref, rtol=0, atol=1e-12)
        w, st2, steps = stack.weights(), states, []
        for t in range(9):
            top, st2 = stack.step(stack.cells[0].input_proj(x[:, t]), st2, w)
            steps.append(top)
        torch.testing.assert_close(torch.stack(steps, 1), ref, rtol=0, atol=1e-12)
        torch.testing.assert_close(finals[1][1], ref[:, -1], rtol=0, atol=1e-12)


class TestNames(unittest.TestCase):
    def test_every_config_matches_spec_names_and_shapes(self):
        # Skip the random init so that the paper-size models cost nothing to build.
        with mock.patch.object(model, 'glorot_uniform_', lambda t: t):
            for name, cfg in CONFIGS.items():
                with self.subTest(config=name):
                    params = MusicVAE(cfg).tf_parameters()
                    got = {n: tuple(p.shape) for n, p in params.items()}
                    self.assertEqual(got, expected_shapes(cfg))
                    del params

    @unittest.skipUnless(os.path.isdir(MAGENTA), 'no shared Magenta checkpoint')
    def test_magenta_mel_2bar_small_manifest(self):
        man, _ = magenta_tensors()
        got = {n: list(p.shape) for n, p in
               MusicVAE(get_config('cat-mel_2bar_small')).tf_parameters().items()}
        self.assertEqual(got, {n: e['shape'] for n, e in man.items()})

    def test_drums_roll_input(self):
        m = MusicVAE(get_config('cat-drums_2bar_small-tiny'))
        x = torch.zeros(1, 1, 32, dtype=torch.long)
        x[0, 0, 1] = 5      # classes 0 and 2
        x[0, 0, 2] = 511    # all nine
        roll = m.encoder_input(x)[0]
        self.assertEqual(roll.shape, (32, 10))
        self.assertEqual(roll[0].tolist(), [0] * 9 + [1])
        self.assertEqual(roll[1].tolist(), [1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
        self.assertEqual(roll[2].tolist(), [1] * 9 + [0])


class TestDecoding(unittest.TestCase):
    @unittest.skipUnless(os.path.exists(VECTORS) and os.path.isdir(MAGENTA), 'no shared data')
    def test_magenta_decoder_reproduces_greedy_events(self):
        m = MusicVAE(get_config('cat-mel_2bar_small')).eval()
        params = m.tf_parameters()
        _, tensors = magenta_tensors()
        with torch.no_grad():
            for n, a in tensors.items():
                params[n].copy_(torch.from_numpy(a))
        with open(VECTORS) as f:
            cases = json.load(f)['cases'][:150]
        mu = torch.tensor([c['mu'] for c in cases])
        want = torch.tensor([c['greedy_events'] for c in cases])
        self.assertTrue(torch.equal(m.greedy(mu)[:, 0], want))
        with torch.no_grad():  # teacher forcing on the greedy output predicts it again
            logits = m.decode_logits(mu, want[:, None])[0]
        self.assertTrue(torch.equal(logits.argmax(-1), want))

    def test_teacher_forced_equals_step_by_step(self):
        for name in ('cat-mel_2bar_small-tiny', 'hierdec-mel_16bar-tiny',
                     'hierdec-trio_16bar-tiny'):
            with self.subTest(config=name):
                torch.manual_seed(1)
                m = MusicVAE(get_config(name)).double().eval()
                z = torch.randn(4, m.cfg.z_size, dtype=torch.float64)
                g = m.greedy(z)
                s = m.sample(z, 1.0, torch.Generator().manual_seed(0))
                self.assertEqual(g.shape, (4, len(m.cfg.output_depths), m.cfg.num_steps))
                self.assertEqual(s.shape, g.shape)
                with torch.no_grad():
                    logits = m.decode_logits(z, g)
                for k, lg in enumerate(logits):
                    self.assertTrue(torch.equal(lg.argmax(-1), g[:, k]))

    def test_scheduled_sampling_at_zero_is_teacher_forcing(self):
        torch.manual_seed(2)
        m = MusicVAE(get_config('cat-mel_2bar_small-tiny')).double()
        x = torch.from_numpy(synthetic_windows(m.cfg, 4)).long()
        z = torch.randn(4, m.cfg.z_size, dtype=torch.float64)
        with torch.no_grad():
            a = m.decode_logits(z, x)[0]
            b = m._scheduled_sampling_logits(z, x, torch.zeros(4, 32, dtype=torch.bool))[0]
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)

    def test_schedules(self):
        cfg = get_config('cat-mel_2bar_small')
        self.assertAlmostEqual(model.sampling_probability(cfg, 0), 1 - 1000 / 1001)
        self.assertAlmostEqual(model.sampling_probability(cfg, 10000),
                               1 - 1000 / (1000 + math.exp(10)))
        self.assertEqual(model.kl_beta(cfg, 0), 0.0)
        self.assertAlmostEqual(model.kl_beta(cfg, 1000), (1 - 0.99999 ** 1000) * 0.2)
        self.assertEqual(model.kl_beta(get_config('cat-drums_2bar_small'), 5), 0.2)
        self.assertAlmostEqual(train.learning_rate(cfg, 0), 1e-3)
        self.assertAlmostEqual(train.learning_rate(cfg, 10 ** 6), 1e-5)


    def test_config_override(self):
        cfg = train.override(get_config('cat-mel_2bar_small'),
                             ['beta_rate=0', 'enc_rnn_size=64,32', 'transpose_range=0,0'])
        self.assertEqual((cfg.beta_rate, cfg.enc_rnn_size, cfg.transpose_range),
                         (0.0, [64, 32], (0, 0)))
        with self.assertRaises(SystemExit):
            train.override(cfg, ['no_such_field=1'])


class TestTraining(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mvae_test_')

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_train(self, out, config, steps, windows, *extra):
        argv = ['--config', config, '--out', os.path.join(self.tmp, out), '--steps', str(steps),
                '--threads', '1', '--log-every', '1000', *extra]
        with mock.patch('builtins.print'):  # keep the test output readable
            return train.main(argv, windows=windows)

    def assert_loss_falls(self, hist, factor):
        first = np.mean([h['recon'] for h in hist[:4]])
        last = np.mean([h['recon'] for h in hist[-4:]])
        self.assertLess(last, factor * first, (first, last))

    def test_loss_falls_synthetic(self):
        for name, steps in (('cat-mel_2bar_small-tiny', 40), ('cat-drums_2bar_small-tiny', 30),
                            ('hierdec-mel_16bar-tiny', 30), ('hierdec-trio_16bar-tiny', 20),
                            ('hier-mel_16bar-tiny', 20), ('flat-mel_16bar-tiny', 20)):
            with self.subTest(config=name):
                # lr 1e-2 so that a few dozen steps show learning
                hist = self.run_train(name, name, steps, synthetic_windows(get_config(name)),
                                      '--set', 'learning_rate=1e-2')
                self.assert_loss_falls(hist, 0.75)

    def test_loss_falls_real_windows(self):
        try:
            from training import data
            path = data._cache_path(None, data.resolve_data_dir(None), 'melody_2bar_train')
        except Exception as e:  # data.py absent or changed
            self.skipTest(f'training.data unavailable: {e}')
        if not os.path.exists(path):
            self.skipTest('no cached melody windows (run python3 -m training.data first)')
        w = data.load_windows('melody', 2, 'train')[:512]
        hist = self.run_train('real', 'cat-mel_2bar_small-tiny', 40, w,
                              '--set', 'learning_rate=1e-2')
        self.assert_loss_falls(hist, 0.75)

    def test_same_seed_same_first_loss(self):
        w = synthetic_windows(get_config('cat-mel_2bar_small-tiny'))
        a = self.run_train('a', 'cat-mel_2bar_small-tiny', 1, w, '--seed', '7')
        b = self.run_train('b', 'cat-mel_2bar_small-tiny', 1, w, '--seed', '7')
        c = self.run_train('c', 'cat-mel_2bar_small-tiny', 1, w, '--seed', '8')
        self.assertEqual(a[0]['loss'], b[0]['loss'])
        self.assertNotEqual(a[0]['loss'], c[0]['loss'])

    def test_resume_continues_exactly(self):
        name = 'cat-mel_2bar_small-tiny'
        w = synthetic_windows(get_config(name))
        # p_sample 0.5 so that the resumed run must also restore the sampling RNG
        opts = ('--ckpt-every', '3', '--sampling-prob', '0.5')
        full = self.run_train('full', name, 6, w, *opts)
        part1 = self.run_train('part', name, 3, w, *opts)
        part2 = self.run_train('part', name, 6, w, *opts)
        self.assertEqual([h['step'] for h in part2], [4, 5, 6])
        self.assertEqual([h['loss'] for h in part1 + part2], [h['loss'] for h in full])

    def test_signal_writes_checkpoint_and_stops(self):
        name = 'cat-mel_2bar_small-tiny'
        w = synthetic_windows(get_config(name))
        timer = threading.Timer(1.5, os.kill, (os.getpid(), 15))
        timer.start()
        try:
            hist = self.run_train('sig', name, 100000, w, '--ckpt-every', '100000')
        finally:
            timer.cancel()
        self.assertLess(len(hist), 100000)
        ckpt = torch.load(os.path.join(self.tmp, 'sig', train.CKPT_NAME), weights_only=False)
        self.assertEqual(ckpt['step'], len(hist))

    def test_export_round_trip(self):
        name = 'hierdec-trio_16bar-tiny'
        cfg = get_config(name)
        self.run_train('exp', name, 2, synthetic_windows(cfg))
        out = os.path.join(self.tmp, 'm.mvae')
        export.main(['--ckpt', os.path.join(self.tmp, 'exp'), '--out', out, '--name', 'trio'])
        _, m, _ = export.load_checkpoint(os.path.join(self.tmp, 'exp'))
        meta, tensors = mvae_format.read_model(out)
        params = m.tf_parameters()
        self.assertEqual(list(tensors), list(params))
        for n, p in params.items():
            self.assertTrue(np.array_equal(tensors[n], p.detach().numpy()), n)
        want = {'general.architecture': 'musicvae', 'general.name': 'trio',
                'musicvae.z_size': cfg.z_size, 'musicvae.num_steps': 64,
                'musicvae.num_segments': 4, 'musicvae.decoder': 'hierarchical',
                'musicvae.encoder': 'bidirectional', 'musicvae.output_depths': [90, 90, 512],
                'musicvae.input_depth': 692, 'converter.type': 'trio',
                'converter.min_pitch': 21, 'converter.max_pitch': 108,
                'converter.drums_roll_input': 0, 'musicvae.steps_per_quarter': 4,
                'musicvae.quarters_per_bar': 4}
        self.assertEqual({k: meta[k] for k in want}, want)
        # q8: kernels within half a quantization step, biases exact
        export.main(['--ckpt', os.path.join(self.tmp, 'exp'), '--out', out, '--quantize', 'q8'])
        _, q = mvae_format.read_model(out)
        for n, p in params.items():
            a = p.detach().numpy()
            if a.ndim == 1:
                self.assertTrue(np.array_equal(q[n], a), n)
            else:
                self.assertLessEqual(np.abs(q[n] - a).max(), np.abs(a).max() / 127 * 0.51, n)

    def test_frozen_decoder_stays_bit_identical(self):
        name = 'cat-mel_2bar_small-tiny'
        cfg = get_config(name)
        # A "published" model whose encoder kernels are missing, like the shared checkpoint.
        torch.manual_seed(5)
        src = {n: p.detach().numpy().copy() for n, p in MusicVAE(cfg).tf_parameters().items()}
        missing = [n for n in src if n.startswith('encoder/cell_') and n.endswith('/kernel')]
        for n in missing:
            del src[n]
        src_path = os.path.join(self.tmp, 'src.mvae')
        mvae_format.write_model(src_path, {'general.architecture': 'musicvae',
                                           'general.license': 'Apache-2.0'}, src)
        w = synthetic_windows(cfg)
        self.run_train('frz', name, 8, w, '--init-from', src_path, '--freeze', 'decoder')
        with open(os.path.join(self.tmp, 'frz', 'train.log')) as f:
            logged = f.read()
        for n in missing:
            self.assertIn(n, logged)
        out = os.path.join(self.tmp, 'frz.mvae')
        export.main(['--ckpt', os.path.join(self.tmp, 'frz'), '--out', out])
        meta, got = mvae_format.read_model(out)
        self.assertEqual(meta['general.license'], 'Apache-2.0')
        for n, a in src.items():
            if n.startswith(('decoder/', 'core_decoder/')):
                self.assertEqual(got[n].tobytes(), a.tobytes(), n)
            else:  # mu, sigma and encoder biases are fine-tuned
                self.assertFalse(np.array_equal(got[n], a), n)


if __name__ == '__main__':
    unittest.main()
