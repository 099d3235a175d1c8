"""Held-out figures of a GrooVAE model file, run by the C engine, beside simple baselines.

    /usr/bin/python3 -m training.groove_eval models/groovae_2bar_humanize.q8.mvae [--split test]
        [--limit N] [--json OUT.json]

Each held-out window's input (the model's converter flags: humanized or tapped, as
training/groove_data.py builds it) is encoded to mu and decoded greedily by the engine
(training/engine.Engine.decode_groove); the decoded [hits | velocities | offsets] are compared with
the performance as played:
  hit accuracy  over every (step, drum class) cell; hit precision, recall and F1 over the same cells;
  velocity MAE  on the cells the performance hits, in MIDI velocity (0..127);
  offset MAE    on the cells the performance hits, in steps (the engine's offset value / 2) and
                in ms at 120 bpm (a 16th-note step is 125 ms);
  and both MAEs on the hits the decode also plays ("found": what one hears of the true hits).
Baselines (no model): humanize, the input itself (its hits) with the training set's mean hit
velocity and offset 0; tap, every tap on the training set's most frequent drum class, with the mean
velocity and the tap's own offset.
"""
import argparse
import json
import sys

import numpy as np

from training import engine, groove_data

C = 9  # drum classes
MS_PER_STEP_120BPM = 60000.0 / 120 / 4


def metrics(values, targets):
    """values, targets float [N, T, 27] -> the figures above (a dict of floats)."""
    pred, true = values[..., :C] > 0.5, targets[..., :C] > 0.5
    tp = float((pred & true).sum())
    precision = tp / max(float(pred.sum()), 1.0)
    recall = tp / max(float(true.sum()), 1.0)
    vel_err = np.abs(values[..., C:2 * C] - targets[..., C:2 * C]) * 127.0
    off_err = np.abs(values[..., 2 * C:] - targets[..., 2 * C:]) / 2.0
    vel, off = vel_err[true], off_err[true]
    found = pred & true  # the hits the decode plays: their velocity and timing as heard
    return {'windows': int(len(values)), 'hits': int(true.sum()),
            'hit_accuracy': float((pred == true).mean()), 'hit_precision': precision,
            'hit_recall': recall,
            'hit_f1': 2 * precision * recall / max(precision + recall, 1e-12),
            'velocity_mae': float(vel.mean()), 'offset_mae_steps': float(off.mean()),
            'offset_mae_ms': float(off.mean() * MS_PER_STEP_120BPM),
            'velocity_mae_found': float(vel_err[found].mean()) if found.any() else float('nan'),
            'offset_mae_ms_found': float(off_err[found].mean() * MS_PER_STEP_120BPM)
            if found.any() else float('nan')}


def training_stats(bars=2, shared_dir=None, cache_dir=None):
    """The training split's mean hit velocity (0..1) and most frequent drum class."""
    t = groove_data.load_groove(bars, 'train', shared_dir, cache_dir)['targets']
    hits = t[..., :C] > 0.5
    return float(t[..., C:2 * C][hits].mean()), int(hits.sum(axis=(0, 1)).argmax())


def baseline(kind, inputs, mean_velocity, top_class):
    """The no-model baseline's values [N, T, 27] for inputs of this kind ('humanize' or 'tap')."""
    out = np.zeros_like(inputs)
    if kind == 'humanize':
        hits = inputs[..., :C]
        out[..., :C] = hits
        out[..., C:2 * C] = hits * mean_velocity
        return out
    tapped = inputs[..., :C].max(-1) > 0.5            # tapify puts every tap on one class
    tap_offset = inputs[..., 2 * C:].sum(-1)           # the other classes' offsets are 0
    out[..., top_class] = tapped
    out[..., C + top_class] = tapped * mean_velocity
    out[..., 2 * C + top_class] = tapped * tap_offset
    return out


def evaluate(model_path, split='test', limit=None, seed=0, shared_dir=None, cache_dir=None):
    """{'model', 'baseline', 'input', 'split'} figures of a GrooVAE model file on a split
    (limit: that many windows drawn at random with `seed`)."""
    with engine.Engine(model_path) as eng:
        info = eng.info
        if info['converter'] != 'groove':
            raise SystemExit(f'{model_path}: not a GrooVAE model')
        kind = 'tap' if info['groove_tapify'] else 'humanize'
        bars = info['num_steps'] // info['steps_per_bar']
        d = groove_data.load_groove(bars, split, shared_dir, cache_dir)
        idx = np.arange(len(d['targets']))
        if limit and limit < len(idx):
            idx = np.sort(np.random.default_rng(seed).choice(idx, limit, replace=False))
        inputs, targets = d[kind][idx], d['targets'][idx]
        mu, _ = eng.encode(inputs)
        values, _ = eng.decode_groove(mu)
    mean_velocity, top_class = training_stats(bars, shared_dir, cache_dir)
    return {'split': split, 'input': kind, 'model': metrics(values, targets),
            'baseline': metrics(baseline(kind, inputs, mean_velocity, top_class), targets),
            'baseline_mean_velocity': mean_velocity * 127.0, 'baseline_class': top_class}


def main(argv=None):
    p = argparse.ArgumentParser(prog='python3 -m training.groove_eval', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('model')
    p.add_argument('--split', default='test')
    p.add_argument('--limit', type=int, default=None)
    p.add_argument('--json', default=None)
    a = p.parse_args(argv)
    r = evaluate(a.model, a.split, a.limit)
    for who in ('model', 'baseline'):
        m = r[who]
        print(f'{who:8s} {r["split"]} ({m["windows"]} windows, {m["hits"]} hits): '
              f'hit acc {m["hit_accuracy"]:.4f} P {m["hit_precision"]:.4f} '
              f'R {m["hit_recall"]:.4f} F1 {m["hit_f1"]:.4f} | velocity MAE '
              f'{m["velocity_mae"]:.2f} | offset MAE {m["offset_mae_steps"]:.4f} steps = '
              f'{m["offset_mae_ms"]:.2f} ms at 120 bpm | on hits found: velocity '
              f'{m["velocity_mae_found"]:.2f}, offset {m["offset_mae_ms_found"]:.2f} ms')
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(r, f, indent=1)
            f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1:])
