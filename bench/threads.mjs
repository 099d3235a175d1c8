#!/usr/bin/env node
// The pthreads WebAssembly build against the single-thread one: `node bench/threads.mjs [--runs N]`
// times bench/ops.mjs's decode and encode ops (batch 1 and 16) of models/mel_2bar_small.q8.mvae in
// Node (one child process per build: the engine is one per process) and in headless Chromium (a page
// without and with COOP/COEP: the single-thread build, then the pthreads one), with the engine's
// default thread count (the CPU's, at most 4). Prints one markdown table of median ms (and, for
// Node, of the process's CPU ms: all its threads together).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const MODEL = 'models/mel_2bar_small.q8.mvae';
const KEYS = ['decode1', 'decode16', 'encode1', 'encode16'];
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const RUNS = Number(arg('--runs', 15));
const WARMUP = 3;

// Runs in the page and in the Node child: the inputs (16 latents and their greedy melodies), then
// timeOps over the four ops. `base`: where wasm_api/ and bench/ are (a URL), `threads` for the model.
async function measure({ base, threads, runs, warmup, cpu = false }) {
  const api = await import(`${base}/wasm_api/index.mjs`);
  const { oursOps, timeOps, processCpuMs } = await import(`${base}/bench/ops.mjs`);
  const m = new api.MusicVAE(`${base}/models/mel_2bar_small.q8.mvae`, threads ? { threads } : {});
  await m.initialize();
  const z = await m.sampleLatents(16, 1);
  const sequences = await m.decode(z);
  const inputs = { zs: z.arraySync(), sequences };
  const ops = oursOps(m, inputs);
  const picked = Object.fromEntries(Object.entries(ops).filter(([k]) => ['decode1', 'decode16', 'encode1', 'encode16'].includes(k)));
  const { ms, cpuMs } = await timeOps(picked, { runs, warmup, cpuNow: cpu ? processCpuMs(process.cpuUsage) : undefined });
  const info = await api.engineInfo();
  m.dispose();
  return { ms, cpuMs, build: info.build, threads: m.threads };
}

if (process.argv[2] === '--child') {
  const threads = Number(process.argv[3]);
  const base = new URL('..', import.meta.url).href.replace(/\/$/, '');
  const result = await measure({ base, threads, runs: RUNS, warmup: WARMUP, cpu: true });
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

async function chromiumRuns() {
  const { chromium } = await import('playwright-core');
  const rows = [];
  for (const isolate of [false, true]) {
    const server = http.createServer((req, res) => {
      const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      const file = p === '/' ? null : path.join(ROOT, path.normalize(p));
      const headers = isolate ? { ...ISOLATION } : {};
      if (p === '/') return res.writeHead(200, { ...headers, 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>');
      if (!file.startsWith(ROOT + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return res.writeHead(404, headers).end();
      res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' }).end(fs.readFileSync(file));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${server.address().port}`;
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-dev-shm-usage'] });
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(0);
      await page.goto(`${base}/`);
      rows.push({ runtime: `Chromium ${browser.version()}`, ...(await page.evaluate(measure, { base, threads: 0, runs: RUNS, warmup: WARMUP })) });
    } finally {
      await browser.close();
      server.close();
    }
  }
  return rows;
}

const rows = [];
for (const threads of [1, 0]) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(threads), '--runs', String(RUNS)],
    { cwd: ROOT, encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`the Node child failed: ${r.stderr}`);
  // threads 1 loads the single-thread build (loadEngine's threads option is the model's here)
  rows.push({ runtime: `Node ${process.version}`, ...JSON.parse(line.slice(7)) });
}
if (fs.existsSync('/usr/bin/chromium')) rows.push(...(await chromiumRuns()));

const load = os.loadavg()[0].toFixed(2);
console.log(`${new Date().toISOString()}, ${os.cpus()[0].model}, ${os.cpus().length} cores, load average ${load}; ${MODEL}; median ms of ${RUNS} runs after ${WARMUP} warm-up rounds\n`);
console.log(`| runtime | build | threads | ${KEYS.join(' | ')} |`);
console.log(`|---|---|---|${KEYS.map(() => '---:').join('|')}|`);
for (const r of rows) console.log(`| ${r.runtime} | ${r.build} | ${r.threads} | ${KEYS.map((k) => r.ms[k].toFixed(2)).join(' | ')} |`);
console.log(`\n| CPU ms (all threads) | build | threads | ${KEYS.join(' | ')} |`);
console.log(`|---|---|---|${KEYS.map(() => '---:').join('|')}|`);
for (const r of rows.filter((x) => x.cpuMs)) console.log(`| ${r.runtime} | ${r.build} | ${r.threads} | ${KEYS.map((k) => r.cpuMs[k].toFixed(2)).join(' | ')} |`);
