"""A small ctypes binding of the C engine (build/libmusicvae.so, include/musicvae.h).

    with Engine('model.mvae') as eng:            # or Engine(bytes_of_a_model_file)
        eng.info                                 # dict: z_size, num_steps, output_depths, ...
        mu, sigma = eng.encode(inputs)           # float32 [B, T, input_depth] -> [B, Z] each
        tokens = eng.decode(z)                   # argmax: int32 [B, tracks, T]
        tokens = eng.decode(z, temperature=1.0, seed=7)
        tokens, logits = eng.decode(z, teacher=targets, logits=True)   # logits [B, T, sum depths]
        loss, grad = eng.decoder_loss(z, targets)  # teacher-forced loss [B] (nats), d loss / d z
        z = eng.encode_refined(inputs, steps=30)   # mu, then Adam steps on z (flat decoders)

    melody_events(notes, num_steps)   # the engine's note conversion, for the data pipeline
    note_attributes(notes, num_steps) # the engine's melody attributes (attribute vectors)
    drum_labels(hits, num_steps)      # (training/data.py converts through these: one rule)
    chords_infer(notes, num_steps, span_steps)      # the engine's chord labels of accompaniment
    chord_span_steps(steps_per_bar)                 # the span of one inferred chord (half a bar)
    chord_progression(symbols, num_steps)           # its chord encoding, per step (controls)
    eng.encode(inputs, controls=c); eng.decode(z, controls=c)   # c [B, T, control_depth]
    groove_tensor(notes, num_steps, humanize=.., tapify=..)   # GrooVAE's converter (groove_data)

    values, logits = eng.decode_groove(z)    # GrooVAE: greedy [hits | velocities | offsets]

The library is this repository's build/libmusicvae.so (`cmake -S . -B build && cmake --build
build`); the environment variable MVAE_LIB names another one. A failed call raises EngineError
with the engine's own message (mvae_last_error).
"""
import ctypes
import os

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_TRACKS = 4     # MVAE_MAX_TRACKS
MAX_BATCH = 4096   # MVAE_MAX_BATCH: larger batches are split here
CONVERTERS = ('melody', 'drums', 'trio', 'multitrack', 'melody_rhythm', 'melody_shape',
              'trio_rhythm', 'groove')  # mvae_converter 0..7


class EngineError(RuntimeError):
    pass


# ---- struct layouts: field for field as in include/musicvae.h --------------------------------

class _Info(ctypes.Structure):
    _fields_ = [('z_size', ctypes.c_int), ('num_steps', ctypes.c_int),
                ('num_segments', ctypes.c_int), ('steps_per_quarter', ctypes.c_int),
                ('steps_per_bar', ctypes.c_int), ('hierarchical', ctypes.c_int),
                ('has_encoder', ctypes.c_int), ('has_sigma', ctypes.c_int),
                ('input_depth', ctypes.c_int), ('num_tracks', ctypes.c_int),
                ('output_depths', ctypes.c_int * MAX_TRACKS), ('converter', ctypes.c_int),
                ('min_pitch', ctypes.c_int), ('max_pitch', ctypes.c_int),
                ('drums_roll_input', ctypes.c_int), ('quantized', ctypes.c_int),
                ('weight_bytes', ctypes.c_size_t), ('name', ctypes.c_char_p),
                ('kernels', ctypes.c_char_p), ('activations', ctypes.c_char_p),
                ('max_notes', ctypes.c_int), ('output_layer', ctypes.c_int),
                ('nade_hidden', ctypes.c_int), ('control_depth', ctypes.c_int),
                ('chord_encoding', ctypes.c_int), ('control_key_depth', ctypes.c_int),
                ('control_extra', ctypes.c_char_p), ('total_steps', ctypes.c_int),
                ('velocity_bins', ctypes.c_int), ('drum_encoding', ctypes.c_int),
                ('groove_humanize', ctypes.c_int), ('groove_tapify', ctypes.c_int)]


class _Rng(ctypes.Structure):
    _fields_ = [('state', ctypes.c_uint64), ('inc', ctypes.c_uint64)]


class _ConvertError(ctypes.Structure):
    _fields_ = [('message', ctypes.c_char_p), ('index', ctypes.c_int), ('value', ctypes.c_int)]


# mvae_note: pitch, velocity, start_step, end_step, program, is_drum, instrument (int32 each)
NOTE_DTYPE = np.dtype([(f, np.int32) for f in (
    'pitch', 'velocity', 'start_step', 'end_step', 'program', 'is_drum', 'instrument')])


# mvae_groove_note: pitch, velocity, step (int32), start_time (double, seconds; NaN: none)
GROOVE_NOTE_DTYPE = np.dtype({'names': ['pitch', 'velocity', 'step', 'start_time'],
                              'formats': [np.int32, np.int32, np.int32, np.float64],
                              'offsets': [0, 4, 8, 16], 'itemsize': 24})
GROOVE_DEPTH = 27  # MVAE_GROOVE_DEPTH: hits, velocities, offsets of the 9 drum classes


class _GrooveOpts(ctypes.Structure):
    _fields_ = [('num_steps', ctypes.c_int), ('steps_per_quarter', ctypes.c_int),
                ('humanize', ctypes.c_int), ('tapify', ctypes.c_int)]


class _DecodeOpts(ctypes.Structure):
    _fields_ = [('temperature', ctypes.c_float), ('rng', ctypes.POINTER(_Rng)),
                ('teacher', ctypes.POINTER(ctypes.c_int32)),
                ('logits', ctypes.POINTER(ctypes.c_float))]


_F32P = ctypes.POINTER(ctypes.c_float)
_I32P = ctypes.POINTER(ctypes.c_int32)


class _Controls(ctypes.Structure):
    _fields_ = [('values', _F32P), ('per_item', ctypes.c_int)]


class _DecodeExtra(ctypes.Structure):
    _fields_ = [('controls', ctypes.POINTER(_Controls)), ('nade_sample', ctypes.c_int),
                ('values', _F32P)]


class _Chord(ctypes.Structure):  # mvae_chord
    _fields_ = [('no_chord', ctypes.c_int), ('root', ctypes.c_int), ('pitches', ctypes.c_int),
                ('quality', ctypes.c_int)]


class _RefineOpts(ctypes.Structure):
    _fields_ = [('steps', ctypes.c_int), ('learning_rate', ctypes.c_float),
                ('time_budget_ms', ctypes.c_float), ('prior_weight', ctypes.c_float),
                ('z_init', _F32P), ('targets', _I32P), ('loss', _F32P), ('loss_start', _F32P),
                ('steps_done', ctypes.POINTER(ctypes.c_int))]


_libs = {}


def library_path():
    return os.environ.get('MVAE_LIB') or os.path.join(REPO, 'build', 'libmusicvae.so')


def load_library(path=None):
    """The engine's shared library with argument types declared (loaded once per path)."""
    path = os.path.abspath(path or library_path())
    if path in _libs:
        return _libs[path]
    if not os.path.exists(path):
        raise EngineError(f'{path} not found: build it with `cmake -S . -B build && '
                          f'cmake --build build -j2`, or set MVAE_LIB')
    lib = ctypes.CDLL(path)
    model_p = ctypes.c_void_p
    sigs = {
        'mvae_model_load': (ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t,
                                           ctypes.POINTER(model_p), ctypes.c_char_p,
                                           ctypes.c_size_t]),
        'mvae_model_free': (None, [model_p]),
        'mvae_model_info': (ctypes.c_int, [model_p, ctypes.POINTER(_Info)]),
        'mvae_last_error': (ctypes.c_char_p, [model_p]),
        'mvae_status_string': (ctypes.c_char_p, [ctypes.c_int]),
        'mvae_rng_seed': (None, [ctypes.POINTER(_Rng), ctypes.c_uint64]),
        'mvae_encode': (ctypes.c_int, [model_p, _F32P, ctypes.c_int, _F32P, _F32P]),
        'mvae_decode': (ctypes.c_int, [model_p, _F32P, ctypes.c_int,
                                       ctypes.POINTER(_DecodeOpts), _I32P]),
        'mvae_decode_with': (ctypes.c_int, [model_p, _F32P, ctypes.c_int,
                                            ctypes.POINTER(_DecodeOpts),
                                            ctypes.POINTER(_DecodeExtra), _I32P]),
        'mvae_groove_to_input': (ctypes.c_int, [model_p, ctypes.c_void_p, ctypes.c_int,
                                                ctypes.c_double, _F32P]),
        'mvae_notes_to_input': (ctypes.c_int, [model_p, ctypes.c_void_p, ctypes.c_int, _F32P]),
        'mvae_decoder_loss': (ctypes.c_int, [model_p, _F32P, _I32P, ctypes.c_int, _F32P, _F32P]),
        'mvae_encode_refined': (ctypes.c_int, [model_p, _F32P, ctypes.c_int,
                                               ctypes.POINTER(_RefineOpts), _F32P]),
        'mvae_refine_opts_init': (None, [ctypes.POINTER(_RefineOpts)]),
        'mvae_encode_with': (ctypes.c_int, [model_p, _F32P, ctypes.c_int,
                                            ctypes.POINTER(_Controls), _F32P, _F32P]),
        'mvae_decode_with': (ctypes.c_int, [model_p, _F32P, ctypes.c_int,
                                            ctypes.POINTER(_DecodeOpts),
                                            ctypes.POINTER(_DecodeExtra), _I32P]),
    }
    # Chords (src/notes/chords.c, src/notes/chord_infer.c), for training/chords.py.
    sigs.update({
        'mvae_chords_infer': (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                             ctypes.c_int, ctypes.POINTER(_Chord),
                                             ctypes.c_char_p, ctypes.c_size_t]),
        'mvae_chord_symbol': (ctypes.c_int, [ctypes.POINTER(_Chord), ctypes.c_char_p,
                                             ctypes.c_size_t]),
        'mvae_chord_encoding_depth': (ctypes.c_int, [ctypes.c_int]),
        'mvae_chord_span_steps': (ctypes.c_int, [ctypes.c_int]),
        'mvae_chord_parse': (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(_Chord),
                                            ctypes.c_char_p, ctypes.c_size_t]),
        'mvae_chord_progression_encode': (ctypes.c_int, [
            ctypes.c_int, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int, _F32P,
            ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]),
    })
    conv = ctypes.POINTER(_ConvertError)
    sigs.update({
        'mvae_melody_from_notes': (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                                  ctypes.c_int, ctypes.c_int, ctypes.c_int, _I32P,
                                                  conv]),
        'mvae_drum_labels_from_notes': (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                                       ctypes.c_int, ctypes.c_int, _I32P, conv]),
        'mvae_events_to_notes': (ctypes.c_int, [_I32P, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                                ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                                                ctypes.c_int, ctypes.POINTER(ctypes.c_int), conv]),
        'mvae_drum_labels_to_notes': (ctypes.c_int, [_I32P, ctypes.c_int, ctypes.c_int,
                                                     ctypes.c_void_p, ctypes.c_int,
                                                     ctypes.POINTER(ctypes.c_int), conv]),
        'mvae_drum_class_of_pitch': (ctypes.c_int, [ctypes.c_int]),
        'mvae_drum_class_pitch': (ctypes.c_int, [ctypes.c_int]),
    })
    # GrooVAE's converter (src/notes/convert_groove.c), for training/groove_data.py.
    sigs['mvae_groove_input_from_notes'] = (ctypes.c_int, [
        ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(_GrooveOpts), ctypes.c_double, _F32P, conv])
    # The melody attributes (src/notes/attributes.c), for training/attribute_vectors.py.
    sigs.update({
        'mvae_attribute_name': (ctypes.c_char_p, [ctypes.c_int]),
        'mvae_note_attributes': (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, _F32P,
                                                ctypes.c_char_p, ctypes.c_size_t]),
    })
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    _libs[path] = lib
    return lib


def _array(a, dtype, shape, what):
    """A C-contiguous copy (only if needed) of `a` as `dtype`, checked against `shape` (None =
    any size on that axis)."""
    a = np.ascontiguousarray(a, dtype=dtype)
    if a.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, a.shape)):
        want = ', '.join('B' if s is None else str(s) for s in shape)
        raise ValueError(f'{what}: shape {a.shape}, expected [{want}]')
    return a


def _ptr(a, ctype):
    return a.ctypes.data_as(ctypes.POINTER(ctype))


# ---- note conversion (model-free: the engine's rules, src/notes/) ------------------------------

SELECT_ALL = 0        # mvae_note_selection MVAE_SELECT_ALL
DRUMS_CLEAN = 1       # mvae_drum_encoding MVAE_DRUMS_CLEAN: OR of mapped classes, as Magenta trains
MELODY_FIRST_PITCH = 2


def _notes_array(rows, fields):
    notes = np.zeros(len(rows), NOTE_DTYPE)
    if len(rows):
        cols = np.asarray(rows, np.int64).reshape(len(rows), len(fields))
        for i, f in enumerate(fields):
            notes[f] = cols[:, i]
    notes['velocity'] = 100
    return notes


def _convert(fn_name, notes, args, out, lib):
    err = _ConvertError()
    status = getattr(load_library(lib), fn_name)(
        notes.ctypes.data_as(ctypes.c_void_p) if len(notes) else None, len(notes), *args,
        _ptr(out, ctypes.c_int32), ctypes.byref(err))
    if status:
        msg = (err.message or b'').decode('utf-8', errors='replace')
        raise EngineError(f'{fn_name}: {msg} (note {err.index}, value {err.value})')
    return out


def melody_events(notes, num_steps, min_pitch=0, max_pitch=127, lib=None):
    """(start, end, pitch) triples -> int32 events[num_steps] by the engine's melody rule
    (magenta.js Melody.fromNoteSequence: one note per onset, the highest; each note writes its
    onset and its note-off; an onset overrides a note-off). Event 0 no event, 1 note off,
    2 + pitch - min_pitch a note; with the default range, 2 + the MIDI pitch."""
    notes = _notes_array(list(notes), ('start_step', 'end_step', 'pitch'))
    out = np.zeros(num_steps, np.int32)
    return _convert('mvae_melody_from_notes', notes,
                    (SELECT_ALL, num_steps, min_pitch, max_pitch), out, lib)


def drum_labels(hits, num_steps, lib=None):
    """(start, pitch) pairs -> int32 labels[num_steps], bit c set when drum class c is hit at
    that step (the engine's drum map; unmapped pitches and hits past the end are ignored)."""
    hits = [(s, s + 1, p) for s, p in hits]
    notes = _notes_array(hits, ('start_step', 'end_step', 'pitch'))
    notes['is_drum'] = 1
    out = np.zeros(num_steps, np.int32)
    return _convert('mvae_drum_labels_from_notes', notes,
                    (SELECT_ALL, num_steps, DRUMS_CLEAN), out, lib)


def _to_notes(fn_name, events, args, lib):
    events = np.ascontiguousarray(events, np.int32)
    cap = max(4 * len(events), 1)
    notes, n, err = np.zeros(cap, NOTE_DTYPE), ctypes.c_int(), _ConvertError()
    fn = getattr(load_library(lib), fn_name)
    status = fn(_ptr(events, ctypes.c_int32), len(events), *args,
                notes.ctypes.data_as(ctypes.c_void_p), cap, ctypes.byref(n), ctypes.byref(err))
    if status:
        msg = (err.message or b'').decode('utf-8', errors='replace')
        raise EngineError(f'{fn_name}: {msg} (step {err.index}, value {err.value})')
    return notes[:n.value]


def events_to_notes(events, min_pitch, max_pitch, lib=None):
    """Melody events (0 no event, 1 note off, 2 + pitch - min_pitch) -> mvae_note records, as the
    engine turns decoded melodies into notes (magenta.js Melody.toNoteSequence)."""
    return _to_notes('mvae_events_to_notes', events, (min_pitch, max_pitch, 0, 0), lib)


def drum_labels_to_notes(labels, lib=None):
    """Drum labels (bit c = class c hit) -> one-step drum mvae_note records."""
    return _to_notes('mvae_drum_labels_to_notes', labels, (0,), lib)


ATTRIBUTE_COUNT = 4  # MVAE_ATTR_COUNT


def attribute_names(lib=None):
    """The engine's melody attribute names, in order: density, pitch, range, syncopation."""
    return [load_library(lib).mvae_attribute_name(a).decode() for a in range(ATTRIBUTE_COUNT)]


def note_attributes(notes, num_steps, lib=None):
    """mvae_note records -> float32 [4] attributes by the engine's definition
    (mvae_note_attributes: notes per bar, mean pitch, range, onsets off the beat; NaN but density for
    no notes)."""
    notes = np.ascontiguousarray(notes, NOTE_DTYPE)
    out, err = np.zeros(ATTRIBUTE_COUNT, np.float32), ctypes.create_string_buffer(256)
    status = load_library(lib).mvae_note_attributes(
        notes.ctypes.data_as(ctypes.c_void_p) if len(notes) else None, len(notes), num_steps,
        _ptr(out, ctypes.c_float), err, len(err))
    if status:
        raise EngineError(f'mvae_note_attributes: {err.value.decode(errors="replace")}')
    return out


def groove_notes(rows):
    """(pitch, velocity, step, start_time) rows -> mvae_groove_note records."""
    notes = np.zeros(len(rows), GROOVE_NOTE_DTYPE)
    for i, (pitch, velocity, step, start) in enumerate(rows):
        notes[i] = (pitch, velocity, step, start)
    return notes


def groove_tensor(notes, num_steps, steps_per_quarter=4, humanize=False, tapify=False, qpm=120.0,
                  lib=None):
    """mvae_groove_note records (groove_notes) -> float32 [num_steps, 27] by the engine's GrooVAE
    converter (magenta.js's GrooveConverter.toTensor): per step the hits, velocities / 127 and
    offsets 2 (step time - start) / step length of the 9 drum classes; humanize / tapify as the
    model's converter flags (without both, the decoder's training target)."""
    notes = np.ascontiguousarray(notes, GROOVE_NOTE_DTYPE)
    out = np.zeros((num_steps, GROOVE_DEPTH), np.float32)
    opts = _GrooveOpts(num_steps, steps_per_quarter, int(bool(humanize)), int(bool(tapify)))
    err = _ConvertError()
    status = load_library(lib).mvae_groove_input_from_notes(
        notes.ctypes.data_as(ctypes.c_void_p) if len(notes) else None, len(notes),
        ctypes.byref(opts), float(qpm), _ptr(out, ctypes.c_float), ctypes.byref(err))
    if status:
        msg = (err.message or b'').decode('utf-8', errors='replace')
        raise EngineError(f'mvae_groove_input_from_notes: {msg} (note {err.index}, '
                          f'value {err.value})')
    return out


def drum_class_of_pitch(pitch, lib=None):
    """The engine's drum class (0..8) of a MIDI pitch, or -1."""
    return load_library(lib).mvae_drum_class_of_pitch(int(pitch))


def drum_class_pitch(drum_class, lib=None):
    """The pitch a decoded hit of this drum class gets, or -1."""
    return load_library(lib).mvae_drum_class_pitch(int(drum_class))


CHORD_ENCODINGS = {'pitch': 1, 'major_minor': 2, 'triad': 3}  # mvae_chord_encoding


def chords_infer(notes, num_steps, span_steps, lib=None):
    """(start, end, pitch) triples of accompaniment -> the engine's chord symbol of each span of
    span_steps steps (mvae_chords_infer: duration-weighted pitch classes against major and minor
    triads; 'N.C.' where nothing sounds), ceil(num_steps / span_steps) of them."""
    notes = _notes_array(list(notes), ('start_step', 'end_step', 'pitch'))
    n_spans = -(-int(num_steps) // int(span_steps)) if span_steps > 0 else 1
    chords, err = (_Chord * max(n_spans, 1))(), ctypes.create_string_buffer(256)
    f = load_library(lib)
    status = f.mvae_chords_infer(notes.ctypes.data_as(ctypes.c_void_p) if len(notes) else None,
                                 len(notes), int(num_steps), int(span_steps), chords, err,
                                 len(err))
    if status:
        raise EngineError(f'mvae_chords_infer: {err.value.decode(errors="replace")}')
    out, buf = [], ctypes.create_string_buffer(8)
    for c in chords[:n_spans]:
        if f.mvae_chord_symbol(ctypes.byref(c), buf, len(buf)):
            raise EngineError('mvae_chord_symbol refused an inferred chord')
        out.append(buf.value.decode())
    return out


def chord_span_steps(steps_per_bar, lib=None):
    """How many steps one inferred chord spans (mvae_chord_span_steps: half a bar)."""
    return int(load_library(lib).mvae_chord_span_steps(int(steps_per_bar)))


def chord_parse(symbol, lib=None):
    """A chord symbol as magenta.js reads it (mvae_chord_parse) -> dict no_chord, root, pitches
    (12-bit mask, bit p = pitch class p), quality."""
    c, err = _Chord(), ctypes.create_string_buffer(256)
    if load_library(lib).mvae_chord_parse(symbol.encode(), ctypes.byref(c), err, len(err)):
        raise EngineError(f'mvae_chord_parse: {err.value.decode(errors="replace")}')
    return {k: getattr(c, k) for k, _ in _Chord._fields_}


def chord_encoding_depth(encoding='pitch', lib=None):
    return load_library(lib).mvae_chord_encoding_depth(CHORD_ENCODINGS[encoding])


def chord_progression(symbols, num_steps, encoding='pitch', lib=None):
    """Chord symbols spread over num_steps steps as magenta.js's encodeProgression (step s plays
    chord floor(s * n / num_steps)) -> float32 [num_steps, depth], the engine's chord encoding
    (mvae_chord_progression_encode): what a chord-conditioned model's controls hold."""
    f = load_library(lib)
    depth = chord_encoding_depth(encoding, lib)
    arr = (ctypes.c_char_p * len(symbols))(*[s.encode() for s in symbols])
    out = np.zeros((num_steps, depth), np.float32)
    err = ctypes.create_string_buffer(256)
    status = f.mvae_chord_progression_encode(CHORD_ENCODINGS[encoding], arr, len(symbols),
                                             int(num_steps), _ptr(out, ctypes.c_float), depth,
                                             err, len(err))
    if status:
        raise EngineError(f'mvae_chord_progression_encode: {err.value.decode(errors="replace")}')
    return out


class Engine:
    """One loaded model. Like the C handle, use it from one thread at a time."""

    def __init__(self, model, lib=None):
        self._lib = load_library(lib)
        if isinstance(model, (bytes, bytearray, memoryview)):
            data = bytes(model)
        else:
            with open(model, 'rb') as f:
                data = f.read()
        handle, err = ctypes.c_void_p(), ctypes.create_string_buffer(512)
        status = self._lib.mvae_model_load(data, len(data), ctypes.byref(handle), err, len(err))
        if status:
            raise EngineError(f'load: {self._status(status)}: {err.value.decode(errors="replace")}')
        self._handle = handle
        raw = _Info()
        self._check(self._lib.mvae_model_info(self._handle, ctypes.byref(raw)), 'info')
        info = {name: getattr(raw, name) for name, _ in _Info._fields_}
        info['output_depths'] = list(raw.output_depths[:raw.num_tracks])
        info['converter'] = CONVERTERS[raw.converter]
        for k in ('name', 'kernels', 'activations'):
            info[k] = (info[k] or b'').decode('utf-8', errors='replace')
        self.info = info

    # ---- lifetime ----------------------------------------------------------------------------

    def close(self):
        if getattr(self, '_handle', None):
            self._lib.mvae_model_free(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    # ---- errors ------------------------------------------------------------------------------

    def _status(self, status):
        return self._lib.mvae_status_string(status).decode()

    def _check(self, status, what):
        if status:
            msg = self._lib.mvae_last_error(self._handle).decode('utf-8', errors='replace')
            raise EngineError(f'{what}: {self._status(status)}: {msg}')

    def _live(self):
        if not self._handle:
            raise EngineError('the model has been closed')
        return self._handle

    # ---- inference ---------------------------------------------------------------------------

    def _controls(self, controls, b):
        """controls float [B, T, control_depth] (a conditioned model's, one per sequence) as a
        C-contiguous array, or None."""
        if controls is None:
            return None
        info = self.info
        return _array(controls, np.float32, (b, info['num_steps'], info['control_depth']),
                      'controls')

    def encode(self, inputs, controls=None):
        """inputs float [B, T, input_depth] -> (mu, sigma) float32 [B, Z]; sigma is None when the
        model has no sigma layer. controls: float [B, T, control_depth] of a conditioned model."""
        info = self.info
        x = _array(inputs, np.float32, (None, info['num_steps'], info['input_depth']), 'inputs')
        b, z = x.shape[0], info['z_size']
        c = self._controls(controls, b)
        mu = np.empty((b, z), np.float32)
        sigma = np.empty((b, z), np.float32) if info['has_sigma'] else None
        for s in range(0, b, MAX_BATCH):
            e = min(b, s + MAX_BATCH)
            ctl = None if c is None else ctypes.byref(_Controls(_ptr(c[s:e], ctypes.c_float), 1))
            self._check(self._lib.mvae_encode_with(
                self._live(), _ptr(x[s:e], ctypes.c_float), e - s, ctl,
                _ptr(mu[s:e], ctypes.c_float),
                None if sigma is None else _ptr(sigma[s:e], ctypes.c_float)), 'encode')
        return mu, sigma

    def notes_to_input(self, notes):
        """mvae_note records (NOTE_DTYPE) -> this model's encoder input float32 [T, input_depth],
        by the engine's public converter (what an application's notes go through)."""
        notes = np.ascontiguousarray(notes, NOTE_DTYPE)
        out = np.zeros((self.info['num_steps'], self.info['input_depth']), np.float32)
        self._check(self._lib.mvae_notes_to_input(
            self._live(), notes.ctypes.data_as(ctypes.c_void_p) if len(notes) else None,
            len(notes), _ptr(out, ctypes.c_float)), 'notes_to_input')
        return out

    def decode(self, z, temperature=0.0, seed=None, teacher=None, logits=False, controls=None):
        """z float [B, Z] -> tokens int32 [B, tracks, T], and with logits=True also the logits
        float32 [B, T, sum of output depths] of every step.

        temperature <= 0: argmax; > 0: sampled with the engine's RNG seeded by `seed` (None: a
        fresh random seed). teacher int [B, tracks, T]: feed these tokens as the previous outputs
        instead of the chosen ones (teacher forcing; the returned tokens are still the chosen).
        controls: float [B, T, control_depth] of a conditioned model."""
        info = self.info
        tracks, t = info['num_tracks'], info['num_steps']
        z = _array(z, np.float32, (None, info['z_size']), 'z')
        b = z.shape[0]
        c = self._controls(controls, b)
        if teacher is not None:
            teacher = _array(teacher, np.int32, (b, tracks, t), 'teacher')
        rng = _Rng()
        if temperature > 0:
            if seed is None:
                seed = int.from_bytes(os.urandom(8), 'little')
            self._lib.mvae_rng_seed(ctypes.byref(rng), seed & 0xFFFFFFFFFFFFFFFF)
        tokens = np.empty((b, tracks, t), np.int32)
        out = np.empty((b, t, sum(info['output_depths'])), np.float32) if logits else None
        # One RNG for all chunks: the draws continue where the previous chunk stopped.
        for s in range(0, b, MAX_BATCH):
            e = min(b, s + MAX_BATCH)
            opts = _DecodeOpts(
                float(temperature), ctypes.pointer(rng),
                None if teacher is None else _ptr(teacher[s:e], ctypes.c_int32),
                None if out is None else _ptr(out[s:e], ctypes.c_float))
            extra = None if c is None else ctypes.byref(_DecodeExtra(ctypes.pointer(
                _Controls(_ptr(c[s:e], ctypes.c_float), 1)), 0, None))
            status = self._lib.mvae_decode_with(self._live(), _ptr(z[s:e], ctypes.c_float), e - s,
                                                ctypes.byref(opts), extra,
                                                _ptr(tokens[s:e], ctypes.c_int32))
            self._check(status, 'decode')
        return (tokens, out) if logits else tokens

    def groove_to_input(self, notes, qpm=120.0):
        """mvae_groove_note records -> this GrooVAE model's encoder input float32 [T, 27]
        (mvae_groove_to_input: its humanize / tapify flags applied)."""
        notes = np.ascontiguousarray(notes, GROOVE_NOTE_DTYPE)
        out = np.zeros((self.info['num_steps'], self.info['input_depth']), np.float32)
        self._check(self._lib.mvae_groove_to_input(
            self._live(), notes.ctypes.data_as(ctypes.c_void_p) if len(notes) else None,
            len(notes), float(qpm), _ptr(out, ctypes.c_float)), 'groove_to_input')
        return out

    def decode_groove(self, z, temperature=0.0, seed=None):
        """GrooVAE: z [B, Z] -> (values, logits) float32 [B, T, 27] each: every step's
        [hits (0 or 1) | velocities | offsets] as fed back, and the output layer's raw values."""
        info = self.info
        t, depth = info['num_steps'], info['output_depths'][0]
        z = _array(z, np.float32, (None, info['z_size']), 'z')
        b = z.shape[0]
        rng = _Rng()
        if temperature > 0:
            if seed is None:
                seed = int.from_bytes(os.urandom(8), 'little')
            self._lib.mvae_rng_seed(ctypes.byref(rng), seed & 0xFFFFFFFFFFFFFFFF)
        tokens = np.empty((b, 1, t), np.int32)
        values = np.empty((b, t, depth), np.float32)
        logits = np.empty((b, t, depth), np.float32)
        for s in range(0, b, MAX_BATCH):
            e = min(b, s + MAX_BATCH)
            opts = _DecodeOpts(float(temperature), ctypes.pointer(rng), None,
                               _ptr(logits[s:e], ctypes.c_float))
            extra = _DecodeExtra(None, 0, _ptr(values[s:e], ctypes.c_float))
            self._check(self._lib.mvae_decode_with(
                self._live(), _ptr(z[s:e], ctypes.c_float), e - s, ctypes.byref(opts),
                ctypes.byref(extra), _ptr(tokens[s:e], ctypes.c_int32)), 'decode_groove')
        return values, logits

    # ---- refinement (flat decoders) ----------------------------------------------------------

    def decoder_loss(self, z, targets, grad=True):
        """Teacher-forced loss float32 [B] (nats, summed over steps) of targets int [B, tracks, T]
        under the decoder at z [B, Z], and with grad=True also d loss[b] / d z[b] [B, Z]."""
        info = self.info
        z = _array(z, np.float32, (None, info['z_size']), 'z')
        b = z.shape[0]
        targets = _array(targets, np.int32, (b, info['num_tracks'], info['num_steps']), 'targets')
        loss = np.empty(b, np.float32)
        g = np.empty_like(z) if grad else None
        for s in range(0, b, MAX_BATCH):
            e = min(b, s + MAX_BATCH)
            self._check(self._lib.mvae_decoder_loss(
                self._live(), _ptr(z[s:e], ctypes.c_float), _ptr(targets[s:e], ctypes.c_int32),
                e - s, _ptr(loss[s:e], ctypes.c_float),
                None if g is None else _ptr(g[s:e], ctypes.c_float)), 'decoder_loss')
        return (loss, g) if grad else loss

    def refine_defaults(self):
        """The engine's default refinement options: steps, learning_rate, prior_weight."""
        opts = _RefineOpts()
        self._lib.mvae_refine_opts_init(ctypes.byref(opts))
        return {'steps': opts.steps, 'learning_rate': opts.learning_rate,
                'prior_weight': opts.prior_weight}

    def encode_refined(self, inputs=None, steps=None, learning_rate=None, time_budget_ms=0.0,
                       prior_weight=None, z_init=None, targets=None, stats=False):
        """mu of inputs [B, T, input_depth] (or z_init [B, Z]), then `steps` Adam steps on z
        against the teacher-forced loss of the inputs' own tokens (or targets [B, tracks, T]);
        returns the best z [B, Z], and with stats=True also a dict of loss_start, loss [B] and
        steps_done (per MAX_BATCH chunk, the last). None: the engine's default
        (mvae_refine_opts_init)."""
        defaults = self.refine_defaults()
        steps = defaults['steps'] if steps is None else steps
        learning_rate = defaults['learning_rate'] if learning_rate is None else learning_rate
        prior_weight = defaults['prior_weight'] if prior_weight is None else prior_weight
        info = self.info
        x = None if inputs is None else _array(
            inputs, np.float32, (None, info['num_steps'], info['input_depth']), 'inputs')
        zi = None if z_init is None else _array(z_init, np.float32, (None, info['z_size']),
                                                'z_init')
        b = (x if x is not None else zi).shape[0]
        tg = None if targets is None else _array(
            targets, np.int32, (b, info['num_tracks'], info['num_steps']), 'targets')
        z = np.empty((b, info['z_size']), np.float32)
        loss, loss0, done = np.empty(b, np.float32), np.empty(b, np.float32), ctypes.c_int(0)
        for s in range(0, b, MAX_BATCH):
            e = min(b, s + MAX_BATCH)
            opts = _RefineOpts(int(steps), float(learning_rate), float(time_budget_ms),
                               float(prior_weight),
                               None if zi is None else _ptr(zi[s:e], ctypes.c_float),
                               None if tg is None else _ptr(tg[s:e], ctypes.c_int32),
                               _ptr(loss[s:e], ctypes.c_float), _ptr(loss0[s:e], ctypes.c_float),
                               ctypes.pointer(done))
            self._check(self._lib.mvae_encode_refined(
                self._live(), None if x is None else _ptr(x[s:e], ctypes.c_float), e - s,
                ctypes.byref(opts), _ptr(z[s:e], ctypes.c_float)), 'encode_refined')
        if stats:
            return z, {'loss_start': loss0, 'loss': loss, 'steps_done': done.value}
        return z
