// The ES module in a real browser: headless Chromium loads wasm_api/index.mjs in a page (the engine
// fetched by URL, WASM SIMD), then runs the same calls in a module Web Worker through
// MusicVAEWorker. Skipped when no Chromium is installed (`apt-get install chromium`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { ROOT, Q8_MODEL, nativeSample, CHROMIUM, reportingPage, runPageInChromium } from './wasm_helpers.mjs';


const PAGE = reportingPage("import { MusicVAE, MusicVAEWorker, engineInfo } from '/wasm_api/index.mjs';", `
  out.info = await engineInfo();
  const m = new MusicVAE('/models/mel_2bar_small.q8.mvae');
  out.tokens = (await m.sampleTokens(3, 0.5, 123)).tokens.map((t) => Array.from(t));
  out.sequence = (await m.sample(1, 0.5, 5))[0];
  m.dispose();
  const w = new MusicVAEWorker('/models/mel_2bar_small.q8.mvae');
  out.workerInfo = await w.engineInfo();
  out.workerTokens = (await w.sampleTokens(3, 0.5, 123)).tokens.map((t) => Array.from(t));
  try { await w.decode([new Float32Array(3)]); } catch (e) { out.workerError = [e.name, e.code]; }
  w.dispose();`);

test('headless Chromium: page and module Worker run the WASM SIMD engine with native results',
  { skip: CHROMIUM ? false : 'no Chromium installed', timeout: 120000 }, async () => {
    // Only the engine, the API and the models are served.
    const out = await runPageInChromium(PAGE, (p) => {
      const file = path.join(ROOT, path.normalize(p));
      const allowed = ['wasm_api', 'models'].some((d) => file.startsWith(path.join(ROOT, d) + path.sep));
      return allowed ? { file } : null;
    });
    assert.equal(out.error, undefined, out.error);
    assert.deepEqual(out.info, { kernels: 'wasm_simd128', activations: 'wasm_simd128', build: 'single', threads: 1 });
    assert.deepEqual(out.workerInfo, out.info);
    const native = nativeSample(Q8_MODEL, 3, 0.5, 123);
    assert.deepEqual(out.tokens, native);
    assert.deepEqual(out.workerTokens, native);
    assert.deepEqual(out.workerError, ['InvalidArgumentError', 'INVALID_ARGUMENT']);
    assert.equal(out.sequence.totalQuantizedSteps, 32);
    assert.deepEqual(out.sequence.quantizationInfo, { stepsPerQuarter: 4 });
  });
