// GrooVAE's sequences on the page (the engine's GrooveConverter: wasm_api/groove.mjs). A groove
// model decodes unquantized drums: each hit has its velocity and its own time, a little before or
// after its step. The explorer draws, plays and loops by steps, so each hit is given its nearest
// step and its distance from it (offsetSteps, in steps: the same at any tempo); the transport and
// the offline render play it at step + offsetSteps, and a saved file has it at that time.

/** A decoded groove (unquantized, times at its tempo) as the explorer plays it; others as they are. */
export function playableGroove(ns, stepsPerQuarter) {
  if (!ns || ns.quantizationInfo) return ns;
  const qpm = (ns.tempos && ns.tempos[0] && ns.tempos[0].qpm) || 120;
  const stepLength = 60 / qpm / stepsPerQuarter;
  const numSteps = Math.max(1, Math.round(ns.totalTime / stepLength));
  const notes = ns.notes.map((n) => {
    const position = n.startTime / stepLength;
    const step = Math.min(Math.max(Math.round(position), 0), numSteps - 1);
    return { ...n, quantizedStartStep: step, quantizedEndStep: step + 1, offsetSteps: position - step };
  });
  return { ...ns, notes, quantizationInfo: { stepsPerQuarter }, totalQuantizedSteps: numSteps };
}

/** A playable groove unquantized at `qpm` (each hit at step + offsetSteps), for a .mid file. */
export function timedGroove(seq, qpm) {
  const spq = seq.quantizationInfo.stepsPerQuarter;
  const stepLength = 60 / qpm / spq;
  const notes = seq.notes.map(({ quantizedStartStep: step, quantizedEndStep: end, offsetSteps = 0, ...n }) => ({
    ...n, startTime: Math.max(0, (step + offsetSteps) * stepLength), endTime: Math.max(0, (end + offsetSteps) * stepLength),
  }));
  return { notes, tempos: [{ time: 0, qpm }], totalTime: seq.totalQuantizedSteps * stepLength };
}

// A plain rock beat, one bar: kick on 1 and 3 (and the "and" of 3), snare on 2 and 4, eighth-note hi-hats.
const ROCK_BAR = [[36, [0, 8, 10]], [38, [4, 12]], [42, [0, 2, 4, 6, 8, 10, 12, 14]]];

/** The built-in simple beat over `numSteps` steps: quantized, every hit at velocity 80. */
export function simpleBeat(numSteps, stepsPerQuarter = 4, stepsPerBar = 16) {
  const notes = [];
  for (let bar = 0; bar * stepsPerBar < numSteps; bar++) {
    for (const [pitch, steps] of ROCK_BAR) {
      for (const s of steps) {
        const step = bar * stepsPerBar + Math.round((s * stepsPerBar) / 16);
        if (step < numSteps) notes.push({ pitch, velocity: 80, quantizedStartStep: step, quantizedEndStep: step + 1, isDrum: true });
      }
    }
  }
  notes.sort((a, b) => a.quantizedStartStep - b.quantizedStartStep || a.pitch - b.pitch);
  return { notes, quantizationInfo: { stepsPerQuarter }, totalQuantizedSteps: numSteps, tempos: [{ time: 0, qpm: 120 }] };
}

/**
 * Taps (seconds from the first beat) as the unquantized sequence a tap model reads: one closed
 * hi-hat hit per tap at `qpm`, `seconds` long. (The engine's tapify puts every hit on one drum and
 * drops the velocities; the offsets from the beat stay: they are the feel.) A tap in the last half
 * step would round to the step after the end, which the converter refuses: it is left out.
 */
export function tapSequence(times, qpm, seconds, stepsPerQuarter = 4) {
  const last = seconds - 60 / qpm / stepsPerQuarter / 2 - 1e-6;
  const notes = times.filter((t) => t >= 0 && t < last).sort((a, b) => a - b)
    .map((t) => ({ pitch: 42, velocity: 80, startTime: t, endTime: Math.min(t + 0.1, seconds), isDrum: true }));
  return { notes, tempos: [{ time: 0, qpm }], totalTime: seconds };
}
