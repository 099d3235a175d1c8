"""The paper's third claim: interpolating in latent space gives sequences that move smoothly from
one melody to another and stay plausible; interpolating in data space does not.

    /usr/bin/python3 -m training.interpolation [--models A.mvae B.mvae ...]
        [--svg docs/interpolation.svg] [--markdown] [--pairs N] [--lm-steps N] [--seed S]

Protocol (Roberts et al. 2018, sec. 5.3, as we read it). For each melody model (default: the 2-bar
model and the flat and hierarchical 16-bar models), pairs (a, b) of held-out test windows of the
model's length (training.data.load_windows('melody', bars, 'test'); 256 pairs for 2 bars, 128 for
16, drawn with --seed, a != b) are interpolated at alpha = 0, 0.1, ..., 1:

  latent      z_a, z_b = the encoder's mu (C engine), z(alpha) by the engine's mvae_interpolate,
              slerp (Magenta Python's MusicVAE.interpolate) and linear (magenta.js), then a greedy
              decode (C engine)
  data space  the baseline: each step takes b's event when u < alpha, else a's, with one
              u ~ U[0, 1) per step and pair (fixed seed) shared by every alpha, so a step that has
              switched to b stays switched as alpha grows; alpha 0 is a, alpha 1 is b

and for each alpha it reports
  Hamming     the fraction of steps that differ from the start sequence a (raw), and that divided
              per pair by the fraction that differs between a and b (normalized: 0 at a, 1 at b)
  LM log-lik  the mean log-likelihood per step (nats) of the interpolated sequences under a small
              LSTM language model (1 layer, 256 units, next event over the 90 melody classes)
              trained here on the train split windows of the same length, one per length, cached
              in training/runs/lm_melody_<bars>bar/ (a rerun reuses it; an interrupted one resumes)
"""
import argparse
import ctypes
import math
import os
import sys
import time

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')  # before torch: see training/train.py

import numpy as np  # noqa: E402
import torch  # noqa: E402

from training import data  # noqa: E402
from training.engine import Engine, load_library  # noqa: E402
from training.evaluate import encoder_inputs, table  # noqa: E402
from training.train import atomic_save  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUM_ALPHAS = 11  # alpha = i / 10
PAIRS = {2: 256, 16: 128}  # pairs per model length (bars); others: 128
LM_STEPS = {2: 2000, 16: 1000}  # language-model training steps per length; others: 1000
LM_BATCH = {2: 64, 16: 32}
METHODS = ('slerp', 'linear')
INTERP_CODE = {'linear': 0, 'slerp': 1}  # mvae_interp


def default_models():
    two_bar = os.path.join(ROOT, 'models', 'mel_2bar_small.mvae')  # fp32, from scripts/build.sh
    if not os.path.exists(two_bar):
        two_bar = os.path.join(ROOT, 'models', 'mel_2bar_small.q8.mvae')
    return [two_bar] + [os.path.join(ROOT, 'models', f) for f in
                        ('flat_mel_16bar_small.q8.mvae', 'hierdec_mel_16bar_small.q8.mvae')]


def parse_args(argv):
    p = argparse.ArgumentParser(prog='python3 -m training.interpolation', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--models', nargs='+', default=None,
                   help='melody .mvae files with an encoder (default: mel_2bar_small, '
                        'flat_mel_16bar_small.q8, hierdec_mel_16bar_small.q8)')
    p.add_argument('--pairs', type=int, default=None,
                   help='pairs per model (default: 256 for 2 bars, 128 for 16)')
    p.add_argument('--seed', type=int, default=0, help='pairs and the data-space mask')
    p.add_argument('--lm-steps', type=int, default=None,
                   help='language-model training steps (default: 2000 for 2 bars, 1000 for 16)')
    p.add_argument('--lm-dir', default=os.path.join(ROOT, 'training', 'runs'),
                   help='where the language models are kept (lm_melody_<bars>bar/)')
    p.add_argument('--svg', default=None, help='write the figure here')
    p.add_argument('--markdown', action='store_true', help='print markdown tables')
    p.add_argument('--shared-dir', default=None, help='for training.data.load_windows')
    p.add_argument('--cache-dir', default=None, help='for training.data.load_windows')
    return p.parse_args(argv)


# ---- pairs and the two kinds of interpolation ---------------------------------------------------

def draw_pairs(windows, n_pairs, rng):
    """windows int [N, T] -> (a, b) int [n, T] each: disjoint random pairs of different sequences
    (identical ones would have no start-end distance to normalize by)."""
    order = rng.permutation(len(windows))
    a_idx, b_idx = order[0::2][:len(order) // 2], order[1::2]
    keep = (windows[a_idx] != windows[b_idx]).any(axis=1)
    a_idx, b_idx = a_idx[keep][:n_pairs], b_idx[keep][:n_pairs]
    return windows[a_idx], windows[b_idx]


def alphas(n=NUM_ALPHAS):
    return np.arange(n) / (n - 1)


def data_space(a, b, alpha_values, u):
    """The data-space baseline: [len(alphas), n, T] where step t of pair i at alpha is
    b[i, t] if u[i, t] < alpha else a[i, t]. u float [n, T] in [0, 1)."""
    return np.stack([np.where(u < al, b, a) for al in alpha_values])


def latent_path(za, zb, n, method):
    """z float [pairs, Z] each -> [n, pairs, Z]: n points from za to zb inclusive by the engine's
    mvae_interpolate (t = i / (n - 1)), slerp or linear."""
    lib = load_library()
    fn = lib.mvae_interpolate
    f32p = ctypes.POINTER(ctypes.c_float)
    fn.restype = ctypes.c_int
    fn.argtypes = [f32p, f32p, ctypes.c_int, ctypes.c_int, ctypes.c_int, f32p]
    za, zb = (np.ascontiguousarray(z, np.float32) for z in (za, zb))
    out = np.empty((len(za), n, za.shape[1]), np.float32)
    for i in range(len(za)):
        status = fn(za[i].ctypes.data_as(f32p), zb[i].ctypes.data_as(f32p), za.shape[1], n,
                    INTERP_CODE[method], out[i].ctypes.data_as(f32p))
        if status:
            raise RuntimeError(f'mvae_interpolate: {lib.mvae_status_string(status).decode()}')
    return out.transpose(1, 0, 2)


def hamming(seqs, start, end):
    """seqs int [..., n, T] -> (raw, normalized) float [..., n]: the fraction of steps that differ
    from start [n, T], and that divided by the fraction that differs between start and end."""
    raw = (seqs != start).mean(axis=-1)
    return raw, raw / (end != start).mean(axis=-1)


# ---- the language model -------------------------------------------------------------------------

class MelodyLM(torch.nn.Module):
    """p(x_t | x_<t) over the melody classes: an LSTM fed the previous event (a start token, one
    past the classes, at t = 0)."""

    def __init__(self, classes=data.MELODY_CLASSES, embed=64, hidden=256):
        super().__init__()
        self.classes = classes
        self.embed = torch.nn.Embedding(classes + 1, embed)
        self.lstm = torch.nn.LSTM(embed, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, classes)

    def forward(self, x):
        """x long [B, T] -> log p(x_t = c | x_<t) float [B, T, classes]."""
        start = torch.full((x.shape[0], 1), self.classes, dtype=x.dtype)
        h, _ = self.lstm(self.embed(torch.cat([start, x[:, :-1]], dim=1)))
        return torch.log_softmax(self.out(h), dim=-1)

    @torch.no_grad()
    def log_likelihood(self, x, batch=256):
        """x int [N, T] -> float64 [N]: each sequence's mean log-likelihood per step, nats."""
        x = np.asarray(x).reshape(-1, np.asarray(x).shape[-1])
        out = []
        for s in range(0, len(x), batch):
            xb = torch.from_numpy(x[s:s + batch].astype(np.int64))
            logp = self(xb).gather(-1, xb[..., None])[..., 0]
            out.append(logp.double().mean(dim=1).numpy())
        return np.concatenate(out) if out else np.zeros(0)


def train_lm(train, heldout, steps, batch, run_dir, seed=0, hidden=256, lr=2e-3, log=print,
             checkpoint_every=50):
    """Trains (or loads, or resumes) a MelodyLM on windows int [N, T]. The batch of step s is drawn
    from rng([seed, s]), so a resumed run takes the same steps as an uninterrupted one. Returns
    (model, record); record: steps, seconds (of training, summed over sittings), batch,
    windows, heldout_nll (nats per step on `heldout`), heldout_windows."""
    os.makedirs(run_dir, exist_ok=True)
    path = os.path.join(run_dir, 'lm.pt')
    config = {'hidden': hidden, 'lr': lr, 'batch': batch, 'seed': seed,
              'steps_per_window': int(train.shape[1]), 'classes': data.MELODY_CLASSES}
    torch.manual_seed(seed)
    model = MelodyLM(hidden=hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    state = {'step': 0, 'seconds': 0.0}
    if os.path.exists(path):
        ck = torch.load(path)
        if ck['config'] != config:
            raise SystemExit(f'{path} was trained with {ck["config"]}, not {config}: '
                             'remove it or pass another --lm-dir')
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['opt'])
        state = {'step': ck['step'], 'seconds': ck['seconds']}

    def save():
        atomic_save({'config': config, 'model': model.state_dict(), 'opt': opt.state_dict(),
                     **state}, path)

    if state['step'] < steps:
        log(f'language model {run_dir}: steps {state["step"]} -> {steps} on {len(train)} windows')
        xs = torch.from_numpy(np.asarray(train, np.int64))
        t0, last = time.time(), state['seconds']
        while state['step'] < steps:
            idx = np.random.default_rng([seed, state['step']]).integers(len(xs), size=batch)
            x = xs[idx]
            loss = -model(x).gather(-1, x[..., None]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            state['step'] += 1
            state['seconds'] = last + time.time() - t0
            if state['step'] % checkpoint_every == 0 or state['step'] == steps:
                save()
                log(f'  step {state["step"]}: train NLL {loss.item():.3f} nats/step, '
                    f'{state["seconds"]:.0f} s')
    model.eval()
    record = dict(steps=state['step'], seconds=state['seconds'], batch=batch, windows=len(train),
                  heldout_nll=float(-model.log_likelihood(heldout).mean()),
                  heldout_windows=len(heldout))
    return model, record


# ---- one model ------------------------------------------------------------------------------

def model_bars(info, path):
    bars, rest = divmod(info['num_steps'], data.STEPS_PER_BAR)
    if (info['converter'] != 'melody' or rest or info['steps_per_bar'] != data.STEPS_PER_BAR
            or not info['has_encoder']):
        raise SystemExit(f'{path}: not a melody model with an encoder at '
                         f'{data.STEPS_PER_BAR} steps per bar')
    return bars


def interpolate_model(eng, a, b):
    """Latent interpolations of pairs a, b int [n, T]: {method: tokens int [NUM_ALPHAS, n, T]}."""
    info = eng.info
    za, _ = eng.encode(encoder_inputs(info, a[:, None, :]))
    zb, _ = eng.encode(encoder_inputs(info, b[:, None, :]))
    out = {}
    for method in METHODS:
        z = latent_path(za, zb, NUM_ALPHAS, method)
        tokens = eng.decode(z.reshape(-1, z.shape[-1]))[:, 0, :]
        out[method] = tokens.reshape(NUM_ALPHAS, len(a), -1)
    return out


def summarize(seqs, a, b, lm):
    """seqs int [NUM_ALPHAS, n, T] -> per alpha mean raw and normalized Hamming and LM log-lik."""
    raw, norm = hamming(seqs, a, b)
    ll = lm.log_likelihood(seqs.reshape(-1, seqs.shape[-1])).reshape(seqs.shape[:2])
    return {'hamming': raw.mean(axis=1), 'normalized': norm.mean(axis=1),
            'loglik': ll.mean(axis=1)}


# ---- output -------------------------------------------------------------------------------

COLORS = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b83280', '#975a16']


def svg_figure(groups):
    """groups: [(title, lm_note, curves)]; curves: [(label, color, dashed, normalized Hamming per
    alpha, log-likelihood per alpha)]. One row per group: normalized Hamming and LM log-likelihood against alpha. Plain SVG."""
    pw, ph, left, gap, top, row_gap = 330, 190, 60, 90, 85, 95
    width = left + 2 * pw + gap + 20
    height = top + len(groups) * (ph + row_gap)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="22" font-size="15" font-weight="bold">Interpolating between held-out '
           'melodies: latent space (greedy decode) vs data space</text>',
           '<text x="10" y="42" fill="#555">left: Hamming distance to the start melody / '
           'start-end distance (0 at the start, 1 at the end);</text>',
           '<text x="10" y="57" fill="#555">right: mean log-likelihood per step under an LSTM '
           'language model trained on the same data (nats; higher = more plausible)</text>']

    def panel(x0, y0, lo, hi, ticks, ylabel, curves_key, curves):
        sx = lambda al: x0 + pw * al
        sy = lambda v: y0 + ph * (hi - v) / (hi - lo)
        for t in ticks:
            out.append(f'<line x1="{x0}" y1="{sy(t):.1f}" x2="{x0 + pw}" y2="{sy(t):.1f}" '
                       'stroke="#e2e2e2"/>')
            out.append(f'<text x="{x0 - 6}" y="{sy(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
        for al in (0, 0.25, 0.5, 0.75, 1):
            out.append(f'<text x="{sx(al):.1f}" y="{y0 + ph + 16}" text-anchor="middle">'
                       f'{al:g}</text>')
        out.append(f'<rect x="{x0}" y="{y0}" width="{pw}" height="{ph}" fill="none" '
                   'stroke="#333"/>')
        out.append(f'<text x="{x0 + pw / 2}" y="{y0 + ph + 32}" text-anchor="middle">'
                   'alpha (fraction of the way to the end melody)</text>')
        out.append(f'<text x="{x0}" y="{y0 - 6}" fill="#333">{ylabel}</text>')
        for label, color, dashed, *vals in curves:
            v = vals[curves_key]
            pts = ' '.join(f'{sx(al):.1f},{sy(y):.1f}' for al, y in zip(alphas(len(v)), v))
            dash = ' stroke-dasharray="5,4"' if dashed else ''
            out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" '
                       f'stroke-width="2"{dash}/>')
            out.extend(f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="2.5" '
                       f'fill="{color}"/>' for p in pts.split())

    for g, (title, lm_note, curves) in enumerate(groups):
        y0 = top + g * (ph + row_gap) + 30
        out.append(f'<text x="10" y="{y0 - 24}" font-weight="bold">{title}</text>')
        norm_hi = max(1.0, max(max(c[3]) for c in curves))
        norm_lo = min(0.0, min(min(c[3]) for c in curves))
        panel(left, y0, norm_lo - 0.05, norm_hi + 0.05,
              [t / 4 for t in range(math.ceil(4 * norm_lo), math.floor(4 * norm_hi) + 1)],
              'normalized Hamming distance to the start', 0, curves)
        lo = min(min(c[4]) for c in curves)
        hi = max(max(c[4]) for c in curves)
        step = 0.25 if hi - lo < 1.5 else 0.5 if hi - lo < 3 else 1.0
        lo_t, hi_t = math.floor(lo / step) * step, math.ceil(hi / step) * step
        ticks = [lo_t + i * step for i in range(int(round((hi_t - lo_t) / step)) + 1)]
        panel(left + pw + gap, y0, lo_t, hi_t, ticks,
              f'LM log-likelihood per step ({lm_note})', 1, curves)
        lx = left
        for label, color, dashed, *_ in curves:  # legend under the row
            dash = ' stroke-dasharray="5,4"' if dashed else ''
            ly = y0 + ph + 50
            out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 24}" y2="{ly - 4}" '
                       f'stroke="{color}" stroke-width="2"{dash}/>')
            out.append(f'<text x="{lx + 28}" y="{ly}">{label}</text>')
            lx += 40 + 7 * len(label)
    out.append('</svg>')
    return '\n'.join(out) + '\n'


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    say = lambda msg: print(msg, file=sys.stderr, flush=True)
    models = args.models or default_models()
    engines = []
    for path in models:
        eng = Engine(path)
        engines.append((path, eng, model_bars(eng.info, path)))
    lms, pairs, baselines, results = {}, {}, {}, []
    for bars in sorted({b for _, _, b in engines}):
        load = lambda split: data.load_windows('melody', bars, split, args.shared_dir,
                                               args.cache_dir)[:, 0, :].astype(np.int64)
        heldout = load('valid')
        heldout = heldout[np.random.default_rng(args.seed).permutation(len(heldout))[:512]]
        steps = args.lm_steps or LM_STEPS.get(bars, 1000)
        lms[bars] = train_lm(load('train'), heldout, steps, LM_BATCH.get(bars, 32),
                             os.path.join(args.lm_dir, f'lm_melody_{bars}bar'), seed=args.seed,
                             log=say)
        rng = np.random.default_rng(args.seed)
        a, b = draw_pairs(load('test'), args.pairs or PAIRS.get(bars, 128), rng)
        pairs[bars] = (a, b)
        u = rng.random(a.shape)
        baselines[bars] = summarize(data_space(a, b, alphas(), u), a, b, lms[bars][0])
    for path, eng, bars in engines:
        t0 = time.time()
        a, b = pairs[bars]
        latent = interpolate_model(eng, a, b)
        name = eng.info['name'] or os.path.basename(path)
        ends = latent['slerp'][[0, -1]]  # the decoded start and end (the same for both methods)
        results.append((name, os.path.basename(path), bars,
                        {m: summarize(latent[m], a, b, lms[bars][0]) for m in METHODS},
                        {'start_right': (ends[0] == a).mean(), 'end_right': (ends[1] == b).mean(),
                         'ends_differ': (ends[0] != ends[1]).mean(),
                         'held': (latent['slerp'] == data.NO_EVENT).mean(),
                         'held_real': (np.concatenate([a, b]) == data.NO_EVENT).mean()}))
        say(f'{name}: {len(a)} pairs, {time.time() - t0:.0f} s')
        eng.close()

    f3 = lambda v: f'{v:.3f}'
    header = ['alpha', 'data: Hamming', 'normalized', 'LM log-lik', 'slerp: Hamming',
              'normalized', 'LM log-lik', 'linear: Hamming', 'normalized', 'LM log-lik']
    for bars in sorted(pairs):
        lm, rec = lms[bars]
        a, b = pairs[bars]
        lines = [f'{bars}-bar: {len(a)} pairs of test windows (seed {args.seed}), mean start-end '
                 f'Hamming distance {(a != b).mean():.3f}',
                 f'{bars}-bar language model: 1-layer LSTM {lm.lstm.hidden_size}, {rec["steps"]} '
                 f'steps at batch {rec["batch"]} on {rec["windows"]} train windows, '
                 f'{rec["seconds"]:.0f} s; held-out NLL {rec["heldout_nll"]:.3f} nats/step on '
                 f'{rec["heldout_windows"]} valid windows']
        if args.markdown:
            lines = ['- ' + l for l in lines]
        print('\n'.join(lines) + '\n')
        base = baselines[bars]
        for name, fname, _, s, ends in (r for r in results if r[2] == bars):
            rows = [[f'{alpha:.1f}'] + [f3(m[key][k]) for m in (base, s['slerp'], s['linear'])
                                        for key in ('hamming', 'normalized', 'loglik')]
                    for k, alpha in enumerate(alphas())]
            title = f'{name} ({fname}): latent interpolation, greedy decode, vs data space'
            note = (f'greedy decode of the start\'s mu: {100 * ends["start_right"]:.1f}% of steps '
                    f'as the start; of the end\'s: {100 * ends["end_right"]:.1f}% as the end; the '
                    f'two decodes differ at {ends["ends_differ"]:.3f} of steps (the melodies: '
                    f'{(a != b).mean():.3f}); "no event" (hold or rest) at '
                    f'{100 * ends["held"]:.1f}% of the decoded steps (the melodies: '
                    f'{100 * ends["held_real"]:.1f}%)')
            print(('**' + title + '**' if args.markdown else title) + '\n\n' + note + '\n')
            print(table(header, rows, args.markdown) + '\n')

    if args.svg:
        groups = []
        for bars in sorted(pairs):
            curves = [('data space', '#888', True, baselines[bars]['normalized'],
                       baselines[bars]['loglik'])]
            for i, (name, _, _, s, _) in enumerate(r for r in results if r[2] == bars):
                curves.append((f'{name} (latent, slerp)', COLORS[i % len(COLORS)], False,
                               s['slerp']['normalized'], s['slerp']['loglik']))
            groups.append((f'{bars}-bar melodies, {len(pairs[bars][0])} pairs of test windows',
                           f'{bars}-bar LM', curves))
        os.makedirs(os.path.dirname(os.path.abspath(args.svg)), exist_ok=True)
        with open(args.svg, 'w') as f:
            f.write(svg_figure(groups))
        say(f'wrote {args.svg}')
    return {'baselines': baselines, 'results': results, 'lms': {b: r for b, (_, r) in lms.items()}}


if __name__ == '__main__':
    main(sys.argv[1:])
