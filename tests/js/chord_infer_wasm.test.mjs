// The engine's chord inference (src/notes/chord_infer.c, mvae_chords_infer) through the WebAssembly
// build (mvw_chords_infer), for files dropped in the page: the hand-worked accompaniment of
// tests/test_chord_infer.c gives the same chords here, and through MusicVAE.inferChordProgression
// from a file's accompaniment as midiToModelInput cuts it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { MusicVAE } from '../../wasm_api/index.mjs';
import { midiToModelInput, sequencesToMidi } from '../../wasm_api/midi.mjs';
import { ROOT } from './wasm_helpers.mjs';

const WASM = path.join(ROOT, 'wasm_api/dist/musicvae_wasm.wasm');
let engine;

before(async () => {
  if (!fs.existsSync(WASM)) return;
  const factory = (await import('../../wasm_api/dist/musicvae_wasm.mjs')).default;
  engine = await factory({ wasmBinary: fs.readFileSync(WASM) });
});

// notes: [pitch, start, end, isDrum?] -> [{noChord, root, pitches, quality}] per span, or {error}.
function infer(notes, numSteps, span) {
  const fields = 7, n = notes.length, spans = Math.ceil(numSteps / span);
  const np = engine._malloc(4 * fields * Math.max(n, 1)), out = engine._malloc(16 * spans), err = engine._malloc(256);
  try {
    notes.forEach(([pitch, start, end, drum = 0], i) => {
      engine.HEAP32.set([pitch, 80, start, end, 0, drum, 0], np / 4 + fields * i);
    });
    const status = engine._mvw_chords_infer(np, n, numSteps, span, out, err, 256);
    if (status !== 0) return { error: engine.UTF8ToString(err) };
    return Array.from({ length: spans }, (_, s) => {
      const [noChord, root, pitches, quality] = engine.HEAP32.subarray(out / 4 + 4 * s, out / 4 + 4 * s + 4);
      return { noChord, root, pitches, quality };
    });
  } finally {
    [np, out, err].forEach((p) => engine._free(p));
  }
}

const mask = (...pcs) => pcs.reduce((m, p) => m | (1 << p), 0);

test('C, Am, F, Dm, N.C. over five half bars (hand-worked weights, as tests/test_chord_infer.c)', (t) => {
  if (!engine) return t.skip('the WASM engine is not built (bash wasm_api/build.sh)');
  const notes = [[60, 0, 8], [64, 0, 8], [67, 0, 4], [62, 4, 6],
    [57, 8, 16], [72, 8, 16], [76, 8, 12], [79, 12, 16],
    [69, 16, 24], [53, 20, 28], [62, 24, 32], [36, 32, 40, 1]];
  assert.deepEqual(infer(notes, 40, 8), [
    { noChord: 0, root: 0, pitches: mask(0, 4, 7), quality: 0 },
    { noChord: 0, root: 9, pitches: mask(9, 0, 4), quality: 1 },
    { noChord: 0, root: 5, pitches: mask(5, 9, 0), quality: 0 },
    { noChord: 0, root: 2, pitches: mask(2, 5, 9), quality: 1 },
    { noChord: 1, root: 0, pitches: 0, quality: 0 },
  ]);
  assert.match(infer([[128, 0, 4]], 8, 8).error, /pitch 128/);
  assert.match(infer([], 8, 0).error, /span_steps 0/);
  // More steps than the engine takes: refused with its message before anything is allocated
  // (one span's room is enough for the call), nothing written.
  const out = engine._malloc(16), err = engine._malloc(256);
  try {
    engine.HEAP32.fill(-7, out / 4, out / 4 + 4);
    assert.notEqual(engine._mvw_chords_infer(0, 0, 2 ** 31 - 1, 1, out, err, 256), 0);
    assert.match(engine.UTF8ToString(err), /num_steps 2147483647 \(1\.\.16777216\)/);
    assert.deepEqual(Array.from(engine.HEAP32.subarray(out / 4, out / 4 + 4)), [-7, -7, -7, -7]);
  } finally {
    engine._free(out);
    engine._free(err);
  }
});

// MusicVAE.inferChordProgression (the explorer's chords for a dropped file) over the same notes, and
// over a file's accompaniment as midiToModelInput cuts it from the window.
describe('MusicVAE.inferChordProgression', { skip: !fs.existsSync(WASM) && 'the WASM engine is not built' }, () => {
  let model;
  before(async () => {
    model = new MusicVAE(path.join(ROOT, 'models/mel_2bar_chords.q8.mvae'));
    await model.initialize();
  });
  after(() => model && model.dispose());
  const quantized = (notes) => ({
    notes: notes.map(([pitch, start, end, drum = 0]) => ({ pitch, quantizedStartStep: start, quantizedEndStep: end, isDrum: !!drum })),
    quantizationInfo: { stepsPerQuarter: 4 },
  });

  test('the hand-worked notes: C Am F Dm N.C.; by default half a bar each over the model\'s 2 bars', async () => {
    const notes = [[60, 0, 8], [64, 0, 8], [67, 0, 4], [62, 4, 6],
      [57, 8, 16], [72, 8, 16], [76, 8, 12], [79, 12, 16],
      [69, 16, 24], [53, 20, 28], [62, 24, 32], [36, 32, 40, 1]];
    assert.deepEqual(await model.inferChordProgression(quantized(notes), { numSteps: 40, spanSteps: 8 }),
      ['C', 'Am', 'F', 'Dm', 'N.C.']);
    assert.deepEqual(await model.inferChordProgression(quantized(notes)), ['C', 'Am', 'F', 'Dm']);
    // A note from before the window sounds from its step 0: E, G#, B held 0..8 (from -8) is E.
    assert.deepEqual(await model.inferChordProgression(quantized([[64, -8, 8], [68, -8, 8], [71, 0, 8]])),
      ['E', 'N.C.', 'N.C.', 'N.C.']);
  });

  test('refuses what the engine refuses, with its message', async () => {
    await assert.rejects(model.inferChordProgression(quantized([[128, 0, 4]])), /pitch 128/);
    await assert.rejects(model.inferChordProgression(quantized([]), { spanSteps: 0 }), /spanSteps must be an integer in 1\.\.1048576/);
    await assert.rejects(model.inferChordProgression({ notes: [{ pitch: 60, startTime: 0, endTime: 1 }] }), /not quantized/);
    await assert.rejects(model.inferChordProgression(quantized([]), { numSteps: 2 ** 31 }), /numSteps must be an integer in 1\.\.1048576/);
    await assert.rejects(model.inferChordProgression(quantized([]), { numSteps: 1.5 }), /numSteps must be an integer/);
    assert.deepEqual(await model.inferChordProgression(quantized([]), { numSteps: 1 << 20, spanSteps: 1 << 20 }), ['N.C.']);
  });

  test('a file\'s accompaniment in the window (midiToModelInput): its own chords, not the melody\'s', async () => {
    // 4 bars: a melody (one line) and a piano part: D minor, then G held into bar 3; then C G Am F.
    const melody = [[72, 0, 32], [74, 32, 48], [76, 48, 64]].map(([pitch, s, e]) => ({ pitch, s, e }));
    const chord = (pitches, s, e) => pitches.map((pitch) => ({ pitch, s, e }));
    const piano = [...chord([50, 53, 57], 0, 24), ...chord([55, 59, 62], 24, 36),  // D minor, then G held into bar 3
      ...chord([48, 52, 55], 32, 40), ...chord([43, 47, 50], 40, 48), ...chord([45, 48, 52], 48, 56), ...chord([41, 45, 48], 56, 64)];
    const seq = {
      notes: [...melody.map((n) => ({ ...n, program: 0, instrument: 0 })), ...piano.map((n) => ({ ...n, program: 1, instrument: 1 }))]
        .map(({ pitch, s, e, program, instrument }) => ({ pitch, velocity: 80, program, instrument, isDrum: false, quantizedStartStep: s, quantizedEndStep: e })),
      quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: 64, tempos: [{ time: 0, qpm: 120 }],
    };
    const input = midiToModelInput(sequencesToMidi(seq), model.info, { bar: 2 });
    assert.deepEqual(input.sequence.notes.map((n) => n.pitch), [74, 76], 'the melody is the single line');
    const acc = input.accompaniment.notes;
    assert.equal(acc.length, 3 * 5, 'G (held in), C, G, Am, F');
    assert.ok(acc.every((n) => n.quantizedStartStep >= 0 && n.quantizedEndStep <= 32 && !n.isDrum));
    // Span 0: C E G 8 steps each and the held G B D 4 each: C major holds 28, E minor 24, G major 20.
    assert.deepEqual(await model.inferChordProgression(input.accompaniment), ['C', 'G', 'Am', 'F']);
  });
});
