// The ES module in a real browser: headless Chromium loads wasm_api/index.mjs in a page (the engine
// fetched by URL, WASM SIMD), then runs the same calls in a module Web Worker through
// MusicVAEWorker. Skipped when no Chromium is installed (`apt-get install chromium`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { ROOT, Q8_MODEL, nativeSample, CHROMIUM, resultFromChromium } from './wasm_helpers.mjs';


const PAGE = `<!doctype html><html><body><script type="module">
import { MusicVAE, MusicVAEWorker, engineInfo } from '/wasm_api/index.mjs';
const out = {};
try {
  out.info = await engineInfo();
  const m = new MusicVAE('/models/mel_2bar_small.q8.mvae');
  out.tokens = (await m.sampleTokens(3, 0.5, 123)).tokens.map((t) => Array.from(t));
  out.sequence = (await m.sample(1, 0.5, 5))[0];
  m.dispose();
  const w = new MusicVAEWorker('/models/mel_2bar_small.q8.mvae');
  out.workerInfo = await w.engineInfo();
  out.workerTokens = (await w.sampleTokens(3, 0.5, 123)).tokens.map((t) => Array.from(t));
  try { await w.decode([new Float32Array(3)]); } catch (e) { out.workerError = [e.name, e.code]; }
  w.dispose();
} catch (e) { out.error = String(e && e.stack || e); }
await fetch('/result', { method: 'POST', body: JSON.stringify(out) });
</script></body></html>`;

const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };

test('headless Chromium: page and module Worker run the WASM SIMD engine with native results',
  { skip: CHROMIUM ? false : 'no Chromium installed', timeout: 120000 }, async () => {
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
      if (p === '/page.html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(PAGE);
        return;
      }
      // Only the engine, the API and the models are served.
      const file = path.join(ROOT, path.normalize(p));
      const allowed = ['wasm_api', 'models'].some((d) => file.startsWith(path.join(ROOT, d) + path.sep));
      if (!allowed || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
      res.end(fs.readFileSync(file));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}/page.html`;
    try {
      const out = await resultFromChromium(url, result);
      assert.equal(out.error, undefined, out.error);
      assert.deepEqual(out.info, { kernels: 'wasm_simd128', activations: 'wasm_simd128' });
      assert.deepEqual(out.workerInfo, out.info);
      const native = nativeSample(Q8_MODEL, 3, 0.5, 123);
      assert.deepEqual(out.tokens, native);
      assert.deepEqual(out.workerTokens, native);
      assert.deepEqual(out.workerError, ['InvalidArgumentError', 'INVALID_ARGUMENT']);
      assert.equal(out.sequence.totalQuantizedSteps, 32);
      assert.deepEqual(out.sequence.quantizationInfo, { stepsPerQuarter: 4 });
    } finally {
      server.close();
    }
  });
