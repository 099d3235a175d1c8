"""The results table of the README: every shipped model, evaluated by the C engine on held-out
windows, beside the paper's Table 1; and the posterior-collapse figure.

    /usr/bin/python3 -m training.results [MODEL.mvae ...] [--limit N] [--seed S]
        [--svg docs/posterior-collapse.svg]

Without models it takes every int8 file shipped in models/ (models/*.q8.mvae). Each model runs
training.evaluate.measure on the test split (the trainer's by-file split; a random --limit of the
windows, the same for every run with the same seed). It prints markdown:

1. reconstruction accuracy per step, teacher-forced and sampled at temperature 1.0 with z = mu
   (Table 1's protocol), per trio track too, with the paper's figure for the same model kind;
2. posterior collapse: mean KL per sequence and the accuracy left when z ~ N(0, I) replaces mu.

--svg also draws (2) as a bar chart.
"""
import argparse
import glob
import math
import os
import sys

from training import mvae_format
from training.evaluate import LN2, TRACK_NAMES, measure

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Roberts et al. 2018, Table 1 (teacher-forced, sampled) for (converter, bars, hierarchical).
# These are the rows recorded in ../shared/reference/musicvae-facts.md; where the paper's row is
# not recorded there, the table says so rather than guess.
PAPER = {
    ('melody', 2, False): (0.986, 0.951),
    ('melody', 16, False): (0.883, 0.620),
    ('melody', 16, True): (0.919, 0.812),
}
PAPER_NOTES = {
    ('drums', 2, False): '2-bar drums: not recorded here (16-bar drums: flat 0.884 / 0.549, '
                         'hierarchical 0.928 / 0.879)',
    ('trio', 16, True): 'trio: not recorded here',
}


def parse_args(argv):
    p = argparse.ArgumentParser(prog='python3 -m training.results', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('models', nargs='*', help='default: models/*.q8.mvae')
    p.add_argument('--limit', type=int, default=1000,
                   help='windows per model, drawn at random from the test split (0: all)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--svg', default=None, help='write the posterior-collapse chart here')
    p.add_argument('--shared-dir', default=None)
    p.add_argument('--cache-dir', default=None)
    return p.parse_args(argv)


def model_facts(path):
    """(parameters, MB on disk, the file's general.source line) from the model file itself."""
    meta, tensors = mvae_format.read_model_raw(path)
    params = sum(math.prod(t.dims) for t in tensors.values())
    return params, os.path.getsize(path) / 2 ** 20, meta.get('general.source', '')


def pct(x):
    return f'{100 * x:.1f}%'


def rows_for(path, r):
    """Per model: one row per track (trio: the tracks, then all of them)."""
    info, acc = r['info'], r['accuracy']
    params, mb, source = model_facts(path)
    hier = bool(info['hierarchical'])
    tracks = TRACK_NAMES[r['kind']]
    label = f'{r["bars"]}-bar {r["kind"]}, {"hierarchical" if hier else "flat"}'
    paper = PAPER.get((r['kind'], r['bars'], hier))
    size = f'{params / 1e6:.2f} M params, {mb:.1f} MB int8'
    parts = [(t, i + 1) for i, t in enumerate(tracks)] if len(tracks) > 1 else []
    parts.append(('all' if parts else tracks[0], 0))
    table1, collapse = [], []
    for track, col in parts:
        name = f'{r["name"]} ({track})' if len(tracks) > 1 else r['name']
        table1.append([name, label, size, pct(acc['teacher'][col]), pct(acc['sampled'][col]),
                       f'{paper[0]:.3f} / {paper[1]:.3f}' if paper and col == 0 else
                       ('' if col else '—')])
        collapse.append([name, f'{r["kl_nats"] / LN2:.0f}' if col == 0 else '',
                         pct(acc['teacher'][col]), pct(acc['prior_teacher'][col]),
                         f'{100 * (acc["teacher"][col] - acc["prior_teacher"][col]):+.1f}',
                         pct(acc['sampled'][col]), pct(acc['prior_sampled'][col]),
                         f'{100 * (acc["sampled"][col] - acc["prior_sampled"][col]):+.1f}'])
    return table1, collapse, source


def markdown(header, rows):
    lines = [header, ['---'] * 3 + ['---:'] * (len(header) - 3)] + rows
    return '\n'.join('| ' + ' | '.join(r) + ' |' for r in lines)


def svg_chart(results):
    """Grouped horizontal bars: per model, sampled and teacher-forced accuracy with z = mu and with
    a random z, and the KL in bits. Plain SVG, no plotting library."""
    bar, gap, left, width = 12, 14, 250, 420
    series = [('teacher', 'teacher-forced, z = mu', '#2b6cb0'),
              ('prior_teacher', 'teacher-forced, random z', '#90cdf4'),
              ('sampled', 'sampled T=1, z = mu', '#c05621'),
              ('prior_sampled', 'sampled T=1, random z', '#fbd38d')]
    group = len(series) * bar + gap
    top = 60
    height = top + group * len(results) + 50
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 110}" '
           f'height="{height}" font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-size="15" font-weight="bold">Posterior collapse: '
           'accuracy with the encoded z vs a random z (held-out windows)</text>']
    axis_y = top + group * len(results)
    for t in range(0, 101, 25):  # the grid first, under the bars
        x = left + width * t / 100
        out += [f'<line x1="{x}" y1="{top - 4}" x2="{x}" y2="{axis_y}" stroke="#ddd"/>',
                f'<text x="{x}" y="{axis_y + 16}" text-anchor="middle">{t}%</text>']
    for i, (_, label, color) in enumerate(series):
        x = 10 + i * 190
        out += [f'<rect x="{x}" y="32" width="12" height="12" fill="{color}"/>',
                f'<text x="{x + 16}" y="42">{label}</text>']
    for g, r in enumerate(results):
        y0 = top + g * group
        out.append(f'<text x="{left - 8}" y="{y0 + 2 * bar}" text-anchor="end">{r["name"]}</text>')
        out.append(f'<text x="{left - 8}" y="{y0 + 3 * bar + 2}" text-anchor="end" fill="#555">'
                   f'KL {r["kl_nats"] / LN2:.0f} bits/sequence</text>')
        for i, (key, _, color) in enumerate(series):
            v = r['accuracy'][key][0]
            y = y0 + i * bar
            out += [f'<rect x="{left}" y="{y}" width="{v * width:.1f}" height="{bar - 2}" '
                    f'fill="{color}"/>',
                    f'<text x="{left + v * width + 4:.1f}" y="{y + bar - 3}">{100 * v:.1f}%</text>']
    out.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + width}" y2="{axis_y}" '
               'stroke="#333"/>')
    out.append(f'<text x="{left + width / 2}" y="{axis_y + 34}" text-anchor="middle">'
               'per-step reconstruction accuracy</text>')
    out.append('</svg>')
    return '\n'.join(out) + '\n'


def main(argv=None):
    args = parse_args(argv)
    models = args.models or sorted(glob.glob(os.path.join(ROOT, 'models', '*.q8.mvae')))
    # Left out: GrooVAE models, measured in hits, velocities and offsets (training/groove_eval.py),
    # and chord-conditioned ones, which need a progression (training/chords_report.py).
    def measurable(p):
        meta = mvae_format.read_model_raw(p)[0]
        return meta.get('converter.type') != 'groove' and not meta.get('musicvae.control_depth')
    models = [p for p in models if measurable(p)]
    if not models:
        raise SystemExit('no models given and no models/*.q8.mvae')
    table1, collapse, notes, results = [], [], [], []
    for path in models:
        r = measure(path, 'test', args.limit or None, args.seed, 256, args.shared_dir,
                    args.cache_dir)
        results.append(r)
        t, c, source = rows_for(path, r)
        table1 += t
        collapse += c
        note = PAPER_NOTES.get((r['kind'], r['bars'], bool(r['info']['hierarchical'])))
        notes.append(f'- {r["name"]} ({os.path.basename(path)}): {r["sequences"]} of '
                     f'{r["total"]} test windows from {r["files"]} files; trained: {source}'
                     + (f'. Paper: {note}' if note else ''))
        print(f'evaluated {os.path.basename(path)} in {r["seconds"]:.0f} s', file=sys.stderr)
    print(markdown(['model', 'kind', 'size', 'teacher-forced', 'sampled (T = 1)',
                    'paper (Table 1): teacher-forced / sampled'], table1))
    print()
    print(markdown(['model', 'KL (bits/seq)', 'teacher-forced, z = mu', 'random z', 'points lost',
                    'sampled, z = mu', 'random z', 'points lost'], collapse))
    print()
    print('\n'.join(notes))
    if args.svg:
        os.makedirs(os.path.dirname(os.path.abspath(args.svg)), exist_ok=True)
        with open(args.svg, 'w') as f:
            f.write(svg_chart(results))
        print(f'wrote {args.svg}', file=sys.stderr)
    return results


if __name__ == '__main__':
    main(sys.argv[1:])
