// Child process of bench/run.mjs: magenta.js (@magenta/music 1.23.1 on @tensorflow/tfjs 2.8.6) with one
// TF.js backend ('cpu' or 'wasm'), one per process. Prints one `RESULT {json}` line.
//   node bench/magenta.mjs '{"backend": "cpu"|"wasm", "checkpoint": URL, "longCheckpoint": URL,
//                            "inputs": FILE, "runs": N, "warmup": W}'
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { processCpuMs, timeOps } from './ops.mjs';

const cfg = JSON.parse(process.argv[2]);
const inputs = JSON.parse(fs.readFileSync(cfg.inputs, 'utf8'));
const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '../package.json'));

// magenta.js and TF.js log to the console on every call; the result goes to stdout directly.
console.log = console.info = console.warn = () => {};

const tf = require('@tensorflow/tfjs');
const mm = require('@magenta/music/node/music_vae');
if (cfg.backend === 'wasm') require('@tensorflow/tfjs-backend-wasm');

const t0 = performance.now();
if (cfg.backend === 'wasm') {
  // The backend's Emscripten loader prefers fetch() when it exists and cannot fetch a file path.
  const { fetch } = globalThis;
  delete globalThis.fetch;
  try {
    await tf.setBackend('wasm');
  } finally {
    globalThis.fetch = fetch;
  }
} else {
  await tf.setBackend('cpu');
}
// magenta.js's sample() and interpolate() also chain a logging .then() on the decode promise; when a
// kernel is missing that derived promise rejects unhandled, and the wasm backend's Emscripten handler
// for unhandled rejections aborts the process. The failure itself is caught where the op is timed.
process.removeAllListeners('unhandledRejection');
process.on('unhandledRejection', () => {});
if (tf.getBackend() !== cfg.backend) throw new Error(`TF.js backend is ${tf.getBackend()}, not ${cfg.backend}`);
const mv = new mm.MusicVAE(cfg.checkpoint);
await mv.initialize();
const loadMs = performance.now() - t0;
let long = null;
if (cfg.longCheckpoint) {
  long = new mm.MusicVAE(cfg.longCheckpoint);
  await long.initialize();
}

const copy = (x) => JSON.parse(JSON.stringify(x));
const { zs, sequences, pair, corners, longZs } = inputs;

async function decode(rows, model = mv) {
  const z = tf.tensor2d(rows);
  const out = await model.decode(z);
  z.dispose();
  return out;
}

async function encode(seqs) {
  const z = await mv.encode(copy(seqs));
  z.dataSync();
  z.dispose();
}

const impl = {
  decode1: () => decode(zs.slice(0, 1)),
  decode16: () => decode(zs),
  sample1: () => mv.sample(1, 0.5),
  encode1: () => encode(sequences.slice(0, 1)),
  encode16: () => encode(sequences),
  interp11: () => mv.interpolate(copy(pair), 11),
  grid55: () => mv.interpolate(copy(corners), [5, 5]),
  ...(long ? { long1: () => decode(longZs.slice(0, 1), long), long4: () => decode(longZs, long) } : {}),
};

// magenta.js's getInterpolatedZs with the weights computed in JS instead of tf.linspace (which the
// wasm backend lacks): linear between 2 points, bilinear over 4 corners.
function interpolatedZs(z, cols, rows) {
  const d = z[0].length;
  const at = (k, n) => (n === 1 ? 0 : k / (n - 1));
  const out = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = at(c, cols), y = at(r, rows);
      const w = z.length === 2 ? [1 - x, x] : [(1 - y) * (1 - x), y * (1 - x), (1 - y) * x, y * x];
      out.push(Array.from({ length: d }, (_, i) => w.reduce((s, wk, k) => s + wk * z[k][i], 0)));
    }
  }
  return out;
}

async function interpolateEquivalent(seqs, cols, rows) {
  const z = await mv.encode(copy(seqs));
  const corner = z.arraySync();
  z.dispose();
  return decode(interpolatedZs(corner, cols, rows));
}

// What the same work costs through the ops the backend has, for ops it cannot run (marked as such).
const equivalents = {
  sample1: { how: 'decode(randomNormal z), greedy: no Multinomial kernel', fn: async () => {
    const z = tf.randomNormal([1, mv.zDims]);
    const out = await mv.decode(z);
    z.dispose();
    return out;
  } },
  interp11: { how: 'encode + JS linspace + decode: no LinSpace kernel', fn: () => interpolateEquivalent(pair, 11, 1) },
  grid55: { how: 'encode + JS linspace + decode: no LinSpace kernel', fn: () => interpolateEquivalent(corners, 5, 5) },
};

// One probing call per op finds those the backend cannot run; their equivalents are timed in their
// place, in the same rounds as the rest.
const errors = {};
const equivalent = {};
for (const key of Object.keys(impl)) {
  try {
    await impl[key]();
  } catch (e) {
    errors[key] = String(e.message || e).split('\n')[0];
    // the 16-bar rows may fail alone (a model magenta.js cannot run): n/a there, the rest timed
    if (key.startsWith('long')) {
      delete impl[key];
      continue;
    }
    if (!equivalents[key]) throw e;
    impl[key] = equivalents[key].fn;
    equivalent[key] = { how: equivalents[key].how };
  }
}
const timed = await timeOps(impl, { ...cfg, cpuNow: processCpuMs(process.cpuUsage) });
const { ms, cpuMs } = timed;
for (const key of Object.keys(errors)) {
  if (key.startsWith('long')) ms[key] = cpuMs[key] = null;
}
Object.assign(errors, timed.errors);
for (const key of Object.keys(equivalent)) {
  equivalent[key].ms = ms[key];
  equivalent[key].cpuMs = cpuMs[key];
  ms[key] = null;
  cpuMs[key] = null;
}
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
let simd = null;
if (cfg.backend === 'wasm') simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
mv.dispose();
if (long) long.dispose();
process.stdout.write(`RESULT ${JSON.stringify({
  engine: `magenta.js tfjs-${cfg.backend}`, runtime: `Node ${process.version}`, simd, loadMs, ms, cpuMs, errors, equivalent, peakRssMiB,
})}\n`);
