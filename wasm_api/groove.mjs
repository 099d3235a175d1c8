// GrooVAE's NoteSequences (magenta.js's GrooveConverter): what the engine's mvae_groove_to_input
// reads from a sequence, and the sequence magenta.js builds from the engine's decoded hits. The
// conversion rules themselves (loudest note per class and step, velocity / 127, offsets, humanize,
// tapify, velocity rounding, offset clipping) are the engine's (src/notes/convert_groove.c).
import { InvalidArgumentError } from './errors.mjs';
import { DEFAULT_QPM, isRelativeQuantizedSequence, quantizeNoteSequence } from './sequences.mjs';

// mvae_groove_note / mvae_groove_hit: int32 pitch, velocity, step, then a double at byte 16.
const DOUBLE_AT = 16;

// An integer field as protobuf's JSON may write it (int64 as a string); absent: 0.
const intOf = (v) => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v ?? 0);

/**
 * One input sequence as magenta.js's GrooveConverter.toTensor takes it: quantized at the model's
 * stepsPerQuarter unless it is already quantized relative to the beat; its notes' pitch, velocity,
 * step and startTime (NaN when absent: offset 0), and the tempo its offsets are measured at (the
 * first tempo, else 120 qpm).
 */
export function grooveInput(ns, index, stepsPerQuarter) {
  if (!ns || typeof ns !== 'object' || !Array.isArray(ns.notes)) {
    throw new InvalidArgumentError(`sequence ${index} is not a NoteSequence (an object with a notes array)`);
  }
  const qns = isRelativeQuantizedSequence(ns) ? ns : quantizeNoteSequence(ns, stepsPerQuarter);
  const qpm = qns.tempos && qns.tempos.length ? qns.tempos[0].qpm : DEFAULT_QPM;
  const notes = qns.notes.map((n, i) => {
    const note = { pitch: intOf(n.pitch), velocity: intOf(n.velocity), step: intOf(n.quantizedStartStep) };
    for (const [k, v] of Object.entries(note)) {
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
        throw new InvalidArgumentError(`sequence ${index}, note ${i}: ${k} ${v} is not an integer`);
      }
    }
    const t = n.startTime;
    const absent = t === undefined || t === null;
    note.startTime = absent ? NaN : Number(t);
    if (!absent && !Number.isFinite(note.startTime)) {
      throw new InvalidArgumentError(`sequence ${index}, note ${i}: startTime ${t} is not a finite number`);
    }
    return note;
  });
  if (typeof qpm !== 'number' || !(qpm > 0) || !Number.isFinite(qpm)) {
    throw new InvalidArgumentError(`sequence ${index}: tempo qpm ${qpm} is not a positive number`);
  }
  return { notes, qpm };
}

/** Writes grooveInput's notes as mvae_groove_note structs at `ptr` (noteBytes each). */
export function writeGrooveNotes(heap, ptr, notes, noteBytes) {
  const view = new DataView(heap.buffer);
  notes.forEach((n, i) => {
    const p = ptr + i * noteBytes;
    view.setInt32(p, n.pitch, true);
    view.setInt32(p + 4, n.velocity, true);
    view.setInt32(p + 8, n.step, true);
    view.setFloat64(p + DOUBLE_AT, n.startTime, true);
  });
}

/**
 * The NoteSequence magenta.js's GrooveConverter.toNoteSequence makes of `count` hits (the engine's
 * mvae_groove_hit structs at `ptr`): unquantized, a one-step drum note per hit at its position
 * (step minus its offset) in seconds at `qpm`, totalTime numSteps steps.
 */
export function buildGrooveSequence(heap, ptr, count, hitBytes, numSteps, stepsPerQuarter, qpm) {
  const view = new DataView(heap.buffer);
  const stepLength = (60 / qpm) / stepsPerQuarter;
  const notes = new Array(count);
  for (let i = 0; i < count; i++) {
    const p = ptr + i * hitBytes;
    const position = view.getFloat64(p + DOUBLE_AT, true);
    notes[i] = {
      pitch: view.getInt32(p, true),
      velocity: view.getInt32(p + 4, true),
      startTime: position * stepLength,
      endTime: (position + 1) * stepLength,
      isDrum: true,
      instrument: 0,
      program: 0,
    };
  }
  return { notes, tempos: [{ time: 0, qpm }], totalTime: numSteps * stepLength };
}
