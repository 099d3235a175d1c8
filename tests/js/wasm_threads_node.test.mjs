// The pthreads WebAssembly build under Node (musicvae_wasm_threads_node.mjs: node:worker_threads for
// its threads): the default engine where the CPU has two or more cores, and its results (sampled
// tokens and latents, encodings, decoded tokens; a batch of 16 and one row, where the encoder splits
// its two directions) are bit-identical for threads = 1, 2 and 3, in a MusicVAEWorker too, to the
// single-thread build's (a second instance of musicvae.mjs with threads: 1) and the sampled tokens
// to the native engine's (whose CLI's -j THREADS prints the same for any count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { NATIVE, Q8_MODEL, nativeSample } from './wasm_helpers.mjs';
import { MusicVAE, engineInfo } from '../../wasm_api/musicvae.mjs';
import { MusicVAEWorker } from '../../wasm_api/worker_client.mjs';
import { results } from './thread_results.mjs';


test('Node: the pthreads build gives the single-thread build\'s bits for any thread count', { timeout: 120000 }, async () => {
  // The engine is one per module instance: a second instance of musicvae.mjs, single-thread.
  const single = await import('../../wasm_api/musicvae.mjs?single');
  assert.deepEqual(await single.engineInfo({ threads: 1 }), { kernels: 'wasm_simd128', activations: 'wasm_simd128', build: 'single', threads: 1 });
  const one = new single.MusicVAE(Q8_MODEL);
  const expected = await results(one);
  one.dispose();
  assert.deepEqual(expected.sample16.tokens, nativeSample(Q8_MODEL, 16, 0.5, 123));
  assert.deepEqual(expected.sample1.tokens, nativeSample(Q8_MODEL, 1, 0.5, 7));

  assert.deepEqual(await engineInfo({ threads: 3 }), { kernels: 'wasm_simd128', activations: 'wasm_simd128', build: 'threads', threads: 3 });
  for (const threads of [1, 2, 3]) {
    const m = new MusicVAE(Q8_MODEL, { threads });
    await m.initialize();
    assert.equal(m.threads, threads);
    assert.deepEqual(await results(m), expected, `threads ${threads}`);
    m.dispose();
  }
  // More than the engine started: as many as it has.
  const many = new MusicVAE(Q8_MODEL, { threads: 8 });
  await many.initialize();
  assert.equal(many.threads, 3);
  many.dispose();
  await assert.rejects(new MusicVAE(Q8_MODEL, { threads: 0 }).initialize(), { name: 'InvalidArgumentError' });

  const w = new MusicVAEWorker(Q8_MODEL, { threads: 2 });
  try {
    await w.initialize();
    assert.equal(w.threads, 2);
    assert.equal((await w.engineInfo()).build, 'threads');
    assert.deepEqual(await results(w), expected, 'MusicVAEWorker, threads 2');
  } finally {
    w.dispose();
  }
});

test('native CLI: mvae sample -j THREADS prints what one thread prints', () => {
  const run = (...extra) => spawnSync(NATIVE, ['sample', Q8_MODEL, '-n', '16', '-t', '0.5', '-s', '123', ...extra], { encoding: 'utf8' });
  const one = run(), three = run('-j', '3');
  assert.equal(one.status, 0, one.stderr);
  assert.equal(three.status, 0, three.stderr);
  assert.equal(three.stdout, one.stdout);
});


test('a threads option that is not an integer in 1..64 is refused before the engine loads', async () => {
  const fresh = await import('../../wasm_api/musicvae.mjs?refused');
  for (const threads of [0, 65, 1.5, '2', null]) {
    await assert.rejects(fresh.loadEngine({ threads }), { name: 'InvalidArgumentError' }, String(threads));
  }
  await assert.rejects(new fresh.MusicVAE(Q8_MODEL, { threads: 0 }).initialize(), { name: 'InvalidArgumentError' });
});
