"""Greedy reconstruction with plain encode (mu) and with refinement (Adam steps on z through the
frozen decoder, mvae_encode_refined), by the C engine, on held-out and out-of-corpus 2-bar
melodies.

    /usr/bin/python3 tools/refine_eval.py [--model models/mel_2bar_small.mvae] [--steps 10,20,30,50]
        [--windows 512] [--json out.json]

Sets:
  heldout   2-bar melody windows of the held-out POP909/Nottingham files (training.data's 'test'
            split), the corpora the encoder was trained on
  freedoom  out of corpus: the monophonic melody and bass lines of Freedoom's trios (every split;
            no part of mel_2bar_small trained on Freedoom), cut into 2-bar pieces (hop 2 bars)
            with at least one note onset, deduplicated
Each set is subsampled to --windows windows (fixed seed) for the refined runs; plain encode is also
reported on the whole set. Accuracy is per step: greedy(z) == the input's own events.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from training import data  # noqa: E402
from training.engine import Engine  # noqa: E402

STEPS_2BAR = 2 * data.STEPS_PER_BAR


def heldout_windows():
    return data.load_windows('melody', 2, 'test')[:, 0].astype(np.int32)


def freedoom_windows():
    """2-bar melody-encoded pieces of the trios' melody and bass tracks, with their track name."""
    pieces, tracks = [], []
    for split in data.SPLITS:
        w = data.load_windows('trio', 16, split)
        for track, name in ((0, 'melody'), (1, 'bass')):
            lines = w[:, track]  # [N, 256], melody classes
            cut = lines.reshape(len(lines), -1, STEPS_2BAR).reshape(-1, STEPS_2BAR)
            pieces.append(cut)
            tracks += [name] * len(cut)
    pieces, tracks = np.concatenate(pieces).astype(np.int32), np.array(tracks)
    has_onset = (pieces >= data.FIRST_PITCH_CLASS).any(1)
    pieces, tracks = pieces[has_onset], tracks[has_onset]
    _, first = np.unique(pieces, axis=0, return_index=True)
    first.sort()
    return pieces[first], tracks[first]


def one_hot(events, depth):
    return np.eye(depth, dtype=np.float32)[events]


def accuracy(eng, z, events):
    tokens = eng.decode(z)[:, 0]
    same = tokens == events
    return float(same.mean()), float(same.all(1).mean())


def evaluate_set(eng, name, events, steps_list, n_windows, lr, prior, seed):
    depth = eng.info['output_depths'][0]
    x_all = one_hot(events, depth)
    mu_all, _ = eng.encode(x_all)
    full_acc, full_exact = accuracy(eng, mu_all, events)
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(events), min(n_windows, len(events)), replace=False))
    ev, x, mu = events[pick], x_all[pick], mu_all[pick]
    acc, exact = accuracy(eng, mu, ev)
    rows = [{'steps': 0, 'accuracy': acc, 'exact': exact, 'ms_per_window': None,
             'z_sq_norm': float((mu.astype(np.float64) ** 2).sum(1).mean())}]
    print(f'{name}: {len(events)} windows; plain encode {100 * full_acc:.2f}% '
          f'({100 * full_exact:.1f}% exact); refined on {len(pick)}:', flush=True)
    print(f'  steps  0: {100 * acc:6.2f}% ({100 * exact:5.1f}% exact)', flush=True)
    for steps in steps_list:
        t, cpu = time.perf_counter(), time.process_time()
        z, stats = eng.encode_refined(x, steps=steps, learning_rate=lr, prior_weight=prior,
                                      stats=True)
        ms = (time.perf_counter() - t) * 1e3 / len(pick)
        cpu_ms = (time.process_time() - cpu) * 1e3 / len(pick)
        acc, exact = accuracy(eng, z, ev)
        rows.append({'steps': steps, 'accuracy': acc, 'exact': exact, 'ms_per_window': ms,
                     'cpu_ms_per_window': cpu_ms,
                     'loss_start': float(stats['loss_start'].mean()),
                     'loss': float(stats['loss'].mean()),
                     'z_sq_norm': float((z.astype(np.float64) ** 2).sum(1).mean())})
        print(f'  steps {steps:2d}: {100 * acc:6.2f}% ({100 * exact:5.1f}% exact), loss '
              f'{rows[-1]["loss_start"]:.3f} -> {rows[-1]["loss"]:.3f} nats, |z|^2 '
              f'{rows[-1]["z_sq_norm"]:.1f}, {ms:.1f} ms ({cpu_ms:.1f} ms CPU) per window '
              f'(batched)', flush=True)
    return {'set': name, 'windows': int(len(events)), 'plain_full_accuracy': full_acc,
            'plain_full_exact': full_exact, 'subsample': int(len(pick)), 'runs': rows}


def single_window_ms(eng, events, steps, n=8):
    """Wall-clock ms of refining one window per call (as the explorer refines a dropped file)."""
    depth = eng.info['output_depths'][0]
    times, cpu = [], []
    for i in range(min(n, len(events))):
        x = one_hot(events[i:i + 1], depth)
        t, c = time.perf_counter(), time.process_time()
        eng.encode_refined(x, steps=steps)
        times.append((time.perf_counter() - t) * 1e3)
        cpu.append((time.process_time() - c) * 1e3)
    return float(np.mean(times)), float(np.min(times)), float(np.mean(cpu))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', default=os.path.join(REPO, 'models', 'mel_2bar_small.mvae'))
    ap.add_argument('--steps', default='10,20,30,50')
    ap.add_argument('--windows', type=int, default=512)
    ap.add_argument('--lr', type=float, help='default: the engine\'s')
    ap.add_argument('--prior', type=float, help='default: the engine\'s')
    ap.add_argument('--sets', default='heldout,freedoom')
    ap.add_argument('--seed', type=int, default=1,
                    help='subsample seed (the defaults were chosen on seed 0\'s windows)')
    ap.add_argument('--json')
    args = ap.parse_args(argv)
    steps_list = [int(s) for s in args.steps.split(',') if s]
    with Engine(args.model) as eng:
        defaults = eng.refine_defaults()
        args.lr = defaults['learning_rate'] if args.lr is None else args.lr
        args.prior = defaults['prior_weight'] if args.prior is None else args.prior
        out = {'model': os.path.relpath(args.model, REPO), 'lr': args.lr, 'prior': args.prior,
               'seed': args.seed, 'sets': []}
        print(f'{out["model"]}: kernels {eng.info["kernels"]}, lr {args.lr:g}, prior '
              f'{args.prior:g}, subsample seed {args.seed}')
        for name in args.sets.split(','):
            if name == 'heldout':
                events = heldout_windows()
            elif name == 'freedoom':
                events, tracks = freedoom_windows()
                print(f'freedoom: {int((tracks == "melody").sum())} melody-track and '
                      f'{int((tracks == "bass").sum())} bass-track pieces')
            else:
                raise SystemExit(f'unknown set {name}')
            out['sets'].append(evaluate_set(eng, name, events, steps_list, args.windows, args.lr,
                                            args.prior, args.seed))
        events = heldout_windows()[:8]
        mean, best, cpu = single_window_ms(eng, events, 30)
        out['single_window_30_steps_ms'] = {'mean': mean, 'best': best, 'cpu_mean': cpu}
        print(f'one window per call, 30 steps: {mean:.1f} ms mean, {best:.1f} ms best, '
              f'{cpu:.1f} ms CPU '
              f'(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(out, f, indent=1)


if __name__ == '__main__':
    main()
