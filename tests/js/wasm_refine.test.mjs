// encode(..., {refine}) in the WebAssembly build: the engine's mvae_encode_refined (gradient steps on
// z through the decoder). Expected values from independent sources: the shared test vectors' source
// melodies (what a reconstruction must give back), and the native engine (training/engine.py over
// build/libmusicvae.so) for the bits of the refined z.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { InvalidArgumentError, MusicVAE } from '../../wasm_api/index.mjs';
import { Q8_MODEL, ROOT, eventsToSequence, loadTestVectors, requireFile, sequenceToEvents } from './wasm_helpers.mjs';

const CASES = 24;

function agreement(decoded, sources) {
  let same = 0, all = 0;
  decoded.forEach((seq, i) => {
    const events = sequenceToEvents(seq);
    sources[i].forEach((e, t) => { same += e === events[t]; all++; });
  });
  return same / all;
}

describe('encode with refinement (WebAssembly)', () => {
  let model, sources, inputs;
  before(async () => {
    model = new MusicVAE(requireFile(Q8_MODEL, 'it is in git'));
    await model.initialize();
    sources = loadTestVectors().slice(0, CASES).map((c) => c.source_events);
    inputs = sources.map((e) => eventsToSequence(e));
  });
  after(() => model && model.dispose());

  test('refined z reconstructs the test vectors\' sources at least as well as mu, and nearly all', async () => {
    const plain = agreement(await model.decode(await model.encode(inputs)), sources);
    const refined = agreement(await model.decode(await model.encode(inputs, { refine: true })), sources);
    assert.ok(refined >= plain, `refined ${refined} < plain ${plain}`);
    assert.ok(refined >= 0.99, `refined agreement ${refined}`);
  });

  test('steps 0 gives mu itself; options are checked with typed errors; the module stays usable', async () => {
    const [mu] = await model.encode(inputs.slice(0, 1));
    const [same] = await model.encode(inputs.slice(0, 1), { refine: { steps: 0 } });
    assert.deepEqual(Array.from(same), Array.from(mu));
    for (const bad of [{ steps: -1 }, { steps: 1.5 }, { learningRate: 0 }, { priorWeight: -1 }, { timeBudgetMs: NaN }, 'yes']) {
      await assert.rejects(model.encode(inputs.slice(0, 1), { refine: bad }), InvalidArgumentError, JSON.stringify(bad));
    }
    await assert.rejects(model.encodeWithSigma(inputs.slice(0, 1), { refine: true }), InvalidArgumentError);
    const [again] = await model.encode(inputs.slice(0, 1));
    assert.deepEqual(Array.from(again), Array.from(mu));
  });

  test('the refined z has the native engine\'s bits (same model, same inputs, 10 steps)', async (t) => {
    const lib = `${ROOT}/build/libmusicvae.so`;
    const ours = await model.encode(inputs.slice(0, 4), { refine: { steps: 10 } });
    const script = `
import json, sys
import numpy as np
sys.path.insert(0, ${JSON.stringify(ROOT)})
from training.engine import Engine
ev = np.array(json.load(sys.stdin), np.int64)
x = np.eye(90, dtype=np.float32)[ev]
with Engine(${JSON.stringify(Q8_MODEL)}) as e:
    z = e.encode_refined(x, steps=10)
print(json.dumps(z.view(np.uint32).tolist()))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(sources.slice(0, 4)), encoding: 'utf8', env: { ...process.env, MVAE_LIB: lib } });
    if (r.status !== 0 && /not found: build it/.test(r.stderr)) return t.skip('no native library');
    assert.equal(r.status, 0, r.stderr);
    const native = JSON.parse(r.stdout);
    ours.forEach((z, i) => assert.deepEqual(Array.from(new Uint32Array(z.buffer, z.byteOffset, z.length)), native[i], `sequence ${i}`));
  });
});
