// Parity with magenta.js itself (@magenta/music 1.23.1 on @tensorflow/tfjs 2.8.6, CPU backend): the
// same weights (mel_2bar_small's decoder with the random bench encoder of tools/bench_model.py) are
// written as a tfjs checkpoint, served on 127.0.0.1 and loaded by both libraries from that URL (as
// magenta.js loads checkpoints; ours converts it in memory, which gives the bench model file's
// weights bit for bit); greedy decodes must be identical and encodings agree to 1e-4 (relative).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import { MusicVAE } from '../../wasm_api/index.mjs';
import { parseModelFile, tensorValues } from '../../wasm_api/checkpoint.mjs';
import {
  ROOT, benchModels, loadTestVectors, eventsToSequence, sequenceToEvents, relativeError, serveFiles, tmpdir,
} from './wasm_helpers.mjs';
import { magentaEncode, quietly } from './checkpoint_helpers.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const cases = loadTestVectors();
// Real encodings (magenta.js encode of real melodies with the published checkpoint): their greedy
// decodes have a top-1 / top-2 logit gap of at least 0.047, so float32 engines must agree exactly.
const DECODE_CASES = cases.filter((_, i) => i % 17 === 0); // 32 cases spread over the set
const ENCODE_CASES = cases.filter((_, i) => i % 67 === 3); // 8 melodies

let server, mm, tf, magenta, ours, fromFile;


before(async () => {
  const modelFile = benchModels().fp32;
  // The tfjs checkpoint: weights_manifest.json + one float32 shard + config.json.
  const dir = tmpdir('mvae-tfjs-');
  const parsed = parseModelFile(fs.readFileSync(modelFile));
  const weights = [];
  const shards = [];
  for (const [name, t] of parsed.tensors) {
    weights.push({ name, shape: t.shape, dtype: 'float32' });
    shards.push(Buffer.from(tensorValues(t).buffer));
  }
  fs.writeFileSync(path.join(dir, 'group1-shard1of1'), Buffer.concat(shards));
  fs.writeFileSync(path.join(dir, 'weights_manifest.json'), JSON.stringify([{ paths: ['group1-shard1of1'], weights }]));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    type: 'MusicVAE',
    dataConverter: { type: 'MelodyConverter', args: { numSteps: 32, minPitch: 21, maxPitch: 108 } },
  }));
  let url;
  ({ server, base: url } = await serveFiles((p) => path.join(dir, path.basename(p))));

  await quietly(async () => {
    tf = require('@tensorflow/tfjs');
    mm = require('@magenta/music/node/music_vae');
    await tf.setBackend('cpu');
    magenta = new mm.MusicVAE(url);
    await magenta.initialize();
  });
  ours = new MusicVAE(url);
  await ours.initialize();
  fromFile = new MusicVAE(modelFile);
});

after(() => {
  if (magenta) magenta.dispose();
  if (ours) ours.dispose();
  if (fromFile) fromFile.dispose();
  if (server) server.close();
});

const toEvents = (ns) => sequenceToEvents({ notes: ns.notes.map((n) => ({
  pitch: n.pitch, quantizedStartStep: Number(n.quantizedStartStep), quantizedEndStep: Number(n.quantizedEndStep),
})) });

test('both load the same model; ours from the URL decodes as from the model file', async () => {
  assert.equal(magenta.zDims, 256);
  assert.equal(ours.zDims, magenta.zDims);
  const zs = DECODE_CASES.slice(0, 4).map((c) => c.mu);
  assert.deepEqual(await ours.decodeTokens(zs, { logits: true }), await fromFile.decodeTokens(zs, { logits: true }));
});

test('greedy decodes are identical (tokens and NoteSequences)', async () => {
  const zs = DECODE_CASES.map((c) => c.mu);
  const theirs = await quietly(async () => {
    const z = tf.tensor2d(zs);
    const oneHot = await magenta.decodeTensors(z);
    const labels = tf.argMax(oneHot, 2);
    const tokens = labels.arraySync();
    // magenta.js's decode() converts each one-hot sequence with its data converter; do the same
    // here rather than decode twice.
    const sequences = [];
    for (const oh of tf.unstack(oneHot)) {
      sequences.push(await magenta.dataConverter.toNoteSequence(oh, 4, 120));
      oh.dispose();
    }
    tf.dispose([z, oneHot, labels]);
    return { tokens, sequences };
  });
  const { tokens } = await ours.decodeTokens(zs);
  const sequences = await ours.decode(zs);
  tokens.forEach((t, i) => {
    assert.deepEqual(Array.from(t), theirs.tokens[i], `case ${DECODE_CASES[i].id}`);
    assert.deepEqual(toEvents(sequences[i]), toEvents(theirs.sequences[i]));
    assert.equal(sequences[i].notes.length, theirs.sequences[i].notes.length);
  });
});

test('encodings agree to 1e-4 relative', async (t) => {
  const sequences = ENCODE_CASES.map((c) => eventsToSequence(c.source_events));
  const theirs = await magentaEncode(magenta, sequences);
  const mu = await ours.encode(sequences);
  const errors = mu.map((v, i) => relativeError(v, theirs[i]));
  errors.forEach((err, i) => assert.ok(err <= 1e-4, `sequence ${i}: relative error ${err}`));
  t.diagnostic(`largest relative error ${Math.max(...errors).toExponential(2)}`);
});

test('interpolate between two melodies gives the same sequences', async () => {
  const pair = [cases[5], cases[300]].map((c) => eventsToSequence(c.source_events));
  const theirs = await quietly(() => magenta.interpolate(structuredClone(pair), 4));
  const mine = await ours.interpolate(pair, 4);
  assert.equal(mine.length, theirs.length);
  mine.forEach((ns, i) => assert.deepEqual(toEvents(ns), toEvents(theirs[i]), `point ${i}`));
});
