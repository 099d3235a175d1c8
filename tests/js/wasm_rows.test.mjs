// Per-row random streams in the WebAssembly build: a batched sample, decode or similar at a
// temperature equals the single calls of its rows (each from the same seed, skipped to its row with
// controlArgs.firstRow), on the flat, hierarchical and trio test models; and the batch matches the
// native engine's batch (build/mvae sample).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { MusicVAE } from '../../wasm_api/index.mjs';
import { ROOT, Q8_MODEL, nativeSample } from './wasm_helpers.mjs';

const rows = (tokens) => tokens.map((x) => Array.from(x));
const MODELS = ['flat_small.mvae', 'hier_mel.mvae', 'hier_trio.mvae'].map((f) => path.join(ROOT, 'tests/data', f));

describe('a batch row = the single call of that row', () => {
  for (const file of MODELS) {
    test(path.basename(file), async () => {
      const m = new MusicVAE(file);
      await m.initialize();
      const seed = 2024;
      const batch = await m.sampleTokens(4, 1.0, { seed });
      const z = await m.sampleLatents(4, seed);
      assert.deepEqual(z, batch.z, 'sampleLatents(4, seed) = the z sample(4, t, seed) decodes');
      const decoded = await m.decodeTokens(batch.z, { temperature: 1.0, seed });
      const similar = await m.similarTokens(batch.z[0], 4, 0.5, 1.0, { seed });
      for (let b = 0; b < 4; b++) {
        const one = await m.sampleTokens(1, 1.0, { seed, firstRow: b });
        assert.deepEqual(rows(one.tokens), [Array.from(batch.tokens[b])], `sample row ${b}`);
        assert.deepEqual(one.z.arraySync(), [Array.from(batch.z[b])], `sample z row ${b}`);
        const single = await m.decodeTokens([batch.z[b]], { temperature: 1.0, seed, firstRow: b });
        assert.deepEqual(rows(single.tokens), [Array.from(decoded.tokens[b])], `decode row ${b}`);
        const sim = await m.similarTokens(batch.z[0], 1, 0.5, 1.0, { seed, firstRow: b });
        assert.deepEqual(rows(sim.tokens), [Array.from(similar.tokens[b])], `similar row ${b}`);
      }
      assert.notDeepEqual(rows(decoded.tokens)[0], rows(decoded.tokens)[1], 'rows draw different randoms');
      await assert.rejects(m.decodeTokens(batch.z, { temperature: 1, seed, firstRow: -1 }), /firstRow/);
      await assert.rejects(m.decodeTokens(batch.z, { temperature: 1, seed, firstRow: 1.5 }), /firstRow/);
      m.dispose();
    });
  }

  test('the bundled model: a batch of 4 = build/mvae sample -n 4; a batch of 2 is its first 2 rows', async () => {
    const m = new MusicVAE(Q8_MODEL);
    const { tokens } = await m.sampleTokens(4, 0.8, 17);
    assert.deepEqual(rows(tokens), nativeSample(Q8_MODEL, 4, 0.8, 17));
    const prefix = await m.sampleTokens(2, 0.8, 17);
    assert.deepEqual(rows(prefix.tokens), rows(tokens).slice(0, 2), 'a batch of 2 = the first 2 rows of 4');
    m.dispose();
  });
});
