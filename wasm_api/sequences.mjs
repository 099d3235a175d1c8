// NoteSequence helpers: plain objects shaped like magenta.js's NoteSequence (notes with pitch,
// velocity, quantizedStartStep, quantizedEndStep, program, isDrum, instrument, startTime, endTime;
// quantizationInfo {stepsPerQuarter}; totalQuantizedSteps; tempos [{time, qpm}]; totalTime).
import { InvalidArgumentError } from './errors.mjs';

export const DEFAULT_STEPS_PER_QUARTER = 4;
export const DEFAULT_QPM = 120;

/** True if `ns` is quantized (quantizationInfo.stepsPerQuarter or stepsPerSecond > 0), as magenta.js. */
export function isQuantizedSequence(ns) {
  return !!(ns && ns.quantizationInfo &&
    (ns.quantizationInfo.stepsPerQuarter > 0 || ns.quantizationInfo.stepsPerSecond > 0));
}

/** True if `ns` is quantized relative to the beat (quantizationInfo.stepsPerQuarter > 0). */
export function isRelativeQuantizedSequence(ns) {
  return !!(ns && ns.quantizationInfo && ns.quantizationInfo.stepsPerQuarter > 0);
}

function singleQpm(ns) {
  const tempos = Array.isArray(ns.tempos) ? [...ns.tempos].sort((a, b) => (a.time || 0) - (b.time || 0)) : [];
  if (tempos.length === 0) return DEFAULT_QPM;
  const qpm = tempos[0].qpm;
  if (!(qpm > 0)) throw new InvalidArgumentError(`tempo qpm ${qpm} is not a positive number`);
  if ((tempos[0].time || 0) !== 0 && qpm !== DEFAULT_QPM) {
    throw new InvalidArgumentError(
      `the sequence changes tempo from the initial ${DEFAULT_QPM} qpm to ${qpm} qpm at ` +
        `${tempos[0].time} s: quantizing needs one tempo`);
  }
  for (const t of tempos) {
    if (t.qpm !== qpm) {
      throw new InvalidArgumentError(
        `the sequence changes tempo (${qpm} -> ${t.qpm} qpm at ${t.time} s): quantizing needs one tempo`);
    }
  }
  return qpm;
}

const toStep = (seconds, stepsPerSecond) => Math.floor(seconds * stepsPerSecond + 0.5);

/**
 * Quantizes an unquantized NoteSequence (times in seconds) at `stepsPerQuarter` steps per quarter
 * note, as magenta.js's `sequences.quantizeNoteSequence` does: a time goes to the nearest step
 * (halves round up), a note that would be empty gets one step, the sequence must have one tempo
 * (120 qpm if none). Returns a new object; the input is not changed.
 */
export function quantizeNoteSequence(ns, stepsPerQuarter = DEFAULT_STEPS_PER_QUARTER) {
  if (!ns || !Array.isArray(ns.notes)) throw new InvalidArgumentError('expected a NoteSequence with a notes array');
  if (!(Number.isInteger(stepsPerQuarter) && stepsPerQuarter > 0)) {
    throw new InvalidArgumentError(`stepsPerQuarter ${stepsPerQuarter} is not a positive integer`);
  }
  const qpm = singleQpm(ns);
  const stepsPerSecond = (stepsPerQuarter * qpm) / 60;
  let total = toStep(ns.totalTime || 0, stepsPerSecond);
  const notes = ns.notes.map((note, i) => {
    const start = toStep(note.startTime || 0, stepsPerSecond);
    let end = toStep(note.endTime || 0, stepsPerSecond);
    if (end === start) end += 1;
    if (!(start >= 0 && end >= 0)) {
      throw new InvalidArgumentError(`note ${i} has a negative or invalid time (start ${note.startTime}, end ${note.endTime})`);
    }
    total = Math.max(total, end);
    return { ...note, quantizedStartStep: start, quantizedEndStep: end };
  });
  return {
    ...ns,
    notes,
    quantizationInfo: { stepsPerQuarter },
    tempos: [{ time: 0, qpm }],
    totalQuantizedSteps: total,
  };
}

/**
 * A quantized output NoteSequence from engine notes (Int32Array of 7-int records: pitch, velocity,
 * start step, end step, program, is_drum, instrument), with startTime/endTime from qpm.
 */
export function buildSequence(records, count, numSteps, stepsPerQuarter, qpm) {
  const secondsPerStep = 60 / (qpm * stepsPerQuarter);
  const notes = new Array(count);
  for (let i = 0; i < count; i++) {
    const r = i * 7;
    const start = records[r + 2], end = records[r + 3];
    notes[i] = {
      pitch: records[r],
      velocity: records[r + 1],
      quantizedStartStep: start,
      quantizedEndStep: end,
      program: records[r + 4],
      isDrum: records[r + 5] === 1,
      instrument: records[r + 6],
      startTime: start * secondsPerStep,
      endTime: end * secondsPerStep,
    };
  }
  return {
    notes,
    quantizationInfo: { stepsPerQuarter },
    tempos: [{ time: 0, qpm }],
    totalQuantizedSteps: numSteps,
    totalTime: numSteps * secondsPerStep,
  };
}

// An integer field: a number, or a string of digits, as protobuf's JSON writes int64 fields
// (quantizedStartStep, quantizedEndStep, totalQuantizedSteps); absent = `fallback`.
const intField = (value, fallback) => {
  if (value === undefined || value === null) return fallback;
  return typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
};

/**
 * Engine note records (Int32Array, 7 per note) for one quantized input sequence, read as magenta.js
 * reads its inputs: the first numSteps steps (notes starting later are left out), steps as they are
 * whatever the sequence's stepsPerQuarter (magenta.js does not rescale them either), a note without
 * quantizedEndStep held until the next note or the end, missing ints 0 (protobuf's defaults), int64
 * fields as numbers or strings. Checks what the engine cannot report well from JavaScript:
 * quantization and integer fields.
 */
export function sequenceToRecords(ns, index, numSteps, stepsPerQuarter) {
  const where = `sequence ${index}`;
  if (!ns || typeof ns !== 'object' || !Array.isArray(ns.notes)) {
    throw new InvalidArgumentError(`${where} is not a NoteSequence (an object with a notes array)`);
  }
  if (!isQuantizedSequence(ns)) {
    throw new InvalidArgumentError(
      `${where} is not quantized (missing quantizationInfo.stepsPerQuarter): quantize it first, e.g. ` +
        `quantizeNoteSequence(ns, ${stepsPerQuarter}), as magenta.js requires`);
  }
  const records = new Int32Array(ns.notes.length * 7);
  let count = 0;
  ns.notes.forEach((note, i) => {
    if (!note || typeof note !== 'object') throw new InvalidArgumentError(`${where}, note ${i} is not a note object`);
    const values = [
      intField(note.pitch, 0),
      intField(note.velocity, 0),
      intField(note.quantizedStartStep, 0),
      intField(note.quantizedEndStep, numSteps),
      intField(note.program, 0),
      note.isDrum ? 1 : 0,
      intField(note.instrument, 0),
    ];
    const names = ['pitch', 'velocity', 'quantizedStartStep', 'quantizedEndStep', 'program', 'isDrum', 'instrument'];
    values.forEach((v, k) => {
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
        throw new InvalidArgumentError(`${where}, note ${i}: ${names[k]} ${v} is not an integer`);
      }
    });
    if (values[2] >= numSteps) return; // past the model's length: magenta.js leaves it out too
    records.set(values, 7 * count++);
  });
  return records.subarray(0, 7 * count);
}
