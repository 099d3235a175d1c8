"""Attribute vectors (Roberts et al. 2018, sec. 5.3, "attribute vector arithmetic"): for each melody
attribute, the mean latent vector of training windows high in it minus the mean of those low in it.
Adding a multiple of one to a z moves the decoded melody along that attribute.

    /usr/bin/python3 -m training.attribute_vectors [--model models/mel_2bar_small.q8.mvae]
        [--out models/mel_2bar_small.attributes.json] [--windows 8000] [--seed 1]

Windows: the train split of the 2-bar melody windows (training.data.load_windows('melody', 2,
'train'): no valid or test window, which stay held out), --windows of them drawn with --seed.
Each is measured by the engine's attribute definitions (mvae_note_attributes through
training/engine.py: density, pitch, range, syncopation; its notes from the engine's own events ->
notes conversion) and encoded by the model's encoder (its mu, C engine). For each attribute the
windows are ranked (ties in random order) and the vector is mean z of the top quarter minus mean z
of the bottom quarter. The JSON holds, per attribute, its name, the two quarters' mean attribute
values and the vector (the explorer's sliders and tests/js/attributes.test.mjs read it).
"""
import argparse
import json
import os
import sys

import numpy as np

from training import data
from training.engine import Engine, attribute_names, events_to_notes, note_attributes

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUARTER = 0.25


def measure(windows, min_pitch, max_pitch, num_steps):
    """float [N, 4]: the engine's attributes of each window's melody."""
    return np.stack([note_attributes(events_to_notes(w, min_pitch, max_pitch), num_steps)
                     for w in windows])


def attribute_vectors(z, attrs, rng):
    """[{low, high, vector}] per attribute column: top quarter minus bottom quarter (NaN rows out)."""
    out = []
    for a in range(attrs.shape[1]):
        valid = np.flatnonzero(np.isfinite(attrs[:, a]))
        order = valid[rng.permutation(len(valid))]             # random order among ties
        order = order[np.argsort(attrs[order, a], kind='stable')]
        k = max(1, int(len(order) * QUARTER))
        low, high = order[:k], order[-k:]
        out.append({'low': float(attrs[low, a].mean()), 'high': float(attrs[high, a].mean()),
                    'vector': (z[high].mean(0) - z[low].mean(0)).astype(np.float32)})
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', default=os.path.join(REPO, 'models/mel_2bar_small.q8.mvae'))
    ap.add_argument('--out', default=os.path.join(REPO, 'models/mel_2bar_small.attributes.json'))
    ap.add_argument('--windows', type=int, default=8000)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--cache-dir', default=None)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    with Engine(args.model) as eng:
        info = eng.info
        steps = info['num_steps']
        windows = data.load_windows('melody', steps // 16, 'train', cache_dir=args.cache_dir)[:, 0]
        pick = rng.choice(len(windows), size=min(args.windows, len(windows)), replace=False)
        windows = windows[np.sort(pick)].astype(np.int32)
        attrs = measure(windows, info['min_pitch'], info['max_pitch'], steps)
        inputs = np.zeros((len(windows), steps, info['input_depth']), np.float32)
        inputs[np.arange(len(windows))[:, None], np.arange(steps)[None, :], windows] = 1.0
        z = np.concatenate([eng.encode(inputs[i:i + 512])[0] for i in range(0, len(inputs), 512)])
    vectors = attribute_vectors(z, attrs, rng)
    names = attribute_names()
    doc = {
        'model': os.path.basename(args.model),
        'source': f"training.attribute_vectors: {len(windows)} train-split 2-bar melody windows "
                  f"(seed {args.seed}), mean mu of the top quarter minus the bottom quarter",
        'z_size': int(z.shape[1]),
        'attributes': [{'name': n, 'low': round(v['low'], 4), 'high': round(v['high'], 4),
                        'norm': round(float(np.linalg.norm(v['vector'])), 4),
                        'vector': [round(float(x), 5) for x in v['vector']]}
                       for n, v in zip(names, vectors)],
    }
    with open(args.out, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    for a in doc['attributes']:
        print(f"{a['name']:12s} low quarter {a['low']:8.3f}  high quarter {a['high']:8.3f}  "
              f"|vector| {a['norm']:.3f}")
    print(f'wrote {args.out} ({os.path.getsize(args.out)} bytes)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
