// The Worker wrapper (wasm_api/worker.js + MusicVAEWorker) and the browser-style loading path (the
// .wasm fetched by URL, as in a page or a Web Worker), in Node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

import {
  MusicVAE, MusicVAEWorker, InvalidArgumentError, NoEncoderError, DisposedError, BadModelError,
} from '../../wasm_api/index.mjs';
import {
  ROOT, Q8_MODEL, DECODER_ONLY_MODEL, benchModels, loadTestVectors, eventsToSequence, serveFiles,
} from './wasm_helpers.mjs';

let direct;
before(async () => {
  direct = new MusicVAE(Q8_MODEL);
  await direct.initialize();
});
after(() => direct.dispose());

test('MusicVAEWorker gives the same results as MusicVAE, with progress and typed errors', async () => {
  const w = new MusicVAEWorker(Q8_MODEL);
  assert.equal(w.isInitialized(), false);
  await w.initialize();
  assert.equal(w.zDims, 256);
  // Under Node the pthreads build, with the CPU's threads (at most 4), where there are two or more.
  const threads = Math.min(4, os.availableParallelism());
  assert.deepEqual(await w.engineInfo(), { kernels: 'wasm_simd128', activations: 'wasm_simd128',
    build: threads > 1 ? 'threads' : 'single', threads });

  const a = await w.sampleTokens(5, 0.5, 123);
  assert.deepEqual(a, await direct.sampleTokens(5, 0.5, 123));
  // sampleLatents draws the same z as sample with that seed, without decoding.
  assert.deepEqual(await w.sampleLatents(5, 123), a.z);
  assert.deepEqual(await direct.sampleLatents(5, 123), a.z);
  assert.ok(a.z[0] instanceof Float32Array && a.tokens[0] instanceof Int32Array);
  assert.deepEqual(await w.sample(3, 0.5, 9n), await direct.sample(3, 0.5, 9n));
  assert.deepEqual(await w.decode(a.z), await direct.decode(a.z));
  assert.deepEqual(await w.interpolate([a.z[0], a.z[1]], 4, undefined, { method: 'slerp' }),
    await direct.interpolate([a.z[0], a.z[1]], 4, undefined, { method: 'slerp' }));
  assert.deepEqual(await w.similar(a.z[0], 2, 0.7, 0.5, { seed: 4 }), await direct.similar(a.z[0], 2, 0.7, 0.5, { seed: 4 }));

  const progress = [];
  const big = await w.sample(260, 0.5, { seed: 8, onProgress: (done, total) => progress.push([done, total]) });
  assert.equal(big.length, 260);
  assert.deepEqual(progress, [[256, 260], [260, 260]]);

  await assert.rejects(w.decode([new Float32Array(10)]), (e) => e instanceof InvalidArgumentError && /zDims/.test(e.message));
  const decoderOnly = new MusicVAEWorker(DECODER_ONLY_MODEL);
  await assert.rejects(decoderOnly.encode([eventsToSequence([40, ...new Array(31).fill(0)])]), NoEncoderError);
  decoderOnly.dispose();
  // The worker's heap is back where it was after all that (calls free what they allocate).
  const heap = await w.heapUsed();
  await w.sample(3, 0.5, 1);
  assert.equal(await w.heapUsed(), heap);

  w.dispose();
  assert.equal(w.isInitialized(), false);
  await assert.rejects(w.sample(1), DisposedError);
});

test('MusicVAEWorker: model bytes, encode with sigma, a bad model', async () => {
  const bytes = fs.readFileSync(benchModels().fp32);
  const w = new MusicVAEWorker(new Uint8Array(bytes));
  const seqs = loadTestVectors().slice(0, 3).map((c) => eventsToSequence(c.source_events));
  const both = await w.encodeWithSigma(seqs);
  const m = new MusicVAE(bytes);
  assert.deepEqual(both, await m.encodeWithSigma(seqs));
  m.dispose();
  w.dispose();

  const bad = new MusicVAEWorker(new Uint8Array(64));
  await assert.rejects(bad.initialize(), BadModelError);
  bad.dispose();
});

// The path a browser page or Web Worker takes: the glue fetches the .wasm by URL and streams it.
test('the engine loads from an http URL (browser path), in a fresh process', async () => {
  const dist = path.join(ROOT, 'wasm_api/dist');
  const { server, base } = await serveFiles((p) => path.join(dist, path.basename(p)));
  const url = `${base}/musicvae_wasm.wasm`;
  const script = `
    import { MusicVAE, engineInfo } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'wasm_api/index.mjs')).href)};
    const info = await engineInfo({ wasmUrl: ${JSON.stringify(url)} });
    const m = new MusicVAE(${JSON.stringify(Q8_MODEL)});
    const { tokens } = await m.sampleTokens(2, 0.5, 123);
    console.log(JSON.stringify({ info, tokens: tokens.map((t) => Array.from(t)) }));`;
  // The server runs in this process: spawn asynchronously so it can answer.
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise((resolve) => child.on('close', resolve));
  server.close();
  assert.equal(code, 0, stderr);
  const out = JSON.parse(stdout);
  assert.equal(out.info.kernels, 'wasm_simd128');
  const { tokens } = await direct.sampleTokens(2, 0.5, 123);
  assert.deepEqual(out.tokens, tokens.map((t) => Array.from(t)));
});

test('MusicVAEWorker on a checkpoint URL: the download progress comes back from the worker', async () => {
  const { serveDirectory, writeCheckpoint } = await import('./checkpoint_helpers.mjs');
  const dir = writeCheckpoint('flat_mel');
  const { server, base } = await serveDirectory(path.dirname(dir));
  try {
    const calls = [];
    const url = `${base}/${path.basename(dir)}`;
    const w = new MusicVAEWorker(url, { onProgress: (loaded, total) => calls.push([loaded, total]) });
    await w.initialize();
    const direct = new MusicVAE(url);
    await direct.initialize();
    assert.ok(calls.length >= 1, 'progress was reported');
    const weightBytes = fs.readdirSync(dir).filter((f) => !f.endsWith('.json'))
      .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    assert.deepEqual(calls.at(-1), [weightBytes, weightBytes]);
    for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] >= calls[i - 1][0]);
    assert.deepEqual(await w.sampleTokens(2, 0.5, 7), await direct.sampleTokens(2, 0.5, 7));
    w.dispose();
    direct.dispose();
  } finally {
    server.close();
  }
});
