// Child process of bench/run.mjs: our WASM SIMD engine under Node, one model per process (so its
// peak RSS and JIT state are its own). Prints one `RESULT {json}` line.
//   node bench/ours.mjs '{"model": URL, "longModel": URL, "inputs": FILE, "runs": N, "warmup": W,
//                         "testvectors": FILE, "threads": T, "int8Compute": false}'
import fs from 'node:fs';
import { MusicVAE } from '../wasm_api/index.mjs';
import { oursOps, processCpuMs, timeOps } from './ops.mjs';

const cfg = JSON.parse(process.argv[2]);
const inputs = JSON.parse(fs.readFileSync(cfg.inputs, 'utf8'));

// Load = fetch the model over HTTP (as magenta.js fetches its checkpoint) + start the engine + parse.
const t0 = performance.now();
// int8Compute false: an int8 model's products in float on its int8 values (before integer compute).
// threads 1 (the default here): the single-thread build; 0: the engine's default (under Node the
// pthreads build with the core count, at most 4).
const options = { ...(cfg.threads === 0 ? {} : { threads: cfg.threads || 1 }),
  ...(cfg.int8Compute === false ? { int8Compute: false } : {}) };
const m = new MusicVAE(cfg.model, options);
await m.initialize();
const loadMs = performance.now() - t0;
let long = null;
if (cfg.longModel) {
  long = new MusicVAE(cfg.longModel, options);
  await long.initialize();
}

const { ms, cpuMs, errors } = await timeOps(oursOps(m, inputs, long), { ...cfg, cpuNow: processCpuMs(process.cpuUsage) });
// Read the high-water mark before the test-vector pass below, which is not part of the timed work.
const peakRssMiB = process.resourceUsage().maxRSS / 1024;

// Greedy tokens of every shared test vector, for the fp32 / int8 agreement check.
let tokens;
if (cfg.testvectors) {
  const cases = JSON.parse(fs.readFileSync(cfg.testvectors, 'utf8')).cases;
  const out = await m.decodeTokens(cases.map((c) => c.mu));
  tokens = out.tokens.map((t) => Array.from(t));
}
const result = { engine: 'ours', runtime: `Node ${process.version}`, kernels: m.info.kernels, threads: m.threads, loadMs, ms, cpuMs, errors, peakRssMiB, tokens };
m.dispose();
if (long) long.dispose();
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
