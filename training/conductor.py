"""16-bar models on 2-bar ones: new parts trained on latent sequences, then end to end.

    /usr/bin/python3 -m training.conductor train --two-bar models/mel_2bar_small.mvae \\
        --out training/runs/mel_16bar [--data melody_wide] [--windows 40000] [--minutes 20]
    /usr/bin/python3 -m training.conductor train --config hier-trio_16bar-on-2bar \\
        --two-bar models/mel_2bar_small.mvae --drums models/drums_2bar_small.mvae \\
        --data trio --out training/runs/trio_16bar
    /usr/bin/python3 -m training.conductor finetune --run RUN [--minutes 25]
    /usr/bin/python3 -m training.conductor export --run RUN \\
        --out models/mel_16bar.mvae [--quantize q8] [--name ...]

Two configurations (training/configs.py), both 16 bars as 8 segments of 2 bars:
hier-mel_16bar-on-2bar (one track) and hier-trio_16bar-on-2bar (melody, bass, drums). Each track
stands on a 2-bar model (a "part"): its encoder is the track's level-0 encoder and its decoder the
track's core decoder, both frozen; melody and bass use mel_2bar_small (Magenta's decoder, encoder
v2), drums drums_2bar_small. New here are the level-1 encoder (over the 8 segment embeddings),
mu / sigma and the conductor (z -> 8 embeddings of 256, shared by the tracks).

The engine's level-0 encoder is one bidirectional LSTM over the whole encoder input (for a trio
the 692-wide [melody; bass; drums] one-hots), so several parts' encoders are held as one LSTM
whose kernel is block-diagonal (each part's units see only its track's input and its own h;
drums_2bar_small's 10-wide roll input rows become 512 one-hot rows, the same linear map): it
computes exactly the parts' encoders side by side, at the cost of the zero blocks in the file.

Why latent sequences: the 2-bar model already turns each 2-bar segment x_k into a posterior
N(mu_k, sigma_k) from which its decoder reconstructs x_k (~98% of steps for melodies). So the new
parts only have to carry the 8 segment latents of every track through z: the conductor's k-th
output e_k, through an affine map A_t e + c_t per track t, should land where the track's 2-bar
posterior puts mass (the loss is in what the core decoder reads of it, see LatentTrainer), plus
beta * max(KL(q(z|x) || N(0, I)) - free bits, 0). A step costs an 8-step LSTM instead of 256
decoder steps per track. The conductor's outputs are LSTM outputs in (-1, 1) while 2-bar latents
are not bounded, hence A_t and c_t; at export they are folded into each core decoder's
conditioning weights (its z_to_initial_state and the conditioning rows of its first cell's
kernel, both linear in the conditioning vector), so the model file has the standard
hierarchical layout and the 2-bar decoders' recurrent and output weights stay bit-identical.

Segments: the engine starts each segment's core decoder from the previous segment's last output,
as magenta.js's hierarchical decoder does, while the 2-bar decoder was trained from a zero first
input. Measured on 300 held-out 16-bar melody windows (teacher forcing, the 2-bar mu of each
segment): 98.60% of steps right with a zero first input, 98.56% with the previous segment's last
output, so the standard behaviour is kept.

Runs checkpoint (atomically) and resume; `--minutes` stops with a checkpoint.
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from training import data, mvae_format
from training.configs import DRUMS_ROLL_DEPTH, get_config
from training.export import model_metadata
from training.model import BidirectionalEncoder, MusicVAE

CONFIG = 'hier-mel_16bar-on-2bar'  # the default (and the melody runs' configuration)
CKPT = 'latent.pt'
LN2 = math.log(2.0)


# ---- the model built from 2-bar ones --------------------------------------------------------

def parts_of(cfg, two_bar, drums=None):
    """The 2-bar model files of cfg's tracks, in track order."""
    if cfg.converter == 'melody':
        return [two_bar]
    if cfg.converter == 'trio':
        if not drums:
            raise ValueError(f'{cfg.name} needs a 2-bar drums model (--drums)')
        return [two_bar, two_bar, drums]
    raise ValueError(f'no 2-bar parts for converter {cfg.converter!r}')


class Part:
    """One track's 2-bar model: its tensors, its encoder (a module, for segment embeddings) and
    its posterior layers mu / sigma (kernel, bias; they give the training targets)."""

    def __init__(self, path):
        meta, self.tensors = mvae_format.read_model(path)
        self.path = path
        self.depth = meta['musicvae.output_depths'][0]
        self.input_depth = meta['musicvae.input_depth']
        self.roll = bool(meta.get('converter.drums_roll_input', 0))
        bias = self.tensors[self.encoder_tensor('fw', 'bias')]
        if self.encoder_tensor('fw', 'kernel').replace('cell_0/b', 'cell_1/b') in self.tensors:
            raise ValueError(f'{path}: only 1-layer 2-bar encoders are supported')
        self.units = len(bias) // 4
        self.encoder = BidirectionalEncoder('encoder', self.input_depth, [self.units])
        with torch.no_grad():
            for cell, d in ((self.encoder.fw[0], 'fw'), (self.encoder.bw[0], 'bw')):
                for p in ('kernel', 'bias'):
                    getattr(cell, p).copy_(torch.from_numpy(
                        np.ascontiguousarray(self.tensors[self.encoder_tensor(d, p)], np.float32)))
        self.encoder.requires_grad_(False)
        self.posterior = {k: torch.from_numpy(np.ascontiguousarray(self.tensors[f'encoder/{k}'],
                                                                   np.float32))
                          for k in ('mu/kernel', 'mu/bias', 'sigma/kernel', 'sigma/bias')}

    @staticmethod
    def encoder_tensor(direction, what):
        return f'encoder/cell_0/bidirectional_rnn/{direction}/multi_rnn_cell/cell_0/lstm_cell/{what}'

    def encoder_input(self, seg):
        """Class indices int [n, L] -> this part's encoder input float [n, L, input_depth]."""
        if self.roll:  # as MusicVAE.encoder_input for a drums roll
            bits = torch.arange(DRUMS_ROLL_DEPTH - 1)
            roll = (seg[..., None] >> bits) & 1
            return torch.cat([roll, (seg[..., None] == 0).long()], dim=-1).float()
        return F.one_hot(seg, self.depth).float()

    def input_rows(self, kernel_x):
        """The input rows of an encoder kernel re-expressed for a one-hot input of `depth`
        classes: a drums roll is a linear function of the one-hot (roll = R one-hot)."""
        if not self.roll:
            return kernel_x
        k = np.arange(self.depth)[:, None]
        r = np.concatenate([(k >> np.arange(DRUMS_ROLL_DEPTH - 1)) & 1, k == 0], axis=1)
        return (r.astype(np.float64) @ kernel_x.astype(np.float64)).astype(np.float32)


def core_scope(cfg, track):
    return 'core_decoder/decoder/' if len(cfg.output_depths) == 1 else \
        f'core_decoder/core_decoder_{track}/decoder/'


def level0_block_diagonal(parts, input_depth):
    """{direction: (kernel, bias)} of one LSTM layer that computes every part's encoder side by
    side on the concatenated input: units [part 0's; part 1's; ...] within each gate."""
    total = sum(p.units for p in parts)
    out = {}
    for d in ('fw', 'bw'):
        kernel = np.zeros((input_depth + total, 4 * total), np.float32)
        bias = np.zeros(4 * total, np.float32)
        row = unit = 0
        for p in parts:
            kt, bt, u = p.tensors[p.encoder_tensor(d, 'kernel')], p.tensors[p.encoder_tensor(d, 'bias')], p.units
            kx = p.input_rows(kt[:p.input_depth])
            for g in range(4):
                cols, src = slice(g * total + unit, g * total + unit + u), slice(g * u, (g + 1) * u)
                kernel[row:row + len(kx), cols] = kx[:, src]
                kernel[input_depth + unit:input_depth + unit + u, cols] = kt[p.input_depth:, src]
                bias[cols] = bt[src]
            row, unit = row + len(kx), unit + u
        assert row == input_depth, (row, input_depth)
        out[d] = kernel, bias
    return out


def build(part_paths, cfg):
    """MusicVAE(cfg) with the parts' encoders (level 0) and decoders (one core decoder per
    track) in place, and the list of Parts (one per track)."""
    model = MusicVAE(cfg)  # first: its initial values are drawn from the seeded generator
    loaded = {}  # melody and bass share one file: one Part
    for path in part_paths:
        if path not in loaded:
            loaded[path] = Part(path)
    parts = [loaded[path] for path in part_paths]
    params = model.tf_parameters()

    def put(name, value, source):
        if name not in params or tuple(params[name].shape) != value.shape:
            raise ValueError(f'{source} does not fit {cfg.name} as {name}')
        with torch.no_grad():
            params[name].copy_(torch.from_numpy(np.ascontiguousarray(value, np.float32)))

    for t, part in enumerate(parts):
        if part.depth != cfg.output_depths[t]:
            raise ValueError(f'{part.path}: depth {part.depth}, track {t} needs {cfg.output_depths[t]}')
        for name, value in part.tensors.items():
            if name.startswith('decoder/'):
                put(core_scope(cfg, t) + name[len('decoder/'):], value, f'{part.path}: {name}')
            elif not name.startswith('encoder/'):
                raise ValueError(f'unexpected tensor {name!r} in {part.path}')
    prefix = 'encoder/hierarchical_level_0/cell_0/bidirectional_rnn/{}/multi_rnn_cell/cell_0/lstm_cell/'
    for d, (kernel, bias) in level0_block_diagonal(parts, cfg.input_depth).items():
        put(prefix.format(d) + 'kernel', kernel, f'level 0 ({d})')
        put(prefix.format(d) + 'bias', bias, f'level 0 ({d})')
    return model, parts


def _per_track(name, t):
    """Track 0 keeps the one-track trainer's names, so melody checkpoints still load."""
    return name if t == 0 else f'{name}_{t}'


class LatentTrainer(nn.Module):
    """The trainable parts, run on precomputed segment embeddings.

    loss 'decoder' (the default) compares what each track's core decoder reads of a conditioning
    vector: it reads it only through its initial state tanh(e W + b) and the conditioning part of
    its first cell's gates e W_z, so predicting those as for the 2-bar mu decodes alike.
    loss 'posterior' is the 2-bar posterior's negative log density of the prediction."""

    def __init__(self, model, loss='decoder'):
        super().__init__()
        self.model, self.loss = model, loss
        self.tracks = len(model.decoder.cores)
        e = model.decoder.conductor.cells[-1].units  # the conditioning width
        for t, core in enumerate(model.decoder.cores):
            cell0 = core.cell.cells[0]
            # Frozen copies: the decoder-space loss reads the core decoder's conditioning weights.
            self.register_buffer(_per_track('w_init', t), core.z_to_initial_state.kernel.detach().clone())
            self.register_buffer(_per_track('b_init', t), core.z_to_initial_state.bias.detach().clone())
            self.register_buffer(_per_track('w_cond', t),
                                 cell0.kernel[core.depth:cell0.n_in].detach().clone())
            setattr(self, _per_track('affine_a', t), nn.Parameter(torch.eye(e)))
            setattr(self, _per_track('affine_c', t), nn.Parameter(torch.zeros(e)))

    def track(self, name, t):
        return getattr(self, _per_track(name, t))

    def trainable(self):
        m = self.model
        mods = [m.encoder.level1, m.mu, m.sigma, m.decoder.initial_state, m.decoder.conductor]
        return [p for mod in mods for p in mod.parameters()] + \
            [self.track(n, t) for t in range(self.tracks) for n in ('affine_a', 'affine_c')]

    def forward(self, emb0, mu_t, sigma_t, beta, free_bits):
        """emb0 [B, U, level-0 width]; mu_t, sigma_t [B, U, tracks, e] (the 2-bar posteriors)."""
        m = self.model
        h = m.encoder.level1(emb0)
        mu, sigma = m.mu(h), F.softplus(m.sigma(h))
        z = mu + sigma * torch.randn_like(mu) if self.training else mu
        emb = m.decoder.embeddings(z)  # [B, U, e]
        nll, err, per_track = 0.0, 0.0, []
        for t in range(self.tracks):
            pred = emb @ self.track('affine_a', t) + self.track('affine_c', t)
            target, sig = mu_t[:, :, t], sigma_t[:, :, t]
            if self.loss == 'posterior':
                n = ((pred - target) ** 2 / (2 * sig ** 2)).sum((1, 2))
            else:
                w, b = self.track('w_init', t), self.track('b_init', t)
                init = lambda v: torch.tanh(v @ w + b)
                n = ((init(pred) - init(target)) ** 2).sum((1, 2)) + \
                    (((pred - target) @ self.track('w_cond', t)) ** 2).sum((1, 2))
            nll = nll + n
            per_track.append(n.mean().item())
            # Share of segment latents predicted within one posterior sigma in every dimension
            # is too strict a figure; report the mean |error| / sigma instead.
            err = err + ((pred - target).abs() / sig).mean() / self.tracks
        kl = kl_nats(mu, sigma)
        loss = nll.mean() + beta * torch.clamp(kl - free_bits * LN2, min=0.0).mean()
        return loss, {'nll': nll.mean().item(), 'kl_bits': kl.mean().item() / LN2,
                      'err_sigmas': err.item(), 'nll_tracks': per_track}


def fold_affine(model, trainer):
    """Folds each track's cond' = e A_t + c_t into its core decoder's conditioning weights
    (float64 arithmetic)."""
    for t, core in enumerate(model.decoder.cores):
        a64 = trainer.track('affine_a', t).detach().double()
        c64 = trainer.track('affine_c', t).detach().double()
        with torch.no_grad():
            init = core.z_to_initial_state
            w = init.kernel.double()
            init.bias.copy_((init.bias.double() + c64 @ w).float())
            init.kernel.copy_((a64 @ w).float())
            cell0 = core.cell.cells[0]
            rows = slice(core.depth, cell0.n_in)  # [previous output; conditioning; h]
            wz = cell0.kernel[rows].double()
            cell0.bias.copy_((cell0.bias.double() + c64 @ wz).float())
            cell0.kernel[rows] = (a64 @ wz).float()


# ---- data: segment embeddings and 2-bar posteriors --------------------------------------------

@torch.no_grad()
def segment_latents(model, parts, windows, batch=256):
    """windows int [N, tracks, T] -> level-0 embeddings float16 [N, U, sum of 2 x units] (laid out
    as the block-diagonal level 0 gives them: every part's fw h, then every part's bw h) and the
    2-bar posterior mu, sigma float32 [N, U, tracks, e] of every segment of every track."""
    u = model.cfg.num_segments
    n, tracks, _ = windows.shape
    seg = torch.from_numpy(windows.astype(np.int64)).reshape(n, tracks, u, -1).permute(0, 2, 1, 3)
    seg = seg.reshape(n * u, tracks, -1)
    embs, mus, sigmas = [], [], []
    for s in range(0, len(seg), batch):
        hs, mu, sg = [], [], []
        for t, part in enumerate(parts):
            h = part.encoder(part.encoder_input(seg[s:s + batch, t]))
            hs.append(h)
            post = part.posterior
            mu.append(h @ post['mu/kernel'] + post['mu/bias'])
            sg.append(F.softplus(h @ post['sigma/kernel'] + post['sigma/bias']))
        halves = [h[:, :p.units] for h, p in zip(hs, parts)] + \
            [h[:, p.units:] for h, p in zip(hs, parts)]
        embs.append(torch.cat(halves, dim=1).half())
        mus.append(torch.stack(mu, dim=1))
        sigmas.append(torch.stack(sg, dim=1))
    shape = lambda t: torch.cat(t).reshape(n, u, *t[0].shape[1:])
    return shape(embs), shape(mus), shape(sigmas)


def chosen_windows(kind, bars, split, limit, seed):
    """The random windows a run uses (the same for its latents and its fine-tuning)."""
    windows = data.load_windows(kind, bars, split)
    if limit and limit < len(windows):
        windows = windows[np.sort(np.random.default_rng(seed).choice(len(windows), limit, False))]
    return windows


def cached_latents(model, parts, kind, split, limit, seed, cache_dir):
    """segment_latents of up to `limit` random windows, cached beside the run."""
    sha = hashlib.sha1()
    for p in parts:
        with open(p.path, 'rb') as f:
            sha.update(f.read())
    tag = sha.hexdigest()[:10]
    path = os.path.join(cache_dir, f'latents_{model.cfg.name}_{kind}_{split}_{limit}_{seed}_{tag}.pt')
    if os.path.exists(path):
        return torch.load(path)
    windows = chosen_windows(kind, model.cfg.bars, split, limit, seed)
    t0 = time.time()
    out = segment_latents(model, parts, windows)
    print(f'latents of {len(windows)} {kind} {split} windows: {time.time() - t0:.0f} s', flush=True)
    os.makedirs(cache_dir, exist_ok=True)
    torch.save(out, path + '.tmp')
    os.replace(path + '.tmp', path)
    return out


def mixed_indices(gen, n, batch, tracks, mix, halves=2):
    """Window index per batch item, track and 8-bar half, int [B, tracks, halves]: the window
    drawn, or for a share `mix` of the items an independent random window for every track and
    half. Recombining tracks and halves of the training windows (Freedoom has only 1,959) keeps
    the new parts from memorising whole windows; mix 0 draws exactly as before it existed."""
    base = gen.integers(0, n, batch)
    idx = np.repeat(np.repeat(base[:, None, None], tracks, 1), halves, 2)
    if mix > 0:
        chosen = gen.random(batch) < mix
        idx[chosen] = gen.integers(0, n, (int(chosen.sum()), tracks, halves))
    return torch.from_numpy(idx)


def track_columns(parts):
    """Columns of each track in the level-0 embedding (its fw h, then its bw h)."""
    total, offset, cols = sum(p.units for p in parts), 0, []
    for p in parts:
        cols.append(torch.cat([torch.arange(offset, offset + p.units),
                               total + torch.arange(offset, offset + p.units)]))
        offset += p.units
    return cols


def gather_latents(emb, mu_t, sig_t, idx, parts):
    """Cached latents of the (recombined) windows idx [B, tracks, halves]; mu_t and sig_t may be
    None (then so are the ones returned)."""
    if bool((idx == idx[:, :1, :1]).all()):
        rows = idx[:, 0, 0]
        return emb[rows].float(), *(None if a is None else a[rows] for a in (mu_t, sig_t))
    b, tracks, halves = idx.shape
    u = emb.shape[1]
    per = u // halves
    out_e = torch.empty(b, u, emb.shape[2])
    outs = [None if a is None else torch.empty(b, *a.shape[1:]) for a in (mu_t, sig_t)]
    for t, cols in enumerate(track_columns(parts)):
        for h in range(halves):
            rows, segs = idx[:, t, h], slice(h * per, (h + 1) * per)
            out_e[:, segs, cols] = emb[rows, segs][:, :, cols].float()
            for out, a in zip(outs, (mu_t, sig_t)):
                if a is not None:
                    out[:, segs, t] = a[rows, segs, t]
    return (out_e, *outs)


def gather_windows(windows, idx):
    """The (recombined) windows idx [B, tracks, halves] of windows int [N, tracks, T]."""
    b, tracks, halves = idx.shape
    per = windows.shape[2] // halves
    out = torch.empty(b, tracks, windows.shape[2], dtype=windows.dtype)
    for t in range(tracks):
        for h in range(halves):
            steps = slice(h * per, (h + 1) * per)
            out[:, t, steps] = windows[idx[:, t, h], t, steps]
    return out


# ---- train / export --------------------------------------------------------------------------

def kl_nats(mu, sigma):
    """KL(N(mu, sigma) || N(0, I)) per sequence, in nats."""
    return 0.5 * (mu.pow(2) + sigma.pow(2) - 1.0 - 2.0 * torch.log(sigma)).sum(1)


def optimizer_step(opt, loss, params, step):
    """One Adam step with the gradient clipped to global norm 1 (as the trainer); step + 1."""
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return step + 1


def resume(path, key, module, opt):
    """Restores module (from ck[key]), optimizer and torch RNG from a checkpoint if there is one;
    returns (step, elapsed seconds), (0, 0.0) for a fresh run."""
    if not os.path.exists(path):
        return 0, 0.0
    ck = torch.load(path, weights_only=False)
    module.load_state_dict(ck[key])
    opt.load_state_dict(ck['optimizer'])
    torch.set_rng_state(ck['torch_rng'])
    print(f'resumed at step {ck["step"]}', flush=True)
    return ck['step'], ck['elapsed']


def save_atomic(obj, path):
    torch.save(obj, path + '.tmp')
    os.replace(path + '.tmp', path)


def train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)  # before building: the new parts' initial values are drawn there
    cfg = get_config(args.config)
    if args.beta is None:
        args.beta = cfg.max_beta
    part_paths = [os.path.abspath(p) for p in parts_of(cfg, args.two_bar, args.drums)]
    model, parts = build(part_paths, cfg)
    trainer = LatentTrainer(model, args.loss)
    params = trainer.trainable()
    opt = torch.optim.Adam(params, lr=args.lr)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, CKPT)
    torch.manual_seed(args.seed)
    step, elapsed = resume(ckpt_path, 'trainer', trainer, opt)
    cache = os.path.join(args.out, 'cache')
    emb, mu_t, sig_t = cached_latents(model, parts, args.data, 'train', args.windows, 1, cache)
    valid_kind = 'melody' if cfg.converter == 'melody' else cfg.converter
    v_emb, v_mu, v_sig = cached_latents(model, parts, valid_kind, 'valid', 1000, 2, cache)
    log = open(os.path.join(args.out, 'train.log'), 'a')

    def say(msg):
        print(msg, flush=True)
        log.write(msg + '\n')
        log.flush()

    names = ', '.join(os.path.basename(p) for p in dict.fromkeys(part_paths))
    say(f'{cfg.name} latent stage on cpu x1, {args.threads} threads: {len(emb)} {args.data} '
        f'windows, batch {args.batch}, from {names}, step {step}')
    gen = np.random.default_rng(args.seed + step)
    t_start = time.time()
    trainer.train()
    while step < args.steps:
        idx = mixed_indices(gen, len(emb), args.batch, trainer.tracks, args.mix)
        lr = (args.lr - 1e-5) * 0.9999 ** step + 1e-5
        for g in opt.param_groups:
            g['lr'] = lr
        loss, stats = trainer(*gather_latents(emb, mu_t, sig_t, idx, parts), args.beta,
                              cfg.free_bits)
        step = optimizer_step(opt, loss, params, step)
        now = elapsed + time.time() - t_start
        last = args.minutes and now >= 60 * args.minutes
        if step % args.log_every == 0 or step == args.steps or last:
            trainer.eval()
            with torch.no_grad():
                _, v = trainer(v_emb.float(), v_mu, v_sig, args.beta, cfg.free_bits)
            trainer.train()
            tracks = '' if trainer.tracks == 1 else \
                ' (' + ' / '.join(f'{x:.1f}' for x in v['nll_tracks']) + ')'
            say(f'step {step} loss {loss.item():.2f} nll {stats["nll"]:.2f} kl_bits '
                f'{stats["kl_bits"]:.1f} err/sigma {stats["err_sigmas"]:.3f} | valid nll '
                f'{v["nll"]:.2f}{tracks} err/sigma {v["err_sigmas"]:.3f} | lr {lr:.2e} '
                f'elapsed {now:.0f}s')
        if step % args.ckpt_every == 0 or step == args.steps or last:
            save_atomic({'trainer': trainer.state_dict(), 'optimizer': opt.state_dict(),
                         'step': step, 'elapsed': now, 'torch_rng': torch.get_rng_state(),
                         'config': cfg.name, 'parts': part_paths, 'two_bar': part_paths[0],
                         'data': args.data, 'windows': len(emb), 'batch': args.batch,
                         'loss': args.loss, 'threads': args.threads, 'mix': args.mix}, ckpt_path)
        if last:
            say(f'stopped after {args.minutes} minutes at step {step}')
            break
    log.close()


def latent_stage_model(run, part_paths=None):
    """The full model after the latent stage (trained parts in place, each track's A and c
    folded), its Parts, and the latent stage's checkpoint."""
    ck = torch.load(os.path.join(run, CKPT), weights_only=False)
    cfg = get_config(ck.get('config', CONFIG))
    model, parts = build(part_paths or ck.get('parts') or [ck['two_bar']], cfg)
    trainer = LatentTrainer(model, ck.get('loss', 'decoder'))
    trainer.load_state_dict(ck['trainer'])
    fold_affine(model, trainer)
    return model, parts, ck


FINETUNE_CKPT = 'finetune.pt'


def conditioning_parameters(model):
    """What end-to-end fine-tuning may change of the core decoder: the weights that read the
    conditioning vector (z_to_initial_state, and the conditioning rows of cell 0's kernel, masked
    by a gradient hook so that the rows for the previous output and h stay Magenta's)."""
    params = []
    for core in model.decoder.cores:
        params += [core.z_to_initial_state.kernel, core.z_to_initial_state.bias]
        cell0 = core.cell.cells[0]
        cell0.kernel.requires_grad_(True)
        mask = torch.zeros_like(cell0.kernel)
        mask[core.depth:cell0.n_in] = 1.0
        cell0.kernel.register_hook(lambda g, m=mask: g * m)
        params.append(cell0.kernel)
    return params


def finetune(args):
    """Stage 2: end to end through the core decoder (teacher forcing, cross-entropy of every
    step, + beta * KL over free bits), from the latent stage; the level-0 encoder's outputs come
    from the latent stage's cache, so only level 1, mu / sigma, the conductor and the core
    decoder's conditioning weights train."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model, parts, ck1 = latent_stage_model(args.run)
    cfg = model.cfg
    if args.beta is None:
        args.beta = cfg.max_beta
    for p in model.parameters():
        p.requires_grad_(False)
    m = model
    trained = [m.encoder.level1, m.mu, m.sigma, m.decoder.initial_state, m.decoder.conductor]
    params = [p for mod in trained for p in mod.parameters()] + conditioning_parameters(model)
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=args.lr)
    path = os.path.join(args.run, FINETUNE_CKPT)
    step, elapsed = resume(path, 'model', model, opt)
    cache = os.path.join(args.run, 'cache')
    # The level-0 encoder is frozen, so the latent stage's cached embeddings are this model's.
    emb, _, _ = cached_latents(model, parts, ck1['data'], 'train', ck1['windows'], 1, cache)
    windows = torch.from_numpy(chosen_windows(ck1['data'], cfg.bars, 'train', ck1['windows'], 1)
                               .astype(np.int64))
    assert len(windows) == len(emb)
    log = open(os.path.join(args.run, 'train.log'), 'a')
    say = lambda msg: (print(msg, flush=True), log.write(msg + '\n'), log.flush())
    say(f'{cfg.name} end-to-end stage, {args.threads} threads: {len(emb)} windows, batch '
        f'{args.batch}, step {step}')
    mix = ck1.get('mix', 0.0) if args.mix is None else args.mix
    gen = np.random.default_rng(args.seed + 1000 + step)
    t_start = time.time()
    while step < args.steps:
        idx = mixed_indices(gen, len(emb), args.batch, len(parts), mix)
        x = gather_windows(windows, idx)
        h = m.encoder.level1(gather_latents(emb, None, None, idx, parts)[0])
        mu, sigma = m.mu(h), F.softplus(m.sigma(h))
        z = mu + sigma * torch.randn_like(mu)
        logits = model.decode_logits(z, x)
        ce = sum(F.cross_entropy(lg.reshape(-1, lg.shape[-1]), x[:, t].reshape(-1),
                                 reduction='none').view(len(x), -1).sum(1)
                 for t, lg in enumerate(logits))
        kl = kl_nats(mu, sigma)
        loss = ce.mean() + args.beta * torch.clamp(kl - cfg.free_bits * LN2, min=0.0).mean()
        step = optimizer_step(opt, loss, params, step)
        now = elapsed + time.time() - t_start
        last = args.minutes and now >= 60 * args.minutes
        if step % args.log_every == 0 or step == args.steps or last:
            acc = [(lg.argmax(-1) == x[:, t]).float().mean().item() for t, lg in enumerate(logits)]
            accs = ' / '.join(f'{a:.4f}' for a in acc)
            say(f'finetune step {step} loss {loss.item():.2f} recon {ce.mean().item():.2f} '
                f'kl_bits {kl.mean().item() / LN2:.1f} acc {accs} elapsed {now:.0f}s')
        if step % args.ckpt_every == 0 or step == args.steps or last:
            save_atomic({'model': model.state_dict(), 'optimizer': opt.state_dict(),
                         'step': step, 'elapsed': now, 'torch_rng': torch.get_rng_state(),
                         'batch': args.batch, 'threads': args.threads}, path)
        if last:
            say(f'stopped after {args.minutes} minutes at step {step}')
            break
    log.close()


def export(args):
    parts_arg = None
    if args.two_bar:
        ck = torch.load(os.path.join(args.run, CKPT), weights_only=False)
        parts_arg = parts_of(get_config(ck.get('config', CONFIG)), args.two_bar, args.drums)
    model, parts, ck = latent_stage_model(args.run, parts_arg)
    cfg = model.cfg
    tuned = os.path.join(args.run, FINETUNE_CKPT)
    stage2 = ''
    if os.path.exists(tuned):
        ck2 = torch.load(tuned, weights_only=False)
        model.load_state_dict(ck2['model'])
        stage2 = (f'; then end to end through the frozen core decoder{"s" if len(parts) > 1 else ""} '
                  f'(conditioning weights fine-tuned), {ck2["step"]} steps at batch '
                  f'{ck2["batch"]}, {ck2["elapsed"] / 60:.0f} min')
    files = [os.path.basename(p.path) for p in parts]
    if len(parts) == 1:
        origin = (f'level-0 encoder and core decoder from {files[0]} (Magenta\'s mel_2bar_small '
                  f'decoder, recurrent and output weights unchanged; conditioning weights '
                  f're-expressed)')
    else:
        tracks = ', '.join(f'{name} from {f}' for name, f in zip(('melody', 'bass', 'drums'), files))
        origin = (f'core decoders and level-0 encoders (block-diagonal) {tracks} (recurrent and '
                  f'output weights unchanged; conditioning weights re-expressed)')
    source = (f'training/conductor.py, config {cfg.name}: {origin}; level-1 encoder, mu/sigma and '
              f'conductor trained on latent sequences of {ck["windows"]} {ck["data"]} 16-bar '
              f'windows, {ck["step"]} steps at batch {ck["batch"]}, {ck["elapsed"] / 60:.0f} min '
              f'on cpu x1' + stage2)
    meta = model_metadata(cfg, args.name, args.description, args.license, source)
    tensors = {n: p.detach().numpy().copy() for n, p in model.tf_parameters().items()}
    mvae_format.write_model(args.out, meta, tensors, quantize=args.quantize)
    print(f'wrote {args.out}: {len(tensors)} tensors')
    if args.config_json:
        threads = lambda c: f'{c.get("threads", 1)} thread{"s" if c.get("threads", 1) > 1 else ""}'
        record = {'config': cfg.to_dict(), 'two_bar': files[0], 'parts': files,
                  'data': ck['data'], 'windows': ck['windows'],
                  'latent_stage': {'steps': ck['step'], 'batch': ck['batch'],
                                   'train_seconds': round(ck['elapsed']), 'loss': ck.get('loss'),
                                   'hardware': f'cpu x1, {threads(ck)}'},
                  'end_to_end_stage': None if not stage2 else {
                      'steps': ck2['step'], 'batch': ck2['batch'],
                      'train_seconds': round(ck2['elapsed']), 'hardware': f'cpu x1, {threads(ck2)}'},
                  'hardware': '2-vCPU AMD EPYC VM, shared with other jobs',
                  'frozen': 'level-0 encoder; core decoder recurrent and output weights'}
        with open(args.config_json + '.tmp', 'w') as f:
            json.dump(record, f, indent=1)
            f.write('\n')
        os.replace(args.config_json + '.tmp', args.config_json)


def main(argv=None):
    p = argparse.ArgumentParser(prog='python3 -m training.conductor', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    t = sub.add_parser('train')
    t.add_argument('--config', default=CONFIG, help='hier-mel_16bar-on-2bar or hier-trio_16bar-on-2bar')
    t.add_argument('--two-bar', required=True, help='the 2-bar melody model (with encoder)')
    t.add_argument('--drums', default=None, help='the 2-bar drums model (with encoder), for a trio')
    t.add_argument('--out', required=True)
    t.add_argument('--data', default='melody_wide', help='16-bar window kind (training.data)')
    t.add_argument('--windows', type=int, default=40000, help='random training windows used')
    t.add_argument('--steps', type=int, default=20000)
    t.add_argument('--minutes', type=float, default=None)
    t.add_argument('--batch', type=int, default=64)
    t.add_argument('--lr', type=float, default=1e-3)
    t.add_argument('--beta', type=float, default=None, help="default: the configuration's max_beta")
    t.add_argument('--loss', choices=['decoder', 'posterior'], default='decoder',
                   help='what the prediction is compared in (see LatentTrainer)')
    t.add_argument('--mix', type=float, default=0.0,
                   help='share of batch items recombined from random tracks and halves')
    t.add_argument('--seed', type=int, default=1)
    t.add_argument('--threads', type=int, default=1)
    t.add_argument('--log-every', type=int, default=100)
    t.add_argument('--ckpt-every', type=int, default=500)
    f = sub.add_parser('finetune')
    f.add_argument('--run', required=True, help='a run of the latent stage')
    f.add_argument('--steps', type=int, default=2000)
    f.add_argument('--minutes', type=float, default=None)
    f.add_argument('--batch', type=int, default=32)
    f.add_argument('--lr', type=float, default=3e-4)
    f.add_argument('--beta', type=float, default=None, help="default: the configuration's max_beta")
    f.add_argument('--mix', type=float, default=None, help="default: the latent stage's")
    f.add_argument('--seed', type=int, default=1)
    f.add_argument('--threads', type=int, default=1)
    f.add_argument('--log-every', type=int, default=20)
    f.add_argument('--ckpt-every', type=int, default=50)
    e = sub.add_parser('export')
    e.add_argument('--run', required=True)
    e.add_argument('--out', required=True)
    e.add_argument('--two-bar', default=None, help='default: the one the run trained from')
    e.add_argument('--drums', default=None, help='default: the one the run trained from')
    e.add_argument('--quantize', choices=['q8', 'f16'], default=None)
    e.add_argument('--name', default='mel_16bar')
    e.add_argument('--description', default=None)
    e.add_argument('--license', default='Apache-2.0')
    e.add_argument('--config-json', default=None, help='also write the training record (JSON)')
    args = p.parse_args(argv)
    return {'train': train, 'finetune': finetune, 'export': export}[args.cmd](args)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
