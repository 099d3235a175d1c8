// The pthreads WebAssembly build in headless Chromium. A page served with COOP/COEP (as web/serve.mjs
// serves the explorer) is cross-origin isolated: musicvae.mjs loads musicvae_wasm_threads.* there, and
// its results (sampled tokens and latents, encodings, decoded tokens; a batch of 16 and one row,
// where the encoder splits its two directions) are bit-identical for threads = 1 and 2, in the page
// and in a module Worker, to the single-thread build's, which the same page without the headers
// falls back to, and the sampled tokens to the native engine's. Skipped without Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { ROOT, Q8_MODEL, nativeSample, CHROMIUM, reportingPage, runPageInChromium } from './wasm_helpers.mjs';

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// results(m): what a model (MusicVAE or MusicVAEWorker) gives, floats as their bits; for each
// `threads` option of the list, a MusicVAE's, then a MusicVAEWorker's (threads: 2). The engine starts
// with `engineThreads` (default: navigator.hardwareConcurrency, at most 4).
const page = (threadsList, engineThreads) => reportingPage(`import { MusicVAE, MusicVAEWorker, engineInfo } from '/wasm_api/index.mjs';
import { results } from '/tests/js/thread_results.mjs';`, `
  out.isolated = self.crossOriginIsolated === true;
  out.info = await engineInfo(${engineThreads ? `{ threads: ${engineThreads} }` : ''});
  out.runs = {};
  for (const threads of ${JSON.stringify(threadsList)}) {
    const m = new MusicVAE('/models/mel_2bar_small.q8.mvae', { threads: threads ?? undefined });
    await m.initialize();
    out.runs[threads ?? 'default'] = { threads: m.threads, ...(await results(m)) };
    m.dispose();
  }
  const w = new MusicVAEWorker('/models/mel_2bar_small.q8.mvae', { threads: 2 });
  await w.initialize();
  out.worker = { info: await w.engineInfo(), threads: w.threads, ...(await results(w)) };
  w.dispose();
  out.wasm = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.wasm'));`);

function serveRepo(p) {
  const file = path.join(ROOT, path.normalize(p));
  const allowed = ['wasm_api', 'models'].some((d) => file.startsWith(path.join(ROOT, d) + path.sep));
  return allowed || file === path.join(ROOT, 'tests/js/thread_results.mjs') ? { file } : null;
}

const skip = CHROMIUM ? false : 'no Chromium installed';
let single = null; // the single-thread build's results (the page without the headers)

test('a page that is not cross-origin isolated runs the single-thread build', { skip, timeout: 180000 }, async () => {
  const out = await runPageInChromium(page([null]), serveRepo);
  assert.equal(out.error, undefined, out.error);
  assert.equal(out.isolated, false);
  assert.deepEqual(out.info, { kernels: 'wasm_simd128', activations: 'wasm_simd128', build: 'single', threads: 1 });
  assert.deepEqual(out.worker.info, out.info);
  assert.equal(out.runs.default.threads, 1);
  assert.equal(out.worker.threads, 1);
  assert.deepEqual(out.wasm, ['/wasm_api/dist/musicvae_wasm.wasm']);
  // An independent value: the native engine's tokens for the same seed.
  assert.deepEqual(out.runs.default.sample16.tokens, nativeSample(Q8_MODEL, 16, 0.5, 123));
  assert.deepEqual(out.runs.default.sample1.tokens, nativeSample(Q8_MODEL, 1, 0.5, 7));
  const { threads, ...results } = out.runs.default;
  const { info, threads: wt, ...workerResults } = out.worker;
  assert.deepEqual(workerResults, results);
  single = results;
});

test('a cross-origin isolated page runs the pthreads build, bit-identical for 1 and 2 threads', { skip, timeout: 180000 }, async () => {
  const out = await runPageInChromium(page([null, 1, 2], 2), serveRepo, { headers: ISOLATION });
  assert.equal(out.error, undefined, out.error);
  assert.equal(out.isolated, true);
  assert.deepEqual(out.info, { kernels: 'wasm_simd128', activations: 'wasm_simd128', build: 'threads', threads: 2 });
  assert.deepEqual(out.worker.info, out.info);
  assert.deepEqual(out.wasm, ['/wasm_api/dist/musicvae_wasm_threads.wasm']); // the page's (the Worker fetches its own)
  assert.equal(out.runs.default.threads, 2); // a model's default: all of the engine's
  assert.equal(out.runs[1].threads, 1);
  assert.equal(out.runs[2].threads, 2);
  assert.equal(out.worker.threads, 2);
  assert.ok(single, 'the single-thread page ran first');
  for (const [name, run] of [['default', out.runs.default], ['1', out.runs[1]], ['2', out.runs[2]], ['worker', out.worker]]) {
    const { threads, info, ...results } = run;
    for (const key of Object.keys(single)) assert.deepEqual(results[key], single[key], `threads ${name}: ${key}`);
    assert.deepEqual(Object.keys(results).sort(), Object.keys(single).sort());
  }
});

test('an isolated page whose threads cannot start falls back to the single-thread build', { skip, timeout: 180000 }, async () => {
  // The threads' script is missing: the pthreads build cannot start its threads.
  const blocked = (p) => (p.endsWith('/musicvae_wasm_threads.worker.js') ? null : serveRepo(p));
  const out = await runPageInChromium(page([1], 2), blocked, { headers: ISOLATION });
  assert.equal(out.error, undefined, out.error);
  assert.equal(out.isolated, true);
  assert.deepEqual(out.info, { kernels: 'wasm_simd128', activations: 'wasm_simd128', build: 'single', threads: 1 });
  assert.deepEqual(out.worker.info, out.info);
  assert.ok(single, 'the single-thread page ran first');
  const { threads, ...results } = out.runs[1];
  assert.deepEqual(results, single);
});

