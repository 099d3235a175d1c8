// The NADE output layer and chord conditioning against magenta.js 1.23.1 itself: the random-weight
// test models tests/data/nade_drums.mvae (a NADE over the 9 drum classes, as drums_2bar_nade_9_q2)
// and tests/data/chords_mel.mvae (PitchChordEncoder controls, as mel_chords) are written as tfjs
// checkpoints in magenta.js's layout (the NADE's w_enc [9, 1, H] and w_dec_t [9, H, 1]), served on
// 127.0.0.1 and loaded by magenta.js; the engine (its WebAssembly build, through the exports of
// wasm_api/exports.c) must give the same greedy decodes, at temperature 0 and (NADE: magenta.js
// thresholds whatever the temperature) 0.5, and the same encodings to 1e-5 relative, with
// controlArgs.chordProgression on the chord model. The WebAssembly engine is also held to the NumPy
// float64 reference on the boolean-layer and control-preprocessing cases (tests/data/rhythm_*,
// controls_hier), as test_reference holds the native build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import { parseModelFile, tensorValues } from '../../models/convert.mjs';
import { ROOT, engineChordControls, relativeError, serveFiles, tmpdir } from './wasm_helpers.mjs';
import { quietly } from './checkpoint_helpers.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
let tf, mm, engine, server;
const served = {}; // name -> directory


// Writes a .mvae test model as a magenta.js checkpoint directory.
function writeCheckpoint(name, config) {
  const parsed = parseModelFile(fs.readFileSync(path.join(ROOT, 'tests/data', `${name}.mvae`)));
  const dir = tmpdir(`mvae-${name}-`);
  const weights = [], shards = [];
  for (const [tensor, t] of parsed.tensors) {
    let shape = t.shape;
    if (tensor.endsWith('nade/w_enc')) shape = [shape[0], 1, shape[1]];
    if (tensor.endsWith('nade/w_dec_t')) shape = [shape[0], shape[1], 1];
    weights.push({ name: tensor, shape, dtype: 'float32' });
    shards.push(Buffer.from(tensorValues(t).buffer));
  }
  fs.writeFileSync(path.join(dir, 'group1-shard1of1'), Buffer.concat(shards));
  fs.writeFileSync(path.join(dir, 'weights_manifest.json'), JSON.stringify([{ paths: ['group1-shard1of1'], weights }]));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  served[name] = dir;
}

function readExpect(name) {
  const out = {};
  for (const line of fs.readFileSync(path.join(ROOT, 'tests/data', `${name}.expect`), 'utf8').split('\n')) {
    const [key, , ...values] = line.trim().split(/\s+/);
    if (key) out[key] = values.map(Number);
  }
  return out;
}

before(async () => {
  writeCheckpoint('nade_drums', {
    type: 'MusicVAE', dataConverter: { type: 'DrumRollConverter', args: { numSteps: 16 } },
  });
  writeCheckpoint('chords_mel', {
    type: 'MusicVAE', chordEncoder: 'PitchChordEncoder',
    dataConverter: { type: 'MelodyConverter', args: { numSteps: 32, minPitch: 48, maxPitch: 83 } },
  });
  ({ server } = await serveFiles((p) => {
    const [, name, file] = p.split('/');
    return served[name] && path.join(served[name], path.basename(file || ''));
  }));
  await quietly(async () => {
    tf = require('@tensorflow/tfjs');
    mm = require('@magenta/music/node/music_vae');
    await tf.setBackend('cpu');
  });
  const factory = (await import('../../wasm_api/dist/musicvae_wasm.mjs')).default;
  engine = await factory({ wasmBinary: fs.readFileSync(path.join(ROOT, 'wasm_api/dist/musicvae_wasm.wasm')) });
});

after(() => server && server.close());

async function magentaModel(name) {
  const vae = new mm.MusicVAE(`http://127.0.0.1:${server.address().port}/${name}`);
  await quietly(() => vae.initialize());
  return vae;
}

// The engine's side: raw exports over the heap.
function heapFloats(values) {
  const p = engine._malloc(4 * Math.max(1, values.length));
  engine.HEAPF32.set(values, p / 4);
  return p;
}

function loadOurs(name) {
  const bytes = fs.readFileSync(path.join(ROOT, 'tests/data', `${name}.mvae`));
  const data = engine._malloc(bytes.length);
  engine.HEAPU8.set(bytes, data);
  const err = engine._malloc(512);
  const model = engine._mvw_load(data, bytes.length, 0, err, 512);
  engine._free(data);
  const message = engine.UTF8ToString(err);
  engine._free(err);
  assert.ok(model, message);
  return model;
}

function ourDecode(model, z, batch, steps, temperature, controls, nadeSample = 0) {
  const zp = heapFloats(z), tokens = engine._malloc(4 * batch * steps);
  const rng = engine._mvw_rng_new(5, 0);
  const st = engine._mvw_decode_with(model, zp, batch, temperature, rng, 0, 0, controls || 0, 0, nadeSample, tokens);
  assert.equal(st, 0, engine.UTF8ToString(engine._mvae_last_error(model)));
  const out = Array.from(engine.HEAP32.subarray(tokens / 4, tokens / 4 + batch * steps));
  [zp, tokens, rng].forEach((p) => engine._free(p));
  return out;
}

function ourEncode(model, input, batch, zSize, controls) {
  const ip = heapFloats(input), mu = engine._malloc(4 * batch * zSize);
  const st = engine._mvw_encode_with(model, ip, batch, controls || 0, 0, mu, 0);
  assert.equal(st, 0, engine.UTF8ToString(engine._mvae_last_error(model)));
  const out = Float32Array.from(engine.HEAPF32.subarray(mu / 4, mu / 4 + batch * zSize));
  [ip, mu].forEach((p) => engine._free(p));
  return out;
}

// magenta.js's decode output [B, T, depth] as tokens: the argmax of a one-hot, or a NADE's labels
// as bits.
async function theirTokens(tensor, nade) {
  const [batch, steps, depth] = tensor.shape;
  const values = await tensor.data();
  tensor.dispose();
  const tokens = [];
  for (let i = 0; i < batch * steps; i++) {
    const row = values.subarray(i * depth, (i + 1) * depth);
    tokens.push(nade ? row.reduce((t, v, k) => t | (v ? 1 << k : 0), 0) : row.indexOf(Math.max(...row)));
  }
  return tokens;
}

test('NADE drums: greedy decodes and encodings as magenta.js (drums_2bar_nade layout)', async () => {
  const exp = readExpect('nade_drums');
  const [batch, steps, zSize] = [exp.batch[0], 16, 8];
  const vae = await magentaModel('nade_drums');
  const model = loadOurs('nade_drums');
  // Latents: the case's own (its greedy labels have every NADE logit at least 1e-3 from 0) and more.
  const z = [...exp.z];
  for (let i = 0; i < 6 * zSize; i++) z.push(Math.sin(0.37 * i + 1));
  const n = z.length / zSize;
  const want = await theirTokens(await vae.decodeTensors(tf.tensor2d(z, [n, zSize]), undefined), true);
  assert.deepEqual(ourDecode(model, z, n, steps, 0), want);
  assert.deepEqual(exp.greedy_tokens, want.slice(0, batch * steps), 'the NumPy reference agrees');
  // magenta.js's NADE thresholds at any temperature; so does the engine unless asked to sample.
  const warm = await theirTokens(await vae.decodeTensors(tf.tensor2d(z, [n, zSize]), 0.5), true);
  assert.deepEqual(warm, want);
  assert.deepEqual(ourDecode(model, z, n, steps, 0.5), warm);
  const mu = await (await vae.encodeTensors(tf.tensor3d(exp.input, [batch, steps, 10]))).data();
  const ours = ourEncode(model, exp.input, batch, zSize);
  assert.ok(relativeError(ours, mu) < 1e-5, `encode relative error ${relativeError(ours, mu)}`);
  vae.dispose();
  engine._mvae_model_free(model);
});

test('chord conditioning: decodes and encodings with controlArgs.chordProgression as magenta.js', async () => {
  const exp = readExpect('chords_mel');
  const [batch, steps, zSize, depth] = [exp.batch[0], 32, 12, 37];
  const vae = await magentaModel('chords_mel');
  const model = loadOurs('chords_mel');
  const z = [];
  for (let i = 0; i < 8 * zSize; i++) z.push(Math.sin(0.61 * i + 0.2) * 1.5);
  const n = z.length / zSize;
  for (const chordProgression of [['C'], ['Am', 'F', 'C', 'G'], ['Dm7', 'G7', 'Cmaj7'], ['N.C.']]) {
    const controls = engineChordControls(engine, model, chordProgression, steps, depth);
    const want = await theirTokens(await vae.decodeTensors(tf.tensor2d(z, [n, zSize]), undefined, { chordProgression }), false);
    assert.deepEqual(ourDecode(model, z, n, steps, 0, controls), want, `decode with ${chordProgression}`);
    const input = exp.input;
    const mu = await (await vae.encodeTensors(tf.tensor3d(input, [batch, steps, 38]), { chordProgression })).data();
    const ours = ourEncode(model, input, batch, zSize, controls);
    assert.ok(relativeError(ours, mu) < 1e-5, `encode with ${chordProgression}: ${relativeError(ours, mu)}`);
    engine._free(controls);
  }
  vae.dispose();
  engine._mvae_model_free(model);
});

// The test checkpoint `name` in magenta.js and in our API (`new MusicVAE(url)`, served here and
// converted by wasm_api/checkpoint.mjs).
async function bothModels(name) {
  const { MusicVAE } = await import('../../wasm_api/musicvae.mjs');
  const theirs = await magentaModel(name);
  const ours = new MusicVAE(`http://127.0.0.1:${server.address().port}/${name}`);
  await ours.initialize();
  return { theirs, ours };
}

test('boolean output layer and control preprocessing in WebAssembly: as the NumPy reference', () => {
  for (const name of ['rhythm_mel', 'rhythm_trio', 'controls_hier']) {
    const exp = readExpect(name);
    const model = loadOurs(name);
    const batch = exp.batch[0];
    // (controls: one sequence per row, as the reference draws them)
    const controls = exp.controls ? heapFloats(exp.controls) : 0;
    const zp = heapFloats(exp.z), tokens = engine._malloc(4 * exp.greedy_tokens.length);
    const logits = engine._malloc(4 * exp.greedy_logits.length);
    const teacher = engine._malloc(4 * exp.teacher_tokens.length);
    engine.HEAP32.set(exp.teacher_tokens, teacher / 4);
    const decode = (teach) => {
      const st = engine._mvw_decode_with(model, zp, batch, 0, 0, teach, logits, controls, 1, 0, tokens);
      assert.equal(st, 0, engine.UTF8ToString(engine._mvae_last_error(model)));
      return Float32Array.from(engine.HEAPF32.subarray(logits / 4, logits / 4 + exp.greedy_logits.length));
    };
    const greedyLogits = decode(0);
    assert.deepEqual(Array.from(engine.HEAP32.subarray(tokens / 4, tokens / 4 + exp.greedy_tokens.length)), exp.greedy_tokens, name);
    assert.ok(relativeError(greedyLogits, exp.greedy_logits) < 1e-4, `${name}: greedy logits ${relativeError(greedyLogits, exp.greedy_logits)}`);
    const teacherLogits = decode(teacher);
    assert.ok(relativeError(teacherLogits, exp.teacher_logits) < 1e-4, `${name}: teacher-forced logits ${relativeError(teacherLogits, exp.teacher_logits)}`);
    const mu = engine._malloc(4 * exp.mu.length), input = heapFloats(exp.input);
    assert.equal(engine._mvw_encode_with(model, input, batch, controls, 1, mu, 0), 0);
    const ours = Float32Array.from(engine.HEAPF32.subarray(mu / 4, mu / 4 + exp.mu.length));
    assert.ok(relativeError(ours, exp.mu) < 1e-5, `${name}: mu ${relativeError(ours, exp.mu)}`);
    [zp, tokens, logits, teacher, mu, input, controls].filter(Boolean).forEach((p) => engine._free(p));
    engine._mvae_model_free(model);
  }
});

// Through the API: `new MusicVAE(url)` on both sides, the checkpoint converted by
// wasm_api/checkpoint.mjs. (Encodes of drum patterns with empty steps differ for now: see the
// README's drums note; chord conditioning through the API's controlArgs is not wired yet.)
test('NADE drums through the API: the converted checkpoint decodes as magenta.js', async () => {
  const { theirs, ours } = await bothModels('nade_drums');
  const zSize = 8, n = 6;
  const z = [];
  for (let i = 0; i < n * zSize; i++) z.push(Math.sin(0.53 * i + 0.4) * 1.2);
  const notes = (seqs) => seqs.map((s) => s.notes.map((x) => [x.pitch, x.quantizedStartStep, x.quantizedEndStep, !!x.isDrum])
    .sort((a, b) => a[1] - b[1] || a[0] - b[0]));
  const want = notes(await quietly(() => theirs.decode(tf.tensor2d(z, [n, zSize]))));
  const rows = Array.from({ length: n }, (_, i) => z.slice(i * zSize, (i + 1) * zSize));
  const got = notes(await ours.decode(rows));
  assert.ok(want.some((s) => s.length > 0), 'the decodes have hits');
  assert.deepEqual(got, want);
  theirs.dispose();
  ours.dispose();
});

test('chord conditioning through the API: controlArgs.chordProgression as magenta.js', async () => {
  const { theirs, ours } = await bothModels('chords_mel');
  const zSize = 12, n = 5;
  const rows = Array.from({ length: n }, (_, i) => Array.from({ length: zSize }, (_, k) => Math.sin(0.71 * (i * zSize + k) + 0.3) * 1.4));
  const notes = (seqs) => seqs.map((s) => s.notes.map((x) => [x.pitch, x.quantizedStartStep, x.quantizedEndStep])
    .sort((a, b) => a[1] - b[1] || a[0] - b[0]));
  // (magenta.js 1.23.1 cannot mix "N.C." with chords in one progression: a tfjs dtype error.)
  for (const chordProgression of [['C'], ['Am', 'F', 'C', 'G'], ['Dm7', 'G7', 'Cmaj7'], ['N.C.'], ['E', 'Bb7']]) {
    const want = await quietly(() => theirs.decode(tf.tensor2d(rows.flat(), [n, zSize]), undefined, { chordProgression }));
    const got = await ours.decode(rows, undefined, { chordProgression });
    assert.deepEqual(notes(got), notes(want), `decode with ${chordProgression}`);
    const inputs = want.filter((s) => s.notes.length);
    assert.ok(inputs.length > 0);
    const mu = await (await quietly(() => theirs.encode(structuredClone(inputs), { chordProgression }))).data();
    const ourMu = await ours.encode(inputs, { chordProgression });
    const flat = Float32Array.from(ourMu.flatMap ? ourMu.flatMap((r) => Array.from(r)) : ourMu);
    assert.ok(relativeError(flat, mu) < 1e-4, `encode relative error ${relativeError(flat, mu)} with ${chordProgression}`);
  }
  // magenta.js's refusals: missing chords on this model, chords on a model without them.
  await assert.rejects(ours.decode(rows), /Chord progression expected but not provided/);
  await assert.rejects(ours.encode([{ notes: [], totalQuantizedSteps: 32, quantizationInfo: { stepsPerQuarter: 4 } }]), /Chord progression expected/);
  const { MusicVAE } = await import('../../wasm_api/musicvae.mjs');
  const plain = new MusicVAE(fs.readFileSync(path.join(ROOT, 'tests/data/nade_drums.mvae')));
  await assert.rejects(plain.decode([new Float32Array(8)], undefined, { chordProgression: ['C'] }), /Unexpected chord progression provided/);
  await assert.rejects(plain.sample(1, 0.5, { key: 3 }), /Unexpected key provided/);
  plain.dispose();
  theirs.dispose();
  ours.dispose();
});
