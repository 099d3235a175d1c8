// Shared helpers for the WebAssembly API tests (tests/js/wasm_*.test.mjs, cli.test.mjs).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = process.env.MVAE_SHARED_DIR || path.resolve(ROOT, '../shared');
export const NATIVE = path.join(ROOT, 'build/mvae');
export const Q8_MODEL = path.join(ROOT, 'models/mel_2bar_small.q8.mvae');
export const FP32_MODEL = path.join(ROOT, 'models/mel_2bar_small.mvae');
/** Magenta's published decoder alone (models/build.sh converts it from shared/): it cannot encode. */
export const DECODER_ONLY_MODEL = path.join(ROOT, 'build/magenta/mel_2bar_small_decoder.q8.mvae');
export const TESTVECTORS = path.join(SHARED, 'testvectors/mel_2bar_small_decode.json');
export const CLI = path.join(ROOT, 'wasm_api/cli.mjs');

const made = [];
// A browser that is still closing may write into its profile directory while it is removed
// (ENOTEMPTY): retry, and never let a leftover temporary directory fail the test process.
function removeQuietly(dir) {
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  } catch (e) {
    console.error(`# could not remove ${dir}: ${e.code || e.message}`);
  }
}

/** A temporary directory, removed when the test process exits. */
export function tmpdir(prefix = 'mvae-wasm-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (made.length === 0) process.on('exit', () => made.forEach(removeQuietly));
  made.push(dir);
  return dir;
}

/** The headless browser the page tests use, if one is installed. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
  .find((f) => fs.existsSync(f));

/** Opens url in headless Chromium (a fresh profile) and awaits `result` (what the page reports
 * back), for at most timeoutMs; the browser is closed either way. */
export async function resultFromChromium(url, result, timeoutMs = 90000) {
  const browser = spawn(CHROMIUM, ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    `--user-data-dir=${tmpdir('mvae-chromium-')}`, url], { stdio: 'ignore' });
  let timer;
  try {
    return await Promise.race([result, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no result from the page within ${timeoutMs / 1000} s`)), timeoutMs);
    })]);
  } finally {
    clearTimeout(timer);
    browser.kill();
  }
}

const CONTENT_TYPES = {
  '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json',
};

/**
 * Serves on 127.0.0.1 the file `fileFor(pathname)` names (404 when it names none, or no file):
 * {server, base, requests} (base: the server's http URL, without a trailing slash; requests: every
 * request's decoded path). options: {cors: true (Access-Control-Allow-Origin: *, as magenta.js's host
 * sends)}; setting `down = true` on the result answers 503 (a host out of reach).
 */
export async function serveFiles(fileFor, { cors = false } = {}) {
  const requests = [];
  const state = { down: false };
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url, 'http://x').pathname;
    requests.push(`/${decodeURIComponent(pathname).replace(/^\/+/, '')}`);
    const headers = cors ? { 'access-control-allow-origin': '*' } : {};
    const file = state.down ? null : fileFor(pathname);
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(state.down ? 503 : 404, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': CONTENT_TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, { server, base: `http://127.0.0.1:${server.address().port}`, requests });
}

/**
 * A page for runPageInChromium: a module script of `prelude` (its imports; `out = {}` is declared)
 * and `body`, which fills `out`; out, or the error `body` threw as out.error, is POSTed to /result.
 */
export function reportingPage(prelude, body) {
  return `<!doctype html><html><body><script type="module">
${prelude}
const out = {};
try {
${body}
} catch (e) { out.error = String(e && e.stack || e); }
await fetch('/result', { method: 'POST', body: JSON.stringify(out) });
</script></body></html>`;
}

/**
 * Serves `page` at /page.html from a local server, opens it in headless Chromium and returns what
 * the page POSTs to /result (resultFromChromium). Every other path goes to `route(pathname)`, which
 * returns {file} to send, {body} to answer with, {status} for an empty answer, or null (404).
 * options.headers go with every answer (COOP/COEP for a cross-origin isolated page).
 */
export async function runPageInChromium(page, route, { headers = {} } = {}) {
  let resolveResult;
  const result = new Promise((resolve) => { resolveResult = resolve; });
  const server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://localhost').pathname;
    if (p === '/result' && req.method === 'POST') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        res.end('ok');
        resolveResult(JSON.parse(body));
      });
      return;
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    if (p === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page);
      return;
    }
    const { file, body, status = 404 } = route(p) || {};
    if (body !== undefined) {
      res.end(body);
      return;
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(status);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await resultFromChromium(`http://127.0.0.1:${server.address().port}/page.html`, result);
  } finally {
    server.close();
  }
}

/**
 * Chord symbols as the model's control rows through the raw engine (`engine`: the Emscripten module,
 * `model` a pointer from _mvw_load): mvw_chords_to_controls must succeed; returns the heap pointer to
 * its [steps][depth] floats, which the caller frees.
 */
export function engineChordControls(engine, model, chords, steps, depth) {
  const ptrs = chords.map((c) => {
    const b = Buffer.from(`${c}\0`);
    const p = engine._malloc(b.length);
    engine.HEAPU8.set(b, p);
    return p;
  });
  const table = engine._malloc(4 * ptrs.length);
  engine.HEAPU32.set(ptrs, table / 4);
  const controls = engine._malloc(4 * steps * depth);
  const status = engine._mvw_chords_to_controls(model, table, chords.length, controls);
  const message = engine.UTF8ToString(engine._mvae_last_error(model));
  [...ptrs, table].forEach((p) => engine._free(p));
  if (status !== 0) engine._free(controls);
  if (status !== 0) throw new Error(`mvw_chords_to_controls: status ${status}: ${message}`);
  return controls;
}

export function requireFile(file, how) {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: ${how}`);
  return file;
}

let bench = null;
/**
 * Copies of the fp32 mel_2bar_small with a random encoder (tools/bench_model.py), for encode tests:
 * {fp32, q8} paths in a temporary directory, made once per test process.
 */
export function benchModels() {
  if (bench) return bench;
  requireFile(FP32_MODEL, 'run bash models/build.sh (scripts/build.sh does)');
  const dir = tmpdir('mvae-bench-');
  const out = path.join(dir, 'bench');
  const r = spawnSync('/usr/bin/python3', ['tools/bench_model.py', FP32_MODEL, out], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tools/bench_model.py failed: ${r.stderr}`);
  bench = { fp32: path.join(out, 'mel_2bar_small.fp32.mvae'), q8: path.join(out, 'mel_2bar_small.q8.mvae') };
  return bench;
}

export function loadTestVectors() {
  return JSON.parse(fs.readFileSync(requireFile(TESTVECTORS, 'the shared test vectors'), 'utf8')).cases;
}

// ---- melody events <-> NoteSequences (0 = no event, 1 = note off, k >= 2 = pitch 21 + k - 2) ----

export const MIN_PITCH = 21;

/** A quantized NoteSequence (magenta.js shape) from melody events. */
export function eventsToSequence(events, { minPitch = MIN_PITCH, velocity = 100 } = {}) {
  const notes = [];
  let current = null;
  const close = (step) => {
    if (current) notes.push({ ...current, quantizedEndStep: step });
    current = null;
  };
  events.forEach((e, step) => {
    if (e === 1) close(step);
    else if (e >= 2) {
      close(step);
      current = { pitch: minPitch + e - 2, velocity, quantizedStartStep: step, program: 0, isDrum: false, instrument: 0 };
    }
  });
  close(events.length);
  return { notes, quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: events.length, tempos: [{ time: 0, qpm: 120 }] };
}

/** Melody events of a monophonic quantized sequence, as magenta.js's Melody.fromNoteSequence. */
export function sequenceToEvents(ns, numSteps = 32, minPitch = MIN_PITCH) {
  const events = new Array(numSteps).fill(0);
  const notes = [...ns.notes].sort((a, b) => a.quantizedStartStep - b.quantizedStartStep || b.pitch - a.pitch);
  let last = -1;
  for (const n of notes) {
    if (n.quantizedStartStep === last) continue;
    if (n.quantizedStartStep < numSteps) events[n.quantizedStartStep] = n.pitch - minPitch + 2;
    if (n.quantizedEndStep < numSteps) events[n.quantizedEndStep] = 1;
    last = n.quantizedStartStep;
  }
  return events;
}

// ---- the native CLI (build/mvae) ----

const PITCH_CLASSES = { C: 0, 'C#': 1, D: 2, 'D#': 3, E: 4, F: 5, 'F#': 6, G: 7, 'G#': 8, A: 9, 'A#': 10, B: 11 };

/** Tokens of `build/mvae sample MODEL -n N -t T -s SEED` (melody models), parsed from its text. */
export function nativeSample(model, n, temperature, seed) {
  requireFile(NATIVE, 'build the engine: cmake -S . -B build && cmake --build build');
  const r = spawnSync(NATIVE, ['sample', model, '-n', String(n), '-t', String(temperature), '-s', String(seed)],
    { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`build/mvae sample failed: ${r.stderr}`);
  const out = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\s+melody:(.*)$/.exec(line);
    if (!m) continue;
    const tokens = m[1].split(/\s+/).filter((w) => w && w !== '|').map((w) => {
      if (w === '.') return 0;
      if (w === '-') return 1;
      const p = /^([A-G]#?)(-?\d+)$/.exec(w);
      if (!p) throw new Error(`cannot parse native token '${w}'`);
      return (Number(p[2]) + 1) * 12 + PITCH_CLASSES[p[1]] - MIN_PITCH + 2;
    });
    out.push(tokens);
  }
  return out;
}

/** mu of `build/mvae encode MODEL EVENT...` (one melody). */
export function nativeEncode(model, events) {
  requireFile(NATIVE, 'build the engine: cmake -S . -B build && cmake --build build');
  const r = spawnSync(NATIVE, ['encode', model, ...events.map(String)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build/mvae encode failed: ${r.stderr}`);
  return Float32Array.from(r.stdout.trim().split(/\s+/).map(Number));
}

/** The summary line of `build/mvae testvectors MODEL JSON`: {cases, exact, stepPercent}. */
export function nativeTestVectors(model) {
  const r = spawnSync(NATIVE, ['testvectors', model, TESTVECTORS], { encoding: 'utf8' });
  const m = /(\d+) cases: (\d+) decoded exactly; per-step agreement with greedy_events ([\d.]+)%/.exec(r.stdout);
  if (!m) throw new Error(`unexpected build/mvae testvectors output: ${r.stdout} ${r.stderr}`);
  return { cases: Number(m[1]), exact: Number(m[2]), stepPercent: Number(m[3]) };
}

/** Largest |a - b| relative to the largest |b| of a vector. */
export function relativeError(a, b) {
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}
