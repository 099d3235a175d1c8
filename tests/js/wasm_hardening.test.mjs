// Hostile sizes and odd arguments on the JS API (issue 17): every size from user input is refused
// with a typed error before it reaches _malloc, and the module stays healthy afterwards. For each
// public function: a refused call, then a normal call on the same module (in this thread and in a
// Worker), whose result must equal the same call on a fresh module; the heap is back where it was.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import {
  MusicVAE, MusicVAEWorker, engineHeapUsed, InvalidArgumentError, OutOfMemoryError, DisposedError, BadModelError,
  MusicVAEError,
} from '../../wasm_api/index.mjs';
import { Q8_MODEL, eventsToSequence } from './wasm_helpers.mjs';

const melody = eventsToSequence([40, 0, 1, 0, 42, ...new Array(27).fill(0)]);
const typed = (Class, pattern) => (e) => {
  assert.ok(e instanceof Class, `${e && e.name}: ${e && e.message}`);
  assert.ok(e instanceof MusicVAEError && typeof e.code === 'string');
  if (pattern) assert.match(e.message, pattern);
  return true;
};
const invalid = (pattern) => typed(InvalidArgumentError, pattern);

// [name, refused call, its error check, normal call]. z: 4 latent vectors of the model.
function cases(z) {
  const zDims = z[0].length;
  return [
    ['sample', (m) => m.sample(4194304), invalid(/numSamples 4194304 is more than 4096/), (m) => m.sample(2, 0.5, 7)],
    ['sample 2^31', (m) => m.sample(2 ** 31, 0.5, 1), invalid(/more than 4096/), (m) => m.sample(2, 0.5, 7)],
    ['sampleTokens', (m) => m.sampleTokens(1e9, 0.5, 1), invalid(/numSamples/), (m) => m.sampleTokens(2, 0.5, 3)],
    ['sampleLatents', (m) => m.sampleLatents(1e7), invalid(/numSamples 10000000/), (m) => m.sampleLatents(3, 5)],
    ['decode', (m) => m.decode(new Float32Array(4097 * zDims)), invalid(/latent vectors 4097 is more than 4096/),
      (m) => m.decode(z, 0.5, { seed: 2 })],
    ['decodeTokens', (m) => m.decodeTokens(z, { teacher: [[NaN]] }), invalid(/teacher/),
      (m) => m.decodeTokens(z, null)],
    ['decodeTokens NaN teacher', (m) => m.decodeTokens([z[0]], { teacher: [new Array(32).fill(NaN)] }),
      invalid(/teacher\[0\]\[0\] is NaN, not an integer token/), (m) => m.decodeTokens([z[0]], { logits: true })],
    ['tokensToSequences', (m) => m.tokensToSequences([new Array(32).fill(0).fill(NaN, 5, 6)]),
      invalid(/tokens\[0\]\[5\] is NaN/), (m) => m.tokensToSequences([new Int32Array(32).fill(2)])],
    ['tokensToSequences count', (m) => m.tokensToSequences(new Array(5000).fill(new Int32Array(32))),
      invalid(/5000 is more than 4096/), (m) => m.tokensToSequences([new Int32Array(32)])],
    ['encode', (m) => m.encode(new Array(5000).fill(melody)), invalid(/sequences 5000 is more than 4096/),
      (m) => m.encode([melody])],
    ['encodeWithSigma', (m) => m.encodeWithSigma([{ ...melody, notes: { length: 2 ** 31 } }]), invalid(),
      (m) => m.encodeWithSigma([melody])],
    ['similar', (m) => m.similar(z[0], 2 ** 31, 0.5), invalid(/numSamples/), (m) => m.similar(z[0], 2, 0.5, 0.5, { seed: 1 })],
    ['similarTokens', (m) => m.similarTokens(z[0], 1e6, 0.5), invalid(/numSamples/),
      (m) => m.similarTokens(z[0], 2, 0.5, 0, { seed: 1 })],
    ['interpolate', (m) => m.interpolate([z[0], z[1]], 65536), invalid(/numInterps 65536 is more than 4096/),
      (m) => m.interpolate([z[0], z[1]], 3)],
    ['interpolate grid', (m) => m.interpolate(z, [100, 100]), invalid(/interpolation points \(100 x 100\) 10000/),
      (m) => m.interpolate(z, [2, 3])],
    ['interpolateLatents', (m) => m.interpolateLatents(z, 4097), invalid(/4097/), (m) => m.interpolateLatents(z, 3, { method: 'slerp' })],
    ['latentAt', (m) => m.latentAt(z, NaN, 0.5), invalid(/u NaN is not in 0..1/), (m) => m.latentAt(z, 0.3, 0.6, { method: 'slerp' })],
  ];
}

// Plain data of a result, to compare across threads and modules.
const plain = (x) => JSON.parse(JSON.stringify(x, (k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v)));

describe('refused calls leave the module healthy', () => {
  let m, fresh, z;
  before(async () => {
    m = new MusicVAE(Q8_MODEL);
    fresh = new MusicVAE(fs.readFileSync(Q8_MODEL));
    await fresh.initialize();
    z = await m.sampleLatents(4, 11);
  });
  after(() => {
    m.dispose();
    fresh.dispose();
  });

  test('each public function: a refused call, then a normal one on the same module', async () => {
    const heap = await engineHeapUsed();
    for (const [name, refused, check, normal] of cases(z)) {
      await assert.rejects(refused(m), check, name);
      assert.deepEqual(plain(await normal(m)), plain(await normal(fresh)), `${name} after the refused call`);
    }
    assert.equal(await engineHeapUsed(), heap, 'every refused call freed what it allocated');
  });

  test('initialize: a bad model is refused, and the engine loads a good one after it', async () => {
    const bad = new MusicVAE(new Uint8Array(100));
    await assert.rejects(bad.initialize(), typed(BadModelError));
    await assert.rejects(new MusicVAE(42).initialize(), invalid(/bytes/));
    const good = new MusicVAE(Q8_MODEL);
    assert.deepEqual(plain(await good.sample(2, 0.5, 7)), plain(await fresh.sample(2, 0.5, 7)));
    good.dispose();
  });

  test('dispose() inside onProgress: a DisposedError, and the engine goes on', async () => {
    const d = new MusicVAE(Q8_MODEL);
    await d.initialize();
    const seen = [];
    await assert.rejects(d.sample(600, 0.5, { seed: 1, onProgress: (done) => { seen.push(done); d.dispose(); } }),
      typed(DisposedError, /disposed during the call/));
    assert.deepEqual(seen, [256]);
    await assert.rejects(d.decode([z[0]], 0, { onProgress: () => d.dispose() }), typed(DisposedError));
    assert.deepEqual(plain(await m.sample(2, 0.5, 7)), plain(await fresh.sample(2, 0.5, 7)));
  });

  test('odd options: decodeTokens(z, null) is decodeTokens(z); a non-function onProgress is refused', async () => {
    assert.deepEqual(plain(await m.decodeTokens(z, null)), plain(await m.decodeTokens(z)));
    await assert.rejects(m.decodeTokens(z, 5), invalid(/options must be an object/));
    await assert.rejects(m.decode(z, 0, { onProgress: 'yes' }), invalid(/onProgress must be a function/));
  });

  test('a logits request larger than the limit is an OutOfMemoryError before any allocation', async () => {
    // 4096 sequences x 32 steps x 90 logits x 4 bytes = 47 MB: allowed; the check is on bytes.
    const many = new Float32Array(4096 * z[0].length);
    const { logits } = await m.decodeTokens(many, { logits: true });
    assert.equal(logits.length, 4096);
    assert.ok(OutOfMemoryError.prototype instanceof MusicVAEError);
  });
});

test('in a Worker: each public function refused, then a normal call, same results as in this thread', async () => {
  const w = new MusicVAEWorker(Q8_MODEL);
  const direct = new MusicVAE(Q8_MODEL);
  const z = await direct.sampleLatents(4, 11);
  await direct.sample(1);
  try {
    await w.initialize();
    const heap = await w.heapUsed();
    for (const [name, refused, check, normal] of cases(z)) {
      await assert.rejects(refused(w), check, name);
      assert.deepEqual(plain(await normal(w)), plain(await normal(direct)), `${name} in the worker`);
    }
    assert.equal(await w.heapUsed(), heap);
    await assert.rejects(w._invoke('constructor', []), invalid(/unknown method constructor/));
    await assert.rejects(w.midi('eval', 'x'), invalid(/unknown MIDI function eval/));
    // MIDI parsing in the worker gives what the MIDI module gives here.
    const midi = await import('../../wasm_api/midi.mjs');
    // A hand-made file: format 0, 96 ticks per quarter, C4 for one quarter.
    const bytes = new Uint8Array([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0, 96, 0x4d, 0x54, 0x72, 0x6b, 0, 0, 0, 12,
      0x00, 0x90, 60, 100, 0x60, 0x80, 60, 64, 0x00, 0xff, 0x2f, 0x00]);
    const parsed = await w.midi('midiToQuantizedSequence', bytes, 4);
    assert.deepEqual(parsed.notes.map((n) => [n.pitch, n.quantizedStartStep, n.quantizedEndStep]), [[60, 0, 4]]);
    assert.deepEqual(parsed, midi.midiToQuantizedSequence(bytes, 4));
    await assert.rejects(w.midi('midiToSequence', new Uint8Array([1, 2, 3])), (e) => e instanceof MusicVAEError);
    assert.deepEqual(plain(await w.sample(2, 0.5, 7)), plain(await direct.sample(2, 0.5, 7)), 'healthy after a bad MIDI file');
  } finally {
    w.dispose();
    direct.dispose();
  }
});
