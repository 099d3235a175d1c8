"""Data pipeline: the MIDI files in shared/data -> fixed-length event windows for MusicVAE.

Encodings (shared with the C engine, see docs/model-format.md and include/musicvae.h):
4 steps per quarter, 16 per bar (4/4 only).
  melody: 0 = no event, 1 = note off, k >= 2 = pitch MIN_PITCH + k - 2 (pitches 21..108, 90 classes)
  drums:  a step's token is the sum of 2^class over the drum classes hit at that step (0..511),
          classes from magenta.js's DEFAULT_DRUM_PITCH_CLASSES (the pre-2019 map), in the engine
  trio:   three tracks [melody, bass, drums], the first two in the melody encoding.

Public API (the trainer relies on it):
  load_windows(kind, bars, split)   -> int16 [N, tracks, bars * 16]
  window_sources(kind, bars, split) -> str [N], the source file of each window (relative to data/)
  transpose_melody(events, semitones) -> shifted events or None when a pitch leaves 21..108

Rules (what Magenta's note-seq / MusicVAE converters do, simplified where said):
* Timing.  Ticks are quantized in beats, never in seconds, so tempo changes do not matter:
  step = floor(tick / ticks_per_beat * 4 + 0.5).  A note shorter than a step after rounding
  keeps one step.  A note-on with velocity 0 is a note-off.  Overlapping notes of the same
  pitch and channel are paired first-in-first-out (a note-off ends the oldest open note), which
  keeps legato re-strikes intact; notes still open at the end of their track end there.
* Meter.  POP909: treated as 4/4 (its signatures are unreliable).  Groove: rows of info.csv
  whose time_signature is 4-4.  Nottingham and Freedoom: the time_signature meta messages are
  read (none = 4/4, the MIDI default) and only the 4/4 stretches are used; each stretch is its
  own sequence with bar lines counted from its start, so a file that changes meter keeps its
  4/4 parts.
* Notes -> events: the engine's rules (src/notes/, through training/engine.py), which follow
  magenta.js's Melody.fromNoteSequence and drum map, so that what the trainer sees is what the
  engine gives the encoder at inference.  Melody (trio melody and bass too): at one onset only the
  highest pitch is kept; each kept note writes its onset and its note-off at its own end (an
  onset overrides a note-off), so a later note that starts while another sounds cuts in, and the
  earlier note's note-off can still end the later one early, as magenta.js does.  (Magenta
  Python's extractor would erase that note-off instead; our encoder is fed by the engine, so the
  engine's rule is the one to train on.)
* A melodic window's events are the engine's conversion of the notes that start inside it (times
  relative to the window), exactly what the engine gives for a user's clip of those bars: no
  note-off of a note begun before the window leaks in.  Which windows are kept (onsets, pitch
  range, gaps) is judged on the whole track.  test_data checks every window against the
  engine's public inference converter.
* Windows are `bars` bars long with a 1-bar hop, aligned to bar lines.  Magenta's melody
  extraction ends a melody after `gap_bars` of silence; the equivalent window rule is used:
  - melody: at least one note onset, no silence (steps where no note sounds) of GAP_BARS['melody']
    = 1 bar or longer inside the window (Magenta's default gap_bars = 1.0 for the 2- and 16-bar
    melody configs), and every onset pitch in 21..108; windows with a pitch out of range are
    dropped (Magenta drops such notes instead, which would change the melody).
  - drums: at least one hit.
  - trio: per window, each of melody (programs 0-31, not drums), bass (32-39) and drums
    (channel 10) must have a candidate instrument with an onset, no silence of GAP_BARS['trio'] = 2
    bars (Magenta's TrioConverter gap_bars=2) and pitches in range; among valid candidates the
    one with most onsets in that window is taken (ties: first in file order).  Magenta likewise
    chooses instruments per slice.  All channel-10 notes of the file form one drum part.
  - identical windows of one file are kept once (Magenta dedupes a sequence's slices).
* Split by file, never by window: sha1 of the path relative to data/ ('pop909/001/001.mid'),
  first 8 hex digits as an int, mod 100: < 80 train, < 90 valid, else test.  Groove uses its
  info.csv split column (validation -> valid).
* Unreadable or malformed files are skipped, counted and logged, never fatal.

Parsed files are cached per kind (one parse per kind), windows per kind/bars/split, as .npz in
cache_dir, keyed by VERSION and the data folder; delete the cache or bump VERSION when the rules
change.
"""

import argparse
import csv
import hashlib
import logging
import multiprocessing
import os
import sys
import time
from collections import defaultdict, namedtuple

import mido
import numpy as np

from training import engine

VERSION = 'v2'  # v2: events by the engine's rules, each melodic window from its own notes

STEPS_PER_QUARTER = 4
STEPS_PER_BAR = 16
MIN_PITCH = 21
MAX_PITCH = 108
NO_EVENT = 0
NOTE_OFF = 1
FIRST_PITCH_CLASS = 2
MELODY_CLASSES = MAX_PITCH - MIN_PITCH + 1 + FIRST_PITCH_CLASS  # 90

# The drum map and the note -> event rules live in the engine (src/notes/); this module converts
# through it (training/engine.py), so that training windows are what inference feeds the model.
NUM_DRUM_CLASSES = 9
DRUM_CLASSES = 2 ** NUM_DRUM_CLASSES  # 512

MELODY_PROGRAMS = range(0, 32)
BASS_PROGRAMS = range(32, 40)
DRUM_CHANNEL = 9  # channel 10 counted from 1

KINDS = {'melody': 1, 'drums': 1, 'trio': 3,  # kind -> tracks per window
         # For a 2-bar melody encoder that generalizes (issue 12), monophonic lines of more
         # kinds of part: every named part of POP909 (MELODY, BRIDGE, PIANO) plus Nottingham.
         'melody_wide': 1,
         # Out-of-corpus check: each pitched instrument of Freedoom's soundtrack as a line of
         # its own. No model is trained on it; every split of it is unseen music.
         'melody_freedoom': 1}
SPLITS = ('train', 'valid', 'test')
GAP_BARS = {'melody': 1, 'trio': 2}
POP909_PARTS = ('MELODY', 'BRIDGE', 'PIANO')
SOUND_EFFECT_PROGRAMS = range(112, 128)  # General MIDI percussive and sound effects: no lines


def base_kind(kind):
    """'melody' for the melody variants: they share its encoding and window rules."""
    return 'melody' if kind.startswith('melody') else kind

# Roles of the tracks of a parsed sequence.
MEL, BASS, DRUMS = 0, 1, 2

log = logging.getLogger('training.data')

Note = namedtuple('Note', 'start end pitch channel program track')  # start/end in steps
MAX_STEPS = 1 << 20  # 65536 bars, over a day of music at 120 qpm
MAX_MIDI_BYTES = 8 << 20  # larger files are skipped (counted): real MIDI files are far smaller
MidiData = namedtuple('MidiData', 'notes time_signatures track_names end_step')


# --------------------------------------------------------------------------------------------
# Paths and splits

def repo_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def resolve_data_dir(shared_dir=None):
    """The data/ folder.  Accepts shared/ or shared/data, from the argument, MVAE_SHARED_DIR,
    or <repo>/../shared."""
    d = shared_dir or os.environ.get('MVAE_SHARED_DIR') or os.path.join(repo_root(), '..', 'shared')
    d = os.path.abspath(d)
    if os.path.isdir(os.path.join(d, 'data')) and not os.path.isdir(os.path.join(d, 'pop909')):
        d = os.path.join(d, 'data')
    return d


def hash_split(relpath):
    """train/valid/test from the file's path relative to data/ (stable across machines).  The
    path's bytes are hashed as the file system holds them (UTF-8 names hash as before; a name
    that is not valid UTF-8 arrives surrogate-escaped and still hashes)."""
    bucket = int(hashlib.sha1(os.fsencode(relpath)).hexdigest()[:8], 16) % 100
    return 'train' if bucket < 80 else 'valid' if bucket < 90 else 'test'


def printable(path):
    """A file name for messages: one that is not valid UTF-8 (surrogate-escaped) is shown with
    backslash escapes instead of breaking the log or the terminal."""
    return path.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace')


def _norm_split(split):
    split = {'validation': 'valid', 'val': 'valid', 'eval': 'valid'}.get(split, split)
    if split not in SPLITS:
        raise ValueError('split must be one of %s, not %r' % (SPLITS, split))
    return split


# --------------------------------------------------------------------------------------------
# MIDI -> quantized notes

def tick_to_step(tick, ticks_per_beat):
    """Round half up: floor(tick * 4 / tpb + 0.5), in integers so that it is exact."""
    return (tick * 2 * STEPS_PER_QUARTER + ticks_per_beat) // (2 * ticks_per_beat)


def read_midi(path):
    """Parses a type 0/1/2 MIDI file with mido into quantized notes.  Raises on a bad file and
    on one over MAX_MIDI_BYTES (mido would take minutes and gigabytes on a 50 MB file)."""
    size = os.path.getsize(path)
    if size > MAX_MIDI_BYTES:
        raise ValueError('file of %d bytes is over the %d-byte limit' % (size, MAX_MIDI_BYTES))
    mid = mido.MidiFile(path)
    tpb = mid.ticks_per_beat
    if not isinstance(tpb, int) or tpb <= 0 or tpb >= 0x8000:  # 0x8000+: SMPTE timing, no beats
        raise ValueError('unsupported time division %r' % (tpb,))
    raw = []                       # (start_tick, end_tick, pitch, channel, track)
    programs = defaultdict(list)   # channel -> [(tick, program)]; a channel's program is global
    sigs, names = [], {}
    end_tick = 0
    for ti, track in enumerate(mid.tracks):
        tick = 0
        open_notes = defaultdict(list)  # (channel, pitch) -> start ticks, oldest first
        for msg in track:
            tick += msg.time
            kind = msg.type
            if kind == 'note_on' and msg.velocity > 0:
                open_notes[(msg.channel, msg.note)].append(tick)
            elif kind == 'note_off' or kind == 'note_on':  # note_on with velocity 0 is a note-off
                starts = open_notes.get((msg.channel, msg.note))
                if starts:
                    raw.append((starts.pop(0), tick, msg.note, msg.channel, ti))
            elif kind == 'program_change':
                programs[msg.channel].append((tick, msg.program))
            elif kind == 'time_signature':
                sigs.append((tick, msg.numerator, msg.denominator))
            elif kind == 'track_name':
                names[ti] = msg.name
        for (channel, pitch), starts in open_notes.items():
            raw.extend((s, tick, pitch, channel, ti) for s in starts)
        end_tick = max(end_tick, tick)

    for ch in programs:
        programs[ch].sort(key=lambda tp: tp[0])  # stable: same-tick changes keep file order

    def program_at(channel, tick):
        prog = 0  # General MIDI default
        for t, p in programs.get(channel, ()):
            if t > tick:
                break
            prog = p
        return prog

    notes = []
    for s, e, pitch, channel, ti in raw:
        start = tick_to_step(s, tpb)
        end = max(tick_to_step(e, tpb), start + 1)
        notes.append(Note(start, end, pitch, channel, program_at(channel, s), ti))
    notes.sort()
    sigs = sorted(((tick_to_step(t, tpb), n, d) for t, n, d in sigs), key=lambda x: x[0])
    end_step = max([tick_to_step(end_tick, tpb)] + [n.end for n in notes])
    if end_step > MAX_STEPS:  # a corrupt delta time would otherwise allocate gigabytes
        raise ValueError('implausibly long: %d steps' % end_step)
    return MidiData(notes, sigs, names, end_step)


def four_four_spans(time_signatures, end_step):
    """[(start, end)] step ranges in 4/4.  No signature means 4/4 (the MIDI default)."""
    spans, cur_start, cur_44 = [], 0, True
    by_step = {}
    for step, num, den in time_signatures:
        by_step[step] = (num, den) == (4, 4)   # several at one step: the last one holds
    for step in sorted(by_step):
        is_44 = by_step[step]
        if is_44 == cur_44:
            continue  # a repeated 4/4 keeps the bar lines of the stretch it continues
        if cur_44 and step > cur_start:
            spans.append((cur_start, step))
        cur_start, cur_44 = step, is_44
    if cur_44 and end_step > cur_start:
        spans.append((cur_start, end_step))
    return spans


# --------------------------------------------------------------------------------------------
# Notes -> events

def _padded_length(steps):
    """Whole bars covering steps 0..steps (the last note-off lands on step `steps`)."""
    return (steps // STEPS_PER_BAR + 1) * STEPS_PER_BAR


def melody_events(notes, length=None):
    """(start, end, pitch) triples -> raw codes: 0 no event, 1 note off, 2 + MIDI pitch, by the
    engine's melody rule (training/engine.melody_events).  The raw code keeps the full MIDI range;
    melody_classes() maps it to the 90 classes."""
    notes = list(notes)
    if length is None:
        length = _padded_length(max([e for _, e, _ in notes], default=0))
    return engine.melody_events(notes, length).astype(np.int16)


def melody_classes(raw):
    """Raw codes -> melody classes; pitches outside 21..108 become -1."""
    raw = np.asarray(raw)
    pitch = raw.astype(np.int32) - FIRST_PITCH_CLASS
    cls = np.where(raw >= FIRST_PITCH_CLASS, pitch - MIN_PITCH + FIRST_PITCH_CLASS, raw)
    cls = np.where((raw >= FIRST_PITCH_CLASS) & ((pitch < MIN_PITCH) | (pitch > MAX_PITCH)), -1, cls)
    return cls.astype(np.int16)


def drum_events(notes, length=None):
    """(start, pitch) pairs -> per-step tokens (bit c set when class c is hit), by the engine's
    drum map.  Pitches outside the map are ignored, as magenta.js has no class for them."""
    notes = list(notes)
    if length is None:
        length = _padded_length(max([s for s, _ in notes], default=0))
    return engine.drum_labels(notes, length).astype(np.int16)


def transpose_melody(events, semitones):
    """Shifts the pitch classes (>= 2) of melody class events by `semitones`.  Returns a new
    array, or None when a shifted pitch would leave 21..108.  For trio windows apply it to the
    melody and bass tracks (0 and 1) only."""
    ev = np.asarray(events)
    is_pitch = ev >= FIRST_PITCH_CLASS
    out = np.where(is_pitch, ev.astype(np.int32) + semitones, ev)
    if np.any(out[is_pitch] < FIRST_PITCH_CLASS) or np.any(out[is_pitch] >= MELODY_CLASSES):
        return None
    return out.astype(ev.dtype if ev.dtype.kind in 'iu' else np.int16)


# --------------------------------------------------------------------------------------------
# Files -> sequences.  A sequence is a list of (role, raw events) tracks of equal length;
# a file gives one sequence per 4/4 stretch.

def _span_notes(notes, span):
    a, b = span
    return [n._replace(start=n.start - a, end=min(n.end, b) - a) for n in notes if a <= n.start < b]


def _note_array(triples):
    """(start, end, pitch) triples -> int32 [M, 3], sorted by start (stable)."""
    a = np.array(triples, np.int32).reshape(-1, 3)
    return a[np.argsort(a[:, 0], kind='stable')]


def _melody_sequences(midi, notes, use_time_signatures):
    spans = four_four_spans(midi.time_signatures, midi.end_step) if use_time_signatures \
        else [(0, midi.end_step)]
    seqs = []
    for span in spans:
        sn = _span_notes(notes, span)
        if sn:
            length = _padded_length(span[1] - span[0])
            triples = [(n.start, n.end, n.pitch) for n in sn]
            seqs.append([(MEL, melody_events(triples, length), _note_array(triples))])
    return seqs


def _trio_sequences(midi):
    seqs = []
    for span in four_four_spans(midi.time_signatures, midi.end_step):
        sn = _span_notes(midi.notes, span)
        length = _padded_length(span[1] - span[0])
        instruments = defaultdict(list)  # (track, channel, program) -> notes, in file order
        drums = []
        for n in sn:
            if n.channel == DRUM_CHANNEL:
                drums.append((n.start, n.pitch))
            elif n.program in MELODY_PROGRAMS or n.program in BASS_PROGRAMS:
                instruments[(n.track, n.channel, n.program)].append((n.start, n.end, n.pitch))
        tracks = []
        for key in sorted(instruments):
            role = MEL if key[2] in MELODY_PROGRAMS else BASS
            triples = instruments[key]
            tracks.append((role, melody_events(triples, length), _note_array(triples)))
        roles = {r for r, _, _ in tracks}
        if drums and MEL in roles and BASS in roles:
            seqs.append(tracks + [(DRUMS, drum_events(drums, length), _note_array([]))])
    return seqs


def _parse_job(job):
    """Worker: (kind, data_dir, relpath, split) -> (relpath, split, sequences, status)."""
    kind, data_dir, relpath, split = job
    try:
        seqs = _file_sequences(kind, read_midi(os.path.join(data_dir, relpath)), relpath)
    except Exception as e:  # mido raises many types on bad files; a bad file must never stop us
        return relpath, split, None, 'skipped: %s: %s' % (type(e).__name__, e)
    return relpath, split, seqs, 'ok' if seqs else 'unused'


def _file_sequences(kind, midi, relpath):
    """The sequences (lists of (role, raw events) tracks) a parsed file gives for a kind."""
    if kind == 'melody':
        if relpath.startswith('pop909/'):
            tracks = [ti for ti, name in midi.track_names.items() if name.strip().upper() == 'MELODY']
            notes = [n for n in midi.notes if n.track in tracks and n.channel != DRUM_CHANNEL]
            seqs = _melody_sequences(midi, notes, use_time_signatures=False)
        else:
            notes = [n for n in midi.notes if n.channel != DRUM_CHANNEL]
            seqs = _melody_sequences(midi, notes, use_time_signatures=True)
    elif kind == 'melody_wide':
        seqs = []
        if relpath.startswith('pop909/'):
            for part in POP909_PARTS:  # each part a line of its own
                tracks = [ti for ti, name in midi.track_names.items() if name.strip().upper() == part]
                notes = [n for n in midi.notes if n.track in tracks and n.channel != DRUM_CHANNEL]
                seqs += _melody_sequences(midi, notes, use_time_signatures=False)
        else:
            notes = [n for n in midi.notes if n.channel != DRUM_CHANNEL]
            seqs = _melody_sequences(midi, notes, use_time_signatures=True)
    elif kind == 'melody_freedoom':
        instruments = defaultdict(list)
        for n in midi.notes:
            if n.channel != DRUM_CHANNEL and n.program not in SOUND_EFFECT_PROGRAMS:
                instruments[(n.track, n.channel, n.program)].append(n)
        seqs = []
        for key in sorted(instruments):
            seqs += _melody_sequences(midi, instruments[key], use_time_signatures=True)
    elif kind == 'drums':
        # Groove files hold only drums (channel 10); meter comes from info.csv.
        notes = [(n.start, n.pitch) for n in midi.notes]
        seqs = [[(DRUMS, drum_events(notes), _note_array([]))]] if notes else []
    else:
        seqs = _trio_sequences(midi)
    return seqs


def list_files(kind, data_dir):
    """[(relpath, split)] of the files a kind draws from."""
    def listed(sub, pattern_ext='.mid'):
        root = os.path.join(data_dir, sub)
        out = []
        for dirpath, _, files in os.walk(root):
            for f in files:
                if f.lower().endswith(pattern_ext):
                    rel = os.path.relpath(os.path.join(dirpath, f), data_dir).replace(os.sep, '/')
                    out.append((rel, hash_split(rel)))
        return sorted(out)

    if kind in ('melody', 'melody_wide'):
        return listed('pop909') + listed('nottingham/melody')
    if kind in ('trio', 'melody_freedoom'):
        return listed('freedoom/musics')
    if kind == 'drums':
        return _groove_files(data_dir)
    raise ValueError('kind must be one of %s, not %r' % (tuple(KINDS), kind))


def _groove_files(data_dir):
    """[(relpath, split)] of the 4/4 rows of groove/info.csv.  A row that is short, names no
    file or has an unknown split is skipped and counted (a warning), never fatal."""
    out, bad = [], []
    info = os.path.join(data_dir, 'groove', 'info.csv')
    if not os.path.exists(info):
        return out
    with open(info, newline='', encoding='utf-8', errors='replace') as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            try:
                meter, name = (row.get('time_signature') or '').strip(), row.get('midi_filename')
                if meter != '4-4':
                    continue
                if not name or not name.strip():
                    raise ValueError('no midi_filename')
                out.append(('groove/' + name.strip(), _norm_split((row.get('split') or '').strip())))
            except ValueError as e:
                bad.append((line, str(e)))
    if bad:
        log.warning('groove/info.csv: skipped %d bad row(s), e.g. line %d: %s', len(bad), *bad[0])
    return sorted(out)


# --------------------------------------------------------------------------------------------
# Caching

def _cache_dir(cache_dir):
    return os.path.abspath(cache_dir or os.path.join(repo_root(), 'training', 'cache'))


def _cache_path(cache_dir, data_dir, name):
    tag = hashlib.sha1(data_dir.encode('utf-8')).hexdigest()[:8]  # another data folder, another cache
    return os.path.join(_cache_dir(cache_dir), '%s_%s_%s.npz' % (name, VERSION, tag))


def _save_npz(path, **arrays):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = '%s.%d.tmp.npz' % (path[:-4], os.getpid())
    np.savez(tmp, **arrays)
    os.replace(tmp, path)  # atomic: concurrent readers never see half a file


def _pool_map(fn, jobs):
    # mido is pure Python: parse in processes.  MVAE_DATA_WORKERS=1 parses in this process.
    procs = int(os.environ.get('MVAE_DATA_WORKERS') or min(os.cpu_count() or 1, 8))
    if procs <= 1 or len(jobs) < 8:
        return [fn(j) for j in jobs]
    # fork, not spawn: spawn would re-run an unguarded __main__ of the calling trainer script.
    with multiprocessing.get_context('fork').Pool(procs) as pool:
        return pool.map(fn, jobs, chunksize=8)


def parse_kind(kind, shared_dir=None, cache_dir=None, rebuild=False):
    """Parses every file of a kind once (cached).  Returns a dict of flat arrays:
    paths, splits, status per file; seq_file per sequence; trk_seq, trk_role, trk_off per track
    and events (all tracks' raw events concatenated)."""
    data_dir = resolve_data_dir(shared_dir)
    path = _cache_path(cache_dir, data_dir, 'parsed_%s' % kind)
    if not rebuild and os.path.exists(path):
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    jobs = [(kind, data_dir, rel, split) for rel, split in list_files(kind, data_dir)]
    results = _pool_map(_parse_job, jobs)
    paths, splits, status, seq_file, trk_seq, trk_role, trk_len, events = [], [], [], [], [], [], [], []
    trk_nlen, notes = [], []
    for fi, (rel, split, seqs, st) in enumerate(results):
        paths.append(rel)
        splits.append(split)
        status.append(st)
        for seq in seqs or ():
            for role, ev, nt in seq:
                trk_seq.append(len(seq_file))
                trk_role.append(role)
                trk_len.append(len(ev))
                events.append(ev)
                trk_nlen.append(len(nt))
                notes.append(nt)
            seq_file.append(fi)
    skipped = [(p, s) for p, s in zip(paths, status) if s.startswith('skipped')]
    if skipped:
        log.warning('%s: skipped %d unreadable file(s), e.g. %s (%s)', kind, len(skipped),
                    printable(skipped[0][0]), skipped[0][1])
    parsed = {
        'paths': np.array(paths, dtype=str), 'splits': np.array(splits, dtype=str),
        'status': np.array(status, dtype=str),
        'seq_file': np.array(seq_file, np.int32), 'trk_seq': np.array(trk_seq, np.int32),
        'trk_role': np.array(trk_role, np.int8),
        'trk_off': np.concatenate([[0], np.cumsum(trk_len, dtype=np.int64)]),
        'events': np.concatenate(events) if events else np.zeros(0, np.int16),
        # Melodic tracks' notes (start, end, pitch), sorted by start: windows are converted
        # from the notes that start inside them, as the engine converts a user's clip.
        'trk_note_off': np.concatenate([[0], np.cumsum(trk_nlen, dtype=np.int64)]),
        'notes': np.concatenate(notes) if notes else np.zeros((0, 3), np.int32),
    }
    _save_npz(path, **parsed)
    return parsed


# --------------------------------------------------------------------------------------------
# Sequences -> windows

def _clip_events(notes, starts, window, valid):
    """Melody events of each window [M, window], converted by the engine from the notes that
    start inside the window (times relative to it), as a user's clip of those bars is; windows
    not valid are left empty."""
    out = np.zeros((len(starts), window), np.int16)
    first = np.searchsorted(notes[:, 0], starts, 'left')
    last = np.searchsorted(notes[:, 0], starts + window, 'left')
    for i in np.flatnonzero(valid):
        clip = notes[first[i]:last[i]] - np.array([starts[i], starts[i], 0], np.int32)
        out[i] = melody_events(clip.tolist(), window)
    return out


def _window_checks(raw, notes, role, window, gap_steps):
    """For the windows starting on each bar of one track: (events per window [M, window] in
    model classes, onset count [M], valid [M]).  Validity (onsets, pitch range, gaps) is judged
    on the whole track's events; the content of a melodic window comes from its own notes."""
    n = (len(raw) - window) // STEPS_PER_BAR + 1
    if n <= 0:
        return None
    starts = np.arange(n) * STEPS_PER_BAR
    idx = starts[:, None] + np.arange(window)[None, :]
    if role == DRUMS:
        ev = raw
        onset = raw > 0
        sounding = onset
        bad_pitch = np.zeros(len(raw), bool)
    else:
        ev = melody_classes(raw)
        onset = raw >= FIRST_PITCH_CLASS
        bad_pitch = ev < 0
        # A note sounds from its onset until the next note-off or onset.
        last_event = np.maximum.accumulate(np.where(raw != NO_EVENT, np.arange(len(raw)), -1))
        sounding = (last_event >= 0) & (raw[np.maximum(last_event, 0)] >= FIRST_PITCH_CLASS)
    onsets = onset[idx].sum(1)
    valid = (onsets > 0) & ~bad_pitch[idx].any(1)
    if gap_steps:
        # Length of the silent run ending at each step; a window holds a gap when some step at
        # least gap_steps into it ends a run that long.
        last_sound = np.maximum.accumulate(np.where(sounding, np.arange(len(raw)), -1))
        gap_end = (np.arange(len(raw)) - last_sound) >= gap_steps
        has_gap = gap_end[idx[:, gap_steps - 1:]].any(1) if gap_steps <= window else np.zeros(n, bool)
        valid &= ~has_gap
    windows = ev[idx] if role == DRUMS else melody_classes(_clip_events(notes, starts, window, valid))
    return windows, onsets, valid


def _sequence_windows(kind, tracks, bars):
    """tracks: [(role, raw events, notes, track id)] of one sequence -> (int16 windows
    [M, tracks, bars * 16], start step of each window [M], track id used per role [M, tracks])."""
    window = bars * STEPS_PER_BAR
    gap = GAP_BARS.get(base_kind(kind), 0) * STEPS_PER_BAR
    roles = [MEL, BASS, DRUMS] if kind == 'trio' else [tracks[0][0]]
    per_role = []
    for role in roles:
        cands = [(c, t) for c, t in ((_window_checks(raw, nt, role, window, gap), t)
                                     for r, raw, nt, t in tracks if r == role) if c]
        if not cands:
            return (np.zeros((0, len(roles), window), np.int16), np.zeros(0, np.int32),
                    np.zeros((0, len(roles)), np.int32))
        ev = np.stack([c[0] for c, _ in cands])       # [K, M, window]
        score = np.stack([np.where(c[2], c[1], -1) for c, _ in cands])  # [K, M], -1 = invalid
        best = score.argmax(0)                        # first candidate among equals
        ids = np.array([t for _, t in cands], np.int32)[best]
        per_role.append((ev[best, np.arange(ev.shape[1])], score.max(0) >= 0, ids))
    ok = np.logical_and.reduce([v for _, v, _ in per_role])
    starts = (np.arange(len(ok)) * STEPS_PER_BAR).astype(np.int32)
    return (np.stack([e for e, _, _ in per_role], axis=1)[ok].astype(np.int16), starts[ok],
            np.stack([i for _, _, i in per_role], axis=1)[ok])


def _build_windows(kind, bars, parsed):
    """All windows of a kind, deduped per file.  Returns {split: (windows, sources, origins)}:
    origins int32 [N, 1 + tracks] = the window's start step in its sequence, then the parsed
    track (index into parse_kind's tracks) each of its tracks came from."""
    trk_off, note_off = parsed['trk_off'], parsed['trk_note_off']
    tracks_by_seq = defaultdict(list)
    for t, s in enumerate(parsed['trk_seq']):
        tracks_by_seq[int(s)].append((int(parsed['trk_role'][t]),
                                      parsed['events'][trk_off[t]:trk_off[t + 1]],
                                      parsed['notes'][note_off[t]:note_off[t + 1]], t))
    seqs_by_file = defaultdict(list)
    for s, f in enumerate(parsed['seq_file']):
        seqs_by_file[int(f)].append(s)
    window, tracks = bars * STEPS_PER_BAR, KINDS[kind]
    out = {split: ([], [], []) for split in SPLITS}
    for f, seq_ids in sorted(seqs_by_file.items()):
        parts = [_sequence_windows(kind, tracks_by_seq[s], bars) for s in seq_ids]
        w = np.concatenate([p[0] for p in parts])
        if len(w) == 0:
            continue
        origins = np.concatenate([np.concatenate([p[1][:, None], p[2]], axis=1) for p in parts])
        seen, keep = set(), []
        for i, row in enumerate(w.reshape(len(w), -1)):  # dedupe, keeping first appearances
            key = row.tobytes()
            if key not in seen:
                seen.add(key)
                keep.append(i)
        wins, srcs, origs = out[str(parsed['splits'][f])]
        wins.append(w[keep])
        origs.append(origins[keep])
        srcs.extend([str(parsed['paths'][f])] * len(keep))
    return {split: (np.concatenate(wins) if wins else np.zeros((0, tracks, window), np.int16),
                    np.array(srcs, dtype=str),
                    np.concatenate(origs) if origs else np.zeros((0, 1 + tracks), np.int32))
            for split, (wins, srcs, origs) in out.items()}


def _load(kind, bars, split, shared_dir, cache_dir, rebuild_windows=False):
    if kind not in KINDS:
        raise ValueError('kind must be one of %s, not %r' % (tuple(KINDS), kind))
    if int(bars) != bars or bars < 1:
        raise ValueError('bars must be a positive integer, not %r' % (bars,))
    split = _norm_split(split)
    data_dir = resolve_data_dir(shared_dir)
    name = lambda s: '%s_%dbar_%s' % (kind, bars, s)
    path = _cache_path(cache_dir, data_dir, name(split))
    if rebuild_windows or not os.path.exists(path):
        built = _build_windows(kind, int(bars), parse_kind(kind, shared_dir, cache_dir))
        for s, (w, src, orig) in built.items():
            _save_npz(_cache_path(cache_dir, data_dir, name(s)), windows=w, sources=src,
                      origins=orig)
        return built[split]
    with np.load(path) as z:
        return z['windows'], z['sources'], z['origins']


def _field(i, kind, bars, split, shared_dir, cache_dir):
    """Field i of _load; split 'all' concatenates train, valid and test (for a corpus held out
    of training whole, e.g. melody_freedoom)."""
    splits = SPLITS if split == 'all' else (split,)
    parts = [_load(kind, bars, s, shared_dir, cache_dir)[i] for s in splits]
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def load_windows(kind, bars, split, shared_dir=None, cache_dir=None):
    """int16 [N, tracks, bars * 16] windows of `kind` ('melody', 'drums', 'trio'; tracks 1, 1, 3)
    for split 'train', 'valid', 'test' or 'all'.  Built on first use, then read from the cache."""
    return _field(0, kind, bars, split, shared_dir, cache_dir)


def window_sources(kind, bars, split, shared_dir=None, cache_dir=None):
    """str [N]: the file (relative to data/) each window of load_windows(...) comes from."""
    return _field(1, kind, bars, split, shared_dir, cache_dir)


def window_origins(kind, bars, split, shared_dir=None, cache_dir=None):
    """int32 [N, 1 + tracks]: each window's start step in its sequence, then for each of its
    tracks the parse_kind(kind) track it was cut from (its notes: parsed['notes'] between
    parsed['trk_note_off'][t] and [t + 1])."""
    return _field(2, kind, bars, split, shared_dir, cache_dir)


# --------------------------------------------------------------------------------------------
# Command line

STAT_CONFIGS = [('melody', 2), ('melody', 16), ('drums', 2), ('drums', 16), ('trio', 16)]


def print_stats(shared_dir=None, cache_dir=None, rebuild=False, out=sys.stdout):
    t0 = time.time()
    print('data: %s' % resolve_data_dir(shared_dir), file=out)
    print('%-7s %4s %9s %9s %9s   %s' % ('kind', 'bars', 'train', 'valid', 'test', 'files used (train/valid/test)'), file=out)
    parsed = {}
    for kind, bars in STAT_CONFIGS:
        if kind not in parsed:
            t = time.time()
            parsed[kind] = parse_kind(kind, shared_dir, cache_dir, rebuild)
            parsed[kind]['_time'] = time.time() - t
        counts, files = [], []
        for i, split in enumerate(SPLITS):
            w, src, _ = _load(kind, bars, split, shared_dir, cache_dir, rebuild_windows=rebuild and i == 0)
            counts.append(len(w))
            files.append(len(set(src.tolist())))
        print('%-7s %4d %9d %9d %9d   %s' % (kind, bars, *counts, '/'.join(map(str, files))), file=out)
    print(file=out)
    for kind, p in parsed.items():
        status = p['status'].tolist()
        skipped = [s for s in status if s.startswith('skipped')]
        print('%-7s files: %d listed, %d with windows-able sequences, %d unusable (no melody track, '
              'not 4/4 or missing parts), %d skipped as unreadable; parse %.1fs' % (
                  kind, len(status), status.count('ok'), status.count('unused'), len(skipped), p['_time']),
              file=out)
        for rel, st in zip(p['paths'].tolist(), status):
            if st.startswith('skipped'):
                print('    %s: %s' % (printable(rel), st), file=out)
    print('total time %.1fs (%s)' % (time.time() - t0, 'rebuilt' if rebuild else 'cache used where present'), file=out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--stats', action='store_true', help='print window counts per kind/bars/split')
    ap.add_argument('--rebuild', action='store_true', help='ignore the cache')
    ap.add_argument('--shared-dir', default=None)
    ap.add_argument('--cache-dir', default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(name)s: %(message)s')
    if not args.stats:
        ap.print_help()
        return 0
    print_stats(args.shared_dir, args.cache_dir, args.rebuild)
    return 0


if __name__ == '__main__':
    sys.exit(main())
