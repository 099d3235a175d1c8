// MIDI files <-> NoteSequences for the CLI and the explorer: one module, plain ES with no packages,
// so the page loads it as it is. Reading follows magenta.js 1.23.1's midiToSequenceProto (which
// reads through @tonejs/midi) rule for rule: tracks split by channel and program, each note-on paired
// with the first free note-off of its pitch, velocity, instrument numbers, the tempo map; but in one
// linear pass (@tonejs/midi pairs notes in quadratic time); the one difference is velocity 127, which
// magenta.js reads as 128. Writing follows sequenceProtoToMidi byte for byte. midiToModelInput picks a model's input window from a file, for the page and the CLI alike.
import { DEFAULT_QPM } from './sequences.mjs';
import { MAX_MIDI_BYTES, MidiFileError, latin1, readSmf, writeSmf } from './smf.mjs';

export { MAX_MIDI_BYTES, MidiFileError };

// magenta.js's constants (core/constants.ts).
const DRUM_CHANNEL = 9;
const NON_DRUM_CHANNELS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15];
const DEFAULT_TICKS_PER_QUARTER = 220;
const DEFAULT_VELOCITY = 80;
const MIDI_VELOCITIES = 128;

// ---- the tempo map (@tonejs/midi's Header: update, ticksToSeconds, secondsToTicks) ----

/** Index of the last entry whose `key` is <= value, or -1. */
function lastAtOrBefore(list, value, key) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid][key] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

class TempoMap {
  constructor(ppq) {
    this.ppq = ppq;
    this.tempos = []; // {ticks, bpm, time}, sorted by ticks
  }

  /** Adds tempos {ticks, bpm}; times follow @tonejs/midi (the first tempo timed at its own bpm). */
  add(...tempos) {
    this.tempos.push(...tempos);
    this.tempos.sort((a, b) => a.ticks - b.ticks);
    let currentTime = 0;
    let lastEventBeats = 0;
    this.tempos.forEach((event, i) => {
      const lastBPM = i > 0 ? this.tempos[i - 1].bpm : this.tempos[0].bpm;
      const beats = event.ticks / this.ppq - lastEventBeats;
      event.time = (60 / lastBPM) * beats + currentTime;
      currentTime = event.time;
      lastEventBeats += beats;
    });
  }

  seconds(ticks) {
    const i = lastAtOrBefore(this.tempos, ticks, 'ticks');
    if (i < 0) return (60 / 120) * (ticks / this.ppq);
    const t = this.tempos[i];
    return t.time + (60 / t.bpm) * ((ticks - t.ticks) / this.ppq);
  }

  ticks(seconds) {
    const i = lastAtOrBefore(this.tempos, seconds, 'time');
    if (i < 0) return Math.round((seconds / (60 / 120)) * this.ppq);
    const t = this.tempos[i];
    return Math.round(t.ticks + ((seconds - t.time) / (60 / t.bpm)) * this.ppq);
  }
}

// ---- reading ----

/** Part of a track on one channel with one program (@tonejs/midi splits tracks so). */
function newPart() {
  return { name: null, channel: 0, program: 0, sawNoteOn: false, notes: [], pending: new Map(), spare: new Map(), ccs: [] };
}

function noteOn(part, tick, pitch, velocity) {
  part.sawNoteOn = true;
  const note = { pitch, velocity, startTick: tick, endTick: -1 };
  part.notes.push(note);
  // A note-off of this pitch at this same tick that no earlier note took ends this one (a note-on
  // takes the first free note-off at or after it, even one listed before it).
  const spare = part.spare.get(pitch);
  if (spare && spare.tick === tick && spare.count > 0) {
    spare.count--;
    note.endTick = tick;
    return;
  }
  let queue = part.pending.get(pitch);
  if (!queue) part.pending.set(pitch, (queue = { notes: [], head: 0 }));
  queue.notes.push(note);
}

function noteOff(part, tick, pitch) {
  const queue = part.pending.get(pitch);
  if (queue && queue.head < queue.notes.length) {
    queue.notes[queue.head++].endTick = tick;
    if (queue.head === queue.notes.length) queue.notes.length = queue.head = 0;
    return;
  }
  const spare = part.spare.get(pitch);
  if (spare && spare.tick === tick) spare.count++;
  else part.spare.set(pitch, { tick, count: 1 });
}

/**
 * The file as @tonejs/midi sees it: {format, ppq, tempo (a TempoMap), timeSignatures [{ticks,
 * numerator, denominator}], parts [{name, channel, program, isDrum, notes [{pitch, velocity,
 * startTick, endTick}], ccs}], unendedNotes}.
 */
function parseMidi(bytes) {
  const parts = [];
  const tempos = [];
  const programChanges = []; // [{tick, channel, program}] of every track, in file order
  const timeSignatures = [];
  let trackParts, keys, programs;
  let fileTrack = 0;
  const partAt = (i) => trackParts[i] || (trackParts[i] = Object.assign(newPart(), { fileTrack }));
  const { format, ppq } = readSmf(bytes, {
    track(index) {
      fileTrack = index;
      trackParts = [];
      keys = new Map();
      programs = new Array(16).fill(0);
      parts.push(trackParts);
    },
    channel(tick, kind, channel, d1, d2) {
      if (kind === 12) {
        programs[channel] = d1;
        programChanges.push({ tick, channel, program: d1 });
      }
      const key = programs[channel] * 16 + channel;
      let index = keys.get(key);
      if (index === undefined) {
        keys.set(key, (index = keys.size));
        Object.assign(partAt(index), { channel, program: programs[channel] });
      }
      const part = partAt(index);
      if (kind === 9) noteOn(part, tick, d1, d2);
      else if (kind === 8) noteOff(part, tick, d1);
      else if (kind === 11) part.ccs.push({ number: d1, tick, value: d2 });
    },
    meta(tick, type, data) {
      const part = partAt(0);
      if (type === 0x03 && part.name === null) part.name = latin1(data);
      if (type === 0x51) {
        if (data.length !== 3) throw new MidiFileError(`not a readable MIDI file: a tempo event of ${data.length} bytes (it has 3)`);
        const microsecondsPerBeat = (data[0] << 16) | (data[1] << 8) | data[2];
        if (microsecondsPerBeat === 0) throw new MidiFileError('not a readable MIDI file: a tempo of 0 microseconds per quarter note');
        tempos.push({ ticks: tick, bpm: 60000000 / microsecondsPerBeat });
      }
      if (type === 0x58) {
        if (data.length !== 2 && data.length !== 4) throw new MidiFileError(`not a readable MIDI file: a time signature event of ${data.length} bytes (it has 4)`);
        timeSignatures.push({ ticks: tick, numerator: data[0], denominator: 1 << data[1] });
      }
    },
  });
  const tempo = new TempoMap(ppq);
  tempo.add(...tempos);
  timeSignatures.sort((a, b) => a.ticks - b.ticks);
  let unendedNotes = 0;
  const flat = parts.flat().filter(Boolean).map((p) => {
    const notes = p.notes.filter((n) => n.endTick >= 0);
    unendedNotes += p.notes.length - notes.length;
    // The track's channel is its last note-on's (0 without one); channel 10 is percussion.
    return { name: p.name || '', program: p.program, channel: p.channel, fileTrack: p.fileTrack, isDrum: p.sawNoteOn && p.channel === DRUM_CHANNEL, notes, ccs: p.ccs };
  });
  // A format-1 file's first track is dropped when its notes end at time 0 (a conductor track).
  if (format === 1 && flat.length && flat[0].notes.every((n) => n.endTick === 0)) flat.shift();
  programChanges.sort((a, b) => a.tick - b.tick); // stable: same-tick changes keep file order
  return { format, ppq, tempo, timeSignatures, parts: flat, unendedNotes, programChanges };
}

// Velocities and control values are the file's 0..127. magenta.js reads a velocity v as
// floor(v / 127 * 128): v for every velocity but 127, which becomes 128 (outside MIDI's range, and
// refused by the engine); its writer maps v back to v for all of 0..127, so reading v keeps both
// directions exact. Its control values, floor(v / 127 * 127), are v.

/** Each part's NoteSequence instrument: counts the parts with notes, as magenta.js does. */
function instruments(parts) {
  let instrument = -1;
  return parts.map((p) => (p.notes.length > 0 ? ++instrument : instrument));
}

/**
 * An unquantized NoteSequence (times in seconds) from MIDI bytes, equal to magenta.js's
 * midiToSequenceProto (but for velocity 127, which it reads as 128): notes, controlChanges, tempos, timeSignatures (4/4 when the file has none),
 * ticksPerQuarter, totalTime. Throws MidiFileError for a file it cannot read.
 */
export function midiToSequence(bytes) {
  const { ppq, tempo, timeSignatures, parts } = parseMidi(bytes);
  const ns = {
    ticksPerQuarter: ppq,
    timeSignatures: timeSignatures.map((t) => ({ time: tempo.seconds(t.ticks), numerator: t.numerator, denominator: t.denominator })),
    tempos: tempo.tempos.map((t) => ({ time: t.time, qpm: t.bpm })),
    notes: [],
    controlChanges: [],
    totalTime: 0,
  };
  if (!ns.timeSignatures.length) ns.timeSignatures.push({ time: 0, numerator: 4, denominator: 4 });
  const instrumentOf = instruments(parts);
  parts.forEach((part, i) => {
    const instrument = instrumentOf[i];
    for (const n of part.notes) {
      const startTime = tempo.seconds(n.startTick);
      const endTime = startTime + (tempo.seconds(n.endTick) - startTime);
      ns.notes.push({
        instrument, program: part.program, startTime, endTime, pitch: n.pitch,
        velocity: n.velocity, isDrum: part.isDrum,
      });
      if (endTime > ns.totalTime) ns.totalTime = endTime;
    }
    // By controller number, then in file order (the order @tonejs/midi keeps them in).
    const ccs = [...part.ccs].sort((a, b) => a.number - b.number);
    for (const cc of ccs) {
      ns.controlChanges.push({
        time: tempo.seconds(cc.tick), controlNumber: cc.number, controlValue: cc.value,
        instrument, program: part.program, isDrum: part.isDrum,
      });
    }
  });
  return ns;
}

/** Quantizes MIDI ticks to steps: the nearest step, halves up (magenta.js's cutoff of 0.5). */
function stepQuantizer(ppq, stepsPerQuarter) {
  if (!(Number.isInteger(stepsPerQuarter) && stepsPerQuarter > 0)) {
    throw new MidiFileError(`stepsPerQuarter must be a positive integer, got ${stepsPerQuarter}`);
  }
  const ticksPerStep = ppq / stepsPerQuarter;
  return (ticks) => Math.floor(ticks / ticksPerStep + 0.5);
}

/**
 * A quantized NoteSequence from MIDI bytes, at `stepsPerQuarter` steps per quarter note, quantized
 * on the MIDI ticks (so tempo changes do not matter): a tick time goes to the nearest step, halves
 * up; an empty note gets one step. Notes as midiToSequence's; qpm is the file's first tempo.
 */
export function midiToQuantizedSequence(bytes, stepsPerQuarter = 4) {
  const { ppq, tempo, parts } = parseMidi(bytes);
  const toStep = stepQuantizer(ppq, stepsPerQuarter);
  const instrumentOf = instruments(parts);
  const notes = [];
  let total = 0;
  parts.forEach((part, i) => {
    for (const n of part.notes) {
      const start = toStep(n.startTick);
      const end = Math.max(toStep(n.endTick), start + 1);
      total = Math.max(total, end);
      notes.push({
        pitch: n.pitch, velocity: n.velocity, quantizedStartStep: start, quantizedEndStep: end,
        program: part.program, isDrum: part.isDrum, instrument: instrumentOf[i],
      });
    }
  });
  const qpm = tempo.tempos.length ? tempo.tempos[0].bpm : DEFAULT_QPM;
  return { notes, quantizationInfo: { stepsPerQuarter }, tempos: [{ time: 0, qpm }], totalQuantizedSteps: total };
}

/**
 * The tracks of MIDI bytes that have notes, quantized: {tracks: [{index, name, isDrum, program,
 * channel, fileTrack, notes: [{pitch, velocity, start, end, startTick}]}], qpm, timeSignatures
 * [{step, numerator, denominator}], unendedNotes, programChanges [{tick, channel, program}] (of
 * every track, by tick)}. index is the NoteSequence instrument, fileTrack the
 * file's track (MTrk chunk) it is in; notes by start, then highest pitch first.
 */
export function readMidiTracks(bytes, stepsPerQuarter = 4) {
  const { ppq, tempo, timeSignatures, parts, unendedNotes, programChanges } = parseMidi(bytes);
  const toStep = stepQuantizer(ppq, stepsPerQuarter);
  const instrumentOf = instruments(parts);
  const tracks = [];
  parts.forEach((part, i) => {
    if (!part.notes.length) return;
    const index = instrumentOf[i];
    tracks.push({
      index,
      name: part.name || `track ${index + 1}`,
      isDrum: part.isDrum,
      program: part.program,
      channel: part.channel,
      fileTrack: part.fileTrack,
      notes: part.notes.map((n) => {
        const start = toStep(n.startTick);
        return { pitch: n.pitch, velocity: n.velocity, start, end: Math.max(toStep(n.endTick), start + 1), startTick: n.startTick };
      }).sort((a, b) => a.start - b.start || b.pitch - a.pitch),
    });
  });
  return {
    tracks,
    qpm: tempo.tempos.length ? tempo.tempos[0].bpm : DEFAULT_QPM,
    timeSignatures: timeSignatures.map((t) => ({ step: toStep(t.ticks), numerator: t.numerator, denominator: t.denominator })),
    unendedNotes,
    programChanges,
  };
}

// ---- a model's input from a file ----

/** Share of a track's notes that start together with another (0 = a monophonic line). */
function chordiness(track) {
  let together = 0;
  for (let i = 1; i < track.notes.length; i++) if (track.notes[i].start === track.notes[i - 1].start) together++;
  return together / track.notes.length;
}

const meanPitch = (t) => t.notes.reduce((s, n) => s + n.pitch, 0) / t.notes.length;

function pickMelody(tracks, exclude = null) {
  const pitched = tracks.filter((t) => !t.isDrum && t !== exclude);
  // The first track that is a line rather than chords; otherwise the first pitched track (its top
  // notes are taken, as Magenta's melody extraction does).
  return pitched.find((t) => t.notes.length >= 2 && chordiness(t) < 0.3) || pitched[0] || null;
}

function pickBass(tracks, melody) {
  const pitched = tracks.filter((t) => !t.isDrum && t !== melody);
  return pitched.find((t) => t.program >= 32 && t.program <= 39) ||
    pitched.filter((t) => meanPitch(t) < 55).sort((a, b) => meanPitch(a) - meanPitch(b))[0] || null;
}

// ---- trio roles: the trainer's rule (training/data.py: _trio_sequences, _sequence_windows) ----
// Melody candidates are the pitched parts of General MIDI programs 0-31, bass candidates those of
// 32-39 (each part one track, channel and program); every channel-10 note is one drum part. In a
// window a candidate is valid when it has an onset there, every onset's (highest) pitch is in
// 21..108 and no silence of TRIO_GAP_STEPS ends inside it (silence judged on the whole track: a
// melody of the engine's rule sounds from an onset to the next note-off, drums only on the steps
// they hit); the valid candidate with
// the most onset steps is taken, ties to the first by (file track, channel, program).
// tests/js/web_trio_roles.test.mjs checks this against the trainer's Python on Freedoom.
const TRIO_PROGRAMS = { melody: [0, 31], bass: [32, 39] };
const TRIO_PITCHES = [21, 108];
const TRIO_GAP_STEPS = 32; // 2 bars (Magenta's TrioConverter gap_bars = 2)

/** Per step of a track: onset (highest pitch starting there), and the last step that sounds. */
function trioProfile(track) {
  const drums = track.isDrum;
  const onsetPitch = new Map();
  const offs = new Set();
  let last = 0;
  for (const n of track.notes) {
    if (!onsetPitch.has(n.start) || n.pitch > onsetPitch.get(n.start)) onsetPitch.set(n.start, n.pitch);
    last = Math.max(last, n.end);
  }
  // The kept note of each onset step writes a note-off at its end (an onset there overrides it).
  for (const n of track.notes) if (onsetPitch.get(n.start) === n.pitch) offs.add(n.end);
  // lastSound[s]: the latest step <= s at which the track sounds (-1: none yet).
  const lastSound = new Int32Array(last + 1);
  let sounding = false, seen = -1;
  for (let s = 0; s <= last; s++) {
    if (onsetPitch.has(s)) sounding = true;
    else if (drums || offs.has(s)) sounding = false;
    if (sounding) seen = s;
    lastSound[s] = seen;
  }
  return { onsetPitch, lastSound, last };
}

/** {onsets, valid} of a profiled track in the window [from, from + steps). */
function trioWindow(profile, from, steps, pitched) {
  let onsets = 0, pitchOk = true;
  for (const [s, p] of profile.onsetPitch) {
    if (s < from || s >= from + steps) continue;
    onsets++;
    if (pitched && (p < TRIO_PITCHES[0] || p > TRIO_PITCHES[1])) pitchOk = false;
  }
  let gap = false;
  {
    for (let s = from + TRIO_GAP_STEPS - 1; s < from + steps && !gap; s++) {
      const lastSound = s <= profile.last ? profile.lastSound[s] : profile.lastSound[profile.last];
      if (s - lastSound >= TRIO_GAP_STEPS) gap = true;
    }
  }
  return { onsets, valid: onsets > 0 && pitchOk && !gap };
}

/**
 * The pitched parts as the trainer sees them: a note's program is its channel's last program change
 * at or before it in any track (General MIDI's default 0 before one); one part per file track,
 * channel and program.
 */
function trainerParts(tracks, programChanges) {
  const byChannel = new Map();
  for (const c of programChanges) (byChannel.get(c.channel) || byChannel.set(c.channel, []).get(c.channel)).push(c);
  const programAt = (channel, tick) => {
    let program = 0;
    for (const c of byChannel.get(channel) || []) {
      if (c.tick > tick) break;
      program = c.program;
    }
    return program;
  };
  const parts = new Map();
  for (const t of tracks) {
    if (t.isDrum) continue;
    for (const n of t.notes) {
      const program = programAt(t.channel, n.startTick);
      const key = `${t.fileTrack}/${t.channel}/${program}`;
      if (!parts.has(key)) parts.set(key, { ...t, program, notes: [] });
      parts.get(key).notes.push(n);
    }
  }
  return [...parts.values()];
}

/** The trio's candidates by role: {melody: [track], bass: [track], drums: track | null}. */
function trioCandidates(tracks) {
  const inRange = (t, [lo, hi]) => !t.isDrum && t.program >= lo && t.program <= hi;
  const order = (a, b) => a.fileTrack - b.fileTrack || a.channel - b.channel || a.program - b.program;
  const drumTracks = tracks.filter((t) => t.isDrum);
  const drums = drumTracks.length ? {
    name: drumTracks.map((t) => t.name).join(' + '),
    isDrum: true,
    notes: drumTracks.flatMap((t) => t.notes).sort((a, b) => a.start - b.start || b.pitch - a.pitch),
  } : null;
  const profiled = (t) => Object.assign(t, { trio: t.trio || trioProfile(t) });
  return {
    melody: tracks.filter((t) => inRange(t, TRIO_PROGRAMS.melody)).sort(order).map(profiled),
    bass: tracks.filter((t) => inRange(t, TRIO_PROGRAMS.bass)).sort(order).map(profiled),
    drums: drums && profiled(drums),
  };
}

/** The best candidate of a role in a window: {track, valid} (most onsets; valid ones first), or null. */
function bestInWindow(candidates, from, steps, pitched) {
  let best = null;
  for (const track of candidates) {
    const w = trioWindow(track.trio, from, steps, pitched);
    const score = w.valid ? w.onsets : -1;
    // Only when none is valid, the one with the most onsets (the trainer would skip this window).
    const fallback = w.valid ? 0 : w.onsets;
    if (!best || score > best.score || (best.score < 0 && score < 0 && fallback > best.fallback)) {
      best = { track, valid: w.valid, score, fallback };
    }
  }
  return best && (best.valid || best.fallback > 0) ? best : null;
}

/**
 * The trio's parts in a window: [{track, role}], and whether the trainer's rule holds for all
 * three (it would keep this window). A file with no bass program (32-39) gets its lowest other
 * pitched track as bass, one with no melody program (0-31) its first other line, so that any file
 * plays.
 */
function pickTrioParts(tracks, from, steps) {
  const c = trioCandidates(tracks);
  const melody = bestInWindow(c.melody, from, steps, true);
  const bass = bestInWindow(c.bass, from, steps, true);
  const drums = c.drums && bestInWindow([c.drums], from, steps, false);
  let melodyTrack = melody && melody.track, bassTrack = bass && bass.track;
  if (!bassTrack && !c.bass.length) bassTrack = pickBass(tracks.filter((t) => t !== melodyTrack), null);
  if (!melodyTrack && !c.melody.length) melodyTrack = pickMelody(tracks, bassTrack);
  const parts = [[melodyTrack, 'melody'], [bassTrack, 'bass'], [drums && drums.track, 'drums']]
    .filter(([t]) => t).map(([track, role]) => ({ track, role }));
  return { parts, trainerWindow: !!(melody && melody.valid && bass && bass.valid && drums && drums.valid) };
}

/** The first bar (from 0) whose window the trainer's rule keeps, else null. */
function firstTrioBar(tracks, steps, stepsPerBar) {
  const first = Math.min(...tracks.map((t) => t.notes[0].start));
  const last = Math.max(...tracks.map((t) => t.notes[t.notes.length - 1].start));
  for (let bar = Math.floor(first / stepsPerBar); bar * stepsPerBar <= last; bar++) {
    if (pickTrioParts(tracks, bar * stepsPerBar, steps).trainerWindow) return bar;
  }
  return null;
}

/** Moves a pitch by octaves into [lo, hi]. */
function foldPitch(pitch, lo, hi) {
  while (pitch < lo) pitch += 12;
  while (pitch > hi) pitch -= 12;
  return pitch < lo ? null : pitch;
}

/** The tracks that feed a model: [{track, role}] (the one asked for, or the automatic choice). */
function pickParts(tracks, modelConverter, trackIndex) {
  // A GrooVAE model reads a file's drums as a drum model does.
  const converter = modelConverter === 'groove' ? 'drums' : modelConverter;
  if (trackIndex !== undefined) {
    const track = tracks.find((t) => t.index === trackIndex);
    if (!track) throw new MidiFileError(`it has no track ${trackIndex} (its tracks with notes are 0..${tracks.length - 1})`);
    if (converter === 'trio') throw new MidiFileError('a trio model reads melody, bass and drums: it takes no single track');
    if (converter === 'drums' && !track.isDrum) throw new MidiFileError(`track ${trackIndex} is not a drum track (MIDI channel 10), and this is a drum model`);
    if (converter !== 'drums' && track.isDrum) throw new MidiFileError(`track ${trackIndex} is a drum track, and this is a melody model`);
    return [{ track, role: converter === 'drums' ? 'drums' : 'melody' }];
  }
  const drums = tracks.find((t) => t.isDrum);
  if (converter === 'drums') {
    if (!drums) throw new MidiFileError('it has no drum track (MIDI channel 10), and this is a drum model');
    return [{ track: drums, role: 'drums' }];
  }
  const melody = pickMelody(tracks);
  if (!melody) throw new MidiFileError('it has only drums, and this is a melody model');
  return [{ track: melody, role: 'melody' }];
}

/**
 * A quantized NoteSequence for a model from MIDI bytes. info: the model's MusicVAE.info (converter,
 * numSteps, stepsPerBar, stepsPerQuarter, minPitch, maxPitch). Picks the tracks (melody: the first
 * pitched track that is a single line; drums: the first channel-10 track; trio: melody, bass and
 * drums; or options.track, a track index as readMidiTracks numbers them), takes numSteps steps from
 * options.bar (0-based) or else the first bar where they play, and folds melody pitches into the
 * model's range by octaves. A trio's parts follow the trainer's rule in the window (pickTrioParts),
 * its default window is the first the trainer would keep. Returns {sequence, description, parts
 * [{role, name, fileTrack, channel, program}], qpm, bar, accompaniment}; throws MidiFileError when
 * the file has no notes the model can use there, or bars that are not 4/4. accompaniment: the
 * window's notes of the file's other pitched tracks (unfolded; a note held into the window starts at
 * its step 0), a quantized NoteSequence for MusicVAE.inferChordProgression (a chord model hears a
 * file over its own chords).
 */
export function midiToModelInput(bytes, info, { track, bar } = {}) {
  const spq = info.stepsPerQuarter || 4;
  const { tracks: fileTracks, qpm, timeSignatures, unendedNotes, programChanges } = readMidiTracks(bytes, spq);
  // A trio's parts are split by program as the trainer splits them.
  const tracks = info.converter === 'trio' && track === undefined
    ? [...fileTracks.filter((t) => t.isDrum), ...trainerParts(fileTracks, programChanges)] : fileTracks;
  if (!tracks.length) {
    throw new MidiFileError(`the file has no notes${unendedNotes ? ` (its ${unendedNotes} note-ons never end: no note-off)` : ''}`);
  }
  const stepsPerBar = info.stepsPerBar || spq * 4;
  const numSteps = info.numSteps;
  const bars = numSteps / stepsPerBar;
  const trio = info.converter === 'trio' && track === undefined;
  if (info.converter === 'trio' && track !== undefined) throw new MidiFileError('a trio model reads melody, bass and drums: it takes no single track');
  // A trio's parts depend on the window (the trainer's rule); its default window is the first the
  // trainer would keep.
  if (trio && bar === undefined) bar = firstTrioBar(tracks, numSteps, stepsPerBar) ?? undefined;
  let parts = trio ? tracks.map((t) => ({ track: t })) : pickParts(tracks, info.converter, track);
  let from;
  if (bar === undefined) {
    from = Math.floor(parts.reduce((m, p) => Math.min(m, p.track.notes[0].start), Infinity) / stepsPerBar) * stepsPerBar;
  } else {
    if (!Number.isSafeInteger(bar) || bar < 0) throw new MidiFileError(`bar must be an integer >= 0, got ${bar}`);
    const lastStart = parts.reduce((m, p) => Math.max(m, p.track.notes[p.track.notes.length - 1].start), 0);
    const lastBar = Math.floor(lastStart / stepsPerBar);
    if (bar > lastBar) throw new MidiFileError(`bar ${bar} is past its last note (in bar ${lastBar}, counting from 0)`);
    from = bar * stepsPerBar;
  }
  if (trio) {
    parts = pickTrioParts(tracks, from, numSteps).parts;
    if (!parts.length) throw new MidiFileError('it has no melody, bass or drum track');
  }
  // Meters whose bars tile 4/4 bars (2/4, 2/2, 4/8, 8/4 ...) fit the model's grid; 3/4, 6/8 do not.
  const fitsFourFour = (t) => {
    const quarters = (4 * t.numerator) / t.denominator;
    return Number.isInteger(quarters) && quarters > 0 && (4 % quarters === 0 || quarters % 4 === 0);
  };
  const odd = timeSignatures.find((t) => t.step < from + numSteps && !fitsFourFour(t));
  if (odd) {
    throw new MidiFileError(`it is in ${odd.numerator}/${odd.denominator} from bar ${Math.floor(odd.step / stepsPerBar)}: ` +
      'the model reads bars of 4 quarter notes (4/4)');
  }
  const lo = Number.isInteger(info.minPitch) ? info.minPitch : 0;
  const hi = Number.isInteger(info.maxPitch) ? info.maxPitch : 127;
  const notes = [];
  for (const { track: t, role } of parts) {
    for (const n of t.notes) {
      if (n.start < from || n.start >= from + numSteps) continue;
      const pitch = role === 'drums' ? n.pitch : foldPitch(n.pitch, lo, hi);
      if (pitch === null) continue;
      notes.push({
        pitch,
        velocity: n.velocity,
        quantizedStartStep: n.start - from,
        quantizedEndStep: Math.min(n.end - from, numSteps),
        program: role === 'bass' ? 32 : 0,
        isDrum: role === 'drums',
        instrument: info.converter === 'trio' ? { melody: 0, bass: 1, drums: 2 }[role] : 0,
      });
    }
  }
  const used = new Set(parts.map((p) => p.track));
  const accompaniment = [];
  for (const t of tracks) {
    if (used.has(t) || t.isDrum) continue;
    for (const n of t.notes) {
      if (n.end <= from || n.start >= from + numSteps) continue;
      accompaniment.push({
        pitch: n.pitch, velocity: n.velocity, program: t.program, isDrum: false, instrument: 0,
        quantizedStartStep: Math.max(n.start - from, 0), quantizedEndStep: Math.min(n.end - from, numSteps),
      });
    }
  }
  const firstBar = from / stepsPerBar + 1;
  const barText = bars > 1 ? `bars ${firstBar}–${firstBar + bars - 1}` : `bar ${firstBar}`;
  if (!notes.length) throw new MidiFileError(bar === undefined ? 'no usable notes in its first bars' : `no usable notes in ${barText}`);
  return {
    sequence: { notes, quantizationInfo: { stepsPerQuarter: spq }, tempos: [{ time: 0, qpm }], totalQuantizedSteps: numSteps },
    description: `${barText} of ${parts.map((p) => `“${p.track.name}”`).join(', ')}`,
    parts: parts.map(({ track: t, role }) => ({ role, name: t.name, fileTrack: t.fileTrack, channel: t.channel, program: t.program })),
    qpm,
    bar: from / stepsPerBar,
    accompaniment: { notes: accompaniment, quantizationInfo: { stepsPerQuarter: spq }, totalQuantizedSteps: numSteps },
  };
}

// ---- writing ----

const text = (s) => Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const trackName = (name) => ({ tick: 0, bytes: [0xff, 0x03, ...text(name)] });
const roleName = (note) => (note.isDrum ? 'Drums' : note.program >= 32 && note.program <= 39 ? 'Bass' : 'Melody');

/** The notes of `sequences` played one after another, unquantized, and their length in seconds. */
function concatenate(sequences, qpm, stepsEach) {
  const notes = [];
  let offset = 0;
  for (const ns of sequences) {
    const spq = ns.quantizationInfo && ns.quantizationInfo.stepsPerQuarter;
    // magenta.js's unquantizeSequence: step / stepsPerQuarter * (60 / qpm).
    const seconds = (step) => step / spq * (60 / qpm);
    for (const n of ns.notes || []) {
      notes.push(spq
        ? { ...n, startTime: seconds(n.quantizedStartStep) + offset, endTime: seconds(n.quantizedEndStep) + offset }
        : { ...n, startTime: n.startTime + offset, endTime: n.endTime + offset });
    }
    offset += spq ? seconds(stepsEach || ns.totalQuantizedSteps || 0) : ns.totalTime || 0;
  }
  return { notes, seconds: offset };
}

/**
 * MIDI bytes for NoteSequences played one after another (a quantized one `stepsEach` steps long,
 * default its totalQuantizedSteps; an unquantized one its totalTime), or for one, as magenta.js's
 * sequenceProtoToMidi writes them (byte for byte for one sequence): 220 ticks per quarter, one track
 * per instrument, program and drum flag, drums on channel 10, the others on channels 1-9, 11-16 by
 * track order. Tempo: options.qpm, else the first sequence's tempos (all of them, for one
 * unquantized sequence). Control changes are not written. Options name (the first track's name),
 * trackNames (name tracks Melody, Bass or Drums; trackName(note), when it gives one, names a track
 * from its first note instead) and fullLength (every track lasts the sequences'
 * whole length, not to the last note-off: a 2-bar loop is 2 bars in a DAW) are the explorer's.
 */
export function sequencesToMidi(sequences, { qpm: qpmOption, stepsEach, name = '', trackNames = false, trackName: nameOf, fullLength = false } = {}) {
  if (!Array.isArray(sequences)) sequences = [sequences];
  const first = sequences[0] || {};
  const firstTempos = Array.isArray(first.tempos) ? first.tempos : [];
  const quantized = !!(first.quantizationInfo && first.quantizationInfo.stepsPerQuarter);
  const qpm = qpmOption || (firstTempos[0] && firstTempos[0].qpm) || DEFAULT_QPM;
  const keepTempos = !qpmOption && !quantized && sequences.length === 1 && firstTempos.length > 0;
  const tempos = keepTempos ? [...firstTempos].sort((a, b) => a.time - b.time) : [{ time: 0, qpm }];
  const map = new TempoMap((sequences.length === 1 && first.ticksPerQuarter) || DEFAULT_TICKS_PER_QUARTER);
  for (const t of tempos) map.add({ ticks: map.ticks(t.time), bpm: t.qpm });
  const signatures = sequences.length === 1 && first.timeSignatures && first.timeSignatures.length
    ? first.timeSignatures : [{ time: 0, numerator: 4, denominator: 4 }];
  const conductor = [trackName(name)];
  for (const t of map.tempos) {
    const us = Math.floor(60000000 / t.bpm);
    conductor.push({ tick: t.ticks, bytes: [0xff, 0x51, (us >> 16) & 0xff, (us >> 8) & 0xff, us & 0xff] });
  }
  const signatureTicks = signatures.map((s) => map.ticks(s.time));
  signatures.forEach((s, i) => conductor.push({
    tick: signatureTicks[i], bytes: [0xff, 0x58, s.numerator & 0xff, Math.floor(Math.log(s.denominator) / Math.LN2) & 0xff, 24, 8],
  }));

  const groups = new Map();
  const { notes: allNotes, seconds: totalSeconds } = concatenate(sequences, qpm, stepsEach);
  for (const note of allNotes) {
    const key = JSON.stringify([note.instrument || 0, note.program === undefined ? 0 : note.program, !!note.isDrum]);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(note);
  }
  const tracks = [conductor];
  [...groups.values()].forEach((notes, i) => {
    const { isDrum, program = 0 } = notes[0];
    const channel = isDrum ? DRUM_CHANNEL : NON_DRUM_CHANNELS[i % NON_DRUM_CHANNELS.length];
    const timed = notes.map((n) => {
      const ticks = map.ticks(n.startTime);
      // @tonejs/midi sets a note's end from its start time read back from ticks, plus the duration.
      const end = Math.max(map.ticks(map.seconds(ticks) + (n.endTime - n.startTime)), ticks);
      return { n, ticks, end };
    }).map((x, k) => [x, k]).sort((a, b) => a[0].ticks - b[0].ticks || a[1] - b[1]).map(([x]) => x);
    const events = [trackName(trackNames ? (nameOf && nameOf(notes[0])) || roleName(notes[0]) : ''), { tick: 0, bytes: [0xc0 | channel, program & 0xff] }];
    for (const { n, ticks, end } of timed) {
      const velocity = n.velocity === undefined ? DEFAULT_VELOCITY : n.velocity;
      const raw = Math.min(Math.max(Math.floor(((velocity + 1) / MIDI_VELOCITIES) * 127), 1), 127);
      events.push({ tick: ticks, bytes: [0x90 | channel, n.pitch & 0xff, raw] }, { tick: end, bytes: [0x80 | channel, n.pitch & 0xff, 0] });
    }
    tracks.push(events);
  });
  return writeSmf({ ppq: map.ppq, tracks, endTick: fullLength ? map.ticks(totalSeconds) : 0 });
}

/**
 * The explorer's export: sequencesToMidi with its tracks named, at `qpm`, the file named `name`,
 * as long as the sequences (each its model's full length). trackName(note): a track's name from
 * its first note, where the role (Melody, Bass, Drums) is not the name (the explorer's chords).
 */
export function sequencesToMidiBytes(sequences, { qpm = DEFAULT_QPM, name = 'MusicVAE', trackName } = {}) {
  return sequencesToMidi(sequences, { qpm, name, trackNames: true, trackName, fullLength: true });
}
