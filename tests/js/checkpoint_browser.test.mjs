// A magenta.js checkpoint URL in a real browser (headless Chromium): a page loads it with
// new MusicVAE(url) (download progress, converted in the page), then, with the server no longer
// serving the checkpoint, loads it again from the Cache API, in the page and in a module Worker; all
// three decode what Node decodes from the same folder. Skipped when no Chromium is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { MusicVAE } from '../../wasm_api/index.mjs';
import { ROOT, tmpdir, CHROMIUM, reportingPage, runPageInChromium } from './wasm_helpers.mjs';
import { writeCheckpoint } from './checkpoint_helpers.mjs';


// Latent vectors both sides compute the same way (the page gets this function's source).
const latents = () => Array.from({ length: 3 }, (_, i) => Array.from({ length: 8 }, (_, d) => Math.sin(7 * i + d) * 1.5));

const PAGE = reportingPage(`import { MusicVAE, MusicVAEWorker } from '/wasm_api/index.mjs';
const tokens = async (m) => (await m.decodeTokens((${latents})())).tokens.map((t) => Array.from(t));`, `
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
  w.dispose();`);

test('headless Chromium: a checkpoint URL loads with progress, then offline from the Cache API, in a page and a Worker',
  { skip: CHROMIUM ? false : 'no Chromium installed', timeout: 120000 }, async () => {
    const root = tmpdir('mvae-ckpt-browser-');
    const dir = writeCheckpoint('flat_mel', { quantization: 'uint16', seed: 9, root });
    const node = new MusicVAE(dir);
    const want = (await node.decodeTokens(latents())).tokens.map((t) => Array.from(t));
    node.dispose();
    let offline = false;
    const out = await runPageInChromium(PAGE, (p) => {
      if (p === '/offline') {
        offline = true;
        return { body: 'ok' };
      }
      if (p.startsWith('/ckpt/')) return offline ? { status: 503 } : { file: path.join(root, path.normalize(p.slice('/ckpt/'.length))) };
      if (p.startsWith('/wasm_api/')) return { file: path.join(ROOT, path.normalize(p)) };
      return null;
    });
    assert.equal(out.error, undefined, out.error);
    const shards = fs.readdirSync(dir).filter((f) => f.startsWith('group'));
    const bytes = shards.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    assert.deepEqual(out.progress.at(-1), [bytes, bytes]);
    assert.deepEqual(out.cached, ['config.json', 'weights_manifest.json', ...shards].map((f) => `/ckpt/flat_mel_uint16/${f}`).sort());
    assert.equal(out.offlineStatus, 503);
    assert.deepEqual(out.tokens, want);
    assert.deepEqual(out.offlineTokens, want);
    assert.deepEqual(out.workerTokens, want);
  });
