// Parity with magenta.js itself (@magenta/music 1.23.1 on @tensorflow/tfjs 2.8.6, CPU backend), per
// model family the engine runs (flat and hierarchical melody and drums, trio, one-hot drums): a random-weight checkpoint in magenta.js's format with Magenta's
// layer structure (tests/js/checkpoint_helpers.mjs; float32, uint8 and uint16 manifests) is served
// over HTTP and loaded by both libraries from the same URL. Greedy decodes (no temperature: argmax
// in both) must be identical, tokens and NoteSequences; encodings agree to 1e-4 (relative).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';

import { MusicVAE } from '../../wasm_api/index.mjs';
import { ROOT, relativeError, tmpdir } from './wasm_helpers.mjs';
import { magentaEncode, quietly, rng, serveDirectory, writeCheckpoint } from './checkpoint_helpers.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const CASES = [
  { family: 'flat_mel', quantization: 'float32', tracks: [90] },
  { family: 'flat_mel', quantization: 'uint8', tracks: [90] },
  { family: 'flat_mel', quantization: 'uint16', tracks: [90] },
  { family: 'hier_mel', quantization: 'uint16', tracks: [90] },
  { family: 'drums', quantization: 'float32', tracks: [512] },
  { family: 'hier_drums', quantization: 'uint8', tracks: [512] },
  { family: 'trio', quantization: 'uint8', tracks: [90, 90, 512] },
  { family: 'drums_onehot', quantization: 'uint16', tracks: [512] },
  // Rhythm and shape models: a rhythm track's token is its onset bit (magenta.js's BooleanDecoder
  // gives one column per track, `columns`), a shape's the argmax of down / same / up. (Weights in
  // [-2, 2) for the trio: with smaller ones a random trio's drum onsets decode the same everywhere.)
  { family: 'mel_rhythm', quantization: 'float32', tracks: [2], columns: [1], melodic: true },
  { family: 'mel_shape', quantization: 'uint8', tracks: [3], melodic: true },
  { family: 'trio_rhythm', quantization: 'uint16', tracks: [2, 2, 2], columns: [1, 1, 1], range: 2 },
];
const BATCH = 6;

let server, base, tf, mm;
const root = tmpdir('mvae-families-');

before(async () => {
  CASES.forEach((c, i) => writeCheckpoint(c.family, { quantization: c.quantization, seed: 100 + i, range: c.range, root }));
  ({ server, base } = await serveDirectory(root));
  await quietly(async () => {
    tf = require('@tensorflow/tfjs');
    mm = require('@magenta/music/node/music_vae');
    await tf.setBackend('cpu');
  });
});
after(() => server && server.close());

// N(0, 1) latent vectors from a fixed seed (Box-Muller over mulberry32).
function normals(seed, rows, cols) {
  const r = rng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () =>
    Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())));
}

// Drum patterns: `count` sequences of numSteps steps; each step has a hit with probability `fill`
// (1: every step), of one class in turn and others at random; the sparse ones also hold an unmapped
// pitch (100: no class in the drum map) and leave the last steps empty.
function drumPatterns(numSteps, seed, fill, count = 4) {
  const r = rng(seed);
  const pitches = [36, 38, 42, 46, 45, 48, 50, 49, 51];
  return Array.from({ length: count }, (_, i) => {
    const notes = [];
    for (let s = 0; s < numSteps; s++) {
      if (fill < 1 && (s >= numSteps - 1 - i || r() >= fill)) continue;
      for (const [k, pitch] of pitches.entries()) {
        if (k === s % 9 || r() < 0.2) notes.push({ pitch, velocity: 80, quantizedStartStep: s, quantizedEndStep: s + 1, isDrum: true });
      }
    }
    // Two kick pitches (36, 35) at one step: magenta.js's one-hot input sums their class bits.
    if (fill < 1) {
      notes.push({ pitch: 100, velocity: 80, quantizedStartStep: 2 * i + 1, quantizedEndStep: 2 * i + 2, isDrum: true });
      notes.push({ pitch: 35, velocity: 80, quantizedStartStep: 2 * i, quantizedEndStep: 2 * i + 1, isDrum: true });
    }
    return { notes, quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: numSteps };
  });
}

// Melodies of numSteps steps: random ones (held notes, rests, some repeated pitches) and the edge
// cases of magenta.js's MelodyShape.
function melodies(numSteps, seed) {
  const r = rng(seed);
  const seq = (notes) => ({ notes, quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: numSteps });
  const note = (pitch, start, end) => ({ pitch, velocity: 80, quantizedStartStep: start, quantizedEndStep: end });
  const random = Array.from({ length: 4 }, () => {
    const notes = [];
    let pitch = 60;
    for (let s = 0; s < numSteps;) {
      const len = 1 + Math.floor(r() * 4);
      if (r() < 0.8) notes.push(note(pitch, s, Math.min(s + len, numSteps + 2)));
      pitch += Math.floor(r() * 7) - 3;
      s += len + (r() < 0.3 ? 1 : 0);
    }
    return seq(notes);
  });
  return [...random, seq([]), seq([note(64, 0, 3)]), seq([note(64, numSteps - 1, numSteps)]),
    seq([note(64, 5, 6), note(64, 9, 10)]), seq([note(70, 2, 4), note(62, numSteps - 1, numSteps)])];
}

// The notes of a sequence in one order, with the fields both libraries set.
const notesOf = (ns) => ns.notes.map((n) => [Number(n.quantizedStartStep), Number(n.quantizedEndStep), n.pitch,
  !!n.isDrum, n.program || 0, n.instrument || 0]).sort((a, b) => a.join().localeCompare(b.join()));

for (const c of CASES) {
  describe(`${c.family}, ${c.quantization} weights`, () => {
    let magenta, ours;
    const url = () => `${base}/${c.family}_${c.quantization}`;
    before(async () => {
      magenta = new mm.MusicVAE(url());
      await quietly(() => magenta.initialize());
      ours = new MusicVAE(url());
      await ours.initialize();
    });
    after(() => {
      magenta.dispose();
      ours.dispose();
    });

    test('both load the checkpoint from the same URL', () => {
      assert.equal(ours.zDims, magenta.zDims);
      assert.deepEqual(ours.info.outputDepths, c.tracks);
      assert.equal(ours.info.numSteps, magenta.dataConverter.numSteps);
    });

    test('greedy decodes are identical: tokens and NoteSequences', async () => {
      const zs = normals(7, BATCH, ours.zDims);
      const theirs = await quietly(async () => {
        const z = tf.tensor2d(zs);
        const oneHot = await magenta.decodeTensors(z);
        // One argmax per track: the tracks' classes lie side by side in the last axis. A boolean
        // decoder's track is its columns of bits (the label set, bit k = column k).
        let offset = 0;
        const perTrack = c.tracks.map((depth, t) => {
          const width = c.columns ? c.columns[t] : depth;
          const slice = oneHot.slice([0, 0, offset], [-1, -1, width]);
          const labels = c.columns
            ? slice.arraySync().map((seq) => seq.map((bits) => bits.reduce((v, b, k) => v | (b ? 1 << k : 0), 0)))
            : tf.argMax(slice, 2).arraySync();
          offset += width;
          return labels;
        });
        const sequences = await magenta.decode(z);
        tf.dispose([z, oneHot]);
        return { perTrack, sequences };
      });
      const { tokens } = await ours.decodeTokens(zs);
      const sequences = await ours.decode(zs);
      // A real tf.Tensor2D goes in as well.
      const tfZ = tf.tensor2d(zs);
      assert.deepEqual((await ours.decodeTokens(tfZ)).tokens, tokens);
      tfZ.dispose();
      const steps = ours.info.numSteps;
      // (Not a degenerate model: every track decodes more than one token over the batch.)
      c.tracks.forEach((_, t) => assert.ok(new Set(theirs.perTrack[t].flat()).size > 1, `track ${t} varies`));
      for (let b = 0; b < BATCH; b++) {
        c.tracks.forEach((_, t) => assert.deepEqual(Array.from(tokens[b].subarray(t * steps, (t + 1) * steps)),
          theirs.perTrack[t][b], `sequence ${b}, track ${t}`));
        assert.deepEqual(notesOf(sequences[b]), notesOf(theirs.sequences[b]), `sequence ${b}`);
        assert.equal(Number(sequences[b].totalQuantizedSteps), Number(theirs.sequences[b].totalQuantizedSteps));
      }
    });

    // Inputs: greedy decodes of other latent vectors (music of the model's own kind, from magenta.js).
    const decodedInputs = () => quietly(async () => {
      const z = tf.tensor2d(normals(11, BATCH, ours.zDims));
      const seqs = await magenta.decode(z);
      z.dispose();
      return seqs.filter((s) => s.notes.length > 0);
    });
    const compareEncodings = async (t, inputs) => {
      assert.ok(inputs.length >= 3, `only ${inputs.length} inputs have notes`);
      const theirs = await magentaEncode(magenta, inputs);
      const mu = await ours.encode(inputs);
      assert.deepEqual(mu.shape, [inputs.length, magenta.zDims]);
      const errors = theirs.map((want, i) => relativeError(mu[i], want));
      t.diagnostic(`largest relative error ${Math.max(...errors).toExponential(2)} over ${inputs.length} sequences`);
      errors.forEach((err, i) => assert.ok(err <= 1e-4, `sequence ${i}: relative error ${err}`));
    };

    if (c.melodic) {
      // Melodies, and the shapes' special cases: no onset, one (on the first or the last step), two
      // of one pitch, and notes past the end.
      test('encodings agree to 1e-4 relative (melodies and edge cases)', async (t) => {
        await compareEncodings(t, [...await decodedInputs(), ...melodies(ours.info.numSteps, 13)]);
      });
    } else if (!c.family.includes('drums')) {
      test('encodings agree to 1e-4 relative', async (t) => compareEncodings(t, await decodedInputs()));
    } else {
      // magenta.js's DrumsConverter.toTensor builds its roll with a negative index: the "no hits"
      // column of step s is set when step s + 1 has no note, never on the last step. The converted
      // file says so (converter.drum_encoding), and the engine feeds that roll.
      test('encodings agree to 1e-4 relative where every step has a hit', async (t) => {
        await compareEncodings(t, drumPatterns(ours.info.numSteps, 5, 1));
      });
      test('encodings of sparse drum patterns agree (magenta.js\'s own drum roll)', async (t) => {
        assert.equal(ours.info.drumEncoding, 0, 'MVAE_DRUMS_MAGENTA_JS');
        await compareEncodings(t, [...await decodedInputs(), ...drumPatterns(ours.info.numSteps, 9, 0.25)]);
      });
    }
  });
}
