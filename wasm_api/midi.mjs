// MIDI files <-> NoteSequences with @tonejs/midi (as magenta.js's midi_io does): used by the CLI,
// usable on its own in Node or a bundler.
import toneMidi from '@tonejs/midi';
import { InvalidArgumentError } from './errors.mjs';
import { DEFAULT_QPM } from './sequences.mjs';

const { Midi } = toneMidi;

function parse(bytes) {
  try {
    return new Midi(bytes);
  } catch (e) {
    throw new InvalidArgumentError(`not a readable MIDI file: ${e.message}`);
  }
}

/**
 * An unquantized NoteSequence (times in seconds) from MIDI bytes: one instrument per MIDI track,
 * program from the track's instrument, isDrum for channel 10, velocity 0..127.
 */
export function midiToSequence(bytes) {
  const midi = parse(bytes);
  const notes = [];
  midi.tracks.forEach((track, instrument) => {
    const isDrum = track.channel === 9;
    for (const n of track.notes) {
      notes.push({
        pitch: n.midi,
        velocity: Math.round(n.velocity * 127),
        startTime: n.time,
        endTime: n.time + n.duration,
        program: track.instrument.number,
        isDrum,
        instrument,
      });
    }
  });
  const tempos = midi.header.tempos.map((t) => ({ time: t.time ?? midi.header.ticksToSeconds(t.ticks), qpm: t.bpm }));
  return {
    notes,
    tempos: tempos.length ? tempos : [{ time: 0, qpm: DEFAULT_QPM }],
    timeSignatures: midi.header.timeSignatures.map((t) => ({
      time: midi.header.ticksToSeconds(t.ticks), numerator: t.timeSignature[0], denominator: t.timeSignature[1],
    })),
    totalTime: midi.duration,
  };
}

/**
 * A quantized NoteSequence from MIDI bytes, at `stepsPerQuarter` steps per quarter note, quantized
 * on the MIDI ticks (so tempo changes do not matter): a tick time goes to the nearest step, halves
 * up; an empty note gets one step. qpm is the file's first tempo.
 */
export function midiToQuantizedSequence(bytes, stepsPerQuarter = 4) {
  const midi = parse(bytes);
  const ticksPerStep = midi.header.ppq / stepsPerQuarter;
  const toStep = (ticks) => Math.floor(ticks / ticksPerStep + 0.5);
  const notes = [];
  let total = 0;
  midi.tracks.forEach((track, instrument) => {
    for (const n of track.notes) {
      const start = toStep(n.ticks);
      let end = toStep(n.ticks + n.durationTicks);
      if (end <= start) end = start + 1;
      total = Math.max(total, end);
      notes.push({
        pitch: n.midi,
        velocity: Math.round(n.velocity * 127),
        quantizedStartStep: start,
        quantizedEndStep: end,
        program: track.instrument.number,
        isDrum: track.channel === 9,
        instrument,
      });
    }
  });
  const qpm = midi.header.tempos.length ? midi.header.tempos[0].bpm : DEFAULT_QPM;
  return {
    notes,
    quantizationInfo: { stepsPerQuarter },
    tempos: [{ time: 0, qpm }],
    totalQuantizedSteps: total,
  };
}

/**
 * MIDI bytes for NoteSequences played one after another (each `stepsEach` steps long, at its
 * position i * stepsEach), or for one. Times come from the quantized steps and qpm when present,
 * otherwise from startTime/endTime. Drum notes go to channel 10.
 */
export function sequencesToMidi(sequences, { qpm, stepsEach } = {}) {
  if (!Array.isArray(sequences)) sequences = [sequences];
  const first = sequences[0] || {};
  qpm = qpm || (first.tempos && first.tempos[0] && first.tempos[0].qpm) || DEFAULT_QPM;
  const midi = new Midi();
  midi.header.setTempo(qpm);
  midi.header.timeSignatures.push({ ticks: 0, timeSignature: [4, 4] });
  midi.header.update();
  const tracks = new Map();
  let melodicTracks = 0;
  const trackFor = (note) => {
    const key = `${note.instrument || 0}:${note.program || 0}:${note.isDrum ? 1 : 0}`;
    if (!tracks.has(key)) {
      const track = midi.addTrack();
      if (note.isDrum) {
        track.channel = 9;
      } else {
        const ch = melodicTracks++;
        track.channel = Math.min(ch >= 9 ? ch + 1 : ch, 15); // channel 10 (index 9) is for drums
      }
      track.instrument.number = note.program || 0;
      tracks.set(key, track);
    }
    return tracks.get(key);
  };
  let offsetSeconds = 0;
  for (const ns of sequences) {
    const spq = ns.quantizationInfo && ns.quantizationInfo.stepsPerQuarter;
    const secondsPerStep = spq ? 60 / (qpm * spq) : 0;
    for (const note of ns.notes || []) {
      const start = spq ? note.quantizedStartStep * secondsPerStep : note.startTime;
      const end = spq ? note.quantizedEndStep * secondsPerStep : note.endTime;
      trackFor(note).addNote({
        midi: note.pitch,
        time: offsetSeconds + start,
        duration: Math.max(end - start, 1e-3),
        velocity: Math.min(Math.max((note.velocity || 0) / 127, 0), 1),
      });
    }
    const length = spq ? (stepsEach || ns.totalQuantizedSteps || 0) * secondsPerStep : ns.totalTime || 0;
    offsetSeconds += length;
  }
  if (tracks.size === 0) midi.addTrack();
  return midi.toArray();
}
