// GrooVAE against magenta.js 1.23.1 itself: random-weight GrooveConverter checkpoints in magenta.js's
// layout (checkpoint_helpers' groove_humanize, groove_tap, groove_4bar: the config shapes of the
// hosted groovae_2bar_humanize, tap2drum_*bar and groovae_4bar; float32, uint8 and uint16
// manifests; and a hierarchical one), served over HTTP and loaded by both libraries from the same URL with
// `new MusicVAE(url)`. Greedy decodes give the same NoteSequences (pitches, velocities exactly,
// times to 1e-5 of a step) and the same step values to 1e-4 (float32 rounding differs from
// TF.js's in the last bits at the first step, ~1e-7, and the continuous feedback carries it on), interpolations likewise, encodings agree to
// 1e-4 relative and the encoder inputs (GrooveConverter.toTensor, humanize / tapify) bit for bit.
// magenta.js samples hits with tf.randomUniform, which no seed of ours reproduces: at a temperature
// only the deterministic parts are compared (hits that follow from the same values, the value
// ranges, and our own seeds' reproducibility).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';

import fs from 'node:fs';
import { spawnSync } from 'node:child_process';

import { ROOT, relativeError, tmpdir } from './wasm_helpers.mjs';
import { quietly, serveDirectory, writeCheckpoint } from './checkpoint_helpers.mjs';
import { grooveInput } from '../../wasm_api/groove.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const CASES = [
  { family: 'groove_humanize', quantization: 'float32', steps: 32 },
  { family: 'groove_tap', quantization: 'uint8', steps: 16 },
  { family: 'groove_4bar', quantization: 'uint16', steps: 64 },
  { family: 'groove_hier', quantization: 'uint8', steps: 32 },
];
let tf, mm, MusicVAE, server, base;

before(async () => {
  const root = tmpdir('mvae-groove-');
  CASES.forEach((c, i) => {
    c.dir = path.basename(writeCheckpoint(c.family, { root, quantization: c.quantization, seed: 20 + i }));
  });
  ({ server, base } = await serveDirectory(root));
  await quietly(async () => {
    tf = require('@tensorflow/tfjs');
    mm = require('@magenta/music/node/music_vae');
    await tf.setBackend('cpu');
  });
  ({ MusicVAE } = await import('../../wasm_api/musicvae.mjs'));
});

after(() => server && server.close());

async function bothModels(c) {
  const url = `${base}/${c.dir}`;
  const theirs = new mm.MusicVAE(url);
  await quietly(() => theirs.initialize());
  const ours = new MusicVAE(url);
  await ours.initialize();
  return { theirs, ours };
}

const latents = (n, zs, k) => Array.from({ length: n }, (_, i) =>
  Array.from({ length: zs }, (_, d) => Math.sin(k * (i * zs + d) + 0.4) * 1.3));

// Sequences compared note for note: pitch, velocity, isDrum exactly, times to 1e-5 of a step (the
// offsets are tanh outputs fed back through the decoder: float32 rounding differs in the last bits).
// Returns the largest time difference, in steps.
function assertSameSequences(got, want, what, qpm = 120) {
  const stepLength = 60 / qpm / 4;
  assert.equal(got.length, want.length, `${what}: number of sequences`);
  let worst = 0;
  want.forEach((w, b) => {
    const g = got[b];
    assert.equal(g.notes.length, w.notes.length, `${what}: sequence ${b} has ${w.notes.length} notes`);
    assert.equal(g.totalTime, w.totalTime, `${what}: totalTime`);
    assert.equal(g.tempos[0].qpm, w.tempos[0].qpm, `${what}: qpm`);
    w.notes.forEach((n, i) => {
      const m = g.notes[i];
      assert.deepEqual([m.pitch, m.velocity, m.isDrum], [n.pitch, n.velocity, n.isDrum], `${what}: sequence ${b} note ${i}`);
      worst = Math.max(worst, Math.abs(m.startTime - n.startTime), Math.abs(m.endTime - n.endTime));
    });
  });
  assert.ok(worst <= 1e-5 * stepLength, `${what}: times differ by ${worst} s`);
  return worst / stepLength;
}

// A hand-made performance: velocities, off-grid start times, two notes of one class at a step
// (the louder counts), an unmapped pitch, a note without startTime; quantized or not.
function performance(steps, quantized) {
  const stepLength = 0.125; // 120 qpm, 4 steps per quarter
  const notes = [];
  for (let s = 0; s < steps; s += 2) {
    const jitter = 0.02 * Math.sin(1.7 * s);
    notes.push({ pitch: s % 4 ? 42 : 36, velocity: 40 + ((s * 37) % 80), startTime: s * stepLength + jitter });
    if (s % 8 === 4) notes.push({ pitch: 40, velocity: 100, startTime: s * stepLength - 0.01 });
    if (s % 8 === 4) notes.push({ pitch: 38, velocity: 70, startTime: s * stepLength + 0.03 });
  }
  notes.push({ pitch: 20, velocity: 90, startTime: 3 * stepLength }); // unmapped
  notes.forEach((n) => { n.endTime = n.startTime + 0.1; n.isDrum = true; });
  if (!quantized) return { notes, tempos: [{ time: 0, qpm: 120 }], totalTime: steps * stepLength };
  const q = notes.map((n) => ({ ...n, quantizedStartStep: Math.max(0, Math.round(n.startTime / stepLength)),
    quantizedEndStep: Math.round(n.startTime / stepLength) + 1 }));
  delete q[1].startTime; // offset 0, as magenta.js gives a note without startTime
  return { notes: q, quantizationInfo: { stepsPerQuarter: 4 }, tempos: [{ time: 0, qpm: 120 }], totalQuantizedSteps: steps };
}

// Our encoder input of one sequence (the engine's mvae_groove_to_input, as encode() runs it).
function ourInput(ours, ns) {
  const engine = ours._engine;
  const width = ours.info.numSteps * ours.info.inputDepth;
  return engine.withMemory((alloc) => {
    const p = alloc(width * 4);
    ours._grooveInputs(engine, alloc, [grooveInput(ns, 0, 4)], p, width);
    return engine.f32(p, width).slice();
  });
}

for (const c of CASES) {
  test(`${c.family} (${c.quantization}): greedy decodes, values and interpolations as magenta.js`, async () => {
    const { theirs, ours } = await bothModels(c);
    assert.equal(ours.info.converter, 'groove');
    const zs = theirs.zDims, n = 6;
    const rows = latents(n, zs, 0.41);
    const want = await quietly(() => theirs.decode(tf.tensor2d(rows.flat(), [n, zs])));
    assert.ok(want.every((s) => s.notes.length > 0), 'every decode has hits');
    const worst = assertSameSequences(await ours.decode(rows), want, 'decode');
    // At another tempo (times scale with it).
    const slow = await quietly(() => theirs.decode(tf.tensor2d(rows.flat(), [n, zs]), undefined, undefined, 4, 90));
    assertSameSequences(await ours.decode(rows, undefined, undefined, 4, 90), slow, 'decode at 90 qpm', 90);
    // The raw step values [hits | velocities | offsets], what the decoder feeds back.
    const tensor = await theirs.decodeTensors(tf.tensor2d(rows.flat(), [n, zs]));
    const theirValues = await tensor.data();
    tensor.dispose();
    const { values } = await ours.decodeTokens(rows);
    const ourValues = Float32Array.from(values.flatMap((v) => Array.from(v)));
    let valueError = 0;
    for (let i = 0; i < theirValues.length; i++) valueError = Math.max(valueError, Math.abs(ourValues[i] - theirValues[i]));
    assert.ok(valueError < 1e-4, `step values differ by ${valueError}`);
    // Interpolation between two of magenta.js's decodes (encode, then greedy decodes).
    const inputs = [want[0], want[1]];
    const theirInterp = await quietly(() => theirs.interpolate(inputs, 4));
    assertSameSequences(await ours.interpolate(inputs, 4), theirInterp, 'interpolate');
    console.log(`${c.family}: ${want.reduce((a, s) => a + s.notes.length, 0)} notes, times to ${worst.toExponential(1)} steps, values to ${valueError.toExponential(1)}`);
    // magenta.js refuses another stepsPerQuarter for this converter; so do we.
    await assert.rejects(quietly(() => theirs.decode(tf.tensor2d(rows[0], [1, zs]), undefined, undefined, 3)), /`stepsPerQuarter` is set by the model/);
    await assert.rejects(ours.decode([rows[0]], undefined, undefined, 3), /`stepsPerQuarter` is set by the model/);
    theirs.dispose();
    ours.dispose();
  });

  test(`${c.family} (${c.quantization}): encoder inputs bit for bit and encodings as magenta.js`, async () => {
    const { theirs, ours } = await bothModels(c);
    const zs = theirs.zDims;
    const decoded = await quietly(() => theirs.decode(tf.tensor2d(latents(2, zs, 0.29).flat(), [2, zs])));
    const sequences = [performance(c.steps, true), performance(c.steps, false), ...decoded];
    for (const [i, ns] of sequences.entries()) {
      const t = theirs.dataConverter.toTensor(ns);
      const want = await t.data();
      t.dispose();
      assert.deepEqual(ourInput(ours, ns), want, `sequence ${i}: the encoder input`);
    }
    const mu = await (await quietly(() => theirs.encode(sequences))).data();
    const ourMu = await ours.encode(sequences);
    const flat = Float32Array.from(ourMu.flatMap((r) => Array.from(r)));
    const error = relativeError(flat, mu);
    assert.ok(error < 1e-4, `encode relative error ${error}`);
    console.log(`${c.family}: encode relative error ${error.toExponential(2)}`);
    // A mapped note past the model's steps: both refuse it.
    const tooLong = { ...performance(c.steps, true) };
    tooLong.notes = [...tooLong.notes, { pitch: 36, velocity: 80, quantizedStartStep: c.steps, quantizedEndStep: c.steps + 1 }];
    await assert.rejects(quietly(() => theirs.encode([tooLong])), /Model does not support sequences with more than/);
    await assert.rejects(ours.encode([tooLong]), /outside the model's steps/);
    theirs.dispose();
    ours.dispose();
  });
}

test('GrooVAE at a temperature: magenta.js draws from TF.js\'s RNG; the deterministic parts agree', async () => {
  const c = CASES[0];
  const { theirs, ours } = await bothModels(c);
  const zs = theirs.zDims, n = 4;
  const rows = latents(n, zs, 0.23);
  const greedy = (await ours.decodeTokens(rows)).tokens;
  const a = await ours.decodeTokens(rows, { temperature: 0.8, seed: 9 });
  const b = await ours.decodeTokens(rows, { temperature: 0.8, seed: 9 });
  assert.deepEqual(a.tokens, b.tokens, 'same seed, same hits');
  assert.deepEqual(a.values, b.values, 'same seed, same velocities and offsets');
  assert.notDeepEqual(a.tokens, greedy, 'sampled hits differ from greedy ones');
  const t = await theirs.decodeTensors(tf.tensor2d(rows.flat(), [n, zs]), 0.8);
  const theirValues = await t.data();
  t.dispose();
  // Both: hits 0 or 1, velocities in (0, 1), offsets in (-1, 1).
  for (const values of [theirValues, Float32Array.from(a.values.flatMap((v) => Array.from(v)))]) {
    for (let i = 0; i < values.length; i++) {
      const k = i % 27;
      if (k < 9) assert.ok(values[i] === 0 || values[i] === 1);
      else if (k < 18) assert.ok(values[i] >= 0 && values[i] <= 1);
      else assert.ok(values[i] >= -1 && values[i] <= 1);
    }
  }
  const sampled = await ours.sample(3, 0.5, 4);
  assert.equal(sampled.length, 3);
  assert.ok(sampled.every((s) => s.notes.every((x) => x.isDrum && x.endTime > x.startTime)));
  assert.deepEqual(await ours.sample(3, 0.5, 4), sampled, 'sample: same seed, same sequences');
  const similar = await ours.similar(performance(c.steps, true), 2, 0.8, 0.5, { seed: 3 });
  assert.equal(similar.length, 2);
  theirs.dispose();
  ours.dispose();
});

test('GrooVAE checkpoints the engine cannot run are refused with their reason', async () => {
  const { buildModelFile } = await import('../../wasm_api/checkpoint.mjs');
  const { FAMILIES } = await import('./checkpoint_helpers.mjs');
  const vars = new Map(Object.entries(FAMILIES.groove_tap.shapes()).map(([name, shape]) =>
    [name, { shape, data: new Float32Array(shape.reduce((x, y) => x * y, 1)) }]));
  const config = (args) => ({ type: 'MusicVAE', dataConverter: { type: 'GrooveConverter', args: { numSteps: 16, ...args } } });
  assert.ok(buildModelFile(vars, config({ tapify: true })).length > 0);
  assert.throws(() => buildModelFile(vars, config({ splitInstruments: true })), /unsupported: GrooveConverter with splitInstruments/);
  assert.throws(() => buildModelFile(vars, config({ pitchClasses: [[36], [38]] })), /unsupported: custom drum pitchClasses/);
  assert.throws(() => buildModelFile(vars, config({ humanize: 'yes' })), /humanize "yes" is not true or false/);
  const narrow = new Map(vars);
  narrow.set('decoder/output_projection/kernel', { shape: [12, 30], data: new Float32Array(360) });
  narrow.set('decoder/output_projection/bias', { shape: [30], data: new Float32Array(30) });
  narrow.set('decoder/multi_rnn_cell/cell_0/lstm_cell/kernel', { shape: [30 + 8 + 12, 48], data: new Float32Array(50 * 48) });
  assert.throws(() => buildModelFile(narrow, config({})), /output depths \[30\] do not match the groove converter's \[27\]/);
});

// A GrooVAE demo as magenta.js users write it (quantize a beat, encode, decode the groove, dispose
// z), run once with magenta.js's namespace and once with musicvae-wasm/mm: everything below the
// parameter `mm` is the same code. (Writing the groove to MIDI is left out: magenta.js 1.23.1's
// sequenceProtoToMidi does not return on its own GrooVAE output here.)
async function grooveDemo(mm, checkpointURL) {
  const beat = { notes: [], tempos: [{ time: 0, qpm: 120 }], totalTime: 4 };
  for (let s = 0; s < 32; s++) {
    const t = s * 0.125;
    if (s % 4 === 0) beat.notes.push({ pitch: 36, velocity: 100, startTime: t, endTime: t + 0.125, isDrum: true });
    if (s % 8 === 4) beat.notes.push({ pitch: 38, velocity: 100, startTime: t, endTime: t + 0.125, isDrum: true });
    if (s % 2 === 0) beat.notes.push({ pitch: 42, velocity: 80, startTime: t, endTime: t + 0.125, isDrum: true });
  }
  const mvae = new mm.MusicVAE(checkpointURL);
  await mvae.initialize();
  const z = await mvae.encode([mm.sequences.quantizeNoteSequence(beat, 4)]);
  const [groove] = await mvae.decode(z);
  z.dispose();
  const interpolated = await mvae.interpolate([beat, groove].map((ns) => mm.sequences.quantizeNoteSequence(ns, 4)), 3);
  mvae.dispose();
  return { groove, interpolated };
}

test('a GrooVAE demo, unchanged but for the namespace, gives magenta.js\'s grooves', async () => {
  const { magentaCore } = await import('./midi_helpers.mjs');
  const ours = await import('../../wasm_api/mm.mjs');
  const theirs = { ...magentaCore(), MusicVAE: mm.MusicVAE };
  const url = `${base}/${CASES[0].dir}`;
  const want = await quietly(() => grooveDemo(theirs, url));
  const got = await grooveDemo(ours, url);
  assert.ok(want.groove.notes.length > 0);
  assertSameSequences([got.groove], [want.groove], 'the groove');
  assertSameSequences(got.interpolated, want.interpolated, 'the interpolation');
});

// The WebAssembly engine against the native one (build/mvae sample prints a GrooVAE sample's hit sets
// and, exactly, its values): the same seed gives the same bits, flat and under a conductor.
test('GrooVAE in WebAssembly: sampled hits and values bit for bit as the native engine', async () => {
  const native = path.join(ROOT, 'build/mvae');
  assert.ok(fs.existsSync(native), 'build the engine first (bash scripts/build.sh)');
  for (const name of ['groove', 'hier_groove']) {
    const file = path.join(ROOT, 'tests/data', `${name}.mvae`);
    const r = spawnSync(native, ['sample', file, '-n', '3', '-t', '0.7', '-s', '5'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const hitLines = [...r.stdout.matchAll(/^ {2}groove:(.*)$/gm)].map((m) => m[1].split(/\s+/).filter((w) => w && w !== '|').map((w) => parseInt(w, 16)));
    const valueLines = [...r.stdout.matchAll(/^ {2}step \d+:(.*)$/gm)].map((m) => m[1].trim().split(/\s+/).map(Number));
    const ours = new MusicVAE(fs.readFileSync(file));
    const { tokens, values } = await ours.sampleTokens(3, 0.7, 5);
    assert.deepEqual(tokens.map((t) => Array.from(t)), hitLines, `${name}: hit sets`);
    const steps = ours.info.numSteps;
    const flat = (rows) => Float32Array.from(rows.flat());
    assert.deepEqual(Array.from(Float32Array.from(values.flatMap((v) => Array.from(v)))), Array.from(flat(valueLines)),
      `${name}: ${3 * steps} steps of values, bit for bit`);
    ours.dispose();
  }
});
