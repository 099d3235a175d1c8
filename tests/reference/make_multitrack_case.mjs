#!/usr/bin/env node
// Writes tests/data/multitrack_small.mvae and .json: a random-weight multitrack model (the
// checkpoint_helpers.mjs family 'multitrack', magenta.js's multitrack converter configuration,
// converted by wasm_api/checkpoint.mjs) and what magenta.js 1.23.1 itself makes of it, for the
// native test (tests/test_multitrack.c): greedy decodes of fixed z, and for hand-made sequences
// (tests/js/multitrack_cases.mjs) magenta.js's input tokens (MultitrackConverter.toTensor, -1 for
// a zero row) and encodings. Run: node tests/reference/make_multitrack_case.mjs
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import { convertCheckpoint } from '../../wasm_api/checkpoint.mjs';
import { quietly, serveDirectory, writeCheckpoint } from '../js/checkpoint_helpers.mjs';
import { handMade } from '../js/multitrack_cases.mjs';
import { ROOT, tmpdir } from '../js/wasm_helpers.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const dir = writeCheckpoint('multitrack', { quantization: 'float32', seed: 7, range: 0.3, root: tmpdir('mvae-mtcase-') });
const { server, base } = await serveDirectory(path.dirname(dir));
let tf, mm;
await quietly(async () => {
  tf = require('@tensorflow/tfjs');
  mm = require('@magenta/music/node/music_vae');
  await tf.setBackend('cpu');
});
const vae = new mm.MusicVAE(`${base}/${path.basename(dir)}`);
await quietly(() => vae.initialize());

const Z = 8, rows = 4;
const z = Array.from({ length: rows * Z }, (_, i) => Math.sin(0.77 * i + 0.3) * 1.5);
const out = await vae.decodeTensors(tf.tensor2d(z, [rows, Z]));
const [, steps, depth] = out.shape;
const values = await out.data();
const greedy = [];
for (let i = 0; i < rows * steps; i++) greedy.push(values.subarray(i * depth, (i + 1) * depth).indexOf(1));

const notes = [], starts = [], noVelocity = [], counts = [], totals = [], tokens = [], mu = [];
for (const ns of handMade()) {
  counts.push(ns.notes.length);
  totals.push(Number(ns.totalQuantizedSteps || 0));
  for (const n of ns.notes) {
    notes.push(n.pitch, n.velocity ?? 0, n.quantizedStartStep, n.quantizedEndStep, n.program || 0, n.isDrum ? 1 : 0, n.instrument || 0);
    starts.push(typeof n.startTime === 'number' ? n.startTime : -1);
    noVelocity.push(n.velocity === undefined ? 1 : 0);
  }
  const t = await vae.dataConverter.toTensor(ns).array();
  tokens.push(...t.map((r) => r.indexOf(1)));
  mu.push(...(await (await quietly(() => vae.encode([ns]))).data()));
}
server.close();

const { bytes } = await convertCheckpoint(dir, { name: 'multitrack_small', warn: () => {} });
fs.writeFileSync(path.join(ROOT, 'tests/data/multitrack_small.mvae'), bytes);
const json = {
  about: 'magenta.js 1.23.1 on tests/data/multitrack_small.mvae (tests/reference/make_multitrack_case.mjs); start_times -1: none',
  z, greedy_tokens: greedy, sequence_notes: counts, total_quantized_steps: totals, notes, start_times: starts,
  no_velocity: noVelocity, input_tokens: tokens, mu,
};
fs.writeFileSync(path.join(ROOT, 'tests/data/multitrack_small.json'), JSON.stringify(json, null, 0).replace(/\],"/g, '],\n"'));
console.log(`multitrack_small: ${bytes.length} bytes; ${counts.length} sequences`);
