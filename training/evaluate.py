"""Reconstruction accuracy of an MVAE model on held-out windows, computed with the C engine.

    /usr/bin/python3 -m training.evaluate MODEL.mvae [--kind melody|drums|trio] [--bars N]
        [--split test] [--limit N] [--seed S] [--batch 256] [--markdown]
        [--shared-dir D] [--cache-dir D]

Windows come from training.data.load_windows (the trainer's split rule: by file hash), and the
encoder input is built by the trainer's own MusicVAE.encoder_input. Each window x is encoded to
(mu, sigma); then, per step and per track:

  teacher-forced  decode z = mu feeding the targets; a step is right when argmax(logits) = target
  sampled T=1     decode z = mu sampling every step from softmax(logits) and feeding the samples
                  (the protocol of Table 1 of Roberts et al. 2018)
  greedy          decode z = mu with argmax, feeding its own outputs

KL is KL(N(mu, sigma) || N(0, I)) summed over z, averaged over sequences. Posterior collapse
shows as accuracy that does not need z: the teacher-forced and sampled accuracies are computed
again with z ~ N(0, I) in place of mu, and the drop from the z = mu figures is reported.

A 2-bar melody model with z 256 is also run on ../shared/testvectors/mel_2bar_small_decode.json:
each case's source_events is encoded and greedy-decoded, and compared with source_events (the
file holds the same figures for Magenta's published encoder, for comparison).
"""
import argparse
import json
import math
import os
import sys
import time
from types import SimpleNamespace

import numpy as np
import torch

from training import data
from training.engine import Engine
from training.model import MusicVAE

TRACK_NAMES = {'melody': ['melody'], 'drums': ['drums'], 'trio': ['melody', 'bass', 'drums']}
LN2 = math.log(2.0)
TESTVECTORS = os.path.join('testvectors', 'mel_2bar_small_decode.json')


def parse_args(argv):
    p = argparse.ArgumentParser(prog='python3 -m training.evaluate', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('model', help='MVAE model file (with an encoder)')
    p.add_argument('--kind', choices=sorted(data.KINDS), default=None,
                   help="windows to evaluate on (default: the model's converter); e.g. "
                        "melody_freedoom --split all for the out-of-corpus check")
    p.add_argument('--bars', type=int, default=None, help="default: the model's length")
    p.add_argument('--split', default='test', help='train, valid, test or all')
    p.add_argument('--limit', type=int, default=None,
                   help='evaluate a random subset of this many windows (drawn with --seed)')
    p.add_argument('--seed', type=int, default=0, help='subset, sampling and prior z')
    p.add_argument('--batch', type=int, default=256, help='sequences per engine call')
    p.add_argument('--markdown', action='store_true', help='print markdown tables')
    p.add_argument('--shared-dir', default=None, help='for training.data.load_windows')
    p.add_argument('--cache-dir', default=None, help='for training.data.load_windows')
    return p.parse_args(argv)


def encoder_inputs(info, x):
    """Windows int [B, tracks, T] -> encoder input float32 [B, T, input_depth], by the trainer's
    MusicVAE.encoder_input. It reads only cfg.converter, cfg.drums_roll_input, cfg.output_depths
    and self.dtype, so a stand-in carrying the model file's values replaces building a model."""
    stand_in = SimpleNamespace(
        cfg=SimpleNamespace(converter=info['converter'],
                            drums_roll_input=bool(info['drums_roll_input']),
                            output_depths=info['output_depths']),
        dtype=torch.float32)
    return MusicVAE.encoder_input(stand_in, torch.from_numpy(np.asarray(x))).numpy()


def split_argmax(logits, depths):
    """logits [B, T, sum depths] -> argmax per track int [B, tracks, T]."""
    parts = np.split(logits, np.cumsum(depths)[:-1], axis=-1)
    return np.stack([p.argmax(-1) for p in parts], axis=1)


class Accuracy:
    """Right steps per track, summed over batches."""

    def __init__(self, tracks):
        self.right, self.steps = np.zeros(tracks), 0

    def add(self, pred, target):
        self.right += (pred == target).sum(axis=(0, 2))
        self.steps += target.shape[0] * target.shape[2]

    def value(self):
        """[overall, per track...]: every track has the same number of steps."""
        per_track = self.right / max(self.steps, 1)
        return [per_track.mean()] + list(per_track)


def evaluate(eng, windows, batch, rng):
    """Runs every measurement over windows int [N, tracks, T]. Returns {name: [overall, per
    track...]} and the KL per sequence in nats."""
    info = eng.info
    names = ['teacher', 'sampled', 'greedy', 'prior_teacher', 'prior_sampled']
    acc = {n: Accuracy(info['num_tracks']) for n in names}
    kl = []
    for s in range(0, len(windows), batch):
        x = np.asarray(windows[s:s + batch], dtype=np.int32)
        mu, sigma = eng.encode(encoder_inputs(info, x))
        m, sd = mu.astype(np.float64), sigma.astype(np.float64)
        kl.append(0.5 * (m * m + sd * sd - 1.0 - 2.0 * np.log(sd)).sum(axis=1))
        prior = rng.standard_normal(mu.shape).astype(np.float32)
        for z, pre in ((mu, ''), (prior, 'prior_')):
            _, logits = eng.decode(z, teacher=x, logits=True)
            acc[pre + 'teacher'].add(split_argmax(logits, info['output_depths']), x)
            seed = int(rng.integers(2 ** 63))
            acc[pre + 'sampled'].add(eng.decode(z, temperature=1.0, seed=seed), x)
        acc['greedy'].add(eng.decode(mu), x)
    return {n: a.value() for n, a in acc.items()}, np.concatenate(kl) if kl else np.zeros(0)


def testvector_agreement(eng, path):
    """Encodes and greedy-decodes each case's source_events: (per-step agreement, exact count,
    cases, the file's figures for Magenta's published encoder)."""
    with open(path) as f:
        vec = json.load(f)
    src = np.array([c['source_events'] for c in vec['cases']], dtype=np.int32)[:, None]
    mu, _ = eng.encode(encoder_inputs(eng.info, src))
    same = eng.decode(mu) == src
    return (same.mean(), int(same.all(axis=(1, 2)).sum()), len(src),
            (vec.get('source_agreement_mean'), vec.get('source_exact')))


def table(header, rows, markdown):
    """rows of strings -> a markdown table or space-aligned columns."""
    if markdown:
        lines = [header, ['---'] + ['---:'] * (len(header) - 1)] + rows
        return '\n'.join('| ' + ' | '.join(r) + ' |' for r in lines)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    fmt = lambda r: '  '.join(c.ljust(w) if i == 0 else c.rjust(w)
                              for i, (c, w) in enumerate(zip(r, widths)))
    return '\n'.join([fmt(header), fmt(['-' * w for w in widths])] + [fmt(r) for r in rows])


def measure(model, split='test', limit=None, seed=0, batch=256, shared_dir=None, cache_dir=None,
            kind=None, bars=None):
    """Loads the model in the C engine and runs `evaluate` on held-out windows. Returns a dict:
    info, name, kind, bars, accuracy {measure: [overall, per track...]}, kl_nats (per sequence),
    sequences, files, total (windows in the split), seconds."""
    t0 = time.time()
    torch.set_num_threads(1)  # torch only builds one-hots here; the engine does the work
    with Engine(model) as eng:
        info = eng.info
        name = info['name'] or os.path.basename(model)
        if not info['has_encoder'] or not info['has_sigma']:
            raise SystemExit(f'{model}: model {name!r} has no encoder (or no sigma layer), so '
                             'nothing can be reconstructed; export a model with a trained encoder')
        kind = kind or info['converter']
        model_bars, rest = divmod(info['num_steps'], data.STEPS_PER_BAR)
        if data.base_kind(kind) != info['converter'] or rest or info['steps_per_bar'] != data.STEPS_PER_BAR:
            raise SystemExit(f'{name} is a {info["converter"]} model of {info["num_steps"]} '
                             f'steps at {info["steps_per_bar"]} per bar; it cannot evaluate '
                             f'{kind} windows')
        if bars is not None and bars != model_bars:
            raise SystemExit(f'{name} is a {model_bars}-bar model, not {bars}')
        windows = data.load_windows(kind, model_bars, split, shared_dir, cache_dir)
        sources = data.window_sources(kind, model_bars, split, shared_dir, cache_dir)
        total = len(windows)
        rng = np.random.default_rng(seed)
        if limit is not None and limit < total:
            # A random subset: the first windows would all come from the first few files.
            idx = np.sort(rng.choice(total, limit, replace=False))
            windows, sources = windows[idx], sources[idx]
        if not len(windows):
            raise SystemExit(f'no {kind} {model_bars}-bar windows in split {split!r}')
        acc, kl = evaluate(eng, windows, batch, rng)
        vectors = None
        vec_path = os.path.join(os.path.dirname(data.resolve_data_dir(shared_dir)), TESTVECTORS)
        if (kind, model_bars, info['z_size']) == ('melody', 2, 256) and os.path.exists(vec_path):
            vectors = testvector_agreement(eng, vec_path)
    return {'info': info, 'name': name, 'kind': kind, 'bars': model_bars, 'accuracy': acc,
            'kl_nats': float(kl.mean()), 'sequences': len(windows), 'total': total,
            'files': len(set(sources.tolist())), 'vectors': vectors,
            'seconds': time.time() - t0}


def main(argv=None):
    args = parse_args(argv)
    r = measure(args.model, args.split, args.limit, args.seed, args.batch, args.shared_dir,
                args.cache_dir, args.kind, args.bars)
    info, name, kind, bars, acc = r['info'], r['name'], r['kind'], r['bars'], r['accuracy']
    tracks = TRACK_NAMES[data.base_kind(kind)]
    # Trio: overall and per track; one track: the overall figure is the track's.
    cols = (lambda v: v) if len(tracks) > 1 else (lambda v: v[:1])
    pct = lambda v: [f'{100 * a:.2f}%' for a in cols(v)]
    drop = lambda a, b: [f'{100 * (x - y):+.2f}' for x, y in zip(cols(acc[a]), cols(acc[b]))]
    rows = [
        ['teacher-forced accuracy, z = mu'] + pct(acc['teacher']),
        ['sampled accuracy (T = 1), z = mu'] + pct(acc['sampled']),
        ['greedy accuracy, z = mu'] + pct(acc['greedy']),
        ['teacher-forced accuracy, z ~ N(0, I)'] + pct(acc['prior_teacher']),
        ['sampled accuracy (T = 1), z ~ N(0, I)'] + pct(acc['prior_sampled']),
        ['teacher-forced: points lost without z'] + drop('teacher', 'prior_teacher'),
        ['sampled: points lost without z'] + drop('sampled', 'prior_sampled'),
    ]
    blank = [''] * (len(rows[0]) - 2)
    rows += [['mean KL per sequence, bits', f'{r["kl_nats"] / LN2:.2f}'] + blank,
             ['mean KL per sequence, nats', f'{r["kl_nats"]:.2f}'] + blank]
    header = ['metric'] + (['all'] + tracks if len(tracks) > 1 else ['value'])

    if r['vectors']:
        agree, exact, cases, (ref_agree, ref_exact) = r['vectors']
        rows += [[f'test vectors: greedy(encode(source)) = source, per step '
                  f'(Magenta: {100 * ref_agree:.2f}%)', f'{100 * agree:.2f}%'] + blank,
                 [f'test vectors: sequences exactly right (Magenta: {ref_exact}/{cases})',
                  f'{exact}/{cases}'] + blank]
    n, total, files = r['sequences'], r['total'], r['files']
    subset = f', random {n} of {total} (seed {args.seed})' * (n < total)
    lines = [f'model: {name} ({os.path.basename(args.model)}, z {info["z_size"]}, '
             f'{"int8" if info["quantized"] else "float"} kernels)',
             f'data: {kind} {bars}-bar windows, split {args.split}: {n} sequences '
             f'from {files} files{subset}',
             f'engine: {info["kernels"]}; {r["seconds"]:.1f} s', '']
    if args.markdown:
        lines = [l if not l else '- ' + l for l in lines]
    print('\n'.join(lines) + table(header, rows, args.markdown))
    return r


if __name__ == '__main__':
    main(sys.argv[1:])
