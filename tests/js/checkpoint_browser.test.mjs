// A magenta.js checkpoint URL in a real browser (headless Chromium): a page loads it with
// new MusicVAE(url) (download progress, converted in the page), then, with the server no longer
// serving the checkpoint, loads it again from the Cache API, in the page and in a module Worker; all
// three decode what Node decodes from the same folder. Skipped when no Chromium is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { MusicVAE } from '../../wasm_api/index.mjs';
import { ROOT, tmpdir, CHROMIUM, resultFromChromium } from './wasm_helpers.mjs';
import { writeCheckpoint } from './checkpoint_helpers.mjs';


// Latent vectors both sides compute the same way (the page gets this function's source).
const latents = () => Array.from({ length: 3 }, (_, i) => Array.from({ length: 8 }, (_, d) => Math.sin(7 * i + d) * 1.5));

const PAGE = `<!doctype html><html><body><script type="module">
import { MusicVAE, MusicVAEWorker } from '/wasm_api/index.mjs';
const out = {};
const tokens = async (m) => (await m.decodeTokens((${latents})())).tokens.map((t) => Array.from(t));
try {
  const url = location.origin + '/ckpt/flat_mel_uint16';
  const progress = [];
  const m = new MusicVAE(url, { onProgress: (loaded, total) => progress.push([loaded, total]) });
  await m.initialize();
  out.progress = progress;
  out.tokens = await tokens(m);
  m.dispose();
  const cache = await caches.open('musicvae-checkpoints-v1');
  out.cached = (await cache.keys()).map((r) => new URL(r.url).pathname).sort();
  await fetch('/offline', { method: 'POST' });
  out.offlineStatus = (await fetch(url + '/config.json')).status;
  const again = new MusicVAE(url);
  out.offlineTokens = await tokens(again);
  again.dispose();
  const w = new MusicVAEWorker(url);
  out.workerTokens = await tokens(w);
  w.dispose();
} catch (e) { out.error = String(e && e.stack || e); }
await fetch('/result', { method: 'POST', body: JSON.stringify(out) });
</script></body></html>`;

const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

test('headless Chromium: a checkpoint URL loads with progress, then offline from the Cache API, in a page and a Worker',
  { skip: CHROMIUM ? false : 'no Chromium installed', timeout: 120000 }, async () => {
    const root = tmpdir('mvae-ckpt-browser-');
    const dir = writeCheckpoint('flat_mel', { quantization: 'uint16', seed: 9, root });
    const node = new MusicVAE(dir);
    const want = (await node.decodeTokens(latents())).tokens.map((t) => Array.from(t));
    node.dispose();
    let offline = false;
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
      if (p === '/offline') {
        offline = true;
        res.end('ok');
        return;
      }
      if (p === '/page.html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(PAGE);
        return;
      }
      let file = null;
      if (p.startsWith('/ckpt/')) file = offline ? null : path.join(root, path.normalize(p.slice('/ckpt/'.length)));
      else if (p.startsWith('/wasm_api/')) file = path.join(ROOT, path.normalize(p));
      if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(offline && p.startsWith('/ckpt/') ? 503 : 404);
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
      const shards = fs.readdirSync(dir).filter((f) => f.startsWith('group'));
      const bytes = shards.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
      assert.deepEqual(out.progress.at(-1), [bytes, bytes]);
      assert.deepEqual(out.cached, ['config.json', 'weights_manifest.json', ...shards].map((f) => `/ckpt/flat_mel_uint16/${f}`).sort());
      assert.equal(out.offlineStatus, 503);
      assert.deepEqual(out.tokens, want);
      assert.deepEqual(out.offlineTokens, want);
      assert.deepEqual(out.workerTokens, want);
    } finally {
      server.close();
    }
  });
