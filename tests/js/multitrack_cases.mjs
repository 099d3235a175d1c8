// Multitrack input sequences for the parity tests (tests/js/multitrack_magenta.test.mjs) and the
// native test case (tests/reference/make_multitrack_case.mjs).

// Hand-made inputs at 24 steps per quarter: several instruments in and out of program order, drums,
// a track of mixed drums (magenta.js: token 0 for its program), two programs on one instrument,
// velocities of every bin (and 0, and none), notes past the bar, shifts
// longer than a bar, more events than a track holds, start times that reorder notes of one step.
export function handMade() {
  const note = (instrument, program, pitch, start, end, extra = {}) => ({
    instrument, program, pitch, velocity: 100, quantizedStartStep: start, quantizedEndStep: end, ...extra,
  });
  const q = (notes, extra = {}) => ({ notes, quantizationInfo: { stepsPerQuarter: 24 }, totalQuantizedSteps: 96, ...extra });
  const busy = [];
  for (let k = 0; k < 40; k++) busy.push(note(3, 0, 60 + (k % 12), 2 * k, 2 * k + 3, { velocity: 1 + 3 * k }));
  return [
    q([note(0, 33, 40, 0, 24), note(0, 33, 43, 24, 48), note(1, 0, 64, 0, 12, { velocity: 30 }),
      note(1, 0, 67, 12, 90, { velocity: 127 }), note(2, 0, 36, 0, 6, { isDrum: true }),
      note(2, 0, 42, 12, 18, { isDrum: true, velocity: 70 })]),
    q([note(5, 81, 72, 0, 200), note(4, 0, 38, 0, 6, { isDrum: true }), note(4, 7, 60, 48, 60),
      note(6, 24, 55, 10, 20, { velocity: 0 }), note(6, 25, 57, 30, 40), note(7, 2, 130 - 5, 90, 120)]),
    q(busy, { totalQuantizedSteps: 150 }),
    // Same step, start times in the other order than pitch; one note without velocity.
    q([note(0, 0, 60, 24, 48, { startTime: 0.51 }), note(0, 0, 55, 24, 30, { startTime: 0.5 }),
      note(0, 0, 50, 0, 24, { startTime: 0 }), { instrument: 1, program: 5, pitch: 70, quantizedStartStep: 3, quantizedEndStep: 9, startTime: 0.06 }]),
    // No totalQuantizedSteps: magenta.js cuts each track at step 0 (its clone reads 0).
    { notes: [note(0, 0, 60, 0, 24), note(0, 0, 62, 24, 48)], quantizationInfo: { stepsPerQuarter: 24 } },
    q([], {}),
    // Nine instruments: the ninth (in sort order) is dropped; drums sort last.
    q(Array.from({ length: 9 }, (_, i) => note(i, 90 - 10 * i, 50 + i, 4 * i, 4 * i + 8, i === 1 ? { isDrum: true } : {}))),
  ];
}

