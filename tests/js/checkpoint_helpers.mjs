// Random-weight magenta.js checkpoints (tfjs layout: config.json, weights_manifest.json, shards) with
// Magenta's layer structure, one per model family the engine runs, at small sizes; and a static HTTP
// server for them (magenta.js loads checkpoints by URL only). Used by checkpoint.test.mjs and
// wasm_magenta_families.test.mjs.
import fs from 'node:fs';
import path from 'node:path';

import { serveFiles, tmpdir } from './wasm_helpers.mjs';

// Deterministic pseudo-random numbers (mulberry32).
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const lstm = (shapes, prefix, input, units) => {
  shapes[`${prefix}kernel`] = [input + units, 4 * units];
  shapes[`${prefix}bias`] = [4 * units];
};
const dense = (shapes, prefix, input, output) => {
  shapes[`${prefix}kernel`] = [input, output];
  shapes[`${prefix}bias`] = [output];
};

// A bidirectional encoder (magenta.js: one layer per direction; hierarchical: two levels of one)
// and mu / sigma.
function encoder(shapes, inputDepth, z, units, hierarchical) {
  const levels = hierarchical ? [inputDepth, 2 * units] : [inputDepth];
  levels.forEach((input, level) => {
    for (const d of ['fw', 'bw']) {
      const cell = hierarchical
        ? `encoder/hierarchical_level_${level}/cell_0/bidirectional_rnn/${d}/multi_rnn_cell/cell_0/lstm_cell/`
        : `encoder/cell_0/bidirectional_rnn/${d}/multi_rnn_cell/cell_0/lstm_cell/`;
      lstm(shapes, cell, input, units);
    }
  });
  dense(shapes, 'encoder/mu/', 2 * units, z);
  dense(shapes, 'encoder/sigma/', 2 * units, z);
}

// A core decoder: z_to_initial_state, an LSTM stack, output_projection. Cell 0 reads the previous
// output, the conditioning and `controls` per-step control columns (a chord model's).
function coreDecoder(shapes, prefix, depth, cond, units, controls = 0) {
  dense(shapes, `${prefix}z_to_initial_state/`, cond, 2 * units.reduce((a, b) => a + b, 0));
  units.forEach((u, l) => lstm(shapes, `${prefix}multi_rnn_cell/cell_${l}/lstm_cell/`, l ? units[l - 1] : depth + cond + controls, u));
  dense(shapes, `${prefix}output_projection/`, units.at(-1), depth);
}

function conductor(shapes, z, units) {
  dense(shapes, 'decoder/hierarchical_level_0/initial_state/', z, 2 * units.reduce((a, b) => a + b, 0));
  units.forEach((u, l) => lstm(shapes, `decoder/hierarchical_level_0/cell_${l}/lstm_cell/`, l ? units[l - 1] : 1, u));
}

// shapes() of a flat model: the encoder, then the decoder straight from z.
const flatShapes = (inputDepth, outputDepth, z, encoderUnits, decoderUnits) => () => {
  const s = {};
  encoder(s, inputDepth, z, encoderUnits, false);
  coreDecoder(s, 'decoder/', outputDepth, z, decoderUnits);
  return s;
};

// shapes() of a hierarchical model: the encoder, the conductor, one core decoder conditioned on
// the conductor's output.
const hierShapes = (inputDepth, outputDepth, z, encoderUnits, conductorUnits, decoderUnits) => () => {
  const s = {};
  encoder(s, inputDepth, z, encoderUnits, true);
  conductor(s, z, conductorUnits);
  coreDecoder(s, 'core_decoder/decoder/', outputDepth, conductorUnits.at(-1), decoderUnits);
  return s;
};

const MEL = { minPitch: 21, maxPitch: 108 }; // depth 90, as Magenta's melody models

const MULTITRACK_ARGS = {
  numSteps: 512, numSegments: 8, stepsPerQuarter: 24, totalSteps: 96, numVelocityBins: 8, minPitch: 0, maxPitch: 127,
};
const MULTITRACK_DEPTH = 2 * 128 + 96 + 8 + 129 + 1;
function multitrackShapes(controls) {
  const s = {};
  encoder(s, MULTITRACK_DEPTH + controls, 8, 10, true);
  conductor(s, 8, [12]);
  coreDecoder(s, 'core_decoder/decoder/', MULTITRACK_DEPTH, 12, [14, 14], controls);
  return s;
}

/**
 * The families: name -> {config, shapes()}; sizes are small, the structure Magenta's. The layers of
 * one LSTM stack have equal units, as in Magenta's models (magenta.js splits the initial state into
 * equal parts).
 */
export const FAMILIES = {
  flat_mel: {
    config: { type: 'MusicVAE', dataConverter: { type: 'MelodyConverter', args: { numSteps: 32, ...MEL } } },
    shapes: flatShapes(90, 90, 8, 12, [16, 16]),
  },
  hier_mel: {
    config: {
      type: 'MusicVAE',
      dataConverter: { type: 'MelodyConverter', args: { numSteps: 64, numSegments: 4, ...MEL } },
    },
    shapes: hierShapes(90, 90, 8, 10, [12, 12], [14]),
  },
  drums: {
    config: { type: 'MusicVAE', dataConverter: { type: 'DrumsConverter', args: { numSteps: 32 } } },
    shapes: flatShapes(10, 512, 8, 12, [16]),
  },
  hier_drums: { // as drums_4bar_med_q2: a conductor over the bars
    config: { type: 'MusicVAE', dataConverter: { type: 'DrumsConverter', args: { numSteps: 64, numSegments: 4 } } },
    shapes: hierShapes(10, 512, 8, 10, [12], [14, 14]),
  },
  chords_mel: { // as mel_chords: magenta.js's PitchChordEncoder (37 columns) on the encoder's and decoder's input
    config: {
      type: 'MusicVAE', chordEncoder: 'PitchChordEncoder',
      dataConverter: { type: 'MelodyConverter', args: { numSteps: 32, ...MEL } },
    },
    shapes() {
      const s = {};
      encoder(s, 90 + 37, 8, 12, false);
      coreDecoder(s, 'decoder/', 90, 8, [16], 37);
      return s;
    },
  },
  trio: {
    config: {
      type: 'MusicVAE',
      dataConverter: {
        type: 'TrioConverter',
        args: { numSteps: 64, numSegments: 4, melArgs: MEL, bassArgs: MEL, drumsArgs: {} },
      },
    },
    shapes() {
      const s = {};
      encoder(s, 90 + 90 + 512, 8, 10, true);
      conductor(s, 8, [12]);
      [90, 90, 512].forEach((depth, i) => coreDecoder(s, `core_decoder/core_decoder_${i}/decoder/`, depth, 12, [10]));
      return s;
    },
  },
  // Multitrack (magenta.js's multitrack and multitrack_chords configs: 8 tracks of 64 event tokens,
  // 24 steps per quarter, one bar of 96 steps, 8 velocity bins, pitches 0..127: depth 490), with
  // one core decoder over the tracks; multitrack_chords adds the triad chord controls (49).
  multitrack: {
    config: { type: 'MusicVAE', dataConverter: { type: 'MultitrackConverter', args: MULTITRACK_ARGS } },
    shapes: () => multitrackShapes(0),
  },
  multitrack_chords: {
    config: {
      type: 'MusicVAE', chordEncoder: 'TriadChordEncoder',
      dataConverter: { type: 'MultitrackConverter', args: MULTITRACK_ARGS },
    },
    shapes: () => multitrackShapes(49),
  },
  // DrumsOneHotConverter (magenta.js data.ts): one-hot of the step's drum-class combination (2^9) as
  // the input as well as the output.
  drums_onehot: {
    config: { type: 'MusicVAE', dataConverter: { type: 'DrumsOneHotConverter', args: { numSteps: 32 } } },
    shapes: flatShapes(512, 512, 8, 12, [16]),
  },
  // magenta.js's rhythm and shape converters (data.ts): the melody's onsets (1 per step; decoded by
  // a BooleanDecoder, one logit), its shape (down / same / up), a trio's three onsets.
  mel_rhythm: {
    config: {
      type: 'MusicVAE', useBooleanDecoder: true,
      dataConverter: { type: 'MelodyRhythmConverter', args: { numSteps: 32, ...MEL } },
    },
    shapes: flatShapes(1, 1, 8, 12, [16]),
  },
  mel_shape: {
    config: { type: 'MusicVAE', dataConverter: { type: 'MelodyShapeConverter', args: { numSteps: 32, ...MEL } } },
    shapes: flatShapes(3, 3, 8, 12, [16, 16]),
  },
  trio_rhythm: {
    config: {
      type: 'MusicVAE', useBooleanDecoder: true,
      dataConverter: {
        type: 'TrioRhythmConverter',
        args: { numSteps: 64, numSegments: 4, melArgs: MEL, bassArgs: MEL, drumsArgs: {} },
      },
    },
    shapes() {
      const s = {};
      encoder(s, 3, 8, 10, true);
      conductor(s, 8, [12]);
      [0, 1, 2].forEach((i) => coreDecoder(s, `core_decoder/core_decoder_${i}/decoder/`, 1, 12, [10]));
      return s;
    },
  },
  // Multicontrol (mel_2bar_multicontrol_*: chords, rhythm, shape and register controls), with
  // magenta.js's control preprocessing: a bidirectional LSTM over the controls whose [fw; bw]
  // output the decoder reads in place of them (the encoder reads the controls). Flat, and
  // hierarchical (each core decoder preprocesses its own segment's controls).
  mel_multicontrol: {
    config: {
      type: 'MusicVAE', chordEncoder: 'PitchChordEncoder',
      extraControls: [{ name: 'rhythm', depth: 1 }, { name: 'shape', depth: 3 }, { name: 'register', depth: 4 }],
      dataConverter: { type: 'MelodyConverter', args: { numSteps: 32, ...MEL } },
    },
    shapes() {
      const s = {};
      encoder(s, 90 + 45, 8, 12, false);
      controlPreprocessing(s, 45, 6);
      controlledDecoder(s, 'decoder/', 90, 8, 12, [16]);
      return s;
    },
  },
  hier_mel_controls: {
    config: {
      type: 'MusicVAE', extraControls: [{ name: 'rhythm', depth: 1 }, { name: 'shape', depth: 3 }],
      dataConverter: { type: 'MelodyConverter', args: { numSteps: 64, numSegments: 4, ...MEL } },
    },
    shapes() {
      const s = {};
      encoder(s, 90 + 4, 8, 10, true);
      controlPreprocessing(s, 4, 5);
      conductor(s, 8, [12]);
      controlledDecoder(s, 'core_decoder/decoder/', 90, 12, 10, [14]);
      return s;
    },
  },
  // GrooVAE (GrooveConverter): 27 values per step in and out, the config shapes of magenta.js's
  // hosted checkpoints: groovae_2bar_humanize, tap2drum_1bar .. 4bar, groovae_4bar.
  groove_humanize: {
    config: { type: 'MusicVAE', dataConverter: { type: 'GrooveConverter', args: { numSteps: 32, humanize: true } } },
    shapes: () => grooveShapes(8, 12, [16, 16]),
  },
  groove_tap: {
    config: { type: 'MusicVAE', dataConverter: { type: 'GrooveConverter', args: { numSteps: 16, tapify: true } } },
    shapes: () => grooveShapes(8, 10, [12, 12]),
  },
  groove_4bar: {
    config: { type: 'MusicVAE', dataConverter: { type: 'GrooveConverter', args: { numSteps: 64 } } },
    shapes: () => grooveShapes(10, 12, [14, 14]),
  },
  groove_hier: { // not hosted: a conductor over 2 segments (the core decoder carries its values on)
    config: { type: 'MusicVAE', dataConverter: { type: 'GrooveConverter', args: { numSteps: 32, numSegments: 2 } } },
    shapes: hierShapes(27, 27, 8, 10, [12], [14]),
  },
};

// magenta.js's control preprocessing LSTM: one bidirectional layer over `depth` control columns.
function controlPreprocessing(shapes, depth, units) {
  for (const d of ['fw', 'bw']) {
    lstm(shapes, `control_preprocessing/cell_0/bidirectional_rnn/${d}/multi_rnn_cell/cell_0/lstm_cell/`, depth, units);
  }
}

// A core decoder whose cell 0 also reads `controls` columns per step.
function controlledDecoder(shapes, prefix, depth, cond, controls, units) {
  dense(shapes, `${prefix}z_to_initial_state/`, cond, 2 * units.reduce((a, b) => a + b, 0));
  units.forEach((u, l) => lstm(shapes, `${prefix}multi_rnn_cell/cell_${l}/lstm_cell/`, l ? units[l - 1] : depth + cond + controls, u));
  dense(shapes, `${prefix}output_projection/`, units.at(-1), depth);
}

function grooveShapes(z, encoderUnits, decoderUnits) {
  const s = {};
  encoder(s, 27, z, encoderUnits, false);
  coreDecoder(s, 'decoder/', 27, z, decoderUnits);
  return s;
}

/**
 * Writes FAMILIES[family] as a tfjs checkpoint in a new folder (named family_quantization) and returns
 * its path. quantization: 'float32' | 'uint8' | 'uint16' (every weight, as tfjs's converter writes
 * with --quantization_bytes 1 / 2: {dtype, scale, min} per weight); weights are uniform in
 * [-range, range), `seed` picks them. Shards are cut every 4096 bytes, mid-weight, as tfjs does.
 */
export function writeCheckpoint(family, { quantization = 'float32', seed = 1, range = 0.5, root } = {}) {
  const { config, shapes } = FAMILIES[family];
  const dir = path.join(root || tmpdir('mvae-ckpt-'), `${family}_${quantization}`);
  fs.mkdirSync(dir, { recursive: true });
  const r = rng(seed);
  const weights = [];
  const chunks = [];
  for (const [name, shape] of Object.entries(shapes())) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (quantization === 'float32') {
      chunks.push(Buffer.from(Float32Array.from({ length: n }, () => (2 * r() - 1) * range).buffer));
      weights.push({ name, shape, dtype: 'float32' });
    } else {
      const levels = quantization === 'uint8' ? 255 : 65535;
      const q = (quantization === 'uint8' ? Uint8Array : Uint16Array).from({ length: n }, () => Math.floor(r() * (levels + 1)));
      chunks.push(Buffer.from(q.buffer));
      weights.push({ name, shape, dtype: 'float32', quantization: { dtype: quantization, min: -range, scale: (2 * range) / levels } });
    }
  }
  const all = Buffer.concat(chunks);
  const paths = [];
  for (let p = 0, k = 1; p < all.length; p += 4096, k++) {
    const file = `group1-shard${k}of${Math.ceil(all.length / 4096)}`;
    fs.writeFileSync(path.join(dir, file), all.subarray(p, p + 4096));
    paths.push(file);
  }
  fs.writeFileSync(path.join(dir, 'weights_manifest.json'), JSON.stringify([{ paths, weights }]));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/**
 * Serves the files under `root` on 127.0.0.1 (404 for anything else): {server, base, requests}.
 * options: serveFiles's ({cors}); setting `down = true` on the result answers 503.
 */
export function serveDirectory(root, options = {}) {
  return serveFiles((pathname) => {
    const file = path.resolve(root, decodeURIComponent(pathname).replace(/^\/+/, ''));
    return file.startsWith(path.resolve(root) + path.sep) ? file : null;
  }, options);
}

/** Runs fn with console.log / warn / info silenced (magenta.js and TF.js greet on the console). */
export async function quietly(fn) {
  const { log, warn, info } = console;
  console.log = console.warn = console.info = () => {};
  try {
    return await fn();
  } finally {
    Object.assign(console, { log, warn, info });
  }
}

/** magenta.js's encoding of the sequences, as arrays; it is given copies (it sorts their notes in
 * place). */
export function magentaEncode(magenta, sequences) {
  return quietly(async () => {
    const z = await magenta.encode(structuredClone(sequences));
    const out = z.arraySync();
    z.dispose();
    return out;
  });
}
