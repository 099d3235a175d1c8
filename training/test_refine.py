"""The C engine's decoder backward pass (mvae_decoder_loss) against PyTorch autograd in float64,
and mvae_encode_refined against the same Adam written in torch.

    /usr/bin/python3 -m unittest training.test_refine

Needs build/libmusicvae.so (`cmake -S . -B build && cmake --build build -j2`, or MVAE_LIB) and skips
without it. Uses models/mel_2bar_small.mvae (fp32) and .q8.mvae and ../shared's test vectors when
they are there, and tiny random models (exported by the trainer's exporter) always.
"""
import json
import os
import shutil
import tempfile
import unittest

import numpy as np
import torch
import torch.nn.functional as F

from training import train
from training.configs import get_config
from training.engine import Engine, EngineError
from training.model import MusicVAE
from training.test_parity import HAVE_LIB, MODELS, NO_LIB, SHARED, export_model, randomize, rel_err

torch.set_num_threads(1)
VECTORS = os.path.join(SHARED, 'testvectors', 'mel_2bar_small_decode.json')
TOLERANCE = 1e-4


def model_from_file(config, path):
    """The trainer's model with the file's weights (int8 tensors dequantized), in float64."""
    model = MusicVAE(get_config(config))
    train.load_tensors_by_name(model, path)
    return model.double().eval()


def sequence_loss(model, z, x):
    """Teacher-forced cross-entropy per sequence, summed over tracks and steps (nats)."""
    total = 0
    for k, logits in enumerate(model.decode_logits(z, x)):
        total = total + F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                        x[:, k].reshape(-1),
                                        reduction='none').reshape(x.shape[0], -1).sum(1)
    return total


def torch_loss_grad(model, z, targets):
    """Per-sequence loss and d loss[b] / d z[b], in float64 autograd."""
    z = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    loss = sequence_loss(model, z, torch.as_tensor(targets).long())
    loss.sum().backward()
    return loss.detach().numpy(), z.grad.numpy()


def torch_refine(model, z0, targets, steps, lr, prior):
    """What mvae_encode_refined does, in float64: Adam on z against the loss plus
    prior * |z|^2 / 2, keeping the z with the lowest such objective."""
    z = torch.tensor(z0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([z], lr=lr, betas=(0.8, 0.999))  # the engine's betas
    x = torch.as_tensor(targets).long()
    best, best_z = None, None
    for step in range(steps + 1):
        loss = sequence_loss(model, z, x) + 0.5 * prior * (z * z).sum(1)
        with torch.no_grad():
            if best is None:
                best, best_z = loss.clone(), z.detach().clone()
            else:
                better = loss < best
                best = torch.where(better, loss, best)
                best_z[better] = z.detach()[better]
        if step == steps:
            break
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
    return best_z.numpy(), best.numpy()


def vector_cases(n):
    with open(VECTORS) as f:
        cases = json.load(f)['cases'][:n]
    mu = np.array([c['mu'] for c in cases], np.float32)
    events = np.array([c['source_events'] for c in cases], np.int32)[:, None]
    return mu, events


@unittest.skipUnless(HAVE_LIB, NO_LIB)
class TestGradientParity(unittest.TestCase):
    def check(self, eng, model, z, targets):
        loss, grad = eng.decoder_loss(z, targets)
        want_loss, want_grad = torch_loss_grad(model, z, targets)
        self.assertLess(rel_err(loss, want_loss), TOLERANCE)
        self.assertLess(rel_err(grad, want_grad), TOLERANCE)
        # Per sequence too: a batch's largest gradient must not hide a small one's error.
        for b in range(len(z)):
            self.assertLess(rel_err(grad[b], want_grad[b]), TOLERANCE, f'sequence {b}')
        return loss

    def check_random_model(self, config, n=5, seed=0):
        cfg = get_config(config)
        tmp = tempfile.mkdtemp(prefix='mvae_refine_')
        try:
            model = randomize(MusicVAE(cfg), seed).eval()
            path = os.path.join(tmp, 'm.mvae')
            export_model(model, path)
            gen = torch.Generator().manual_seed(seed)
            x = torch.stack([torch.randint(0, d, (n, cfg.num_steps), generator=gen)
                             for d in cfg.output_depths], 1).int()
            z = torch.randn(n, cfg.z_size, generator=gen).numpy()
            with Engine(path) as eng:
                self.check(eng, model.double(), z, x.numpy())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_tiny_melody(self):
        self.check_random_model('cat-mel_2bar_small-tiny')

    def test_tiny_drums(self):  # 512 classes, drum-roll encoder input
        self.check_random_model('cat-drums_2bar_small-tiny', seed=3)

    def test_tiny_flat_16bar(self):  # 64 steps
        self.check_random_model('flat-mel_16bar-tiny', n=3, seed=5)

    def real_model(self, name, with_vectors=False):
        """models/NAME, skipping the test when it is not built (or, with_vectors, when the shared
        test vectors are not there)."""
        path = os.path.join(MODELS, name)
        if not os.path.exists(path):
            self.skipTest(f'{path} not built (bash scripts/build.sh)')
        if with_vectors and not os.path.exists(VECTORS):
            self.skipTest(f'no {VECTORS}')
        return path

    def test_mel_2bar_small(self):
        """Magenta's real decoder, at the test vectors' mu (and moved off it) and at random z."""
        path = self.real_model('mel_2bar_small.mvae', with_vectors=True)
        model = model_from_file('cat-mel_2bar_small', path)
        mu, events = vector_cases(6)
        rng = np.random.default_rng(1)
        with Engine(path) as eng:
            self.check(eng, model, mu, events)
            self.check(eng, model, mu + 0.3 * rng.standard_normal(mu.shape).astype(np.float32),
                       events)
            self.check(eng, model, rng.standard_normal((4, 256)).astype(np.float32),
                       rng.integers(0, 90, (4, 1, 32)).astype(np.int32))

    def test_mel_2bar_small_q8(self):
        """int8 kernels: the backward pass uses their dequantized values."""
        path = self.real_model('mel_2bar_small.q8.mvae', with_vectors=True)
        model = model_from_file('cat-mel_2bar_small', path)
        mu, events = vector_cases(4)
        with Engine(path) as eng:
            self.check(eng, model, mu, events)

    def test_tiny_hierarchical(self):  # conductor + core decoder, segments chained
        self.check_random_model('hierdec-mel_16bar-tiny', n=3, seed=7)

    def test_tiny_trio(self):  # conductor + three core decoders (90, 90, 512 classes)
        self.check_random_model('hierdec-trio_16bar-tiny', n=3, seed=9)

    def test_shipped_hierarchical_q8(self):
        path = self.real_model('hierdec_mel_16bar_small.q8.mvae')
        model = model_from_file('hierdec-mel_16bar-small', path)
        cfg = model.cfg
        gen = torch.Generator().manual_seed(2)
        x = torch.randint(0, cfg.output_depths[0], (2, 1, cfg.num_steps), generator=gen).int()
        z = torch.randn(2, cfg.z_size, generator=gen).numpy()
        with Engine(path) as eng:
            self.check(eng, model, z, x.numpy())


@unittest.skipUnless(HAVE_LIB, NO_LIB)
class TestRefine(unittest.TestCase):
    def test_matches_torch_adam(self):
        """A few Adam steps in C and in torch float64 from the same mu end at the same z."""
        path = os.path.join(MODELS, 'mel_2bar_small.mvae')
        if not (os.path.exists(path) and os.path.exists(VECTORS)):
            self.skipTest('needs models/mel_2bar_small.mvae and the shared test vectors')
        model = model_from_file('cat-mel_2bar_small', path)
        mu, events = vector_cases(8)
        with Engine(path) as eng:
            for lr, prior in ((0.05, 0.0), (0.2, 0.01)):
                z, stats = eng.encode_refined(z_init=mu, targets=events, steps=5,
                                              learning_rate=lr, prior_weight=prior, stats=True)
                want_z, want_objective = torch_refine(model, mu, events, 5, lr, prior)
                self.assertEqual(stats['steps_done'], 5)
                self.assertLess(np.abs(z - want_z).max(), 1e-3, f'lr {lr}, prior {prior}')
                objective = stats['loss'] + 0.5 * prior * (z.astype(np.float64) ** 2).sum(1)
                self.assertLess(rel_err(objective, want_objective), 1e-3, f"lr {lr}, prior {prior}")
                if prior == 0:
                    self.assertTrue(np.all(stats['loss'] <= stats['loss_start']))


if __name__ == '__main__':
    unittest.main()
