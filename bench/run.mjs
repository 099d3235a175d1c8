#!/usr/bin/env node
// `npm run bench`: our WASM SIMD engine (fp32 and int8; Node, and headless Chromium when installed)
// against magenta.js 1.23.1 (TF.js 2.8.6, `cpu` and `wasm` backends) on the same weights and inputs,
// side by side in one run. Prints one markdown table with a verdict against the targets and writes
// it to build/bench/results.md. See bench/README.md. `--quick`: few runs, to try the harness.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseModelFile, tensorValues } from '../models/convert.mjs';
import { ROOT, FP32_MODEL, TESTVECTORS, eventsToSequence, loadTestVectors, requireFile } from '../tests/js/wasm_helpers.mjs';
import { OPS } from './ops.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(ROOT, 'build/bench');
const MODELS = { fp32: path.join(OUT, 'mel_2bar_small.fp32.mvae'), q8: path.join(OUT, 'mel_2bar_small.q8.mvae') };
const CHECKPOINT = path.join(OUT, 'tfjs');
// The 16-bar model (its decode rows): the shipped int8 file, dequantized for fp32 and magenta.js.
const LONG_SOURCE = path.join(ROOT, 'models/mel_16bar_on_2bar.q8.mvae');
const LONG = { fp32: path.join(OUT, 'mel_16bar_on_2bar.fp32.mvae'), q8: path.join(OUT, 'mel_16bar_on_2bar.q8.mvae') };
const LONG_CHECKPOINT = path.join(OUT, 'tfjs_16bar');
const CHROMIUM = '/usr/bin/chromium';
const QUICK = process.argv.includes('--quick');
// magenta.js on tfjs-cpu takes ~11 s per round of all ops: fewer runs there keep the whole
// benchmark within ~10 minutes.
const RUNS = QUICK ? { fast: { runs: 3, warmup: 1 }, slow: { runs: 1, warmup: 1 } }
  : { fast: { runs: 15, warmup: 3 }, slow: { runs: 5, warmup: 1 } };
const TARGETS = { cpu: 20, wasm: 3, glueKB: 150, q8Ratio: 0.25, agreement: 99.5 };

const log = (s) => process.stderr.write(`${s}\n`);
const newer = (a, b) => fs.existsSync(a) && fs.statSync(a).mtimeMs >= fs.statSync(b).mtimeMs;

// ---- Inputs: models, the tfjs checkpoint of the same weights, the op inputs ----

function benchCopies(source, out) {
  if (newer(out.fp32, source) && newer(out.q8, source)) return;
  log(`writing the bench models of ${path.basename(source)} (tools/bench_model.py)`);
  const r = spawnSync('/usr/bin/python3', ['tools/bench_model.py', source, OUT], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tools/bench_model.py failed: ${r.stderr}`);
}

// magenta.js loads a tfjs checkpoint by URL: weights_manifest.json + one float32 shard + config.json,
// written from the fp32 model file (as tests/js/wasm_magenta.test.mjs does), so both run the same weights.
function writeCheckpoint(model, dir, converterArgs) {
  const shard = path.join(dir, 'group1-shard1of1');
  if (newer(shard, model)) return;
  fs.mkdirSync(dir, { recursive: true });
  const weights = [];
  const data = [];
  for (const [name, t] of parseModelFile(fs.readFileSync(model)).tensors) {
    weights.push({ name, shape: t.shape, dtype: 'float32' });
    data.push(Buffer.from(tensorValues(t).buffer));
  }
  fs.writeFileSync(path.join(dir, 'weights_manifest.json'), JSON.stringify([{ paths: ['group1-shard1of1'], weights }]));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    type: 'MusicVAE', dataConverter: { type: 'MelodyConverter', args: { minPitch: 21, maxPitch: 108, ...converterArgs } },
  }));
  fs.writeFileSync(shard, Buffer.concat(data));
}

// Deterministic standard normal values (mulberry32 + Box-Muller): the 16-bar model's latents.
function normals(n, seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()));
}

/** Writes the bench models, checkpoints and inputs; true when the 16-bar model is there too. */
function prepareModels() {
  requireFile(FP32_MODEL, 'run bash models/build.sh (scripts/build.sh does)');
  requireFile(path.join(ROOT, 'wasm_api/dist/musicvae_wasm.wasm'), 'run bash wasm_api/build.sh');
  benchCopies(FP32_MODEL, MODELS);
  writeCheckpoint(MODELS.fp32, CHECKPOINT, { numSteps: 32 });
  const long = fs.existsSync(LONG_SOURCE);
  let longZs = [];
  if (long) {
    benchCopies(LONG_SOURCE, LONG);
    writeCheckpoint(LONG.fp32, LONG_CHECKPOINT, { numSteps: 256, numSegments: 8 });
    const zSize = Number(parseModelFile(fs.readFileSync(LONG.q8)).meta['musicvae.z_size']);
    longZs = Array.from({ length: 4 }, (_, i) => normals(zSize, 16 + i));
  } else {
    log(`no ${path.relative(ROOT, LONG_SOURCE)}: the 16-bar rows read n/a`);
  }
  // Real latent vectors (magenta.js encodings of real melodies) and those melodies, spread over the set.
  const cases = loadTestVectors().filter((_, i) => i % 33 === 0).slice(0, 16);
  const sequences = cases.map((c) => eventsToSequence(c.source_events));
  const inputs = { zs: cases.map((c) => c.mu), sequences, pair: sequences.slice(0, 2), corners: sequences.slice(0, 4), longZs };
  fs.writeFileSync(path.join(OUT, 'inputs.json'), JSON.stringify(inputs));
  return long;
}

// ---- A local HTTP server: the checkpoint, the model files, and (for Chromium) the API and bench pages ----

const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const SERVED = ['wasm_api', 'bench', 'build/bench'].map((d) => path.join(ROOT, d) + path.sep);

// Cross-origin isolated, as web/serve.mjs serves the explorer: a page may run the pthreads build.
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

function serve() {
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    for (const [k, v] of Object.entries(ISOLATION)) res.setHeader(k, v);
    if (p === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>bench</title>');
      return;
    }
    const file = path.join(ROOT, path.normalize(p));
    if (!SERVED.some((d) => file.startsWith(d)) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---- Children: one engine per process, one at a time (isolated memory and JIT; no contention) ----

function child(script, cfg, label) {
  log(`running ${label} ...`);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(HERE, script), JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`${label} failed (exit ${code}): ${out.slice(-2000)}`));
        return;
      }
      log(`  ${label}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      resolve(JSON.parse(line.slice(7)));
    });
  });
}

// ---- Sizes ----

const gz = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;

/** The modules a page loads with `import ... from 'wasm_api/index.mjs'`: its static import closure. */
function importClosure(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*'(\.[^']+)'/g)) {
      visit(path.resolve(path.dirname(file), m[1]));
    }
  };
  visit(entry);
  return [...seen];
}

function sizes() {
  const dist = path.join(ROOT, 'wasm_api/dist');
  // The single-thread build (what these runs time; the pthreads build's files are its alternative).
  const closure = importClosure(path.join(ROOT, 'wasm_api/index.mjs'));
  const ours = [...fs.readdirSync(dist).filter((f) => f.startsWith('musicvae_wasm.')).map((f) => path.join(dist, f)), ...closure];
  // A browser's pthreads build: its glue, .wasm and threads' script (the _node files are Node's).
  const oursThreads = [...fs.readdirSync(dist).filter((f) => f.startsWith('musicvae_wasm_threads.')).map((f) => path.join(dist, f)), ...closure];
  const nm = (p) => path.join(ROOT, 'node_modules', p);
  // As measurements.md counts a magenta.js page: TF.js's bundle + the music_vae bundle (+ the wasm
  // backend's script and its SIMD .wasm, which is the one a SIMD browser fetches).
  const tfjs = [nm('@tensorflow/tfjs/dist/tf.min.js'), nm('@magenta/music/es6/music_vae.js')];
  const wasmBackend = [nm('@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js'),
    nm('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')];
  const sum = (files) => files.reduce((s, f) => s + gz(f), 0) / 1024;
  return {
    oursFiles: ours.map((f) => path.relative(ROOT, f)),
    oursKB: sum(ours),
    oursThreadsKB: sum(oursThreads),
    cpuKB: sum(tfjs),
    wasmKB: sum([...tfjs, ...wasmBackend]),
    fp32Bytes: fs.statSync(MODELS.fp32).size,
    q8Bytes: fs.statSync(MODELS.q8).size,
    checkpointBytes: fs.statSync(path.join(CHECKPOINT, 'group1-shard1of1')).size,
    ...(fs.existsSync(LONG.q8) ? { longFp32Bytes: fs.statSync(LONG.fp32).size, longQ8Bytes: fs.statSync(LONG.q8).size } : {}),
  };
}

function agreement(fp32, q8, cases) {
  let same = 0, steps = 0, exact = 0, fp32Reference = 0;
  fp32.forEach((t, i) => {
    let all = true;
    t.forEach((v, s) => {
      steps++;
      if (v === q8[i][s]) same++;
      else all = false;
    });
    if (all) exact++;
    if (t.every((v, s) => v === cases[i].greedy_events[s])) fp32Reference++;
  });
  return { percent: (100 * same) / steps, exact, cases: fp32.length, fp32Reference };
}

// ---- The report ----

const f1 = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function report({ results, sz, agree, machine, chromium }) {
  const { oursFp32, oursQ8, oursQ8Float, oursQ8Threads, magCpu, magWasm, browser } = results;
  const n = (r) => (r && r.threads ? r.threads : 'N');
  // [head, result, model file, glue size]: the first six are the ratios' operands (below).
  const cols = [
    ['ours fp32, Node', oursFp32, 'fp32', sz.oursKB], ['ours int8, Node', oursQ8, 'q8', sz.oursKB],
    ['ours fp32, Chromium', browser && browser.fp32, 'fp32', sz.oursKB], ['ours int8, Chromium', browser && browser.q8, 'q8', sz.oursKB],
    ['magenta.js tfjs-cpu', magCpu, 'tfjs', sz.cpuKB], ['magenta.js tfjs-wasm', magWasm, 'tfjs', sz.wasmKB],
    // int8 without integer compute (its products in float on the int8 values): the engine before it
    ['ours int8 float compute, Node', oursQ8Float, 'q8', sz.oursKB], ['ours int8 float compute, Chromium', browser && browser.q8float, 'q8', sz.oursKB],
    // the engine's default where it can run the pthreads build: Node, a cross-origin isolated page
    [`ours int8, ${n(oursQ8Threads)} threads, Node`, oursQ8Threads, 'q8', sz.oursThreadsKB],
    [`ours int8, ${n(browser && browser.q8threads)} threads, Chromium`, browser && browser.q8threads, 'q8', sz.oursThreadsKB],
  ];
  // ms of an op, or the marked equivalent where magenta.js fails on that backend.
  const cell = (r, key) => {
    if (!r || r.ms[key] === undefined) return { text: 'n/a', ms: null };
    if (r.ms[key] !== null) return { text: f1(r.ms[key]), ms: r.ms[key] };
    if (r.equivalent && r.equivalent[key]) return { text: `n/a (fails); ${f1(r.equivalent[key].ms)}†`, ms: r.equivalent[key].ms };
    return { text: 'n/a (fails)', ms: null };
  };
  const ratio = (theirs, ours) => (theirs === null || ours === null ? 'n/a' : `${f1(theirs / ours)}x`);
  // [head, worst-case key, tfjs column, ours column] (indices into cols)
  const ratios = [['tfjs-cpu / ours fp32', 'cpu', 4, 0], ['tfjs-wasm / ours fp32', 'wasm', 5, 0],
    ['tfjs-cpu / ours int8', 'cpuQ8', 4, 1], ['tfjs-wasm / ours int8', 'wasmQ8', 5, 1],
    ['tfjs-wasm / ours int8, Chromium', 'wasmQ8Chromium', 5, 3],
    ['tfjs-wasm / ours int8 threads, Node', 'wasmQ8ThreadsNode', 5, 8],
    ['tfjs-wasm / ours int8 threads, Chromium', 'wasmQ8ThreadsChromium', 5, 9]];
  const lines = [];
  lines.push(`| ms (median) | ${cols.map((c) => c[0]).join(' | ')} | ${ratios.map((r) => r[0]).join(' | ')} |`);
  lines.push(`| --- | ${cols.map(() => '---:').join(' | ')} | ${ratios.map(() => '---:').join(' | ')} |`);
  const worst = Object.fromEntries([...ratios.map((r) => r[1]), 'q8Node', 'q8Chromium'].map((k) => [k, [Infinity, '']]));
  const track = (k, v, label) => { if (v !== null && v < worst[k][0]) worst[k] = [v, label]; };
  const q = (x, y) => (x === null || y === null ? null : x / y);
  for (const { key, label } of OPS) {
    const cells = cols.map(([, r]) => cell(r, key));
    const ms = cells.map((x) => x.ms);
    for (const [, k, theirs, ours] of ratios) track(k, q(ms[theirs], ms[ours]), label);
    track('q8Node', q(ms[0], ms[1]), label); track('q8Chromium', q(ms[2], ms[3]), label);
    lines.push(`| ${label} | ${cells.map((c) => c.text).join(' | ')} | ${ratios.map(([, , t, o]) => ratio(ms[t], ms[o])).join(' | ')} |`);
  }
  const load = cols.map(([, r]) => (r ? r.loadMs : null));
  lines.push(`| model load (first, incl. engine / backend start) | ${load.map((x) => (x === null ? 'n/a' : f1(x))).join(' | ')} | ${ratios.map(([, , t, o]) => ratio(load[t], load[o])).join(' | ')} |`);
  const blank = ratios.map(() => '').join(' | ');
  const rss = cols.map(([, r]) => (r && r.peakRssMiB ? `${r.peakRssMiB.toFixed(0)} MiB` : 'n/a'));
  lines.push(`| peak RSS of the process | ${rss.join(' | ')} | ${blank} |`);
  const kb = (x) => `${x.toFixed(1)} KB`;
  lines.push(`| JS + WASM, gzipped | ${cols.map((c) => kb(c[3])).join(' | ')} | ${ratios.map(([, , t, o]) => (o === 0 ? `${f1(cols[t][3] / cols[o][3])}x` : '')).join(' | ')} |`);
  const mb = (x) => `${(x / 1e6).toFixed(2)} MB`;
  const file = { fp32: sz.fp32Bytes, q8: sz.q8Bytes, tfjs: sz.checkpointBytes };
  lines.push(`| model file | ${cols.map((c) => mb(file[c[2]])).join(' | ')} | ${blank} |`);
  if (sz.longQ8Bytes) {
    const longFile = { fp32: sz.longFp32Bytes, q8: sz.longQ8Bytes, tfjs: sz.longFp32Bytes };
    lines.push(`| 16-bar model file | ${cols.map((c) => mb(longFile[c[2]])).join(' | ')} | ${blank} |`);
  }

  // CPU time per op of the Node children (each one thread of work): what an op costs the process
  // whatever else the machine runs. Informational; the verdict below reads the wall-clock table.
  const cpuCols = [['ours fp32, Node', oursFp32], ['ours int8, Node', oursQ8],
    ['magenta.js tfjs-cpu', magCpu], ['magenta.js tfjs-wasm', magWasm]];
  const cpuCell = (r, key) => {
    if (!r || !r.cpuMs) return { text: 'n/a', ms: null };
    if (r.cpuMs[key] !== null) return { text: f1(r.cpuMs[key]), ms: r.cpuMs[key] };
    const e = r.equivalent && r.equivalent[key];
    if (e && e.cpuMs !== undefined && e.cpuMs !== null) return { text: `n/a (fails); ${f1(e.cpuMs)}†`, ms: e.cpuMs };
    return { text: 'n/a (fails)', ms: null };
  };
  const cpuLines = [
    `| CPU ms (median, user + system) | ${cpuCols.map((c) => c[0]).join(' | ')} | tfjs-cpu / ours int8 | tfjs-wasm / ours int8 | ours fp32 / ours int8 |`,
    `| --- | ${cpuCols.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`,
  ];
  for (const { key, label } of OPS) {
    const cells = cpuCols.map(([, r]) => cpuCell(r, key));
    const [a, b, cpu, wasm] = cells.map((x) => x.ms);
    cpuLines.push(`| ${label} | ${cells.map((c) => c.text).join(' | ')} | ${[ratio(cpu, b), ratio(wasm, b), ratio(a, b)].join(' | ')} |`);
  }

  const notes = [];
  for (const r of [magCpu, magWasm]) {
    for (const [key, e] of Object.entries(r.equivalent || {})) {
      notes.push(`† ${r.engine} ${OPS.find((o) => o.key === key).label}: ${r.errors[key]} — timed as ${e.how}.`);
    }
    for (const [key, error] of Object.entries(r.errors || {})) {
      if (!(r.equivalent || {})[key]) notes.push(`${r.engine} ${OPS.find((o) => o.key === key).label}: fails (${error}).`);
    }
  }
  const pass = (ok) => (ok ? 'PASS' : 'FAIL');
  const speed = (k, target, what) => `${pass(worst[k][0] >= target)} — ${what}: >= ${target}x on every op row; slowest ratio ${f1(worst[k][0])}x (${worst[k][1]})`;
  const q8Ratio = sz.q8Bytes / sz.fp32Bytes;
  const verdict = [
    `- ${speed('cpu', TARGETS.cpu, 'vs tfjs-cpu, ours fp32')}`,
    `- ${speed('wasm', TARGETS.wasm, 'vs tfjs-wasm, ours fp32')}`,
    `- ${speed('cpuQ8', TARGETS.cpu, 'vs tfjs-cpu, ours int8')}`,
    `- ${speed('wasmQ8', TARGETS.wasm, 'vs tfjs-wasm, ours int8, one thread, Node')}`,
    `- ${speed('wasmQ8Chromium', TARGETS.wasm, 'vs tfjs-wasm, ours int8, one thread, Chromium')}`,
    `- ${speed('wasmQ8ThreadsNode', TARGETS.wasm, `vs tfjs-wasm, ours int8, the default ${n(oursQ8Threads)} threads, Node`)}`,
    `- ${speed('wasmQ8ThreadsChromium', TARGETS.wasm, `vs tfjs-wasm, ours int8, the default ${n(browser && browser.q8threads)} threads, cross-origin isolated Chromium`)}`,
    `- ${pass(worst.q8Node[0] > 1)} — int8 faster than fp32 on every op row, Node: slowest fp32 / int8 ratio ${f1(worst.q8Node[0])}x (${worst.q8Node[1]})`,
    `- ${pass(worst.q8Chromium[0] > 1)} — int8 faster than fp32 on every op row, Chromium: slowest fp32 / int8 ratio ${f1(worst.q8Chromium[0])}x (${worst.q8Chromium[1]})`,
    `- ${pass(sz.oursKB <= TARGETS.glueKB)} — engine + glue <= ${TARGETS.glueKB} KB gzipped: ${kb(sz.oursKB)} (${sz.oursFiles.join(', ')})`,
    `- ${pass(q8Ratio <= TARGETS.q8Ratio)} — int8 model <= 1/4 of fp32: ${sz.q8Bytes} / ${sz.fp32Bytes} bytes = ${q8Ratio.toFixed(4)}`,
    `- ${pass(agree.percent >= TARGETS.agreement)} — int8 vs fp32 greedy tokens >= ${TARGETS.agreement}% (WASM engine, ${agree.cases} shared test vectors): ${agree.percent.toFixed(3)}% of steps, ${agree.exact}/${agree.cases} sequences identical (fp32 reproduces ${agree.fp32Reference}/${agree.cases} reference greedy_events)`,
  ];
  const head = [
    `# musicvae.c vs magenta.js: \`npm run bench\`${QUICK ? ' (--quick: too few runs to quote)' : ''}`,
    '',
    `${new Date().toISOString()}. ${machine}. Median ms after warm-up: ours and tfjs-wasm ${RUNS.fast.runs} runs (${RUNS.fast.warmup} warm-up), tfjs-cpu ${RUNS.slow.runs} runs (${RUNS.slow.warmup} warm-up); one engine per child process, one process at a time, one thread each except the columns \`ours int8, N threads\` (the engine's default there: the pthreads build, the core count at most 4). Model: mel_2bar_small with a random encoder (tools/bench_model.py; the same weights as a tfjs checkpoint for magenta.js), loaded over HTTP from 127.0.0.1 by every engine. Inputs: 16 shared test-vector latents and their melodies. 16-bar rows: models/mel_16bar_on_2bar.q8.mvae (dequantized for fp32 and magenta.js), 4 seeded normal latents. magenta.js ${magWasm.simd ? 'tfjs-wasm ran its SIMD build' : 'tfjs-wasm ran without SIMD'}; ${chromium}.`,
    '',
  ];
  const cpuHead = ['**CPU time** of the same runs (Node children only; a page has no CPU clock): on a shared machine wall time also counts the waits for a core, CPU time does not (it does count V8\'s own compiler and GC threads).', ''];
  return [...head, ...lines, '', ...notes.map((n) => `${n}  `), '', ...cpuHead, ...cpuLines, '', '**Verdict**', '', ...verdict, ''].join('\n');
}

// ---- main ----

async function main() {
  const load = os.loadavg()[0];
  const machine = `${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}; shared machine: load average ${load.toFixed(2)} at the start (other jobs running), so absolute times drift — compare within this table only`;
  fs.mkdirSync(OUT, { recursive: true });
  const long = prepareModels();
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const inputs = path.join(OUT, 'inputs.json');
  const results = {};
  try {
    const url = (file) => `${base}/build/bench/${path.relative(OUT, file)}`;
    const ours = (m) => ({ model: url(MODELS[m]), ...(long ? { longModel: url(LONG[m]) } : {}), inputs, ...RUNS.fast });
    results.oursFp32 = await child('ours.mjs', { ...ours('fp32'), testvectors: TESTVECTORS }, 'ours fp32 (Node)');
    results.oursQ8 = await child('ours.mjs', { ...ours('q8'), testvectors: TESTVECTORS }, 'ours int8 (Node)');
    results.oursQ8Float = await child('ours.mjs', { ...ours('q8'), int8Compute: false }, 'ours int8, float compute (Node)');
    // threads 0: the engine's default under Node (the pthreads build, the core count, at most 4)
    results.oursQ8Threads = await child('ours.mjs', { ...ours('q8'), threads: 0 }, 'ours int8, default threads (Node)');
    const mag = (backend, runs) => ({ backend, checkpoint: url(CHECKPOINT), ...(long ? { longCheckpoint: url(LONG_CHECKPOINT) } : {}), inputs, ...runs });
    results.magWasm = await child('magenta.mjs', mag('wasm', RUNS.fast), 'magenta.js tfjs-wasm');
    results.magCpu = await child('magenta.mjs', mag('cpu', RUNS.slow), 'magenta.js tfjs-cpu');
    let chromium = 'no Chromium at /usr/bin/chromium: browser columns n/a';
    if (fs.existsSync(CHROMIUM)) {
      results.browser = await child('browser.mjs', { base, chromium: CHROMIUM, long, ...RUNS.fast }, 'ours in headless Chromium');
      chromium = `ours in ${results.browser.version} (headless, via playwright-core), kernels ${results.browser.fp32.kernels}`;
    }
    const agree = agreement(results.oursFp32.tokens, results.oursQ8.tokens, loadTestVectors());
    const md = report({ results, sz: sizes(), agree, machine, chromium });
    fs.writeFileSync(path.join(OUT, 'results.md'), md);
    process.stdout.write(md);
    log(`written to ${path.relative(process.cwd(), path.join(OUT, 'results.md'))}`);
  } finally {
    server.close();
  }
}

main().catch((e) => {
  log(e.stack || String(e));
  process.exit(1);
});
