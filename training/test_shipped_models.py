"""Every model file shipped in models/ must load in the C engine, round-trip held-out data through
encode -> greedy decode far better than chance, and sample plausible music:
melody: notes in the range the training data covers; drums: a kick or a snare in most bars.

    /usr/bin/python3 -m unittest training.test_shipped_models
"""
import glob
import os
import unittest

import numpy as np

from training import engine as engine_mod
from training.data import load_windows
from training.evaluate import encoder_inputs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = sorted(glob.glob(os.path.join(ROOT, 'models', '*.mvae')))
KIND = {'melody': 'melody', 'drums': 'drums', 'trio': 'trio'}
KICK, SNARE = 1 << 0, 1 << 1  # drum classes 0 and 1 of the 512-way token


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
            steps, bars = info['num_steps'], info['num_steps'] // info['steps_per_bar']
            rng = np.random.default_rng(0)
            if info['has_encoder']:
                windows = load_windows(KIND[info['converter']], bars, 'test')
                x = windows[rng.choice(len(windows), min(200, len(windows)), replace=False)]
                x = np.asarray(x, dtype=np.int32)
                mu, _ = eng.encode(encoder_inputs(info, x))
                with_z = (eng.decode(mu) == x).mean()
                prior = rng.standard_normal(mu.shape).astype(np.float32)
                without_z = (eng.decode(prior) == x).mean()
                # The paper's whole point: reconstructions use z (no posterior collapse).
                self.assertGreater(with_z, 0.75, f'round-trip accuracy {with_z:.3f}')
                self.assertGreater(with_z, without_z + 0.2,
                                   f'z barely matters: {with_z:.3f} vs {without_z:.3f}')
            z = rng.standard_normal((32, info['z_size'])).astype(np.float32)
            tokens = eng.decode(z, temperature=0.5, seed=1)
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
                    # Training melodies (POP909, Nottingham) lie within MIDI 36..96 almost always.
                    inside = ((pitches >= 36) & (pitches <= 96)).mean()
                    self.assertGreater(inside, 0.9, f'{inside:.3f} of sampled notes in 36..96')


if __name__ == '__main__':
    unittest.main()
