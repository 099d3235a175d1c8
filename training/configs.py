"""MusicVAE configurations: Magenta's (magenta/models/music_vae/configs.py) and scaled-down ones.

Hyperparameters follow Magenta's configs.py and its defaults (base_model.get_default_hparams,
lstm_models.get_default_hparams). Where Magenta leaves a value at its default, so do we; the
differences from what one might expect from the paper are noted on each config:

- Only the 2-bar melody configs anneal beta (beta_rate 0.99999). Magenta's drums and 16-bar configs
  leave beta_rate at its default 0.0, so beta = (1 - 0^step) * max_beta is max_beta from step 1 on.
- Scheduled sampling (inverse sigmoid, rate 1000) is set only on the 2-bar configs; the 16-bar
  configs use teacher forcing (the paper's text says rate 2000; Magenta's code uses 1000).
- Transposition augmentation (-5..5) only on the 2-bar melody configs; Magenta's drums and 16-bar
  configs have no augmenter.
- The conductor uses the same layer sizes as the core decoder (Magenta builds both from
  dec_rnn_size); the hierarchical decoders never feed the conductor anything but a zero
  (disable_autoregression=True).
- Magenta's batch is 512 for melody/drums and 256 for trio; lr 1e-3 decays to 1e-5 as
  (lr - min_lr) * 0.9999^step + min_lr; gradients are clipped to global norm 1.0 and zeroed when
  the norm exceeds 10000.

The `-tiny` / `-small` variants are ours, not Magenta's: the same architecture with fewer units so
that they train on 2 CPU cores (see /work/shared/reference/measurements.md); `-tiny` is for tests.
"""
import dataclasses
from dataclasses import dataclass
from typing import List, Optional, Tuple

from training.mvae_format import tensor_size

# src/format/schema.json's size rules: MelodyOneHotEncoding(21, 109) = no event, note off, 88
# pitches; one-hot over the 2^9 sets of drum classes hit at a step; 9 drum classes + a "no hit" bit.
MELODY_DEPTH = tensor_size('melody_depth', pitches=108 - 21 + 1)
DRUMS_DEPTH = tensor_size('drum_labels')
DRUMS_ROLL_DEPTH = tensor_size('drum_roll_width')
GROOVE_DEPTH = tensor_size('groove_depth')  # hits, velocities, offsets of the 9 drum classes


@dataclass(frozen=True)
class Config:
    name: str
    converter: str                  # 'melody', 'drums', 'trio' (training.data.load_windows kind)
                                    # or 'groove' (training.groove_data)
    bars: int
    z_size: int
    enc_rnn_size: List[int]
    dec_rnn_size: List[int]         # flat decoder layers, or each core decoder's layers
    encoder: str = 'bidirectional'  # or 'hierarchical'
    decoder: str = 'flat'           # or 'hierarchical'
    num_segments: int = 0           # U: conductor steps / hierarchical encoder segments
    conductor_rnn_size: Optional[List[int]] = None
    enc_level1_rnn_size: Optional[List[int]] = None  # hierarchical encoder level 1 (default: enc)
    drums_roll_input: bool = False
    free_bits: float = 0.0
    max_beta: float = 0.2
    beta_rate: float = 0.0
    batch_size: int = 512
    learning_rate: float = 1e-3
    min_learning_rate: float = 1e-5
    decay_rate: float = 0.9999
    grad_clip: float = 1.0
    grad_norm_clip_to_zero: float = 10000.0
    sampling_schedule: str = 'constant'  # 'constant' (rate = probability) or 'inverse_sigmoid'
    sampling_rate: float = 0.0
    transpose_range: Tuple[int, int] = (0, 0)
    train_steps: int = 50000        # the paper's schedule: 50k steps for 2 bars, 100k for 16
    notes: str = ''
    steps_per_quarter: int = 4
    quarters_per_bar: int = 4
    min_pitch: int = 21
    max_pitch: int = 108
    # Conditioned models: per-step control columns after each encoder and decoder input step
    # (training/chords.py); chord_encoding names the engine's chord encoding of their first ones.
    control_depth: int = 0
    chord_encoding: str = ''
    # The controls' kernel rows take steps this many times the learning rate (training/chords.py:
    # boosted_control_rows): they start at zero while the rest starts trained.
    control_lr_scale: float = 1.0
    groove_humanize: bool = False   # GrooVAE encoder input: hits only (converter.groove_humanize)
    groove_tapify: bool = False     # GrooVAE encoder input: taps on one class (groove_tapify)

    @property
    def num_steps(self):
        return self.bars * self.steps_per_quarter * self.quarters_per_bar

    @property
    def output_depths(self):
        return {'melody': [MELODY_DEPTH], 'drums': [DRUMS_DEPTH],
                'trio': [MELODY_DEPTH, MELODY_DEPTH, DRUMS_DEPTH],
                'groove': [GROOVE_DEPTH]}[self.converter]

    @property
    def input_depth(self):
        if self.converter == 'drums' and self.drums_roll_input:
            return DRUMS_ROLL_DEPTH
        return sum(self.output_depths)

    def to_dict(self):
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(d):
        d = dict(d)
        d['transpose_range'] = tuple(d.get('transpose_range', (0, 0)))
        return Config(**d)


CONFIGS = {}


def _add(cfg):
    if cfg.decoder == 'hierarchical' or cfg.encoder == 'hierarchical':
        assert cfg.num_segments and cfg.num_steps % cfg.num_segments == 0, cfg.name
    if cfg.decoder == 'flat':
        assert len(cfg.output_depths) == 1, 'a multi-track flat decoder is not implemented'
    CONFIGS[cfg.name] = cfg
    return cfg


def _variant(base, suffix, notes, **changes):
    return _add(dataclasses.replace(base, name=base.name + suffix, notes=notes, **changes))


_2BAR = dict(bars=2, z_size=256, enc_rnn_size=[512], dec_rnn_size=[256, 256], max_beta=0.2,
             sampling_schedule='inverse_sigmoid', sampling_rate=1000)
_16BAR = dict(bars=16, z_size=512, enc_rnn_size=[2048, 2048], free_bits=256, max_beta=0.2,
              train_steps=100000)

MEL_2BAR = _add(Config(
    name='cat-mel_2bar_small', converter='melody', free_bits=0, beta_rate=0.99999,
    transpose_range=(-5, 5), **_2BAR,
    notes='As Magenta. The published mel_2bar_small checkpoint has this shape.'))
DRUMS_2BAR = _add(Config(
    name='cat-drums_2bar_small', converter='drums', drums_roll_input=True, free_bits=48,
    **_2BAR, notes='As Magenta: beta_rate left at 0 (constant beta), no augmentation.'))
HIERDEC_MEL_16BAR = _add(Config(
    name='hierdec-mel_16bar', converter='melody', decoder='hierarchical', num_segments=16,
    conductor_rnn_size=[1024, 1024], dec_rnn_size=[1024, 1024], **_16BAR,
    notes='As Magenta: teacher forcing, constant beta, no augmentation.'))
FLAT_MEL_16BAR = _add(Config(
    name='flat-mel_16bar', converter='melody', dec_rnn_size=[2048, 2048, 2048], **_16BAR,
    notes='As Magenta: teacher forcing, constant beta, no augmentation.'))
HIERDEC_TRIO_16BAR = _add(Config(
    name='hierdec-trio_16bar', converter='trio', decoder='hierarchical', num_segments=16,
    conductor_rnn_size=[1024, 1024], dec_rnn_size=[1024, 1024], batch_size=256, **_16BAR,
    notes='As Magenta: 3 core decoders (melody, bass, drums), no autoregression across tracks.'))
HIER_MEL_16BAR = _add(Config(
    name='hier-mel_16bar', converter='melody', encoder='hierarchical', decoder='hierarchical',
    num_segments=16, conductor_rnn_size=[1024, 1024], dec_rnn_size=[1024, 1024],
    **dict(_16BAR, enc_rnn_size=[1024]),
    notes='As Magenta: hierarchical encoder (16 segments of 16 steps, then the 16 embeddings).'))

# Ours: a 16-bar melody model standing on Magenta's real mel_2bar_small (training/conductor.py).
# Its level-0 encoder is the 2-bar encoder and its core decoder Magenta's 2-bar decoder, over 8
# segments of 2 bars; the conductor emits one 2-bar latent per segment. Only the level-1 encoder,
# mu / sigma, the conductor and the core decoder's conditioning weights are trained here.
MEL_16BAR_ON_2BAR = _add(Config(
    name='hier-mel_16bar-on-2bar', converter='melody', encoder='hierarchical',
    decoder='hierarchical', num_segments=8, bars=16, z_size=512, enc_rnn_size=[512],
    enc_level1_rnn_size=[256], conductor_rnn_size=[256, 256], dec_rnn_size=[256, 256],
    free_bits=256, max_beta=0.2,
    batch_size=64, train_steps=20000,
    notes='Ours: level-0 encoder and core decoder from mel_2bar_small (2-bar segments); '
          'trained on latent sequences first (training/conductor.py).'))

# Ours: the 16-bar trio the same way (training/conductor.py): 8 segments of 2 bars; the melody
# and bass core decoders are Magenta's mel_2bar_small decoder, the drums core decoder our
# drums_2bar_small's; level 0 of the encoder is the three 2-bar encoders side by side (one LSTM of
# 3 x 512 units with a block-diagonal kernel: the engine's level 0 is one LSTM over the
# concatenated 692-wide trio input, so per-track encoders are held as its diagonal blocks).
TRIO_16BAR_ON_2BAR = _add(Config(
    name='hier-trio_16bar-on-2bar', converter='trio', encoder='hierarchical',
    decoder='hierarchical', num_segments=8, bars=16, z_size=512, enc_rnn_size=[1536],
    enc_level1_rnn_size=[256], conductor_rnn_size=[256, 256], dec_rnn_size=[256, 256],
    free_bits=1024, max_beta=0.2, batch_size=64, train_steps=20000,
    notes='Ours: melody and bass core decoders from mel_2bar_small, drums from drums_2bar_small; '
          'level 0 = their encoders (block-diagonal); free bits 1024: z carries 24 segment '
          'latents (training/conductor.py).'))

# Scaled-down variants (ours). Free bits stay at Magenta's values: they bound the information in
# bits per sequence, which does not depend on the network's width.
_CPU = 'Scaled down (ours) to train on 2 CPU cores.'
_TINY = 'Tiny (ours), for unit tests.'
_variant(MEL_2BAR, '-tiny', _TINY, z_size=16, enc_rnn_size=[32], dec_rnn_size=[32, 32],
         batch_size=32)
_variant(DRUMS_2BAR, '-tiny', _TINY, z_size=16, enc_rnn_size=[32], dec_rnn_size=[32, 32],
         batch_size=32)
_small16 = dict(z_size=128, enc_rnn_size=[256], batch_size=64)
_variant(HIERDEC_MEL_16BAR, '-small', _CPU, conductor_rnn_size=[256], dec_rnn_size=[256],
         **_small16)
_variant(FLAT_MEL_16BAR, '-small', _CPU, dec_rnn_size=[512], **_small16)
_variant(HIERDEC_TRIO_16BAR, '-small', _CPU, conductor_rnn_size=[256], dec_rnn_size=[256],
         **_small16)
_variant(HIER_MEL_16BAR, '-small', _CPU, conductor_rnn_size=[256], dec_rnn_size=[256],
         **_small16)
# Ours: mel_2bar_small over chords (training/chords.py), fine-tuned from the shipped mel_2bar_small
# (Magenta's decoder + our encoder) with zero rows for the chord columns, on POP909 melodies and the
# chords the engine infers from their accompaniment (magenta.js's mel_chords encoding: 37 columns).
MEL_2BAR_CHORDS = _variant(
    MEL_2BAR, '-chords', 'Ours: mel_2bar_small + PitchChordEncoder controls, fine-tuned from it.',
    control_depth=37,  # mvae_chord_encoding_depth(MVAE_CHORDS_PITCH) (test_chords checks it)
    chord_encoding='pitch', batch_size=64, learning_rate=3e-4, sampling_schedule='constant',
    sampling_rate=0.0, beta_rate=0.99, train_steps=20000)
# beta_rate 0.99: the KL weight reaches max_beta (0.2) in a few hundred steps instead of Magenta's
# 0.99999 (0.002 after 1,000 steps): with almost no KL cost the encoder's z already carries the
# whole melody and the decoder has no reason to read the chords; the KL cost makes z give up what
# the chords tell.
_variant(MEL_2BAR_CHORDS, '-tiny', _TINY, z_size=16, enc_rnn_size=[32], dec_rnn_size=[32, 32],
         batch_size=32)
_tiny16 = dict(bars=4, num_segments=4, z_size=16, enc_rnn_size=[16, 16], batch_size=8)
_variant(HIERDEC_MEL_16BAR, '-tiny', _TINY + ' 4 bars.', conductor_rnn_size=[16, 16],
         dec_rnn_size=[16, 16], **_tiny16)
_variant(FLAT_MEL_16BAR, '-tiny', _TINY + ' 4 bars.', dec_rnn_size=[16, 16], **_tiny16)
_variant(HIERDEC_TRIO_16BAR, '-tiny', _TINY + ' 4 bars.', conductor_rnn_size=[16],
         dec_rnn_size=[16, 16], **_tiny16)
_variant(HIER_MEL_16BAR, '-tiny', _TINY + ' 4 bars.', conductor_rnn_size=[16],
         dec_rnn_size=[16], **dict(_tiny16, enc_rnn_size=[16]))


# GrooVAE (Gillick et al., ICML 2019), Magenta's groovae_2bar_humanize and
# groovae_2bar_tap_fixed_velocity: GrooveLstmDecoder (hits, velocities, offsets; training/groove.py),
# teacher forcing (Magenta's default sampling rate 0), constant beta 0.2, free bits 48. Magenta
# also sets dropout_keep_prob 0.3 on the LSTM inputs; not implemented here (our short CPU runs
# underfit rather than overfit). Magenta's tap config fixes the input velocities, as tapify does.
_GROOVE_2BAR = dict(converter='groove', bars=2, z_size=256, enc_rnn_size=[512],
                    dec_rnn_size=[256, 256], free_bits=48, max_beta=0.2)
GROOVAE_2BAR_HUMANIZE = _add(Config(
    name='groovae_2bar_humanize', groove_humanize=True, **_GROOVE_2BAR,
    notes='As Magenta but without its dropout (keep 0.3): hits in, a played groove out.'))
GROOVAE_2BAR_TAP = _add(Config(
    name='groovae_2bar_tap_fixed_velocity', groove_tapify=True, **_GROOVE_2BAR,
    notes='As Magenta but without its dropout (keep 0.3): taps on one key in, drums out.'))
_groove_small = dict(z_size=128, enc_rnn_size=[256], dec_rnn_size=[256, 256], batch_size=64)
_variant(GROOVAE_2BAR_HUMANIZE, '-small', _CPU, **_groove_small)
_variant(GROOVAE_2BAR_TAP, '-small', _CPU, **_groove_small)
_variant(GROOVAE_2BAR_HUMANIZE, '-tiny', _TINY, z_size=16, enc_rnn_size=[32],
         dec_rnn_size=[32, 32], batch_size=32)
_variant(GROOVAE_2BAR_TAP, '-tiny', _TINY, z_size=16, enc_rnn_size=[32],
         dec_rnn_size=[32, 32], batch_size=32)


def get_config(name):
    if name not in CONFIGS:
        raise KeyError(f'unknown config {name!r}; known: {", ".join(sorted(CONFIGS))}')
    return CONFIGS[name]
