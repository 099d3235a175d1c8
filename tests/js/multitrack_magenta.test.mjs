// The multitrack family (magenta.js's MultitrackConverter: multitrack*, multitrack_chords*) against
// magenta.js 1.23.1 itself: random-weight checkpoints in magenta.js's layout with the hosted
// models' converter configuration (checkpoint_helpers.mjs: multitrack as uint8, multitrack_chords
// with TriadChordEncoder as uint16), served on 127.0.0.1 and loaded by both libraries from the same
// URL with `new MusicVAE(url)`. Greedy decodes must be the same NoteSequences (instruments,
// programs, drums, velocities, steps) and encodings agree to 1e-4 relative, on magenta.js's own
// decodes and on hand-made sequences that reach the converter's corners.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';

import { ROOT, relativeError, tmpdir } from './wasm_helpers.mjs';
import { quietly, serveDirectory, writeCheckpoint } from './checkpoint_helpers.mjs';
import { handMade } from './multitrack_cases.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
let tf, mm, MusicVAE, server, base;
const Z = 8;

before(async () => {
  const root = tmpdir('mvae-multitrack-');
  writeCheckpoint('multitrack', { quantization: 'uint8', seed: 31, root });
  writeCheckpoint('multitrack_chords', { quantization: 'uint16', seed: 32, root });
  ({ server, base } = await serveDirectory(root));
  // magenta.js's fetch reuses idle connections across these long tests: keep them open (the
  // default 5 s would close one under it: ECONNRESET).
  server.keepAliveTimeout = 120000;
  await quietly(async () => {
    tf = require('@tensorflow/tfjs');
    mm = require('@magenta/music/node/music_vae');
    await tf.setBackend('cpu');
  });
  ({ MusicVAE } = await import('../../wasm_api/musicvae.mjs'));
});

after(() => server && server.close());

async function both(name) {
  const url = `${base}/${name}`;
  const theirs = new mm.MusicVAE(url);
  await quietly(() => theirs.initialize());
  const ours = new MusicVAE(url);
  await ours.initialize();
  return { theirs, ours };
}

const latents = (n, phase) =>
  Array.from({ length: n }, (_, i) => Array.from({ length: Z }, (_, k) => Math.sin(0.83 * (i * Z + k) + phase) * 1.6));

// A NoteSequence as comparable data: its notes in order, velocity 0 (magenta.js leaves a decoded
// note before any velocity event without one) read as the engine's MVAE_DECODED_VELOCITY 80.
const view = (ns) => ({
  total: Number(ns.totalQuantizedSteps),
  notes: ns.notes.map((n) => [n.instrument || 0, n.program || 0, !!n.isDrum, n.pitch, n.velocity || 80,
    Number(n.quantizedStartStep), Number(n.quantizedEndStep)]),
});

async function theirEncode(vae, seqs, controlArgs) {
  // magenta.js encodes a multitrack sequence at a time (its segment lengths take one).
  const rows = [];
  for (const s of seqs) {
    const z = await quietly(() => vae.encode([s], controlArgs));
    rows.push(...(await z.data()));
    z.dispose();
  }
  return Float32Array.from(rows);
}

async function checkFamily(name, { theirs, ours }, controlArgs) {
  assert.equal(ours.info.converter, 'multitrack');
  assert.equal(ours.info.totalSteps, 96);
  const rows = latents(6, name.length);
  const want = await quietly(() => theirs.decode(tf.tensor2d(rows.flat(), [rows.length, Z]), undefined, controlArgs, 24));
  const got = await ours.decode(rows, undefined, controlArgs, 24);
  assert.deepEqual(got.map(view), want.map(view), `greedy decodes of ${name}`);
  assert.ok(want.some((s) => s.notes.length > 0), 'the decodes have notes');
  assert.ok(want.some((s) => new Set(s.notes.map((n) => n.instrument)).size > 1), 'and several instruments');

  // As plain objects for both (a structured clone keeps only a protobuf note's own fields: those of
  // magenta.js's decodes without a velocity then have none, on both sides).
  // And magenta.js's decodes as they are (protobuf notes: velocity 0 from the prototype).
  const inputs = [...structuredClone([...want, ...handMade()]), ...want.filter((s) => s.notes.length).slice(0, 2)];
  const mu = await theirEncode(theirs, inputs, controlArgs);
  const ourMu = await ours.encode(inputs, controlArgs);
  const flat = Float32Array.from(ourMu.flatMap((r) => Array.from(r)));
  // Sequence by sequence, so a small difference in one is not hidden by the others.
  inputs.forEach((_, i) => {
    const e = relativeError(flat.subarray(i * Z, (i + 1) * Z), mu.subarray(i * Z, (i + 1) * Z));
    assert.ok(e < 1e-4, `encode of input ${i} of ${inputs.length}: relative error ${e} (${name})`);
  });
}

test('multitrack: greedy decodes and encodings as magenta.js (uint8 checkpoint)', async () => {
  const { theirs, ours } = await both('multitrack_uint8');
  await checkFamily('multitrack', { theirs, ours });
  // magenta.js's refusal: a sequence at another stepsPerQuarter.
  await assert.rejects(ours.encode([{ notes: [], quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: 16 }]),
    /Steps per quarter note mismatch: 4 != 24/);
  theirs.dispose();
  ours.dispose();
});

test('multitrack_chords: decodes and encodings with controlArgs.chordProgression as magenta.js (uint16)', async () => {
  const { theirs, ours } = await both('multitrack_chords_uint16');
  for (const chord of ['C', 'Am', 'F#dim', 'N.C.']) {
    await checkFamily(`multitrack_chords with ${chord}`, { theirs, ours }, { chordProgression: [chord] });
  }
  await assert.rejects(ours.decode(latents(1, 0), undefined, { chordProgression: ['C', 'G'] }),
    /Multiple chords not supported when using variable-length segments/);
  await assert.rejects(ours.decode(latents(1, 0)), /Chord progression expected but not provided/);
  theirs.dispose();
  ours.dispose();
});

// The native test's case in WebAssembly: tests/data/multitrack_small.mvae with what magenta.js made
// of it (tests/data/multitrack_small.json; tests/test_multitrack.c checks the native build on it).
test('multitrack_small in WebAssembly: magenta.js\'s greedy decodes and encodings', async () => {
  const fs = await import('node:fs');
  const want = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/data/multitrack_small.json'), 'utf8'));
  const ours = new MusicVAE(fs.readFileSync(path.join(ROOT, 'tests/data/multitrack_small.mvae')));
  await ours.initialize();
  const rows = Array.from({ length: want.z.length / Z }, (_, i) => want.z.slice(i * Z, (i + 1) * Z));
  const { tokens } = await ours.decodeTokens(rows);
  assert.deepEqual(tokens.flatMap((t) => Array.from(t)), want.greedy_tokens);
  const mu = await ours.encode(handMade());
  const flat = Float32Array.from(mu.flatMap((r) => Array.from(r)));
  assert.ok(relativeError(flat, Float32Array.from(want.mu)) < 1e-5, `relative error ${relativeError(flat, Float32Array.from(want.mu))}`);
  ours.dispose();
});
