#!/usr/bin/env node
// Timing of the WebAssembly engine under Node (one thread), in the layout of `build/mvae bench`:
//   node wasm_api/bench.mjs MODEL [MODEL...]
// Use the random-encoder copies of tools/bench_model.py to time encode as well. Median of 15 runs
// after 2 warm-up runs, through the public API (argument checks and copies included).
import fs from 'node:fs';
import path from 'node:path';
import { MusicVAE } from './musicvae.mjs';

const RUNS = 15;

async function time(fn) {
  const times = [];
  for (let r = -2; r < RUNS; r++) {
    const t0 = performance.now();
    await fn();
    if (r >= 0) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[RUNS >> 1];
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node wasm_api/bench.mjs MODEL [MODEL...]\n');
  process.exit(2);
}
console.log('| model | kernels | op | batch | ms (median of 15) | ms per sequence |');
console.log('| --- | --- | --- | ---: | ---: | ---: |');
for (const file of files) {
  const m = new MusicVAE(new Uint8Array(fs.readFileSync(file)));
  await m.initialize();
  const label = path.basename(file);
  const { z } = await m.sampleTokens(16, 0, 3);
  const sequences = await m.decode(z);
  const ops = [
    ['decode', 1, () => m.decodeTokens([z[0]])],
    ['decode', 16, () => m.decodeTokens(z)],
    ['decode -> NoteSequence', 16, () => m.decode(z)],
    ['sample(0.5)', 1, () => m.sampleTokens(1, 0.5, 7)],
    ['encode', 1, () => m.encode([sequences[0]])],
    ['encode', 16, () => m.encode(sequences)],
    ['interpolate 2 x 11', 11, () => m.interpolate([z[0], z[1]], 11)],
  ];
  for (const [name, batch, fn] of ops) {
    if (name.startsWith('encode') && !m.info.hasEncoder) {
      console.log(`| ${label} | ${m.info.kernels} | ${name} | ${batch} | n/a (no encoder) | |`);
      continue;
    }
    const ms = await time(fn);
    console.log(`| ${label} | ${m.info.kernels} | ${name} | ${batch} | ${ms.toFixed(3)} | ${(ms / batch).toFixed(3)} |`);
  }
  m.dispose();
}
