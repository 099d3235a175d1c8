"""Export a training checkpoint as an MVAE model file (docs/model-format.md).

    /usr/bin/python3 -m training.export --ckpt RUN_DIR_or_checkpoint.pt --out model.mvae
        [--quantize q8|f16] [--block N] [--name NAME] [--description TEXT] [--license TEXT]

Tensors keep their TF names and float32 values: a tensor loaded with --init-from and frozen comes
out bit-identical to the file it came from (unless --quantize re-encodes the kernels).
"""
import argparse
import contextlib
import errno
import json
import os
import re
import stat
import sys
import tempfile

import torch

from training import mvae_format
from training.configs import Config
from training.model import build_model
from training.train import CKPT_NAME


def load_checkpoint(path):
    """Returns (config, model on CPU in eval mode, checkpoint dict)."""
    if os.path.isdir(path):
        path = os.path.join(path, CKPT_NAME)
    ckpt = torch.load(path, map_location='cpu', weights_only=False)  # holds RNG states
    cfg = Config.from_dict(ckpt['config'])
    model = build_model(cfg)
    model.load_state_dict(ckpt['model'])
    return cfg, model.eval(), ckpt


def model_metadata(cfg, name=None, description=None, license=None, source=None):
    meta = {
        'general.architecture': 'musicvae',
        'general.name': name or cfg.name,
        'general.description': description or f'MusicVAE {cfg.name}',
    }
    if license:
        meta['general.license'] = license
    if source:
        meta['general.source'] = source
    meta.update({
        'musicvae.z_size': cfg.z_size,
        'musicvae.num_steps': cfg.num_steps,
    })
    if cfg.decoder == 'hierarchical' or cfg.encoder == 'hierarchical':
        meta['musicvae.num_segments'] = cfg.num_segments
    meta.update({
        'musicvae.steps_per_quarter': cfg.steps_per_quarter,
        'musicvae.quarters_per_bar': cfg.quarters_per_bar,
        'musicvae.decoder': cfg.decoder,
        'musicvae.encoder': cfg.encoder,
        'musicvae.output_depths': list(cfg.output_depths),
        'musicvae.input_depth': cfg.input_depth,
        'converter.type': cfg.converter,
    })
    if cfg.converter in ('melody', 'trio'):
        meta['converter.min_pitch'] = cfg.min_pitch
        meta['converter.max_pitch'] = cfg.max_pitch
    if cfg.converter in ('drums', 'trio'):
        meta['converter.drums_roll_input'] = int(cfg.drums_roll_input)
    if cfg.control_depth:  # a conditioned model (training/chords.py)
        meta['musicvae.control_depth'] = cfg.control_depth
        if cfg.chord_encoding:
            meta['controls.chord_encoding'] = cfg.chord_encoding
    if cfg.converter == 'groove':  # GrooVAE (training/groove.py): its output layer and inputs
        meta['musicvae.output_layer'] = 'groove'
        meta['converter.groove_humanize'] = int(cfg.groove_humanize)
        meta['converter.groove_tapify'] = int(cfg.groove_tapify)
    return meta


def hardware_used(ckpt_path):
    """Where the run trained, from its train.log's start lines ('... on cpu x1, 2 threads: ...'),
    in order, without repeats; '' when the log is missing."""
    log = os.path.join(ckpt_path if os.path.isdir(ckpt_path) else os.path.dirname(ckpt_path),
                       'train.log')
    seen = []
    if os.path.exists(log):
        with open(log) as f:
            for line in f:
                m = re.match(r'\S+ on (.+? x\d+, \d+ threads):', line)
                if m and m.group(1) not in seen:
                    seen.append(m.group(1))
    return ' then '.join(seen)


@contextlib.contextmanager
def atomic_output(out):
    """A path to write `out` through: a temporary file in its folder, renamed over `out` once the
    block succeeds and removed if it fails, so an existing file stays whole on any failure (a full
    disk, an interrupted run). Through a symlink the file it points to is replaced; a device or pipe
    (e.g. /dev/stdout) is written in place. An OSError names `out`."""
    try:
        target = os.path.realpath(out)
        try:
            mode = os.stat(target).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), out)
        if mode is not None and not stat.S_ISREG(mode):
            yield target
            return
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=f'.{os.path.basename(target)}.', suffix='.tmp')
        try:
            os.close(fd)
            yield temp
            with open(temp, 'rb+') as f:
                os.fsync(f.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, stat.S_IMODE(mode) if mode is not None else 0o666 & ~umask)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError as e:
        if e.filename == out:
            raise
        raise OSError(e.errno, e.strerror, out) from e


def export(ckpt_path, out, quantize=None, block=None, name=None, description=None, license=None):
    cfg, model, ckpt = load_checkpoint(ckpt_path)
    info = ckpt.get('info', {})
    init_meta = info.get('init_meta') or {}
    source = f'training/train.py, config {cfg.name}, {ckpt["step"]} steps at batch {ckpt["batch"]}'
    hardware = hardware_used(ckpt_path)
    source += f', {ckpt.get("elapsed", 0) / 60:.0f} min' + (f' on {hardware}' if hardware else '')
    if info.get('init_from'):
        source += (f'; {len(info["loaded"])} tensors from {os.path.basename(info["init_from"])}'
                   + (' (decoder frozen)' if info.get('freeze') == 'decoder' else ''))
        if init_meta.get('general.source'):
            source += f' [{init_meta["general.source"]}]'
    # A model built on someone else's weights keeps their licence unless told otherwise.
    license = license or init_meta.get('general.license')
    tensors = {n: p.detach().cpu().numpy() for n, p in model.tf_parameters().items()}
    meta = model_metadata(cfg, name, description, license, source)
    with atomic_output(out) as path:
        mvae_format.write_model(path, meta, tensors, quantize=quantize, block=block)
    return meta, tensors


def write_config_json(ckpt_path, out):
    """The training configuration (training/configs.py fields) and budget of a run, as JSON: what
    a provenance note cites and what `--set` / a config entry needs to train it again."""
    cfg, _, ckpt = load_checkpoint(ckpt_path)
    info = ckpt.get('info', {})
    record = {'config': cfg.to_dict(), 'steps': ckpt['step'], 'batch': ckpt['batch'],
              'train_seconds': round(ckpt.get('elapsed', 0)),
              'hardware': hardware_used(ckpt_path) or None,
              'init_from': os.path.basename(info['init_from']) if info.get('init_from') else None,
              'frozen': info.get('freeze')}
    with atomic_output(out) as path, open(path, 'w') as f:
        json.dump(record, f, indent=1)
        f.write('\n')


def main(argv=None):
    p = argparse.ArgumentParser(prog='python3 -m training.export', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--ckpt', required=True, help='run directory or checkpoint file')
    p.add_argument('--out', required=True)
    p.add_argument('--quantize', choices=['q8', 'f16'], default=None)
    p.add_argument('--block', type=int, default=None,
                   help="q8 columns per scale (default: the schema's q8_block)")
    p.add_argument('--name', default=None)
    p.add_argument('--description', default=None)
    p.add_argument('--license', default=None)
    p.add_argument('--config-json', default=None,
                   help='also write the run\'s configuration and training budget here (JSON)')
    a = p.parse_args(argv)
    try:
        meta, tensors = export(a.ckpt, a.out, a.quantize, a.block, a.name, a.description, a.license)
        if a.config_json:
            write_config_json(a.ckpt, a.config_json)
    except OSError as e:
        # A file that cannot be read or written: its name and the reason, no traceback.
        reason = f'{e.strerror} ({errno.errorcode.get(e.errno, e.errno)})' if e.errno else str(e)
        verb = 'write' if e.filename in (a.out, a.config_json) else 'read'
        sys.exit(f'training.export: cannot {verb} {e.filename}: {reason}')
    n = sum(t.size for t in tensors.values())
    print(f'wrote {a.out}: {len(tensors)} tensors, {n / 1e6:.2f} M values, '
          f'{os.path.getsize(a.out) / 1e6:.1f} MB')


if __name__ == '__main__':
    main(sys.argv[1:])
