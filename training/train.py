"""Train a MusicVAE.

    /usr/bin/python3 -m training.train --config cat-mel_2bar_small --out runs/mel2 [--steps N]
        [--batch B] [--seed S] [--init-from MODEL.mvae] [--freeze decoder]
        [--log-every K] [--ckpt-every K] [--sampling-prob P] [--set KEY=VALUE ...] [--threads N]
        [--shared-dir D] [--cache-dir D]
    torchrun --nproc_per_node=G -m training.train ...      (DistributedDataParallel)

(Debian's torch 1.13 launcher fails under Python 3.11 with "'NoneType' object has no attribute
'get'"; starting each process by hand with MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK
and LOCAL_WORLD_SIZE set does the same thing.)

Runs on CUDA when available, else on all CPU cores. --batch is the global batch (split over the
DDP processes). A run resumes from OUT/checkpoint.pt when it exists, so an interrupted run loses
at most --ckpt-every steps; SIGINT/SIGTERM write a checkpoint and stop. --steps is the total step
count to reach, counting steps done before a resume.

--init-from loads tensors by TF name from an MVAE file (absent ones keep their random init);
--freeze decoder stops training every decoder/... and core_decoder/... tensor, which then stays
bit-identical (e.g. to train an encoder for the published mel_2bar_small decoder).
"""
import argparse
import dataclasses
import math
import os
import signal
import sys
import time

# Must precede the first `import torch`. OpenMP threads that spin while waiting (the default)
# make steps 5-10x slower as soon as anything else runs on these shared 2-core machines.
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

from training import mvae_format  # noqa: E402
from training.configs import Config, get_config  # noqa: E402
from training.model import build_model  # noqa: E402

CKPT_NAME = 'checkpoint.pt'
DECODER_PREFIXES = ('decoder/', 'core_decoder/')


def parse_args(argv):
    p = argparse.ArgumentParser(prog='python3 -m training.train', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--config', required=True)
    p.add_argument('--out', required=True, help='run directory (checkpoint, train.log)')
    p.add_argument('--steps', type=int, default=None, help='total steps (default: the config\'s)')
    p.add_argument('--batch', type=int, default=None, help='global batch (default: the config\'s)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--init-from', default=None, help='MVAE file to load tensors from, by name')
    p.add_argument('--freeze', choices=['decoder'], default=None)
    p.add_argument('--log-every', type=int, default=100)
    p.add_argument('--ckpt-every', type=int, default=1000)
    p.add_argument('--sampling-prob', type=float, default=None,
                   help='fixed scheduled-sampling probability instead of the config\'s schedule '
                        '(0 = teacher forcing)')
    p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE',
                   help='override a config field, e.g. --set beta_rate=0 --set learning_rate=3e-4 '
                        '(stored in the checkpoint; repeatable)')
    p.add_argument('--minutes', type=float, default=None,
                   help='stop (with a checkpoint) after this many minutes of this invocation; '
                        'run again to go on')
    p.add_argument('--threads', type=int, default=None,
                   help='CPU threads (default: all cores, split between local processes)')
    p.add_argument('--data', default=None, metavar='KIND',
                   help="training windows: a kind of training.data.KINDS with the config's "
                        "encoding (default: the config's converter), e.g. melody_wide")
    p.add_argument('--shared-dir', default=None, help='for training.data.load_windows')
    p.add_argument('--cache-dir', default=None, help='for training.data.load_windows')
    return p.parse_args(argv)


def override(cfg, assignments):
    """Applies KEY=VALUE strings to a Config, each value parsed as the field's current type."""
    changes = {}
    for a in assignments:
        key, sep, value = a.partition('=')
        if not sep or not hasattr(cfg, key) or key == 'name':
            raise SystemExit(f'--set {a!r}: expected KEY=VALUE with KEY a config field')
        old = getattr(cfg, key)
        if isinstance(old, bool):
            changes[key] = value.lower() in ('1', 'true', 'yes')
        elif isinstance(old, (list, tuple)):
            changes[key] = type(old)(int(v) for v in value.split(','))
        else:
            changes[key] = type(old)(value) if old is not None else value
    return dataclasses.replace(cfg, **changes) if changes else cfg


def learning_rate(cfg, step):
    """Magenta's exponential decay from learning_rate towards min_learning_rate."""
    return ((cfg.learning_rate - cfg.min_learning_rate) * cfg.decay_rate ** step
            + cfg.min_learning_rate)


class Batches:
    """Shuffled epochs over the windows, with per-window random transposition for melody.
    Its whole state (RNG, permutation, position) goes into the checkpoint."""

    def __init__(self, windows, batch, seed, transpose_range=(0, 0), transpose_fn=None,
                 melodic_tracks=1):
        self.windows, self.batch = windows, batch
        self.transpose_range, self.transpose_fn = tuple(transpose_range), transpose_fn
        self.melodic = melodic_tracks  # leading tracks in the melody encoding (not drums)
        self.rng = np.random.default_rng(seed)
        self.perm, self.pos = np.zeros(0, np.int64), 0

    def next(self):
        idx = []
        while len(idx) < self.batch:
            if self.pos >= len(self.perm):
                self.perm, self.pos = self.rng.permutation(len(self.windows)), 0
            take = self.perm[self.pos:self.pos + self.batch - len(idx)]
            idx.extend(take.tolist())
            self.pos += len(take)
        # Tokens as int64; GrooVAE's windows are float values (training/groove.py).
        floats = self.windows.dtype.kind == 'f'
        x = np.asarray(self.windows[np.asarray(idx)], dtype=np.float32 if floats else np.int64)
        lo, hi = self.transpose_range
        if (lo, hi) != (0, 0):
            for i, s in enumerate(self.rng.integers(lo, hi + 1, size=len(x))):
                if s:
                    y = self.transpose_fn(x[i, :self.melodic], int(s))
                    if y is not None:  # a pitch would leave the range: keep the window as is
                        x[i, :self.melodic] = y
        return x

    def state_dict(self):
        return {'rng': self.rng.bit_generator.state, 'perm': self.perm, 'pos': self.pos}

    def load_state_dict(self, s):
        self.rng.bit_generator.state = s['rng']
        self.perm, self.pos = np.asarray(s['perm']), int(s['pos'])


def load_tensors_by_name(model, path):
    """Copies every tensor of an MVAE file whose name the model has. Returns (loaded names,
    missing names, unused file names, file metadata). Copies float32 values exactly. A
    conditioned model started from an unconditioned file gets zero kernel rows for its controls
    (training.chords.widen_kernel), so that it first decodes exactly as the file."""
    meta, tensors = mvae_format.read_model(path)
    params = model.tf_parameters()
    loaded, missing = [], []
    for name, p in params.items():
        if name not in tensors:
            missing.append(name)
            continue
        a = tensors[name]
        if model.cfg.control_depth and tuple(a.shape) != tuple(p.shape):
            from training.chords import widen_kernel
            a = widen_kernel(a, tuple(p.shape), model.cfg.control_depth)
        if tuple(a.shape) != tuple(p.shape):
            raise ValueError(f'{path}: {name} has shape {tuple(a.shape)}, '
                             f'the model wants {tuple(p.shape)}')
        with torch.no_grad():
            p.copy_(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)))
        loaded.append(name)
    unused = [n for n in tensors if n not in params]
    return loaded, missing, unused, meta


def freeze(model, what):
    """Sets requires_grad False on the tensors `what` names; returns their TF names."""
    if what is None:
        return []
    assert what == 'decoder'
    names = []
    for n, p in model.tf_parameters().items():
        if n.startswith(DECODER_PREFIXES):
            p.requires_grad_(False)
            names.append(n)
    return names


def atomic_save(obj, path):
    tmp = path + '.tmp'
    torch.save(obj, tmp)
    with open(tmp, 'rb') as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Logger:
    """Prints a line and appends it to the run's train.log (on rank 0 only); a context manager, so
    the file is closed however training ends."""
    def __init__(self, path, enabled):
        self.f = open(path, 'a', buffering=1) if enabled else None

    def __call__(self, msg):
        if self.f:
            print(msg, flush=True)
            self.f.write(msg + '\n')

    def close(self):
        if self.f:
            self.f.close()
            self.f = None

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()


def setup_distributed():
    """torchrun sets RANK / WORLD_SIZE / LOCAL_RANK; without them this is one process."""
    world = int(os.environ.get('WORLD_SIZE', '1'))
    if world > 1:
        dist.init_process_group('nccl' if torch.cuda.is_available() else 'gloo')
        return dist.get_rank(), world, int(os.environ.get('LOCAL_RANK', '0'))
    return 0, 1, 0


def main(argv=None, windows=None):
    """Trains; returns the per-step history (list of dicts). `windows` (int [N, tracks, T])
    replaces training.data.load_windows, for tests."""
    args = parse_args(argv)
    rank, world, local_rank = setup_distributed()
    if torch.cuda.is_available():
        device = torch.device('cuda', local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device('cpu')
        # Processes sharing the machine split its cores (more threads than cores is far slower).
        local_world = int(os.environ.get('LOCAL_WORLD_SIZE', '1'))
        torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // local_world))

    os.makedirs(args.out, exist_ok=True)
    with Logger(os.path.join(args.out, 'train.log'), rank == 0) as log:
        return run(args, windows, log, rank, world, local_rank, device)


def run(args, windows, log, rank, world, local_rank, device):
    """main's training run in args.out (resuming its checkpoint), logging through `log`."""
    ckpt_path = os.path.join(args.out, CKPT_NAME)
    ckpt = None
    if os.path.exists(ckpt_path):  # not weights_only: it holds the NumPy RNG states
        ckpt = torch.load(ckpt_path, map_location='cpu', weights_only=False)

    cfg = Config.from_dict(ckpt['config']) if ckpt else override(get_config(args.config), args.set)
    if ckpt and cfg.name != args.config:
        raise SystemExit(f'{ckpt_path} is a {cfg.name} run, not {args.config}')
    if ckpt and override(cfg, args.set) != cfg:
        raise SystemExit(f'--set differs from the config stored in {ckpt_path}')
    batch = args.batch or (ckpt['batch'] if ckpt else cfg.batch_size)
    total_steps = args.steps if args.steps is not None else cfg.train_steps
    if batch % world:
        raise SystemExit(f'--batch {batch} does not divide over {world} processes')

    torch.manual_seed(args.seed)  # model init; the same seed gives the same first-step loss
    model = build_model(cfg).to(device)
    info = {'init_from': None, 'loaded': [], 'init_meta': {}, 'freeze': args.freeze}
    if ckpt:
        model.load_state_dict(ckpt['model'])
        info = ckpt['info']
        if args.freeze != info['freeze'] or (args.init_from and
                                             args.init_from != info['init_from']):
            log(f'note: resuming with the checkpoint\'s --init-from {info["init_from"]} '
                f'--freeze {info["freeze"]}')
    elif args.init_from:
        loaded, missing, unused, meta = load_tensors_by_name(model, args.init_from)
        info.update(init_from=args.init_from, loaded=loaded, init_meta=meta)
        log(f'init from {args.init_from}: loaded {len(loaded)} tensors')
        for n in missing:
            log(f'  not in file, random init: {n}')
        for n in unused:
            log(f'  in file, unused by {cfg.name}: {n}')
    frozen = freeze(model, info['freeze'])
    trainable = [p for p in model.parameters() if p.requires_grad]
    n_all = sum(p.numel() for p in model.parameters())
    n_train = sum(p.numel() for p in trainable)

    optimizer = torch.optim.Adam(trainable, lr=cfg.learning_rate)
    step, elapsed_before = 0, 0.0
    if ckpt:
        optimizer.load_state_dict(ckpt['optimizer'])
        step, elapsed_before = ckpt['step'], ckpt['elapsed']

    if windows is None and cfg.control_depth:
        from training import chords  # [melody, chord code per step] windows (POP909)
        log('data: POP909 2-bar melody windows with inferred chords (training/chords.py)')
        windows = chords.load_windows('train', args.cache_dir, args.shared_dir)
    elif windows is None and cfg.converter == 'groove':
        from training import groove_data
        log(f'data: groove {cfg.bars}-bar training windows ({groove_data.input_field(cfg)} input)')
        windows = groove_data.training_pairs(cfg, 'train', shared_dir=args.shared_dir,
                                             cache_dir=args.cache_dir)
    elif windows is None:
        from training import data
        kind = args.data or cfg.converter
        if data.base_kind(kind) != cfg.converter:
            raise SystemExit(f'--data {kind}: {cfg.name} needs {cfg.converter} windows')
        log(f'data: {kind} {cfg.bars}-bar training windows')
        windows = data.load_windows(kind, cfg.bars, 'train',
                                    shared_dir=args.shared_dir, cache_dir=args.cache_dir)
    transpose_fn, melodic = None, {'melody': 1, 'trio': 2}.get(cfg.converter, 0)
    if cfg.transpose_range != (0, 0):
        if not melodic:
            raise SystemExit(f'{cfg.name}: transposition needs melody tracks')
        from training.data import transpose_melody as transpose_fn
        if cfg.control_depth:  # the chords move with the melody
            from training.chords import transpose_window as transpose_fn
            melodic = 2
    batches = Batches(windows, batch // world, args.seed * 1000 + rank, cfg.transpose_range,
                      transpose_fn, melodic)

    if ckpt and len(ckpt['rng']) != world:
        log(f'note: checkpoint from {len(ckpt["rng"])} processes, now {world}: fresh RNG streams')
    elif ckpt:  # every process resumes its own RNG streams
        r = ckpt['rng'][rank]
        batches.load_state_dict(r['data'])
        torch.set_rng_state(r['torch'])
        if device.type == 'cuda' and r.get('cuda') is not None:
            torch.cuda.set_rng_state(r['cuda'], device)

    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[local_rank] if device.type == 'cuda' else None)

    def save():
        state = {'data': batches.state_dict(), 'torch': torch.get_rng_state(),
                 'cuda': torch.cuda.get_rng_state(device) if device.type == 'cuda' else None}
        states = [None] * world
        if world > 1:
            dist.all_gather_object(states, state)
        else:
            states = [state]
        if rank == 0:
            atomic_save({'config': cfg.to_dict(), 'model': model.state_dict(),
                         'optimizer': optimizer.state_dict(), 'step': step, 'batch': batch,
                         'elapsed': elapsed_before + time.time() - t_start, 'rng': states,
                         'info': info, 'frozen': frozen}, ckpt_path)

    stop = {'signal': None}

    def on_signal(signum, _frame):
        stop['signal'] = signum
        signal.signal(signum, signal.SIG_DFL)  # a second one kills at once

    old_handlers = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    where = f'{device} ({torch.cuda.get_device_name(device)})' if device.type == 'cuda' else device
    log(f'{cfg.name} on {where} x{world}, {torch.get_num_threads()} threads: '
        f'{n_all / 1e6:.2f} M params, {n_train / 1e6:.2f} M trainable, batch {batch}, '
        f'{len(windows)} windows, step {step} -> {total_steps}'
        + (f', frozen: {len(frozen)} tensors' if frozen else ''))

    history, acc, last_saved = [], {}, step
    t_start = t_log = time.time()
    net.train()
    try:
        while step < total_steps:
            x = torch.from_numpy(batches.next()).to(device)
            controls = None
            if cfg.control_depth:  # row 1 holds each step's chord code
                from training.chords import codes_to_controls
                x, controls = x[:, :1], codes_to_controls(x[:, 1])
            out = net(x, step, args.sampling_prob, controls)
            optimizer.zero_grad(set_to_none=True)
            out['loss'].backward()
            norm = float(torch.nn.utils.clip_grad_norm_(trainable, cfg.grad_clip))
            if not math.isfinite(norm) or norm > cfg.grad_norm_clip_to_zero:
                for p in trainable:  # Magenta zeroes such a step's gradient
                    if p.grad is not None:
                        p.grad.zero_()
            lr = learning_rate(cfg, step)
            for g in optimizer.param_groups:
                g['lr'] = lr
            if cfg.control_lr_scale != 1.0:  # a conditioned model's new control rows
                from training.chords import boosted_control_rows
                with boosted_control_rows(model, cfg.control_lr_scale):
                    optimizer.step()
            else:
                optimizer.step()
            step += 1

            rec = {k: float(v) for k, v in out.items()}
            rec.update(step=step, grad_norm=norm, lr=lr)
            history.append(rec)
            for k in ('loss', 'recon', 'kl_bits', 'accuracy'):
                acc[k] = acc.get(k, 0.0) + rec[k]
            acc['n'] = acc.get('n', 0) + 1

            # Step 1 too: its loss is the reproducibility check (same seed, same loss).
            if step % args.log_every == 0 or step == total_steps or step == 1:
                now = time.time()
                n = acc.pop('n')
                m = {k: v / n for k, v in acc.items()}
                if world > 1:  # log the mean over all processes' sequences
                    v = torch.tensor([m[k] for k in sorted(m)], dtype=torch.float64,
                                     device=device)
                    dist.all_reduce(v)
                    m = dict(zip(sorted(m), (v / world).tolist()))
                log(f'step {step} loss {m["loss"]:.4f} recon {m["recon"]:.4f} '
                    f'kl_bits {m["kl_bits"]:.2f} beta {rec["beta"]:.4f} '
                    f'acc {m["accuracy"]:.4f} p_sample {rec["sampling_prob"]:.3f} '
                    f'lr {lr:.2e} seq/s {n * batch / (now - t_log):.1f} '
                    f's/step {(now - t_log) / n:.3f} '
                    f'elapsed {elapsed_before + now - t_start:.0f}s')
                acc, t_log = {}, now
            if step % args.ckpt_every == 0:
                save()
                last_saved = step

            stopping = stop['signal'] is not None
            out_of_time = args.minutes is not None and time.time() - t_start > 60 * args.minutes
            stopping = stopping or out_of_time
            if world > 1:  # every process must stop after the same step
                flag = torch.tensor([float(stopping)], device=device)
                dist.all_reduce(flag, op=dist.ReduceOp.MAX)
                stopping = bool(flag.item())
            if stopping:
                why = f'signal {stop["signal"]}' if stop['signal'] else f'{args.minutes} minutes'
                log(f'{why}: checkpoint at step {step}, stopping')
                break
        if step != last_saved or not os.path.exists(ckpt_path):
            save()
    finally:
        for s, h in old_handlers.items():
            signal.signal(s, h)
        if world > 1:
            dist.destroy_process_group()
    return history


if __name__ == '__main__':
    main(sys.argv[1:])
