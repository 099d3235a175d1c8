"""A 16-bar melody model on Magenta's real 2-bar model: its new parts trained on latent sequences.

    /usr/bin/python3 -m training.conductor train --two-bar models/mel_2bar_small.mvae \\
        --out training/runs/mel_16bar [--data melody_wide] [--windows 40000] [--minutes 20]
    /usr/bin/python3 -m training.conductor export --run training/runs/mel_16bar \\
        --out models/mel_16bar.mvae [--quantize q8] [--name ...]

The model is configuration hier-mel_16bar-on-2bar (training/configs.py): 16 bars as 8 segments of
2 bars. Its level-0 encoder is the 2-bar model's encoder and its core decoder is Magenta's
mel_2bar_small decoder, both frozen; new here are the level-1 encoder (over the 8 segment
embeddings), mu / sigma (z 512) and the conductor (z -> 8 embeddings of 256).

Why latent sequences: the 2-bar model already turns each 2-bar segment x_k into a posterior
N(mu_k, sigma_k) from which Magenta's decoder reconstructs x_k (~98% of steps). So the new parts
only have to carry the 8 segment latents through z: the conductor's k-th output e_k, through an
affine map A e + c, should land where the 2-bar posterior puts mass. The loss per window is

    sum_k sum_d (A e_k + c - mu_k)_d^2 / (2 sigma_k,d^2)  +  beta * max(KL(q(z|x) || N(0, I)) - free bits, 0)

(the 2-bar posterior's negative log density of the prediction, up to a constant: dimensions the
decoder ignores have sigma near 1 and cost little). A step costs an 8-step LSTM instead of 256
decoder steps. The conductor's outputs are LSTM outputs in (-1, 1) while 2-bar latents are not
bounded, hence A and c; at export they are folded into the core decoder's conditioning weights
(its z_to_initial_state and the conditioning rows of its first cell's kernel, both linear in the
conditioning vector), so the model file has the standard hierarchical layout and Magenta's
recurrent and output weights stay bit-identical.

Segments: the engine starts each segment's core decoder from the previous segment's last output,
as magenta.js's hierarchical decoder does, while the 2-bar decoder was trained from a zero first
input. Measured on 300 held-out 16-bar windows (teacher forcing, the 2-bar mu of each segment):
98.60% of steps right with a zero first input, 98.56% with the previous segment's last output, so
the standard behaviour is kept.

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
from training.configs import get_config
from training.export import model_metadata
from training.model import MusicVAE

CONFIG = 'hier-mel_16bar-on-2bar'
CKPT = 'latent.pt'
LN2 = math.log(2.0)


# ---- the model built from the 2-bar one ------------------------------------------------------

def two_bar_name(name):
    """The 16-bar model's name for a 2-bar tensor, or None for the 2-bar mu / sigma layers
    (they give the training targets; the 16-bar model has its own)."""
    if name.startswith(('encoder/mu/', 'encoder/sigma/')):
        return None
    if name.startswith('encoder/'):
        return 'encoder/hierarchical_level_0/' + name[len('encoder/'):]
    if name.startswith('decoder/'):
        return 'core_decoder/' + name
    raise ValueError(f'unexpected tensor {name!r} in the 2-bar model')


def build(two_bar_path, cfg):
    """MusicVAE(cfg) with the 2-bar model's encoder and decoder in place, and the 2-bar mu /
    sigma layers as (kernel, bias) float32 tensors."""
    _, tensors = mvae_format.read_model(two_bar_path)
    model = MusicVAE(cfg)
    params = model.tf_parameters()
    with torch.no_grad():
        for name, value in tensors.items():
            target = two_bar_name(name)
            if target is None:
                continue
            if target not in params or tuple(params[target].shape) != value.shape:
                raise ValueError(f'{two_bar_path}: {name} does not fit {cfg.name} as {target}')
            params[target].copy_(torch.from_numpy(np.ascontiguousarray(value, np.float32)))
    posterior = {k: torch.from_numpy(np.ascontiguousarray(tensors[f'encoder/{k}'], np.float32))
                 for k in ('mu/kernel', 'mu/bias', 'sigma/kernel', 'sigma/bias')}
    return model, posterior


class LatentTrainer(nn.Module):
    """The trainable parts, run on precomputed segment embeddings.

    loss 'decoder' (the default) compares what the core decoder reads of a conditioning vector:
    it reads it only through its initial state tanh(e W + b) and the conditioning part of its
    first cell's gates e W_z, so predicting those as for the 2-bar mu decodes alike.
    loss 'posterior' is the 2-bar posterior's negative log density of the prediction."""

    def __init__(self, model, loss='decoder'):
        super().__init__()
        self.model, self.loss = model, loss
        core = model.decoder.cores[0]
        cell0 = core.cell.cells[0]
        # Frozen copies: the decoder-space loss reads the core decoder's conditioning weights.
        self.register_buffer('w_init', core.z_to_initial_state.kernel.detach().clone())
        self.register_buffer('b_init', core.z_to_initial_state.bias.detach().clone())
        self.register_buffer('w_cond', cell0.kernel[core.depth:cell0.n_in].detach().clone())
        e = model.decoder.conductor.cells[-1].units  # the conditioning width
        self.affine_a = nn.Parameter(torch.eye(e))
        self.affine_c = nn.Parameter(torch.zeros(e))

    def trainable(self):
        m = self.model
        mods = [m.encoder.level1, m.mu, m.sigma, m.decoder.initial_state, m.decoder.conductor]
        return [p for mod in mods for p in mod.parameters()] + [self.affine_a, self.affine_c]

    def forward(self, emb0, mu_t, sigma_t, beta, free_bits):
        m = self.model
        h = m.encoder.level1(emb0)
        mu, sigma = m.mu(h), F.softplus(m.sigma(h))
        z = mu + sigma * torch.randn_like(mu) if self.training else mu
        pred = m.decoder.embeddings(z) @ self.affine_a + self.affine_c  # [B, U, e]
        if self.loss == 'posterior':
            nll = ((pred - mu_t) ** 2 / (2 * sigma_t ** 2)).sum((1, 2))
        else:
            init = lambda v: torch.tanh(v @ self.w_init + self.b_init)
            nll = ((init(pred) - init(mu_t)) ** 2).sum((1, 2)) + \
                (((pred - mu_t) @ self.w_cond) ** 2).sum((1, 2))
        kl = kl_nats(mu, sigma)
        loss = nll.mean() + beta * torch.clamp(kl - free_bits * LN2, min=0.0).mean()
        # Share of segment latents predicted within one posterior sigma in every dimension is
        # too strict a figure; report the mean |error| / sigma instead.
        z_err = ((pred - mu_t).abs() / sigma_t).mean()
        return loss, {'nll': nll.mean().item(), 'kl_bits': kl.mean().item() / LN2,
                      'err_sigmas': z_err.item()}


def fold_affine(model, a, c):
    """Folds cond' = e A + c into the core decoder's conditioning weights (float64 arithmetic)."""
    a64, c64 = a.detach().double(), c.detach().double()
    for core in model.decoder.cores:
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
def segment_latents(model, posterior, windows, batch=256):
    """windows int [N, 1, 256] -> level-0 embeddings float16 [N, U, 1024] and the 2-bar posterior
    mu, sigma float32 [N, U, 256] of every segment."""
    u = model.cfg.num_segments
    n = len(windows)
    seg = torch.from_numpy(windows.astype(np.int64)).reshape(n, 1, u, -1).permute(0, 2, 1, 3)
    seg = seg.reshape(n * u, 1, -1)
    level0 = model.encoder.level0
    embs, mus, sigmas = [], [], []
    for s in range(0, len(seg), batch):
        x = F.one_hot(seg[s:s + batch, 0], model.cfg.output_depths[0]).float()
        h = level0(x)
        embs.append(h.half())
        mus.append(h @ posterior['mu/kernel'] + posterior['mu/bias'])
        sigmas.append(F.softplus(h @ posterior['sigma/kernel'] + posterior['sigma/bias']))
    shape = lambda t: torch.cat(t).reshape(n, u, -1)
    return shape(embs), shape(mus), shape(sigmas)


def chosen_windows(kind, bars, split, limit, seed):
    """The random windows a run uses (the same for its latents and its fine-tuning)."""
    windows = data.load_windows(kind, bars, split)
    if limit and limit < len(windows):
        windows = windows[np.sort(np.random.default_rng(seed).choice(len(windows), limit, False))]
    return windows


def cached_latents(model, posterior, kind, split, limit, seed, two_bar_path, cache_dir):
    """segment_latents of up to `limit` random windows, cached beside the run."""
    with open(two_bar_path, 'rb') as f:
        tag = hashlib.sha1(f.read()).hexdigest()[:10]
    path = os.path.join(cache_dir, f'latents_{kind}_{split}_{limit}_{seed}_{tag}.pt')
    if os.path.exists(path):
        return torch.load(path)
    windows = chosen_windows(kind, model.cfg.bars, split, limit, seed)
    t0 = time.time()
    out = segment_latents(model, posterior, windows)
    print(f'latents of {len(windows)} {kind} {split} windows: {time.time() - t0:.0f} s', flush=True)
    os.makedirs(cache_dir, exist_ok=True)
    torch.save(out, path + '.tmp')
    os.replace(path + '.tmp', path)
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
    cfg = get_config(CONFIG)
    model, posterior = build(args.two_bar, cfg)
    trainer = LatentTrainer(model, args.loss)
    params = trainer.trainable()
    opt = torch.optim.Adam(params, lr=args.lr)
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, CKPT)
    torch.manual_seed(args.seed)
    step, elapsed = resume(ckpt_path, 'trainer', trainer, opt)
    cache = os.path.join(args.out, 'cache')
    emb, mu_t, sig_t = cached_latents(model, posterior, args.data, 'train', args.windows, 1,
                                      args.two_bar, cache)
    v_emb, v_mu, v_sig = cached_latents(model, posterior, 'melody', 'valid', 1000, 2,
                                        args.two_bar, cache)
    log = open(os.path.join(args.out, 'train.log'), 'a')

    def say(msg):
        print(msg, flush=True)
        log.write(msg + '\n')
        log.flush()

    say(f'{CONFIG} latent stage on cpu x1, {args.threads} threads: {len(emb)} {args.data} '
        f'windows, batch {args.batch}, from {os.path.basename(args.two_bar)}, step {step}')
    gen = np.random.default_rng(args.seed + step)
    t_start = time.time()
    trainer.train()
    while step < args.steps:
        idx = torch.from_numpy(gen.integers(0, len(emb), args.batch))
        lr = (args.lr - 1e-5) * 0.9999 ** step + 1e-5
        for g in opt.param_groups:
            g['lr'] = lr
        loss, stats = trainer(emb[idx].float(), mu_t[idx], sig_t[idx], args.beta, cfg.free_bits)
        step = optimizer_step(opt, loss, params, step)
        now = elapsed + time.time() - t_start
        last = args.minutes and now >= 60 * args.minutes
        if step % args.log_every == 0 or step == args.steps or last:
            trainer.eval()
            with torch.no_grad():
                _, v = trainer(v_emb.float(), v_mu, v_sig, args.beta, cfg.free_bits)
            trainer.train()
            say(f'step {step} loss {loss.item():.2f} nll {stats["nll"]:.2f} kl_bits '
                f'{stats["kl_bits"]:.1f} err/sigma {stats["err_sigmas"]:.3f} | valid nll '
                f'{v["nll"]:.2f} err/sigma {v["err_sigmas"]:.3f} | lr {lr:.2e} elapsed {now:.0f}s')
        if step % args.ckpt_every == 0 or step == args.steps or last:
            save_atomic({'trainer': trainer.state_dict(), 'optimizer': opt.state_dict(),
                         'step': step, 'elapsed': now, 'torch_rng': torch.get_rng_state(),
                         'two_bar': os.path.abspath(args.two_bar), 'data': args.data,
                         'windows': len(emb), 'batch': args.batch, 'loss': args.loss},
                        ckpt_path)
        if last:
            say(f'stopped after {args.minutes} minutes at step {step}')
            break
    log.close()


def latent_stage_model(run, two_bar=None):
    """The full model after the latent stage (trained parts in place, A and c folded), the 2-bar
    posterior layers, and the latent stage's checkpoint."""
    ck = torch.load(os.path.join(run, CKPT), weights_only=False)
    model, posterior = build(two_bar or ck['two_bar'], get_config(CONFIG))
    trainer = LatentTrainer(model, ck.get('loss', 'decoder'))
    trainer.load_state_dict(ck['trainer'])
    fold_affine(model, trainer.affine_a, trainer.affine_c)
    return model, posterior, ck


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
    model, posterior, ck1 = latent_stage_model(args.run)
    cfg = model.cfg
    for p in model.parameters():
        p.requires_grad_(False)
    m = model
    parts = [m.encoder.level1, m.mu, m.sigma, m.decoder.initial_state, m.decoder.conductor]
    params = [p for mod in parts for p in mod.parameters()] + conditioning_parameters(model)
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=args.lr)
    path = os.path.join(args.run, FINETUNE_CKPT)
    step, elapsed = resume(path, 'model', model, opt)
    cache = os.path.join(args.run, 'cache')
    # The level-0 encoder is frozen, so the latent stage's cached embeddings are this model's.
    emb, _, _ = cached_latents(model, posterior, ck1['data'], 'train', ck1['windows'], 1,
                               ck1['two_bar'], cache)
    windows = torch.from_numpy(chosen_windows(ck1['data'], cfg.bars, 'train', ck1['windows'], 1)
                               .astype(np.int64))
    assert len(windows) == len(emb)
    log = open(os.path.join(args.run, 'train.log'), 'a')
    say = lambda msg: (print(msg, flush=True), log.write(msg + '\n'), log.flush())
    say(f'{CONFIG} end-to-end stage: {len(emb)} windows, batch {args.batch}, step {step}')
    gen = np.random.default_rng(args.seed + 1000 + step)
    t_start = time.time()
    while step < args.steps:
        idx = torch.from_numpy(gen.integers(0, len(emb), args.batch))
        x = windows[idx]
        h = m.encoder.level1(emb[idx].float())
        mu, sigma = m.mu(h), F.softplus(m.sigma(h))
        z = mu + sigma * torch.randn_like(mu)
        logits = model.decode_logits(z, x)[0]
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 0].reshape(-1),
                             reduction='none').view(len(x), -1).sum(1)
        kl = kl_nats(mu, sigma)
        loss = ce.mean() + args.beta * torch.clamp(kl - cfg.free_bits * LN2, min=0.0).mean()
        step = optimizer_step(opt, loss, params, step)
        now = elapsed + time.time() - t_start
        last = args.minutes and now >= 60 * args.minutes
        if step % args.log_every == 0 or step == args.steps or last:
            acc = (logits.argmax(-1) == x[:, 0]).float().mean().item()
            say(f'finetune step {step} loss {loss.item():.2f} recon {ce.mean().item():.2f} '
                f'kl_bits {kl.mean().item() / LN2:.1f} acc {acc:.4f} elapsed {now:.0f}s')
        if step % args.ckpt_every == 0 or step == args.steps or last:
            save_atomic({'model': model.state_dict(), 'optimizer': opt.state_dict(),
                         'step': step, 'elapsed': now, 'torch_rng': torch.get_rng_state(),
                         'batch': args.batch}, path)
        if last:
            say(f'stopped after {args.minutes} minutes at step {step}')
            break
    log.close()


def export(args):
    model, _, ck = latent_stage_model(args.run, args.two_bar)
    tuned = os.path.join(args.run, FINETUNE_CKPT)
    stage2 = ''
    if os.path.exists(tuned):
        ck2 = torch.load(tuned, weights_only=False)
        model.load_state_dict(ck2['model'])
        stage2 = (f'; then end to end through the frozen core decoder (its conditioning weights '
                  f'fine-tuned), {ck2["step"]} steps at batch {ck2["batch"]}, '
                  f'{ck2["elapsed"] / 60:.0f} min')
    cfg = model.cfg
    source = (f'training/conductor.py, config {CONFIG}: level-0 encoder and core decoder from '
              f'{os.path.basename(ck["two_bar"])} (Magenta\'s mel_2bar_small decoder, recurrent '
              f'and output weights unchanged; conditioning weights re-expressed); level-1 '
              f'encoder, mu/sigma and conductor trained on latent sequences of {ck["windows"]} '
              f'{ck["data"]} 16-bar windows, {ck["step"]} steps at batch {ck["batch"]}, '
              f'{ck["elapsed"] / 60:.0f} min on cpu x1' + stage2)
    meta = model_metadata(cfg, args.name, args.description, args.license, source)
    tensors = {n: p.detach().numpy().copy() for n, p in model.tf_parameters().items()}
    mvae_format.write_model(args.out, meta, tensors, quantize=args.quantize, block=32)
    print(f'wrote {args.out}: {len(tensors)} tensors')
    if args.config_json:
        record = {'config': cfg.to_dict(), 'two_bar': os.path.basename(ck['two_bar']),
                  'data': ck['data'], 'windows': ck['windows'],
                  'latent_stage': {'steps': ck['step'], 'batch': ck['batch'],
                                   'train_seconds': round(ck['elapsed']), 'loss': ck.get('loss')},
                  'end_to_end_stage': None if not stage2 else {
                      'steps': ck2['step'], 'batch': ck2['batch'],
                      'train_seconds': round(ck2['elapsed'])},
                  'hardware': 'cpu x1, 1 thread (2-vCPU AMD EPYC VM, shared)',
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
    t.add_argument('--two-bar', required=True, help='the 2-bar melody model (with encoder)')
    t.add_argument('--out', required=True)
    t.add_argument('--data', default='melody_wide', help='16-bar window kind (training.data)')
    t.add_argument('--windows', type=int, default=40000, help='random training windows used')
    t.add_argument('--steps', type=int, default=20000)
    t.add_argument('--minutes', type=float, default=None)
    t.add_argument('--batch', type=int, default=64)
    t.add_argument('--lr', type=float, default=1e-3)
    t.add_argument('--beta', type=float, default=0.2)
    t.add_argument('--loss', choices=['decoder', 'posterior'], default='decoder',
                   help='what the prediction is compared in (see LatentTrainer)')
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
    f.add_argument('--beta', type=float, default=0.2)
    f.add_argument('--seed', type=int, default=1)
    f.add_argument('--threads', type=int, default=1)
    f.add_argument('--log-every', type=int, default=20)
    f.add_argument('--ckpt-every', type=int, default=50)
    e = sub.add_parser('export')
    e.add_argument('--run', required=True)
    e.add_argument('--out', required=True)
    e.add_argument('--two-bar', default=None, help='default: the one the run trained from')
    e.add_argument('--quantize', choices=['q8', 'f16'], default=None)
    e.add_argument('--name', default='mel_16bar')
    e.add_argument('--description', default=None)
    e.add_argument('--license', default='Apache-2.0')
    e.add_argument('--config-json', default=None, help='also write the training record (JSON)')
    args = p.parse_args(argv)
    return {'train': train, 'finetune': finetune, 'export': export}[args.cmd](args)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
