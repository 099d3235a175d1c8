// Multicontrol models against magenta.js itself (@magenta/music 1.23.1): mel_2bar_multicontrol_*'s
// layout (chords + extraControls rhythm, shape and register, with magenta.js's control
// preprocessing LSTM), flat and hierarchical, as random-weight magenta.js checkpoints served over
// HTTP and loaded by both libraries from the same URL (tests/js/checkpoint_helpers.mjs). The controls
// are what a magenta.js user passes: the chord progression, and tf.Tensor2D extra controls of a
// melody: its rhythm and shape as magenta.js's own MelodyRhythm / MelodyShape compute them (through
// its MelodyRhythmConverter / MelodyShapeConverter), its register one-hot (MelodyRegister's rule,
// worked here). Greedy decodes must be identical, encodings agree to 1e-4 (relative).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';

import { MusicVAE } from '../../wasm_api/index.mjs';
import { ROOT, relativeError, tmpdir } from './wasm_helpers.mjs';
import { quietly, serveDirectory, writeCheckpoint } from './checkpoint_helpers.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const root = tmpdir('mvae-controls-');
let server, base, tf, mm;

before(async () => {
  writeCheckpoint('mel_multicontrol', { quantization: 'uint8', seed: 31, root });
  writeCheckpoint('hier_mel_controls', { quantization: 'float32', seed: 32, root });
  ({ server, base } = await serveDirectory(root));
  await quietly(async () => {
    tf = require('@tensorflow/tfjs');
    mm = require('@magenta/music/node/music_vae');
    await tf.setBackend('cpu');
  });
});
after(() => server && server.close());

// A melody of numSteps steps (rising and falling, with rests and held notes).
function melody(numSteps, shift) {
  const notes = [];
  for (let s = 0, k = 0; s < numSteps; k++) {
    const len = 1 + ((k + shift) % 3);
    if ((k + shift) % 5 !== 4) {
      notes.push({ pitch: 60 + ((k * 5 + shift) % 12) - 3, velocity: 80, quantizedStartStep: s, quantizedEndStep: Math.min(s + len, numSteps) });
    }
    s += len;
  }
  return { notes, quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: numSteps };
}

// magenta.js's data converter `type` (its toTensor: the melody's control), without weights.
function converter(type, numSteps) {
  const vae = new mm.MusicVAE('unused', { type: 'MusicVAE', dataConverter: { type, args: { numSteps, minPitch: 21, maxPitch: 108 } } });
  vae.instantiateFromSpec();
  return vae.dataConverter;
}

// The register of a melody (MelodyRegister with boundaries 55, 62, 69, worked here for these
// monophonic melodies): the mean pitch over the steps a note sounds (from its onset to its
// note-off); every step one-hot at the number of boundaries at or below it.
function register(ns, numSteps) {
  const events = new Array(numSteps).fill(0); // 0: no event, -1: note-off, else an onset's pitch
  for (const n of [...ns.notes].sort((a, b) => a.quantizedStartStep - b.quantizedStartStep)) {
    events[n.quantizedStartStep] = n.pitch;
    if (n.quantizedEndStep < numSteps) events[n.quantizedEndStep] = -1;
  }
  let pitch = null, sum = 0, count = 0;
  for (const e of events) {
    if (e === -1) pitch = null;
    else if (e > 0) pitch = e;
    if (pitch !== null) {
      sum += pitch;
      count++;
    }
  }
  const k = [55, 62, 69].filter((b) => sum / count >= b).length;
  return tf.tensor2d(Array.from({ length: numSteps }, () => [0, 1, 2, 3].map((i) => (i === k ? 1 : 0))));
}

// The controls of a melody, {rhythm [T, 1], shape [T, 3], register [T, 4]}, as tf tensors.
function controlsOf(ns, names) {
  const steps = ns.totalQuantizedSteps;
  const extract = {
    rhythm: () => converter('MelodyRhythmConverter', steps).toTensor(structuredClone(ns)),
    shape: () => converter('MelodyShapeConverter', steps).toTensor(structuredClone(ns)),
    register: () => register(ns, steps),
  };
  return Object.fromEntries(names.map((name) => [name, extract[name]()]));
}

const notesOf = (seqs) => seqs.map((s) => s.notes.map((x) => [x.pitch, Number(x.quantizedStartStep), Number(x.quantizedEndStep)])
  .sort((a, b) => a[1] - b[1] || a[0] - b[0]));

const CASES = [
  { family: 'mel_multicontrol', quantization: 'uint8', chords: [['C', 'G'], ['Am', 'F', 'C', 'G']], names: ['rhythm', 'shape', 'register'] },
  { family: 'hier_mel_controls', quantization: 'float32', chords: [null], names: ['rhythm', 'shape'] },
];

for (const c of CASES) {
  test(`${c.family}: decodes and encodes with controlArgs (chords, extraControls) as magenta.js`, async (t) => {
    const url = `${base}/${c.family}_${c.quantization}`;
    const theirs = new mm.MusicVAE(url);
    await quietly(() => theirs.initialize());
    const ours = new MusicVAE(url);
    await ours.initialize();
    assert.equal(ours.info.controlExtra, c.names.map((n) => `${n}:${{ rhythm: 1, shape: 3, register: 4 }[n]}`).join(','));
    const steps = ours.info.numSteps, zSize = ours.zDims, n = 5;
    const rows = Array.from({ length: n }, (_, i) => Array.from({ length: zSize }, (_, k) => Math.sin(0.67 * (i * zSize + k) + 0.1) * 1.3));
    let worst = 0;
    for (const chordProgression of c.chords) {
      for (const shift of [0, 2]) {
        const extraControls = controlsOf(melody(steps, shift), c.names);
        const args = chordProgression ? { chordProgression, extraControls } : { extraControls };
        const want = await quietly(() => theirs.decode(tf.tensor2d(rows.flat(), [n, zSize]), undefined, args));
        const got = await ours.decode(rows, undefined, args);
        assert.ok(want.some((s) => s.notes.length > 0), 'the decodes have notes');
        assert.deepEqual(notesOf(got), notesOf(want), `decode with ${chordProgression} / melody ${shift}`);
        const inputs = [...want.filter((s) => s.notes.length), melody(steps, 1)];
        const mu = await (await quietly(() => theirs.encode(structuredClone(inputs), args))).array();
        const ourMu = await (await ours.encode(inputs, args)).array();
        mu.forEach((row, i) => {
          const err = relativeError(Float32Array.from(ourMu[i]), row);
          worst = Math.max(worst, err);
          assert.ok(err <= 1e-4, `encode ${i} with ${chordProgression} / melody ${shift}: relative error ${err}`);
        });
      }
    }
    t.diagnostic(`largest relative error ${worst.toExponential(2)}`);
    // magenta.js's refusal of a missing control signal, word for word.
    await assert.rejects(ours.decode(rows, undefined, c.chords[0] ? { chordProgression: c.chords[0] } : {}), /Missing control signal: rhythm/);
    theirs.dispose();
    ours.dispose();
  });
}
