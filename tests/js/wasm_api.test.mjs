// The MusicVAE JavaScript API on the WebAssembly build: parity with the native engine (same seed, same
// tokens; same encodings), magenta.js's API shapes, typed errors, memory hygiene. Run with
// `node --test tests/js/` after `bash scripts/build.sh` (which builds wasm_api/dist/ and build/mvae).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  MusicVAE, engineInfo, engineHeapUsed, MusicVAEError, InvalidArgumentError, BadModelError,
  UnsupportedError, NoEncoderError, BadInputError, DisposedError, quantizeNoteSequence,
} from '../../wasm_api/index.mjs';
import {
  ROOT, Q8_MODEL, FP32_MODEL, DECODER_ONLY_MODEL, benchModels, loadTestVectors, eventsToSequence, sequenceToEvents,
  nativeSample, nativeEncode, relativeError, serveFiles,
} from './wasm_helpers.mjs';

const canonical = (tokens) => sequenceToEvents(eventsToSequence(Array.from(tokens)));

describe('engine', () => {
  test('runs the WASM SIMD128 kernels', async () => {
    const info = await engineInfo();
    assert.equal(info.kernels, 'wasm_simd128');
    assert.equal(info.activations, 'wasm_simd128');
  });

  test('the bundled model loads with its configuration', async () => {
    const m = new MusicVAE(Q8_MODEL);
    assert.equal(m.isInitialized(), false);
    assert.equal(m.zDims, undefined);
    await m.initialize();
    assert.equal(m.isInitialized(), true);
    assert.equal(m.zDims, 256);
    assert.equal(m.info.name, 'mel_2bar_small');
    assert.equal(m.info.numSteps, 32);
    assert.equal(m.info.converter, 'melody');
    assert.deepEqual(m.info.outputDepths, [90]);
    assert.equal(m.info.hasEncoder, true);
    assert.equal(m.info.quantized, true);
    assert.equal(m.info.kernels, 'wasm_simd128');
    m.dispose();
  });
});

describe('model sources', () => {
  let server, url;
  before(async () => {
    ({ server, base: url } = await serveFiles((p) => (p === '/m.mvae' ? Q8_MODEL : null)));
  });
  after(() => server.close());

  test('path, file URL, http URL, bytes, ArrayBuffer and the default all load the same model', async () => {
    const bytes = new Uint8Array(fs.readFileSync(Q8_MODEL));
    const sources = [Q8_MODEL, pathToFileURL(Q8_MODEL), pathToFileURL(Q8_MODEL).href, `${url}/m.mvae`, bytes,
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), undefined];
    let reference = null;
    for (const source of sources) {
      const m = new MusicVAE(source);
      const { tokens } = await m.sampleTokens(2, 0.5, 99);
      reference = reference || tokens;
      assert.deepEqual(tokens, reference);
      m.dispose();
    }
  });

  test('an http 404 is a BadModelError', async () => {
    const m = new MusicVAE(`${url}/missing.mvae`);
    await assert.rejects(m.initialize(), (e) => e instanceof BadModelError && /404/.test(e.message));
  });

  test('a file that is not a model is a BadModelError, with the loader\'s reason', async () => {
    for (const bytes of [fs.readFileSync(path.join(ROOT, 'package.json')), new Uint8Array(100),
      fs.readFileSync(Q8_MODEL).subarray(0, 5000)]) {
      const m = new MusicVAE(bytes);
      await assert.rejects(m.initialize(), (e) => {
        assert.ok(e instanceof BadModelError, `${e.name}: ${e.message}`);
        assert.ok(e instanceof MusicVAEError && e instanceof Error);
        assert.equal(e.code, 'BAD_MODEL');
        assert.match(e.message, /cannot load the model: .+/);
        return true;
      });
    }
    await assert.rejects(new MusicVAE('/nonexistent/model.mvae').initialize(), BadModelError);
    await assert.rejects(new MusicVAE(new Uint8Array(0)).initialize(), InvalidArgumentError);
  });
});

describe('parity with the native engine (build/mvae)', () => {
  for (const [label, file] of [['q8', Q8_MODEL], ['fp32', FP32_MODEL]]) {
    test(`${label}: sample(n, t, seed) gives the tokens of build/mvae sample -s seed`, async () => {
      const m = new MusicVAE(file);
      for (const [n, t, seed] of [[4, 0.5, 1], [3, 1.0, 7], [2, 0.5, 12345678901234n], [1, 0, 5]]) {
        const { tokens } = await m.sampleTokens(n, t, seed);
        assert.deepEqual(tokens.map((x) => Array.from(x)), nativeSample(file, n, t, seed), `n ${n} t ${t} seed ${seed}`);
      }
      m.dispose();
    });
  }

  test('a long batch decoded in chunks (with progress) draws what one native call does', async () => {
    const m = new MusicVAE(Q8_MODEL);
    const seen = [];
    const { tokens } = await m.sampleTokens(300, 0.5, { seed: 31, onProgress: (done, total) => seen.push([done, total]) });
    assert.deepEqual(seen, [[256, 300], [300, 300]]);
    assert.deepEqual(tokens.map((x) => Array.from(x)), nativeSample(Q8_MODEL, 300, 0.5, 31));
    m.dispose();
  });

  test('encode (random-encoder bench copies) gives the native mu bit for bit; sigma too', async () => {
    const bench = benchModels();
    const cases = loadTestVectors().slice(0, 6);
    for (const file of [bench.fp32, bench.q8]) {
      const m = new MusicVAE(file);
      const sequences = cases.map((c) => eventsToSequence(c.source_events));
      const mu = await m.encode(sequences);
      assert.equal(mu.length, cases.length);
      sequences.forEach((ns, i) => {
        assert.ok(mu[i] instanceof Float32Array && mu[i].length === 256);
        assert.deepEqual(mu[i], nativeEncode(file, sequenceToEvents(ns)), `${path.basename(file)} case ${i}`);
      });
      const both = await m.encodeWithSigma(sequences);
      assert.deepEqual(both.mu, mu);
      assert.ok(both.sigma.every((s) => s.length === 256 && s.every((v) => v > 0)));
      m.dispose();
    }
  });
});

describe('magenta.js API shapes', () => {
  let m;
  before(async () => {
    m = new MusicVAE(Q8_MODEL);
    await m.initialize();
  });
  after(() => m.dispose());

  test('sample returns quantized NoteSequences with times from qpm', async () => {
    const seqs = await m.sample(3, 0.5, 11);
    const { tokens } = await m.sampleTokens(3, 0.5, 11);
    assert.equal(seqs.length, 3);
    seqs.forEach((ns, i) => {
      assert.deepEqual(ns.quantizationInfo, { stepsPerQuarter: 4 });
      assert.deepEqual(ns.tempos, [{ time: 0, qpm: 120 }]);
      assert.equal(ns.totalQuantizedSteps, 32);
      assert.equal(ns.totalTime, 4);
      for (const note of ns.notes) {
        assert.deepEqual(Object.keys(note).sort(), ['endTime', 'instrument', 'isDrum', 'pitch', 'program',
          'quantizedEndStep', 'quantizedStartStep', 'startTime', 'velocity']);
        assert.equal(note.startTime, note.quantizedStartStep * 0.125);
        assert.equal(note.endTime, note.quantizedEndStep * 0.125);
        assert.ok(note.quantizedEndStep > note.quantizedStartStep);
        assert.equal(note.isDrum, false);
        assert.equal(note.velocity, 80);
      }
      assert.deepEqual(sequenceToEvents(ns), canonical(tokens[i]));
    });
    const slow = await m.sample(1, 0.5, 11, 4, 60);
    assert.equal(slow[0].tempos[0].qpm, 60);
    assert.equal(slow[0].totalTime, 8);
    slow[0].notes.forEach((n) => assert.equal(n.startTime, n.quantizedStartStep * 0.25));
    // magenta.js's controlArgs object in the third place, with our seed in it.
    assert.deepEqual(await m.sample(3, 0.5, { seed: 11 }), seqs);
  });

  test('decode: no temperature is argmax; latents as Float32Arrays, number arrays, flat or tensor-like', async () => {
    const { z, tokens } = await m.sampleTokens(4, 0, 3);
    const seqs = await m.decode(z);
    seqs.forEach((ns, i) => assert.deepEqual(sequenceToEvents(ns), canonical(tokens[i])));
    assert.deepEqual(await m.decode(z.map((v) => Array.from(v))), seqs);
    const flat = new Float32Array(4 * 256);
    z.forEach((v, i) => flat.set(v, i * 256));
    assert.deepEqual(await m.decode(flat), seqs);
    assert.deepEqual(await m.decode({ shape: [4, 256], dataSync: () => flat }), seqs);
    assert.deepEqual(await m.decode(z, 0), seqs);
    const [one] = await m.decode(z[2]);
    assert.deepEqual(one, seqs[2]);
  });

  test('decode at a temperature: the seed decides', async () => {
    const { z } = await m.sampleTokens(8, 0, 4);
    const a = await m.decodeTokens(z, { temperature: 1.0, seed: 5 });
    const b = await m.decodeTokens(z, { temperature: 1.0, seed: 5 });
    const c = await m.decodeTokens(z, { temperature: 1.0, seed: 6 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.deepEqual(await m.decode(z, 1.0, { seed: 5 }), await m.tokensToSequences(a.tokens));
  });

  test('logits and teacher forcing', async () => {
    const { z } = await m.sampleTokens(2, 0, 8);
    const { tokens, logits } = await m.decodeTokens(z, { logits: true });
    assert.equal(logits[0].length, 32 * 90);
    tokens.forEach((t, b) => {
      for (let s = 0; s < 32; s++) {
        const row = logits[b].subarray(s * 90, (s + 1) * 90);
        assert.equal(row.indexOf(Math.max(...row)), t[s]);
      }
    });
    assert.deepEqual((await m.decodeTokens(z, { teacher: tokens })).tokens, tokens);
    await assert.rejects(m.decodeTokens(z, { teacher: [tokens[0]] }), InvalidArgumentError);
  });

  test('interpolate: 2 points, linear (magenta.js) and slerp', async () => {
    const { z } = await m.sampleTokens(2, 0, 21);
    const lin = await m.interpolateLatents(z, 5);
    assert.equal(lin.length, 5);
    lin.forEach((v, i) => {
      const t = i / 4;
      for (let d = 0; d < 256; d++) assert.ok(Math.abs(v[d] - (z[0][d] + t * (z[1][d] - z[0][d]))) < 1e-5);
    });
    assert.deepEqual(lin[0], z[0]);
    const seqs = await m.interpolate(z, 5);
    assert.deepEqual(seqs, await m.decode(lin));
    // slerp between vectors of equal norm keeps the norm.
    const norm = (v) => Math.hypot(...v);
    const b = z[1].map((x) => (x * norm(z[0])) / norm(z[1]));
    const sl = await m.interpolateLatents([z[0], b], 7, { method: 'slerp' });
    sl.forEach((v) => assert.ok(Math.abs(norm(v) - norm(z[0])) < 1e-3 * norm(z[0])));
    assert.equal((await m.interpolate(z, 3, 0.5, { method: 'slerp', seed: 1 })).length, 3);
  });

  test('interpolate: 4 corners, magenta.js layout and bilinear weights, [cols, rows] or a side', async () => {
    const { z } = await m.sampleTokens(4, 0, 22);
    const grid = await m.interpolateLatents(z, [3, 2]);
    assert.equal(grid.length, 6);
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 3; c++) {
        const x = c / 2, y = r;
        const v = grid[r * 3 + c];
        for (let d = 0; d < 256; d++) {
          const want = z[0][d] * (1 - y) * (1 - x) + z[1][d] * y * (1 - x) + z[2][d] * (1 - y) * x + z[3][d] * y * x;
          assert.ok(Math.abs(v[d] - want) < 1e-5, `row ${r} col ${c} dim ${d}`);
        }
      }
    }
    assert.equal((await m.interpolateLatents(z, 3)).length, 9);
    assert.equal((await m.interpolate(z, [2, 2])).length, 4);
  });

  test('similar: similarity 1 is the input; 0 with a seed is sample with that seed', async () => {
    const { z } = await m.sampleTokens(1, 0, 40);
    const same = await m.similar(z[0], 3, 1);
    const greedy = await m.decode(z);
    same.forEach((ns) => assert.deepEqual(ns, greedy[0]));
    assert.deepEqual(await m.similar(z[0], 4, 0, 0.5, { seed: 77 }), await m.sample(4, 0.5, 77));
    const a = await m.similar(z[0], 4, 0.8, 0.5, { seed: 3 });
    assert.deepEqual(a, await m.similar(Array.from(z[0]), 4, 0.8, 0.5, { seed: 3 }));
  });
});

describe('errors', () => {
  let m, bench;
  before(async () => {
    m = new MusicVAE(Q8_MODEL);
    await m.initialize();
    bench = new MusicVAE(benchModels().fp32);
    await bench.initialize();
  });
  after(() => {
    m.dispose();
    bench.dispose();
  });

  const invalid = (pattern) => (e) => {
    assert.ok(e instanceof InvalidArgumentError, `${e.name}: ${e.message}`);
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, pattern);
    return true;
  };

  test('latent vectors of the wrong size, NaN, empty batches', async () => {
    await assert.rejects(m.decode([new Float32Array(255)]), invalid(/length 255; this model's zDims is 256/));
    await assert.rejects(m.decode(new Float32Array(300)), invalid(/multiple of zDims 256/));
    const z = new Float32Array(256);
    z[17] = NaN;
    await assert.rejects(m.decode([new Float32Array(256), z]), invalid(/z\[1\]\[17\] is NaN/));
    await assert.rejects(m.decode([]), invalid(/empty/));
    await assert.rejects(m.decode('nope'), invalid(/Float32Array/));
    await assert.rejects(m.similar(new Float32Array(3), 2, 0.5), invalid(/zDims/));
  });

  test('bad temperatures, seeds, counts, similarity, interpolation inputs', async () => {
    const z = [new Float32Array(256)];
    await assert.rejects(m.decode(z, -1), invalid(/temperature/));
    await assert.rejects(m.decode(z, NaN), invalid(/temperature/));
    await assert.rejects(m.sample(1, 0.5, -3), invalid(/seed/));
    await assert.rejects(m.sample(1, 0.5, 1.5), invalid(/seed/));
    await assert.rejects(m.sample(0), invalid(/numSamples/));
    await assert.rejects(m.similar(z[0], 2, 1.5), invalid(/Similarity/));
    await assert.rejects(m.interpolate([z[0], z[0], z[0]], 3), invalid(/2 or 4/));
    await assert.rejects(m.interpolate([z[0], z[0]], 0), invalid(/numInterps/));
    await assert.rejects(m.interpolate([z[0], z[0]], 3, 0, { method: 'cubic' }), invalid(/method/));
    await assert.rejects(m.decode(z, 0, {}, 0), invalid(/stepsPerQuarter/));
  });

  test('conditioning this model does not take', async () => {
    await assert.rejects(m.decode([new Float32Array(256)], 0, { chordProgression: ['C'] }), UnsupportedError);
    await assert.rejects(m.sample(1, 0.5, { key: 3 }), (e) => e instanceof UnsupportedError && e.code === 'UNSUPPORTED');
  });

  test('encode: a decoder-only model, unquantized, too long, wrong grid, out-of-range pitch', async () => {
    const ns = eventsToSequence([60 - 19, 0, 1, ...new Array(29).fill(0)]);
    const decoderOnly = new MusicVAE(DECODER_ONLY_MODEL);
    await decoderOnly.initialize();
    await assert.rejects(decoderOnly.encode([ns]), (e) => e instanceof NoEncoderError && e.code === 'NO_ENCODER');
    decoderOnly.dispose();
    const unquantized = { notes: [{ pitch: 60, startTime: 0, endTime: 0.5, velocity: 80 }], totalTime: 0.5 };
    await assert.rejects(bench.encode([unquantized]), invalid(/not quantized/));
    // quantizeNoteSequence makes it acceptable, as in magenta.js.
    const q = quantizeNoteSequence(unquantized, 4);
    assert.deepEqual(q.notes[0].quantizedStartStep, 0);
    assert.deepEqual(q.notes[0].quantizedEndStep, 4); // 0.5 s at 120 qpm = 1 quarter
    assert.equal((await bench.encode([q]))[0].length, 256);
        const low = eventsToSequence([2, ...new Array(31).fill(0)]);
    low.notes[0].pitch = 10;
    await assert.rejects(bench.encode([low]), (e) => e instanceof BadInputError && /pitch/.test(e.message));
    await assert.rejects(bench.encode([]), invalid(/non-empty/));
    await assert.rejects(bench.encode([{ notes: 'x' }]), invalid(/not a NoteSequence/));
    const frac = eventsToSequence([40, ...new Array(31).fill(0)]);
    frac.notes[0].quantizedEndStep = 2.5;
    await assert.rejects(bench.encode([frac]), invalid(/quantizedEndStep 2.5 is not an integer/));
  });

  test('calls after dispose throw DisposedError; initialize() loads the model again', async () => {
    const d = new MusicVAE(Q8_MODEL);
    await d.initialize();
    const z = [new Float32Array(256).fill(0.25)];
    const before = await d.decodeTokens(z);
    d.dispose();
    d.dispose();
    assert.equal(d.isInitialized(), false);
    for (const call of [() => d.sample(1), () => d.decode(z), () => d.encode([]),
      () => d.similar(z[0], 1, 0.5), () => d.interpolate([z[0], z[0]], 2), () => d.decodeTokens(z)]) {
      await assert.rejects(call(), (e) => e instanceof DisposedError && e.code === 'DISPOSED');
    }
    await d.initialize(); // as magenta.js: a disposed model can be initialized again
    assert.equal(d.isInitialized(), true);
    assert.deepEqual(await d.decodeTokens(z), before);
    // dispose() while a load is under way: that load does not land, the next initialize() does.
    const e = new MusicVAE(Q8_MODEL);
    const loading = e.initialize();
    e.dispose();
    await assert.rejects(loading, DisposedError);
    await e.initialize();
    assert.deepEqual(await e.decodeTokens(z), before);
    e.dispose();
    d.dispose();
  });

  test('inputs as magenta.js reads them: longer sequences, any stepsPerQuarter, JSON int64 strings, no end step', async () => {
    // Expected values: the same melody written the plain way, by hand.
    const ns = eventsToSequence([60 - 19, 0, 1, 0, 64 - 19, ...new Array(27).fill(0)]);
    const [want] = await bench.encode([ns]);
    const same = async (seq, what) => assert.deepEqual(Array.from((await bench.encode([seq]))[0]), Array.from(want), what);
    // magenta.js reads the first numSteps steps: notes starting later are left out.
    await same({ ...ns, notes: [...ns.notes, { pitch: 60, quantizedStartStep: 40, quantizedEndStep: 41 }],
      totalQuantizedSteps: 64 }, 'longer');
    // magenta.js does not rescale steps: a sequence at 8 steps per quarter is read step for step.
    await same({ ...ns, quantizationInfo: { stepsPerQuarter: 8 } }, 'stepsPerQuarter 8');
    // protobuf's toJSON: int64 fields as strings, zero fields left out.
    const json = JSON.parse(JSON.stringify(ns, (k, v) => (['quantizedStartStep', 'quantizedEndStep', 'totalQuantizedSteps'].includes(k)
      ? (v === 0 ? undefined : String(v)) : v)));
    assert.equal(json.notes[0].quantizedStartStep, undefined);
    assert.equal(json.notes[0].quantizedEndStep, '2');
    await same(json, 'JSON');
    // No quantizedEndStep: magenta.js writes no note-off, so the note lasts until the next one.
    const open = eventsToSequence([60 - 19, 0, 0, 0, 64 - 19, ...new Array(27).fill(0)]);
    const [held] = await bench.encode([open]);
    const noEnd = structuredClone(open);
    delete noEnd.notes[0].quantizedEndStep;
    delete noEnd.notes[1].quantizedEndStep;
    assert.deepEqual(Array.from((await bench.encode([noEnd]))[0]), Array.from(held));
  });

  test('encode returns a tensor with tf.Tensor2D\'s surface that every call takes back', async () => {
    const seqs = [eventsToSequence([60 - 19, ...new Array(31).fill(0)]), eventsToSequence([72 - 19, ...new Array(31).fill(0)])];
    const z = await bench.encode(seqs);
    assert.deepEqual(z.shape, [2, 256]);
    assert.equal(z.rank, 2);
    assert.equal(z.dtype, 'float32');
    assert.equal(z.size, 512);
    assert.equal(z.length, 2); // and still an array of Float32Array rows
    assert.ok(z[0] instanceof Float32Array);
    const nested = await z.array();
    assert.deepEqual(nested, z.arraySync());
    assert.deepEqual(nested[1], Array.from(z[1]));
    const flat = await z.data();
    assert.deepEqual(flat, z.dataSync());
    assert.deepEqual(flat.subarray(256), z[1]);
    const want = (await bench.decodeTokens([z[0], z[1]])).tokens;
    // A LatentTensor, nested arrays, one flat Float32Array, a tf-like object: the same decode.
    const tfLike = { shape: [2, 256], dataSync: () => flat };
    for (const input of [z, nested, flat, tfLike, z.clone()]) {
      assert.deepEqual((await bench.decodeTokens(input)).tokens, want);
    }
    const { sigma } = await bench.encodeWithSigma(seqs);
    assert.deepEqual(sigma.shape, [2, 256]);
    const grid = await bench.interpolateLatents(z, 3);
    assert.deepEqual(grid.shape, [3, 256]);
    assert.deepEqual(grid[0], z[0]);
    assert.equal((await bench.similar(await bench.encode([seqs[0]]), 2, 0.9, 0, { seed: 1 })).length, 2); // a [1, z] tensor
    z.dispose();
    assert.equal(z.isDisposed, true);
    assert.throws(() => z.arraySync(), /disposed/);
    await assert.rejects(bench.decode(z), invalid(/disposed/));
  });
});

test('every call frees its WebAssembly memory, on success and on error; dispose frees the model', async () => {
  const before = await engineHeapUsed();
  const m = new MusicVAE(benchModels().q8);
  await m.initialize();
  const loaded = await engineHeapUsed();
  assert.ok(loaded > before + 1e6, 'the model lives in the WebAssembly heap');
  const { z } = await m.sampleTokens(70, 0.5, { seed: 1, onProgress: () => {} });
  const seqs = await m.decode(z.slice(0, 5), 0.7, { seed: 2 });
  await m.encodeWithSigma(seqs);
  await m.interpolate([seqs[0], z[1], seqs[2], z[3]], [3, 2], 0.5, { method: 'slerp' });
  await m.similar(seqs[0], 3, 0.5, 0.5);
  await m.decodeTokens(z.slice(0, 3), { logits: true, teacher: (await m.decodeTokens(z.slice(0, 3))).tokens });
  await assert.rejects(m.encode([{ ...seqs[0], notes: [{ pitch: 5, quantizedStartStep: 0, quantizedEndStep: 1 }] }]));
  await assert.rejects(m.decode([z[0], new Float32Array(256).fill(NaN)]));
  assert.equal(await engineHeapUsed(), loaded);
  m.dispose();
  assert.equal(await engineHeapUsed(), before);
});
