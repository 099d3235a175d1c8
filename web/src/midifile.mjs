// MIDI files in the explorer, with @tonejs/midi (vendored as an ES module by web/build.mjs):
// reading a dropped file into the model's input (the right tracks, one window of the model's length,
// quantized on the MIDI ticks at the model's steps per quarter), and writing sequences to .mid bytes.
import { Midi } from '../vendor/tonejs-midi.mjs';

/** An Error whose message is meant for the user (a bad or unsuitable file). */
export class MidiFileError extends Error {
  constructor(message) {
    super(message);
    this.name = 'MidiFileError';
  }
}

/** The tracks of MIDI bytes, quantized: [{index, name, isDrum, program, notes: [{pitch, velocity, start, end}]}]. */
export function readMidiTracks(bytes, stepsPerQuarter = 4) {
  let midi;
  try {
    midi = new Midi(bytes);
  } catch (e) {
    throw new MidiFileError(`this is not a readable MIDI file (${e.message})`);
  }
  const ticksPerStep = midi.header.ppq / stepsPerQuarter;
  const toStep = (ticks) => Math.floor(ticks / ticksPerStep + 0.5);
  const tracks = midi.tracks.map((track, index) => ({
    index,
    name: track.name || (track.instrument && track.instrument.name) || `track ${index + 1}`,
    isDrum: track.channel === 9,
    program: track.instrument ? track.instrument.number : 0,
    notes: track.notes.map((n) => {
      const start = toStep(n.ticks);
      return {
        pitch: n.midi,
        velocity: Math.max(1, Math.round(n.velocity * 127)),
        start,
        end: Math.max(toStep(n.ticks + n.durationTicks), start + 1),
      };
    }).sort((a, b) => a.start - b.start || b.pitch - a.pitch),
  })).filter((t) => t.notes.length > 0);
  const qpm = midi.header.tempos.length ? midi.header.tempos[0].bpm : 120;
  return { tracks, qpm };
}

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

/** Moves a pitch by octaves into [lo, hi]. */
function foldPitch(pitch, lo, hi) {
  while (pitch < lo) pitch += 12;
  while (pitch > hi) pitch -= 12;
  return pitch < lo ? null : pitch;
}

/**
 * A quantized NoteSequence for a model from MIDI bytes. info: the model's MusicVAE.info (converter,
 * numSteps, stepsPerBar, stepsPerQuarter, minPitch, maxPitch). Picks the tracks (melody: the first
 * pitched track that is a single line; drums: the first channel-10 track; trio: melody, bass and
 * drums), takes numSteps steps from the first bar where they play, and folds melody pitches into the
 * model's range by octaves. Returns {sequence, description, qpm}; throws MidiFileError.
 */
export function midiToModelInput(bytes, info) {
  const spq = info.stepsPerQuarter || 4;
  const { tracks, qpm } = readMidiTracks(bytes, spq);
  if (!tracks.length) throw new MidiFileError('the file has no notes');
  const parts = [];
  if (info.converter === 'drums') {
    const drums = tracks.find((t) => t.isDrum);
    if (!drums) throw new MidiFileError('it has no drum track (MIDI channel 10), and this is a drum model');
    parts.push({ track: drums, role: 'drums' });
  } else if (info.converter === 'trio') {
    const melody = pickMelody(tracks);
    const bass = pickBass(tracks, melody);
    const drums = tracks.find((t) => t.isDrum);
    if (melody) parts.push({ track: melody, role: 'melody' });
    if (bass) parts.push({ track: bass, role: 'bass' });
    if (drums) parts.push({ track: drums, role: 'drums' });
    if (!parts.length) throw new MidiFileError('it has no melody, bass or drum track');
  } else {
    const melody = pickMelody(tracks);
    if (!melody) throw new MidiFileError('it has only drums, and this is a melody model');
    parts.push({ track: melody, role: 'melody' });
  }
  const stepsPerBar = info.stepsPerBar || spq * 4;
  const numSteps = info.numSteps;
  const first = Math.min(...parts.map((p) => p.track.notes[0].start));
  const from = Math.floor(first / stepsPerBar) * stepsPerBar;
  const lo = Number.isInteger(info.minPitch) ? info.minPitch : 0;
  const hi = Number.isInteger(info.maxPitch) ? info.maxPitch : 127;
  const notes = [];
  for (const { track, role } of parts) {
    for (const n of track.notes) {
      if (n.start < from || n.start >= from + numSteps) continue;
      const note = {
        pitch: n.pitch,
        velocity: n.velocity,
        quantizedStartStep: n.start - from,
        quantizedEndStep: Math.min(n.end - from, numSteps),
        program: role === 'bass' ? 32 : 0,
        isDrum: role === 'drums',
        instrument: info.converter === 'trio' ? { melody: 0, bass: 1, drums: 2 }[role] : 0,
      };
      if (!note.isDrum) {
        note.pitch = foldPitch(n.pitch, lo, hi);
        if (note.pitch === null) continue;
      }
      notes.push(note);
    }
  }
  if (!notes.length) throw new MidiFileError('no usable notes in its first bars');
  const bars = numSteps / stepsPerBar;
  const firstBar = from / stepsPerBar + 1;
  const barText = bars > 1 ? `bars ${firstBar}–${firstBar + bars - 1}` : `bar ${firstBar}`;
  const trackText = parts.map((p) => `“${p.track.name}”`).join(', ');
  return {
    sequence: {
      notes,
      quantizationInfo: { stepsPerQuarter: spq },
      tempos: [{ time: 0, qpm }],
      totalQuantizedSteps: numSteps,
    },
    description: `${barText} of ${trackText}`,
    qpm,
  };
}

/**
 * .mid bytes for quantized sequences played one after another (each `stepsEach` steps, default its
 * length): melody on channel 1, bass on 2, drums on 10, at `qpm`.
 */
export function sequencesToMidiBytes(sequences, { qpm = 120, name = 'MusicVAE' } = {}) {
  const midi = new Midi();
  midi.name = name;
  midi.header.setTempo(qpm);
  midi.header.timeSignatures.push({ ticks: 0, timeSignature: [4, 4] });
  midi.header.update();
  const tracks = new Map();
  const trackFor = (note) => {
    const kind = note.isDrum ? 'drums' : note.program >= 32 && note.program <= 39 ? 'bass' : 'melody';
    if (!tracks.has(kind)) {
      const track = midi.addTrack();
      track.name = { melody: 'Melody', bass: 'Bass', drums: 'Drums' }[kind];
      track.channel = { melody: 0, bass: 1, drums: 9 }[kind];
      track.instrument.number = kind === 'drums' ? 0 : note.program || 0;
      tracks.set(kind, track);
    }
    return tracks.get(kind);
  };
  let offset = 0;
  for (const seq of sequences) {
    const spq = (seq.quantizationInfo && seq.quantizationInfo.stepsPerQuarter) || 4;
    const secondsPerStep = 60 / (qpm * spq);
    for (const n of seq.notes) {
      trackFor(n).addNote({
        midi: n.pitch,
        time: offset + n.quantizedStartStep * secondsPerStep,
        duration: Math.max((n.quantizedEndStep - n.quantizedStartStep) * secondsPerStep, 1e-3),
        velocity: Math.min(Math.max((n.velocity || 80) / 127, 0), 1),
      });
    }
    offset += seq.totalQuantizedSteps * secondsPerStep;
  }
  if (tracks.size === 0) midi.addTrack().name = 'Melody';
  return midi.toArray();
}

/** Offers bytes as a file download. */
export function download(bytes, fileName, type = 'audio/midi') {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
