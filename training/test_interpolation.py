"""Tests of training/interpolation.py on hand-worked cases.
Run from the repo root: /usr/bin/python3 -m unittest training.test_interpolation"""
import math
import os
import tempfile
import unittest

import numpy as np
import torch

from training import interpolation as interp

torch.set_num_threads(1)


class DataSpaceTest(unittest.TestCase):
    # a and b differ at steps 1, 2, 3 of 4: start-end distance 3/4.
    a = np.array([[2, 3, 4, 5]])
    b = np.array([[2, 7, 8, 9]])

    def test_hand_worked_mask(self):
        u = np.array([[0.5, 0.05, 0.5, 0.95]])
        seqs = interp.data_space(self.a, self.b, [0.0, 0.1, 0.6, 1.0], u)
        # alpha 0.1: only step 1 (u 0.05) switches; 0.6: steps 0, 1, 2 (step 0 is the same in both).
        np.testing.assert_array_equal(seqs[:, 0], [[2, 3, 4, 5], [2, 7, 4, 5], [2, 7, 8, 5],
                                                   [2, 7, 8, 9]])
        raw, norm = interp.hamming(seqs, self.a, self.b)
        np.testing.assert_allclose(raw[:, 0], [0, 0.25, 0.5, 0.75])
        np.testing.assert_allclose(norm[:, 0], [0, 1 / 3, 2 / 3, 1])

    def test_ends_are_the_pair_and_the_middle_is_alpha(self):
        rng = np.random.default_rng(1)
        a = rng.integers(0, 90, (200, 32))
        b = (a + 1 + rng.integers(0, 89, a.shape)) % 90  # differs from a at every step
        u = rng.random(a.shape)
        seqs = interp.data_space(a, b, interp.alphas(), u)
        np.testing.assert_array_equal(seqs[0], a)
        np.testing.assert_array_equal(seqs[-1], b)
        raw, norm = interp.hamming(seqs, a, b)
        np.testing.assert_array_equal(raw, norm)  # start-end distance 1
        self.assertEqual(norm[0].max(), 0.0)
        self.assertEqual(norm[-1].min(), 1.0)
        # E[fraction switched] = alpha; 6,400 steps: standard error <= 0.00625.
        np.testing.assert_allclose(norm.mean(axis=1), interp.alphas(), atol=0.03)
        # One u per step shared by every alpha: a switched step stays switched.
        self.assertTrue(((seqs[1:] != a) >= (seqs[:-1] != a)).all())

    def test_pairs_differ_and_are_disjoint(self):
        windows = np.array([[1, 1], [1, 1], [1, 1], [2, 2], [3, 3], [1, 1]] * 4)
        a, b = interp.draw_pairs(windows, 100, np.random.default_rng(0))
        self.assertTrue((a != b).any(axis=1).all())
        self.assertLessEqual(len(a), len(windows) // 2)
        self.assertEqual(len(a), len(b))


class LatentPathTest(unittest.TestCase):
    def test_slerp_and_linear_between_orthogonal_unit_vectors(self):
        za, zb = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
        r = math.sqrt(0.5)
        slerp = interp.latent_path(za, zb, 3, 'slerp')[:, 0]
        np.testing.assert_allclose(slerp, [[1, 0], [r, r], [0, 1]], atol=1e-7)
        linear = interp.latent_path(za, zb, 3, 'linear')[:, 0]
        np.testing.assert_allclose(linear, [[1, 0], [0.5, 0.5], [0, 1]], atol=1e-7)

    def test_slerp_endpoints_and_angle(self):
        # Angle 60 degrees between a (norm 2) and b (norm 1): at t = 1/2 the weights are
        # sin(30) / sin(60) = 1 / sqrt(3) each.
        za = np.array([[2.0, 0.0, 0.0]])
        zb = np.array([[0.5, math.sqrt(3) / 2, 0.0]])
        path = interp.latent_path(za, zb, 11, 'slerp')[:, 0]
        self.assertEqual(path.shape, (11, 3))
        np.testing.assert_allclose(path[0], za[0], atol=1e-6)
        np.testing.assert_allclose(path[-1], zb[0], atol=1e-6)
        np.testing.assert_allclose(path[5], (za[0] + zb[0]) / math.sqrt(3), atol=1e-6)


class LanguageModelTest(unittest.TestCase):
    def test_uniform_model_scores_log_90(self):
        lm = interp.MelodyLM(hidden=8)
        with torch.no_grad():
            lm.out.weight.zero_()
            lm.out.bias.zero_()
        ll = lm.log_likelihood(np.array([[0, 1, 2, 89], [5, 5, 5, 5]]))
        np.testing.assert_allclose(ll, [-math.log(90)] * 2, rtol=1e-6)

    def test_learns_a_repeating_pattern_and_resumes_exactly(self):
        # Every window is the same 2-step pattern at some phase: after the first event the next is
        # certain, so the per-step NLL falls toward ln(2) / 8 (only the first of 8 steps is a
        # coin toss). A window breaking the pattern scores far lower.
        pattern = np.array([[10, 20] * 4, [20, 10] * 4])
        train = np.repeat(pattern, 32, axis=0)
        with tempfile.TemporaryDirectory() as tmp:
            args = dict(heldout=pattern, batch=16, hidden=16, lr=0.02, log=lambda _: None,
                        checkpoint_every=10)
            lm, rec = interp.train_lm(train, steps=150, run_dir=os.path.join(tmp, 'a'), **args)
            self.assertEqual(rec['steps'], 150)
            self.assertLess(rec['heldout_nll'], math.log(2) / 8 + 0.05)
            broken = lm.log_likelihood(np.array([[10, 10, 20, 20, 10, 10, 20, 20]]))
            self.assertLess(broken[0], -1.0)
            # 60 steps, then on to 150 from the checkpoint: the same weights as one run.
            interp.train_lm(train, steps=60, run_dir=os.path.join(tmp, 'b'), **args)
            resumed, rec_b = interp.train_lm(train, steps=150, run_dir=os.path.join(tmp, 'b'),
                                             **args)
            self.assertEqual(rec_b['steps'], 150)
            for (name, p), q in zip(lm.state_dict().items(), resumed.state_dict().values()):
                torch.testing.assert_close(p, q, rtol=0, atol=0, msg=name)
            # A checkpoint made with other settings is refused, not silently reused.
            with self.assertRaises(SystemExit):
                interp.train_lm(train, steps=150, run_dir=os.path.join(tmp, 'b'),
                                **dict(args, hidden=8))


if __name__ == '__main__':
    unittest.main()
