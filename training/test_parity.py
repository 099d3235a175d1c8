"""The C engine against the PyTorch trainer: same weights, same numbers.

    /usr/bin/python3 -m unittest training.test_parity

Needs build/libmusicvae.so (`cmake -S . -B build && cmake --build build -j2`, or MVAE_LIB) and skips
without it. Reads ../shared (Magenta's mel_2bar_small decoder) and training/cache (real windows)
when they are there, and skips those parts otherwise.
"""
import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest

import numpy as np
import torch

from training import evaluate, export, mvae_format, train
from training.configs import get_config
from training.engine import Engine, library_path
from training.model import MusicVAE

torch.set_num_threads(1)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.abspath(os.environ.get('MVAE_SHARED_DIR') or os.path.join(REPO, '..', 'shared'))
MAGENTA = os.path.join(SHARED, 'checkpoints', 'mel_2bar_small')
MODELS = os.path.join(REPO, 'models')
HAVE_LIB = os.path.exists(library_path())
NO_LIB = f'{library_path()} not found (cmake -S . -B build && cmake --build build -j2, or MVAE_LIB)'
DECODER_PREFIXES = train.DECODER_PREFIXES


def randomize(model, seed):
    """Weights of a size that makes every part matter: the trainer's init draws mu, sigma and
    the z -> state layers from N(0, 0.001^2), so z would hardly change the logits."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            std = p.shape[0] ** -0.5 if p.dim() == 2 else 0.1
            p.copy_(torch.randn(p.shape, generator=g) * std)
    return model


def export_model(model, path, step=0, info=None):
    """Writes a minimal checkpoint (as train.py would) and exports it with the real exporter."""
    ckpt = path + '.pt'
    torch.save({'config': model.cfg.to_dict(), 'model': model.state_dict(), 'step': step,
                'batch': 0, 'info': info or {}}, ckpt)
    export.export(ckpt, path)
    os.remove(ckpt)


def rel_err(got, want):
    want = np.asarray(want, np.float64)
    return np.abs(np.asarray(got, np.float64) - want).max() / np.abs(want).max()


def random_tokens(cfg, n, gen):
    return torch.stack([torch.randint(0, d, (n, cfg.num_steps), generator=gen)
                        for d in cfg.output_depths], dim=1)


def magenta_files(read):
    """The shared checkpoint's manifest, and {TF name: read(path, its manifest entry)} of the files
    that exist (Magenta published the decoder without its encoder kernels)."""
    with open(os.path.join(MAGENTA, 'manifest.json')) as f:
        man = json.load(f)
    paths = {name: os.path.join(MAGENTA, e['filename']) for name, e in man.items()}
    return man, {name: read(path, man[name]) for name, path in paths.items() if os.path.exists(path)}


def manifest_bytes():
    """{TF name: raw little-endian float32 bytes} of the shared checkpoint's files."""
    def read(path, _entry):
        with open(path, 'rb') as f:
            return f.read()
    return magenta_files(read)[1]


class EngineTestCase(unittest.TestCase):
    def setUp(self):
        if not HAVE_LIB:
            self.skipTest(NO_LIB)
        self.tmp = tempfile.mkdtemp(prefix='mvae_parity_')

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class TestParity(EngineTestCase):
    """(i) PyTorch and C give the same encodings, logits and greedy tokens."""

    def check_config(self, name, n=6, seed=0):
        cfg = get_config(name)
        torch.manual_seed(seed)
        model = randomize(MusicVAE(cfg), seed).eval()
        path = os.path.join(self.tmp, name + '.mvae')
        export_model(model, path)
        gen = torch.Generator().manual_seed(seed)
        x = random_tokens(cfg, n, gen)
        z = torch.randn(n, cfg.z_size, generator=gen)
        with Engine(path) as eng, torch.no_grad():
            info = eng.info
            self.assertEqual((info['z_size'], info['num_steps'], info['output_depths']),
                             (cfg.z_size, cfg.num_steps, cfg.output_depths))
            # Encoder on one-hot (or drum roll) inputs of random tokens.
            mu, sigma = model.encode(x)
            c_mu, c_sigma = eng.encode(model.encoder_input(x).numpy())
            self.assertLess(rel_err(c_mu, mu), 1e-4)
            self.assertLess(rel_err(c_sigma, sigma), 1e-4)
            # Teacher-forced logits for random z and random targets, tracks side by side.
            want = torch.cat(model.decode_logits(z, x), dim=-1)
            _, got = eng.decode(z.numpy(), teacher=x.numpy(), logits=True)
            self.assertEqual(got.shape, tuple(want.shape))
            self.assertLess(rel_err(got, want), 1e-4)
            # Greedy: a single differing argmax would change everything after it.
            np.testing.assert_array_equal(eng.decode(z.numpy()), model.greedy(z).numpy())
            # Sampling is reproducible from the seed (the engine's RNG is not torch's).
            a = eng.decode(z.numpy(), temperature=1.0, seed=11)
            np.testing.assert_array_equal(a, eng.decode(z.numpy(), temperature=1.0, seed=11))
            self.assertEqual(a.shape, (n, len(cfg.output_depths), cfg.num_steps))

    def test_flat_melody(self):
        self.check_config('cat-mel_2bar_small-tiny')

    def test_flat_drums_roll_input(self):
        self.check_config('cat-drums_2bar_small-tiny')

    def test_hierarchical_decoder(self):
        self.check_config('hierdec-mel_16bar-tiny')

    def test_hierarchical_encoder(self):
        self.check_config('hier-mel_16bar-tiny')

    def test_trio(self):
        self.check_config('hierdec-trio_16bar-tiny')


@unittest.skipUnless(os.path.exists(os.path.join(MAGENTA, 'manifest.json')),
                     f'no shared checkpoint at {MAGENTA}')
class TestDecoderBits(EngineTestCase):
    """(ii) Exported decoder tensors are shared/'s float32 files, bit for bit."""

    def assert_decoder_bits(self, path):
        want = manifest_bytes()
        meta, raw = mvae_format.read_model_raw(path)
        names = [n for n in raw if n.startswith(DECODER_PREFIXES)]
        self.assertEqual(sorted(names), sorted(n for n in want if n.startswith(DECODER_PREFIXES)))
        for n in names:
            self.assertEqual(raw[n].dtype, mvae_format.DTYPE_F32, n)
            self.assertEqual(raw[n].data.astype('<f4').tobytes(), want[n], n)
        return raw

    def init_file(self):
        """models/mel_2bar_small.mvae, or (when models/build.sh has not run) the same decoder
        tensors written from shared/'s files."""
        path = os.path.join(MODELS, 'mel_2bar_small.mvae')
        if os.path.exists(path):
            return path
        with open(os.path.join(MAGENTA, 'manifest.json')) as f:
            man = json.load(f)
        tensors = {n: np.frombuffer(b, '<f4').reshape(man[n]['shape'])
                   for n, b in manifest_bytes().items() if n.startswith(DECODER_PREFIXES)}
        path = os.path.join(self.tmp, 'init.mvae')
        mvae_format.write_model(path, {'general.architecture': 'musicvae'}, tensors)
        return path

    def test_init_from_and_freeze_keep_decoder_bits(self):
        cfg = get_config('cat-mel_2bar_small')
        torch.manual_seed(0)
        model = MusicVAE(cfg)
        init = self.init_file()
        # What train.py does for --init-from MODEL --freeze decoder, then two Adam steps.
        loaded, _, _, meta = train.load_tensors_by_name(model, init)
        frozen = train.freeze(model, 'decoder')
        self.assertTrue(frozen)
        before = model.mu.kernel.detach().clone()
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        x = random_tokens(cfg, 4, torch.Generator().manual_seed(0))
        model.train()
        for step in range(2):
            # sampling_prob 0.5 so that the scheduled-sampling path runs too.
            loss = model(x, step, sampling_prob=0.5)['loss']
            opt.zero_grad()
            loss.backward()
            opt.step()
        self.assertFalse(torch.equal(model.mu.kernel, before), 'the encoder did not train')
        out = os.path.join(self.tmp, 'frozen.mvae')
        export_model(model.eval(), out, step=2, info={'init_from': init, 'loaded': loaded,
                                                      'init_meta': meta, 'freeze': 'decoder'})
        self.assert_decoder_bits(out)
        with Engine(out) as eng:  # and the engine takes it as a complete model
            self.assertTrue(eng.info['has_encoder'])

    def test_shipped_fp32_models(self):
        paths = sorted(os.path.join(MODELS, f) for f in os.listdir(MODELS)
                       if f.startswith('mel_2bar_small') and f.endswith('.mvae'))
        checked = 0
        for path in paths:
            _, raw = mvae_format.read_model_raw(path)
            if any(t.dtype != mvae_format.DTYPE_F32 for t in raw.values()):
                continue  # quantized: its kernels are not the float32 files
            with self.subTest(model=os.path.basename(path)):
                self.assert_decoder_bits(path)
                checked += 1
        if not checked:
            self.skipTest('no fp32 models/mel_2bar_small*.mvae (models/build.sh makes one)')


class TestEvaluate(EngineTestCase):
    """(iii) evaluate.py end to end on a tiny random model."""

    def run_evaluate(self, *argv):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            result = evaluate.main(list(argv))
        return out.getvalue(), result

    def test_tiny_model(self):
        try:
            from training import data
            data.load_windows('melody', 2, 'test')
        except Exception as e:  # noqa: BLE001 - any missing data means: nothing to evaluate on
            self.skipTest(f'no melody windows: {e}')
        torch.manual_seed(0)
        path = os.path.join(self.tmp, 'tiny.mvae')
        export_model(randomize(MusicVAE(get_config('cat-mel_2bar_small-tiny')), 0), path)
        text, result = self.run_evaluate(path, '--limit', '16', '--markdown')
        self.assertEqual(result['sequences'], 16)
        for label in ('| metric | value |', 'teacher-forced accuracy, z = mu',
                      'sampled accuracy (T = 1), z ~ N(0, I)', 'mean KL per sequence, bits',
                      'split test: 16 sequences'):
            self.assertIn(label, text)
        for name, values in result['accuracy'].items():
            self.assertTrue(all(0 <= v <= 1 for v in values), name)
        # Plain text; another batch size draws other random numbers, but the deterministic
        # figures do not depend on how the sequences are batched.
        text2, result2 = self.run_evaluate(path, '--limit', '16', '--batch', '5')
        self.assertIn('metric', text2)
        for name in ('teacher', 'greedy'):
            self.assertEqual(result2['accuracy'][name], result['accuracy'][name], name)
        self.assertAlmostEqual(result2['kl_nats'], result['kl_nats'], places=4)

    def test_model_without_encoder(self):
        torch.manual_seed(0)
        tensors = {n: p.detach().numpy() for n, p in
                   MusicVAE(get_config('cat-mel_2bar_small-tiny')).tf_parameters().items()
                   if n.startswith(DECODER_PREFIXES)}
        path = os.path.join(self.tmp, 'decoder_only.mvae')
        mvae_format.write_model(path, export.model_metadata(get_config('cat-mel_2bar_small-tiny')),
                                tensors)
        with self.assertRaises(SystemExit) as cm:
            self.run_evaluate(path)
        self.assertIn('has no encoder', str(cm.exception.code))


if __name__ == '__main__':
    unittest.main()
