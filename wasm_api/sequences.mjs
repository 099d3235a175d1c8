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

// ---- Multitrack inputs -----------------------------------------------------------------------------

/** sequenceToRecords's numSteps for a multitrack model: no note is left out (its steps are events). */
export const MULTITRACK_ALL_STEPS = 0x7fffffff;

/**
 * What a multitrack model's converter reads beyond the note records (the engine's
 * mvae_sequence_timing), in the records' order: {startTimes: Float64Array (NaN where a note has
 * none; magenta.js orders a track's notes by startTime, then pitch), noVelocity: Uint8Array (1 where
 * a note has no velocity), totalQuantizedSteps (magenta.js's protobuf clone reads an absent one as
 * 0)}. The sequence's stepsPerQuarter must be the model's, as magenta.js's MultitrackConverter
 * requires (same message).
 */
export function multitrackTiming(ns, stepsPerQuarter) {
  const spq = ns.quantizationInfo.stepsPerQuarter;
  if (spq !== stepsPerQuarter) {
    throw new InvalidArgumentError(`Steps per quarter note mismatch: ${spq} != ${stepsPerQuarter}`);
  }
  const n = ns.notes.length;
  const startTimes = new Float64Array(n), noVelocity = new Uint8Array(n);
  ns.notes.forEach((note, i) => {
    startTimes[i] = typeof note.startTime === 'number' ? note.startTime : NaN;
    noVelocity[i] = note.velocity === undefined || note.velocity === null ? 1 : 0;
  });
  const total = intField(ns.totalQuantizedSteps, 0);
  if (!Number.isInteger(total) || total < 0 || total > 0x7fffffff) {
    throw new InvalidArgumentError(`totalQuantizedSteps ${ns.totalQuantizedSteps} is not a non-negative integer`);
  }
  return { startTimes, noVelocity, totalQuantizedSteps: total };
}

// ---- magenta.js's `sequences` helpers that MusicVAE users call (core/sequences.ts), on plain objects ----

function quantizationError(ns, what) {
  return new InvalidArgumentError(`NoteSequence ${ns && ns.id ? ns.id : ''} is not quantized ${what}`.replace('  ', ' '));
}

/** True if quantized relative to absolute time (quantizationInfo.stepsPerSecond > 0). */
export function isAbsoluteQuantizedSequence(ns) {
  return !!(ns && ns.quantizationInfo && ns.quantizationInfo.stepsPerSecond > 0);
}
export function assertIsQuantizedSequence(ns) {
  if (!isQuantizedSequence(ns)) throw quantizationError(ns, '(missing quantizationInfo)');
}
export function assertIsRelativeQuantizedSequence(ns) {
  if (!isRelativeQuantizedSequence(ns)) throw quantizationError(ns, 'or is quantized based on absolute timing');
}
export function assertIsAbsoluteQuantizedSequence(ns) {
  if (!isAbsoluteQuantizedSequence(ns)) throw quantizationError(ns, 'or is quantized based on relative timing');
}

/** A deep copy (magenta.js round-trips the protobuf; plain objects are copied). */
export function clone(ns) {
  return structuredClone(ns);
}

/** An empty quantized NoteSequence. */
export function createQuantizedNoteSequence(stepsPerQuarter = DEFAULT_STEPS_PER_QUARTER, qpm = DEFAULT_QPM) {
  return { notes: [], quantizationInfo: { stepsPerQuarter }, tempos: [{ time: 0, qpm }], totalQuantizedSteps: 0 };
}

/**
 * Times in seconds from steps, as magenta.js: at `qpm` (else the sequence's first tempo, else 120);
 * the step fields and quantizationInfo go. The input is not changed.
 */
export function unquantizeSequence(qns, qpm) {
  assertIsRelativeQuantizedSequence(qns);
  const ns = clone(qns);
  ns.tempos = Array.isArray(ns.tempos) ? ns.tempos : [];
  if (qpm) {
    if (ns.tempos.length) ns.tempos[0].qpm = qpm;
    else ns.tempos.push({ time: 0, qpm });
  } else {
    qpm = ns.tempos.length ? ns.tempos[0].qpm : DEFAULT_QPM;
  }
  const spq = ns.quantizationInfo.stepsPerQuarter;
  const seconds = (step) => (Number(step) / spq) * (60 / qpm);
  ns.totalTime = seconds(ns.totalQuantizedSteps || 0);
  for (const n of ns.notes) {
    n.startTime = seconds(n.quantizedStartStep || 0);
    n.endTime = seconds(n.quantizedEndStep || 0);
    ns.totalTime = Math.max(ns.totalTime, n.endTime);
    delete n.quantizedStartStep;
    delete n.quantizedEndStep;
  }
  for (const list of [ns.controlChanges, ns.pitchBends, ns.textAnnotations, ns.timeSignatures, ns.keySignatures, ns.tempos]) {
    if (Array.isArray(list)) for (const e of list) if (e.time !== undefined) e.time = seconds(e.time);
  }
  delete ns.totalQuantizedSteps;
  delete ns.quantizationInfo;
  return ns;
}

/**
 * The sequences one after another (steps when the first is quantized, else seconds), each
 * `sequenceDurations[i]` long (default its totalQuantizedSteps / totalTime), as magenta.js.
 */
export function concatenate(sequences, sequenceDurations) {
  if (!Array.isArray(sequences) || !sequences.length) throw new InvalidArgumentError('concatenate takes a non-empty array of NoteSequences');
  if (sequenceDurations && sequenceDurations.length !== sequences.length) {
    throw new InvalidArgumentError('Number of sequences to concatenate and their individual durations does not match.');
  }
  const quantized = isQuantizedSequence(sequences[0]);
  if (quantized) {
    for (const s of sequences) {
      assertIsQuantizedSequence(s);
      if (s.quantizationInfo.stepsPerQuarter !== sequences[0].quantizationInfo.stepsPerQuarter) {
        throw new InvalidArgumentError('Not all sequences have the same quantizationInfo');
      }
    }
  }
  const [totalKey, startKey, endKey] = quantized
    ? ['totalQuantizedSteps', 'quantizedStartStep', 'quantizedEndStep'] : ['totalTime', 'startTime', 'endTime'];
  let out;
  let total = 0;
  sequences.forEach((s, i) => {
    const duration = Number(sequenceDurations ? sequenceDurations[i] : s[totalKey] || 0);
    if (duration === 0) throw new InvalidArgumentError(`Sequence ${i} has no ${totalKey}, and no individual duration was provided.`);
    if (i === 0) out = clone(s);
    else {
      for (const n of s.notes) {
        out.notes.push({ ...n, [startKey]: Number(n[startKey] || 0) + total, [endKey]: Number(n[endKey] || 0) + total });
      }
    }
    total += duration;
  });
  out[totalKey] = total;
  return out;
}

/** The part from `start` to `end` (steps or seconds), shifted to 0, as magenta.js's trim. */
export function trim(ns, start, end, truncateEndNotes = false) {
  const [totalKey, startKey, endKey] = isQuantizedSequence(ns)
    ? ['totalQuantizedSteps', 'quantizedStartStep', 'quantizedEndStep'] : ['totalTime', 'startTime', 'endTime'];
  const out = clone(ns);
  out[totalKey] = end - start;
  out.notes = out.notes.filter((n) => (n[startKey] || 0) >= start && (n[startKey] || 0) <= end &&
    (truncateEndNotes || (n[endKey] || 0) <= end));
  for (const n of out.notes) {
    n[startKey] = (n[startKey] || 0) - start;
    n[endKey] = (n[endKey] || 0) - start;
    if (truncateEndNotes) n[endKey] = Math.min(n[endKey], out[totalKey]);
  }
  return out;
}

/**
 * Joins a note to the previous one of the same instrument and pitch when it starts where that one
 * ends, except on a bar line (every 16 steps), as magenta.js (whose result notes keep only pitch,
 * instrument and steps).
 */
export function mergeConsecutiveNotes(sequence) {
  assertIsQuantizedSequence(sequence);
  const out = clone(sequence);
  const sorted = [...sequence.notes].sort((a, b) => (a.instrument || 0) - (b.instrument || 0) ||
    (a.quantizedStartStep || 0) - (b.quantizedStartStep || 0));
  const bare = (n) => ({
    pitch: n.pitch, velocity: 0, instrument: n.instrument || 0, program: 0, isDrum: false,
    quantizedStartStep: n.quantizedStartStep || 0, quantizedEndStep: n.quantizedEndStep || 0,
  });
  out.notes = sorted.length ? [bare(sorted[0])] : [];
  for (let i = 1; i < sorted.length; i++) {
    const n = bare(sorted[i]);
    const prev = out.notes.at(-1);
    if (prev.instrument === n.instrument && prev.pitch === n.pitch && n.quantizedStartStep === prev.quantizedEndStep &&
        n.quantizedStartStep % 16 !== 0) {
      prev.quantizedEndStep += n.quantizedEndStep - n.quantizedStartStep;
    } else {
      out.notes.push(n);
    }
  }
  return out;
}

/** Every non-drum program on its own instrument (in order of appearance), drums after them. */
export function mergeInstruments(ns) {
  const out = clone(ns);
  const events = [...(out.notes || []), ...(out.pitchBends || []), ...(out.controlChanges || [])];
  const programs = [...new Set(events.filter((e) => !e.isDrum).map((e) => e.program || 0))];
  for (const e of events) {
    if (e.isDrum) {
      e.program = 0;
      e.instrument = programs.length;
    } else {
      e.instrument = programs.indexOf(e.program || 0);
    }
  }
  return out;
}
