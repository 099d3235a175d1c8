// The engine's chord inference (src/notes/chord_infer.c, mvae_chords_infer) through the WebAssembly
// build (mvw_chords_infer), for files dropped in the page: the hand-worked accompaniment of
// tests/test_chord_infer.c gives the same chords here.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

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
});
