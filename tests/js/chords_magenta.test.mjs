// Chord encodings against magenta.js 1.23.1 itself: every chord type of tonal's dictionary (the
// library magenta.js reads chord symbols with) on several roots, the special cases of its parser,
// and progressions spread over a model's steps, through the engine's WebAssembly build
// (src/notes/chords.c) and magenta.js's PitchChordEncoder / MajorMinorChordEncoder /
// TriadChordEncoder and MusicVAE.encodeChordProgression. Both must give the same vectors, or both
// refuse the symbol.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import { ROOT, engineChordControls } from './wasm_helpers.mjs';
import { chordTableText } from '../reference/gen_chord_table.mjs';
import { quietly } from './checkpoint_helpers.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const ENCODERS = { 1: 'PitchChordEncoder', 2: 'MajorMinorChordEncoder', 3: 'TriadChordEncoder' };
let mm, engine;


before(async () => {
  await quietly(async () => {
    const tf = require('@tensorflow/tfjs');
    mm = require('@magenta/music/node/music_vae');
    await tf.setBackend('cpu');
  });
  const factory = (await import('../../wasm_api/dist/musicvae_wasm.mjs')).default;
  engine = await factory({ wasmBinary: fs.readFileSync(path.join(ROOT, 'wasm_api/dist/musicvae_wasm.wasm')) });
});

// A magenta.js MusicVAE (never initialized: no weights needed) with a chord encoder.
function magentaModel(encoder, numSteps = 32) {
  const vae = new mm.MusicVAE('unused', {
    type: 'MusicVAE', chordEncoder: ENCODERS[encoder],
    dataConverter: { type: 'MelodyConverter', args: { numSteps, minPitch: 48, maxPitch: 83 } },
  });
  vae.instantiateFromSpec();
  return vae;
}

function withString(s, fn) {
  const bytes = Buffer.from(`${s}\0`, 'utf8');
  const p = engine._malloc(bytes.length);
  engine.HEAPU8.set(bytes, p);
  try {
    return fn(p);
  } finally {
    engine._free(p);
  }
}

// Ours: {values} or {error}.
function ourEncoding(encoder, symbol) {
  const depth = engine._mvw_chord_encoding_depth(encoder);
  const out = engine._malloc(4 * depth), err = engine._malloc(256);
  try {
    const status = withString(symbol, (p) => engine._mvw_chord_encode(encoder, p, out, err, 256));
    if (status !== 0) return { error: engine.UTF8ToString(err) };
    return { values: Array.from(engine.HEAPF32.subarray(out / 4, out / 4 + depth)) };
  } finally {
    engine._free(out);
    engine._free(err);
  }
}

function theirEncoding(vae, symbol) {
  try {
    return { values: Array.from(vae.chordEncoder.encode(symbol).dataSync()) };
  } catch (e) {
    return { error: e.message };
  }
}

test('src/notes/chord_table.h is what tests/reference/gen_chord_table.mjs writes from tonal', () => {
  const committed = fs.readFileSync(path.join(ROOT, 'src/notes/chord_table.h'), 'utf8');
  assert.equal(committed, chordTableText(), 'stale: run node tests/reference/gen_chord_table.mjs');
});

test('every chord type on several roots, and the parser\'s special cases, encode as magenta.js', () => {
  const { chord: dictionary } = require('tonal-dictionary');
  const roots = ['C', 'F#', 'Bb', 'e', 'Cb', 'B#', 'Gx', 'abb', 'D4', 'E-1'];
  const symbols = [
    'N.C.', 'n.c.', 'NC', '', 'H7', 'maj7', 'Aug', 'A#ug', 'A ug', 'Aug7', 'C/E', 'C', 'c', 'Cx', 'cbb',
    'C#####', 'C5', 'C7', 'C 7', 'C6', 'C64', 'C69', 'C9', 'C11', 'C13', 'C4maj7', 'C-7', 'C-', 'C-M9',
    'Cm\n7', 'C\nm', ' C', 'C ', 'C\tm', 'Cm7 ', 'Am7b5', 'Ebo7', 'G7#9', 'Dsus2', 'Fadd9',
  ];
  for (const root of roots) for (const type of dictionary.names(true)) symbols.push(root + type);
  const mismatches = [];
  let encoded = 0;
  for (const encoder of [1, 2, 3]) {
    const vae = magentaModel(encoder);
    for (const symbol of symbols) {
      const want = theirEncoding(vae, symbol), got = ourEncoding(encoder, symbol);
      const same = want.error ? Boolean(got.error) : JSON.stringify(got.values) === JSON.stringify(want.values);
      if (!same) mismatches.push(`${ENCODERS[encoder]} ${JSON.stringify(symbol)}: magenta.js ${JSON.stringify(want)}, ours ${JSON.stringify(got)}`);
      encoded += want.error ? 0 : 1;
    }
  }
  assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} of ${3 * symbols.length} differ`);
  assert.ok(encoded > 3000, `only ${encoded} symbols encoded`); // most are valid chords
});

test('chord progressions over a model\'s steps: as magenta.js\'s encodeChordProgression', () => {
  const cases = [
    ['chords_mel', 1, 37],   // PitchChordEncoder, 37 control columns
    ['chords_hier', 2, 28],  // MajorMinorChordEncoder, 25 of 28 columns
  ];
  const progressions = [['C'], ['Am', 'F'], ['C', 'G', 'Am'], ['N.C.', 'Dm', 'G', 'C'], ['C', 'F', 'G', 'C', 'Am']];
  for (const [name, encoder, depth] of cases) {
    const bytes = fs.readFileSync(path.join(ROOT, 'tests/data', `${name}.mvae`));
    const data = engine._malloc(bytes.length);
    engine.HEAPU8.set(bytes, data);
    const status = engine._malloc(4), err = engine._malloc(512);
    const model = engine._mvw_load(data, bytes.length, status, err, 512);
    engine._free(data);
    assert.ok(model, engine.UTF8ToString(err));
    engine._free(err);
    const vae = magentaModel(encoder, 32);
    const chordDepth = engine._mvw_chord_encoding_depth(encoder);
    for (const chords of progressions) {
      // magenta.js's PitchChordEncoder makes N.C. an int32 one-hot and chords float32 vectors, so
      // tf.stack throws on a progression mixing them ("matching dtypes"); the engine encodes it.
      if (encoder === 1 && chords.includes('N.C.') && chords.length > 1) continue;
      const want = Array.from(vae.encodeChordProgression(chords).dataSync()); // [32][chordDepth]
      const controls = engineChordControls(engine, model, chords, 32, depth);
      const got = engine.HEAPF32.subarray(controls / 4, controls / 4 + 32 * depth);
      for (let s = 0; s < 32; s++) {
        assert.deepEqual(Array.from(got.subarray(s * depth, s * depth + chordDepth)),
          want.slice(s * chordDepth, (s + 1) * chordDepth), `${name} ${chords}: step ${s}`);
        assert.ok(got.subarray(s * depth + chordDepth, (s + 1) * depth).every((v) => v === 0));
      }
      engine._free(controls);
    }
    engine._free(status);
    engine._mvae_model_free(model);
  }
});
