#!/usr/bin/env node
// musicvae: the command-line tool on the WebAssembly build (Node >= 20).
//   musicvae sample|encode|decode|interpolate|info|convert [options]      (musicvae COMMAND --help)
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import { MusicVAE } from './musicvae.mjs';
import { MusicVAEError } from './errors.mjs';
import { FileError, readFile, writeFiles } from './files.mjs';
import { MAX_MIDI_BYTES, MidiFileError, midiToModelInput, sequencesToMidi } from './midi.mjs';
import { convertCheckpoint, parseModelFile } from './checkpoint.mjs';
import { SIZES } from './schema.mjs';

const MIN_QPM = 4; // a MIDI tempo is at most 2^24-1 microseconds per quarter (3.6 qpm)
const MAX_QPM = 1000;
const MAX_POINTS = 4096; // latent points one interpolate call makes

const DEFAULT_MODEL = fileURLToPath(new URL('../models/mel_2bar_small.q8.mvae', import.meta.url));

class UsageError extends Error {}

const common = {
  model: { type: 'string', short: 'm' },
  help: { type: 'boolean', short: 'h' },
};
const decoding = {
  temperature: { type: 'string', short: 't' },
  seed: { type: 'string', short: 's' },
  output: { type: 'string', short: 'o' },
  split: { type: 'boolean' },
  qpm: { type: 'string' },
  json: { type: 'string' },
  tokens: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
};
const chordOptions = { chords: { type: 'string', short: 'c' } };
const chordsHelp = `  -c, --chords C,G,Am,F a chord model's progression, comma-separated (spread over the bars as
                       magenta.js spreads it); needed to sample a chord model`;
const modelHelp = `  -m, --model FILE     model file (.mvae), or a magenta.js checkpoint (URL or folder, converted in
                       memory); default: the bundled mel_2bar_small.q8.mvae`;
const decodeHelp = `  -t, --temperature T  sampling temperature (> 0); 0 or none = argmax
  -s, --seed N         random seed (0..2^64-1): the same seed gives the same music, here and in
                       the native build; default: a random one
  -o, --output FILE    MIDI file to write, all sequences one after another (default: NAME.mid);
                       written whole or not at all (an existing file stays as it was on failure)
      --split          one MIDI file per sequence: FILE_1.mid, FILE_2.mid, ...
      --qpm Q          tempo of the output, quarters per minute (${MIN_QPM}..${MAX_QPM}, default 120)
      --json FILE      also write the NoteSequences as JSON ('-' = stdout)
      --tokens         print the decoded class indices, one sequence per line, to stdout
  -q, --quiet          no progress or summary on stderr`;

const commands = {
  sample: {
    summary: 'sample melodies (or drums, trios) from the model prior',
    usage: 'musicvae sample [-n N] [-t T] [-s SEED] [-o out.mid] [options]',
    options: { ...common, ...decoding, ...chordOptions, n: { type: 'string', short: 'n' }, 'z-out': { type: 'string' } },
    help: `  -n N                 how many sequences (default 1)
${decodeHelp.replace('(> 0); 0 or none = argmax', '(default 0.5; 0 = argmax)')}
      --z-out FILE     write the latent vectors drawn as JSON
${chordsHelp}
${modelHelp}`,
    run: cmdSample,
  },
  encode: {
    summary: 'encode MIDI files to latent vectors (JSON)',
    usage: 'musicvae encode IN.mid [IN2.mid ...] [-o z.json] [options]',
    options: { ...common, output: { type: 'string', short: 'o' }, bar: { type: 'string' },
      track: { type: 'string' }, sigma: { type: 'boolean' }, refine: { type: 'boolean' },
      'refine-steps': { type: 'string' }, ...chordOptions },
    help: `  -o, --output FILE    where to write the JSON (default: stdout)
      --bar B          first bar of the window to encode (0-based; default: the first bar
                       with notes); the window is the model's length (2 bars for mel_2bar_small)
      --track K        use only track K: the K-th track with notes, from 0 (as magenta.js
                       numbers instruments); default: the first pitched track that is a single
                       line (melody models), the first drum track (drum models)
      --sigma          also write sigma
      --refine         refine each z: mu, then gradient steps on z through the decoder (the
                       engine's mvae_encode_refined), which reconstructs music unlike the
                       encoder's training data far better; not with --sigma
      --refine-steps N steps of --refine (default 30; 0..100000)
  -c, --chords C,G,Am,F a chord model's progression for every file; default: each file's own
                       chords, inferred from its accompaniment in the window (its other pitched
                       tracks, half a bar each; N.C. where there is none), as the page does
${modelHelp}
MIDI files must be in 4/4 or a meter whose bars tile it (2/4, 2/2), timed in ticks per quarter note, at most ${MAX_MIDI_BYTES >> 20} MiB; a file
without notes the model can use in the window is refused. Pitches are folded by octaves into
the model's range.
The JSON: {"model": NAME, "zDims": Z, "z": [[...], ...]} (and "sigma"; a chord model's "chords",
each vector's progression, which decode plays it over). Needs a model with an encoder (the
bundled mel_2bar_small has one).`,
    run: cmdEncode,
  },
  decode: {
    summary: 'decode latent vectors (JSON) to MIDI',
    usage: 'musicvae decode z.json [-t T] [-s SEED] [-o out.mid] [options]',
    options: { ...common, ...decoding, ...chordOptions },
    help: `${decodeHelp}
  -c, --chords C,G,Am,F a chord model's progression; default: the one encode wrote beside each
                       vector ("chords")
${modelHelp}
z.json: {"z": [[...], ...]} as encode writes, or a bare array of vectors, or one vector.`,
    run: cmdDecode,
  },
  interpolate: {
    summary: 'interpolate between 2 or 4 inputs (MIDI files or latent JSON)',
    usage: 'musicvae interpolate A B [C D] [-n N | --grid COLSxROWS] [--method linear|slerp] [-o out.mid]',
    options: { ...common, ...decoding, n: { type: 'string', short: 'n' }, grid: { type: 'string' },
      method: { type: 'string' }, bar: { type: 'string' }, track: { type: 'string' }, 'z-out': { type: 'string' },
      ...chordOptions },
    help: `  A B [C D]            .mid files (encoded; needs an encoder) or .json latent files; one .json
                       file holding 2 or 4 vectors is enough
  -n N                 points from A to B, both included (default 5); with 4 inputs, an N x N grid
                       (at most ${MAX_POINTS} points in all)
      --grid CxR       the grid's columns and rows with 4 inputs (A top-left, B bottom-left,
                       C top-right, D bottom-right; output row by row)
      --method M       linear (magenta.js, default) or slerp
${decodeHelp}
      --bar B          as for encode, for .mid inputs
      --track K        as for encode, for .mid inputs
      --z-out FILE     write the interpolated latent vectors as JSON
  -c, --chords C,G,Am,F a chord model's progression; default: the first input's (a .mid file's
                       own chords, as encode infers them; a .json file's "chords"); .mid inputs
                       are encoded over their own chords
${modelHelp}`,
    run: cmdInterpolate,
  },
  convert: {
    summary: 'convert a magenta.js checkpoint (URL or folder) to an MVAE model file',
    usage: 'musicvae convert URL|DIR OUT.mvae [--quantize q8] [--name NAME] [options]',
    options: { help: common.help, quantize: { type: 'string' }, block: { type: 'string' }, name: { type: 'string' },
      description: { type: 'string' }, license: { type: 'string' }, source: { type: 'string' },
      config: { type: 'string' }, 'allow-missing-encoder': { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } },
    help: `  URL|DIR              a magenta.js checkpoint folder: its URL (as magenta.js takes it, e.g.
                       https://storage.googleapis.com/magentadata/js/checkpoints/music_vae/mel_2bar_small),
                       a local folder or a file: URL; config.json + weights_manifest.json + shards
                       (float32, or quantized uint8 / uint16 / float16), or the older manifest.json layout
  OUT.mvae             the model file to write, whole or not at all (an existing file stays as it
                       was on failure)
      --quantize q8    int8 kernels with one f32 scale per ${SIZES.q8_block()} columns (about 0.26 of the size)
      --block N        columns per q8 scale (default ${SIZES.q8_block()})
      --name, --description, --license, --source TEXT   metadata stored in the file
      --config FILE    the model configuration, in place of the checkpoint's config.json
      --allow-missing-encoder   convert a checkpoint whose encoder LSTM files are missing (the model
                       then only decodes)
  -q, --quiet          no progress or summary on stderr
A checkpoint of a family the engine does not run yet (chords, NADE, multitrack, ...) is
refused with what it needs.`,
    run: cmdConvert,
  },
  info: {
    summary: "print the model's configuration and the engine's kernels",
    usage: 'musicvae info [-m MODEL]',
    options: { ...common },
    help: modelHelp,
    run: cmdInfo,
  },
};

function mainUsage() {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `usage: musicvae COMMAND [options]   (MusicVAE on WebAssembly)

commands:
${lines.join('\n')}

musicvae COMMAND --help shows a command's options.
`;
}

// ---- helpers ----

function intOption(value, name, { min = 0, max = Number.MAX_SAFE_INTEGER, fallback } = {}) {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(x) || x < min || x > max) {
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got '${value}'`);
  }
  return x;
}

// A decimal number (no hex, no blanks, no Infinity), in [min, max].
function numberOption(value, name, fallback, { min = 0, max = Number.MAX_VALUE } = {}) {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) || !Number.isFinite(x) || x < min || x > max) {
    const range = max === Number.MAX_VALUE ? `>= ${min}` : `in ${min}..${max}`;
    throw new UsageError(`--${name} must be a number ${range}, got '${value}'`);
  }
  return x;
}

const qpmOption = (values) => numberOption(values.qpm, 'qpm', 120, { min: MIN_QPM, max: MAX_QPM });

function seedOption(value) {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || BigInt(value) >= 1n << 64n) {
    throw new UsageError(`--seed must be an integer in 0..2^64-1, got '${value}'`);
  }
  return BigInt(value);
}

async function openModel(values) {
  const model = new MusicVAE(values.model || DEFAULT_MODEL);
  await model.initialize();
  return model;
}

function progress(values, label) {
  if (values.quiet) return undefined;
  let last = 0;
  return (done, total) => {
    if (total < 64) return;
    const now = Date.now();
    if (done === total || now - last > 200) {
      last = now;
      const end = done === total || !process.stderr.isTTY ? '\n' : '\r';
      process.stderr.write(`${label}: ${done}/${total}${end}`);
    }
  };
}

/** {z: Float32Array[], chords: (string[] | null)[]} of a latent JSON file (chords: encode's). */
function readLatents(file, zDims) {
  const text = readFile(file, 'utf8');
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`cannot read latent vectors from ${file}: ${e.message}`);
  }
  let z = data && !Array.isArray(data) ? data.z : data;
  if (Array.isArray(z) && typeof z[0] === 'number') z = [z];
  if (!Array.isArray(z) || z.length === 0) throw new UsageError(`${file} holds no latent vectors ({"z": [[...]]})`);
  z.forEach((v, i) => {
    if (!Array.isArray(v) || v.length !== zDims) {
      throw new UsageError(`${file}: vector ${i} has ${Array.isArray(v) ? v.length : 'no'} values; the model's zDims is ${zDims}`);
    }
    const bad = v.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
    if (bad >= 0) throw new UsageError(`${file}: vector ${i} value ${bad} is ${JSON.stringify(v[bad])}, not a finite number`);
  });
  const chords = data && !Array.isArray(data) && data.chords !== undefined ? data.chords : null;
  if (chords !== null && !(Array.isArray(chords) && chords.length === z.length &&
      chords.every((c) => c === null || (Array.isArray(c) && c.length > 0 && c.every((x) => typeof x === 'string'))))) {
    throw new UsageError(`${file}: "chords" must be one progression (an array of chord symbols) per vector`);
  }
  return { z: z.map((v) => Float32Array.from(v)), chords: chords || z.map(() => null) };
}

/** {file, data} for latent vectors as JSON ('-' or none: stdout). */
function latentsOutput(file, model, z, extra = {}) {
  return { file: file || '-', data: JSON.stringify({ model: model.info.name, zDims: model.zDims, z: z.map((v) => Array.from(v)), ...extra }) + '\n' };
}

/** Writes every {file, data} output: files atomically and all together, then stdout ('-'). */
function writeOutputs(list) {
  writeFiles(list.filter((o) => o.file !== '-'));
  for (const o of list) if (o.file === '-') process.stdout.write(o.data);
}

/** The model's input from a MIDI file (midi.mjs's choice of tracks and window, as the page's):
 * midiToModelInput's {sequence, accompaniment, ...}. */
function readSequence(file, model, values) {
  const track = intOption(values.track, 'track');
  const bar = intOption(values.bar, 'bar');
  let size = 0;
  try {
    size = fs.statSync(file).size;
  } catch (e) {
    throw new FileError('read', file, e);
  }
  if (size > MAX_MIDI_BYTES) throw new MidiFileError(`${file}: the file is too large: ${(size / 1e6).toFixed(1)} MB (the limit is ${MAX_MIDI_BYTES >> 20} MiB)`);
  try {
    return midiToModelInput(readFile(file), model.info, { track, bar });
  } catch (e) {
    if (e instanceof MidiFileError) throw new MidiFileError(`${file}: ${e.message}`);
    throw e;
  }
}

/** The MIDI (and --json) outputs of decoded sequences, with `extra` outputs, written together. */
function writeMusic(values, defaultName, sequences, numSteps, qpm, extra = []) {
  const out = values.output || `${defaultName}.mid`;
  const list = [...extra];
  if (values.split && sequences.length > 1) {
    const ext = path.extname(out) || '.mid';
    const base = out.slice(0, out.length - path.extname(out).length);
    sequences.forEach((ns, i) => list.push({ file: `${base}_${i + 1}${ext}`, data: sequencesToMidi([ns], { qpm, stepsEach: numSteps }), midi: true }));
  } else {
    list.push({ file: out, data: sequencesToMidi(sequences, { qpm, stepsEach: numSteps }), midi: true });
  }
  if (values.json) list.push({ file: values.json, data: JSON.stringify(sequences, null, 1) + '\n' });
  writeOutputs(list);
  const written = list.filter((o) => o.midi).map((o) => o.file);
  if (!values.quiet) {
    process.stderr.write(`wrote ${sequences.length} sequence(s) to ${written.length === 1 ? written[0] : `${written[0]} ... ${written[written.length - 1]}`}\n`);
  }
}

function printTokens(tokens) {
  process.stdout.write(tokens.map((t) => Array.from(t).join(' ')).join('\n') + '\n');
}

// Decodes a batch with the common decoding options; tokens and sequences from one decode.
// rowChords: a chord model's progression of each vector (--chords overrides them all). Runs of
// vectors over the same chords decode together; firstRow keeps each vector's random stream the one
// a single call would give it, so the seed means the same music either way.
async function decodeAll(model, z, values, fallbackTemperature, label, rowChords = null) {
  const temperature = numberOption(values.temperature, 'temperature', fallbackTemperature);
  const seed = seedOption(values.seed);
  const qpm = qpmOption(values);
  const given = chordsOption(values, model);
  if (!isChordModel(model)) {
    const { tokens } = await model.decodeTokens(z, { temperature, seed, onProgress: progress(values, label) });
    return { tokens, qpm };
  }
  const chords = z.map((_, i) => given || (rowChords && rowChords[i]) || null);
  if (chords.some((c) => !c)) throw new UsageError(NEEDS_CHORDS);
  const tokens = [];
  for (let start = 0; start < z.length;) {
    let end = start + 1;
    while (end < z.length && chords[end].join() === chords[start].join()) end++;
    const one = start === 0 && end === z.length;
    const run = await model.decodeTokens(z.slice(start, end), {
      temperature, seed, firstRow: start, chordProgression: chords[start], onProgress: one ? progress(values, label) : undefined,
    });
    tokens.push(...run.tokens);
    start = end;
  }
  return { tokens, qpm };
}

// ---- chords (a chord-conditioned model's progression) ----

const NEEDS_CHORDS = 'this model is chord-conditioned: give its progression, e.g. --chords C,G,Am,F';
const isChordModel = (model) => model.info.chordEncoding > 0;

/** --chords as a progression (null: not given); the engine checks each symbol when it is used. */
function chordsOption(values, model) {
  if (values.chords === undefined) return null;
  if (!isChordModel(model)) throw new UsageError('--chords: this model is not chord-conditioned');
  const chords = values.chords.split(',').map((c) => c.trim()).filter(Boolean);
  if (!chords.length) throw new UsageError(`--chords needs at least one chord symbol, got '${values.chords}'`);
  return chords;
}

/** What a chord model hears a file over: --chords, else the chords of its own accompaniment. */
async function fileChords(model, input, values, file) {
  if (!isChordModel(model)) return null;
  const given = chordsOption(values, model);
  if (given) return given;
  const chords = await model.inferChordProgression(input.accompaniment);
  if (!values.quiet) {
    process.stderr.write(chords.every((c) => c === 'N.C.')
      ? `${file}: no accompaniment in the window: over N.C. (--chords gives a progression)\n`
      : `${file}: over its own chords ${chords.join(',')}\n`);
  }
  return chords;
}

function tokensToSequences(model, tokens, qpm) {
  return model.tokensToSequences(tokens, model.info.stepsPerQuarter, qpm);
}

// ---- commands ----

async function cmdInfo(values) {
  const model = await openModel(values);
  const i = model.info;
  const lines = [
    ['name', i.name || '(unnamed)'],
    ['converter', `${i.converter} (pitches ${i.minPitch}..${i.maxPitch})`],
    ['decoder', `${i.hierarchical ? 'hierarchical' : 'flat'}, ${i.numTracks} track(s), depths ${i.outputDepths.join(' ')}`],
    ['steps', i.converter === 'multitrack'
      ? `${i.totalSteps} (${i.totalSteps / i.stepsPerBar} bar(s) at ${i.stepsPerQuarter} per quarter); ` +
        `${i.numSegments} tracks of ${i.numSteps / i.numSegments} event tokens`
      : `${i.numSteps} (${i.numSteps / i.stepsPerBar} bars, ${i.numSegments} segment(s))`],
    ['z size', i.zSize],
    ['encoder', i.hasEncoder ? 'yes' : 'absent (decode-only)'],
    ['weights', `${(i.weightBytes / 1e6).toFixed(2)} MB${i.quantized ? ' (int8 kernels)' : ''}`],
    ['kernels', i.kernels],
  ];
  process.stdout.write(lines.map(([k, v]) => `${k.padEnd(16)}${v}`).join('\n') + '\n');
  model.dispose();
}

async function cmdSample(values, positionals) {
  if (positionals.length) throw new UsageError(`sample takes no file arguments (got ${positionals.join(' ')})`);
  const n = intOption(values.n, 'n', { min: 1, max: 100000, fallback: 1 });
  const temperature = numberOption(values.temperature, 'temperature', 0.5);
  const seed = seedOption(values.seed);
  const qpm = qpmOption(values);
  const model = await openModel(values);
  const chords = chordsOption(values, model);
  if (isChordModel(model) && !chords) throw new UsageError(NEEDS_CHORDS);
  const controls = chords ? { chordProgression: chords } : {};
  const { z, tokens } = await model.sampleTokens(n, temperature, { seed, ...controls, onProgress: progress(values, 'sampling') });
  if (values.tokens) printTokens(tokens);
  const extra = values['z-out'] ? [latentsOutput(values['z-out'], model, z)] : [];
  writeMusic(values, 'sample', await tokensToSequences(model, tokens, qpm), model.info.numSteps, qpm, extra);
  model.dispose();
}

async function cmdEncode(values, positionals) {
  if (positionals.length === 0) throw new UsageError('encode needs at least one .mid file');
  const model = await openModel(values);
  const inputs = positionals.map((f) => readSequence(f, model, values));
  if (values['refine-steps'] !== undefined && !values.refine) throw new UsageError('--refine-steps needs --refine');
  if (values.refine && values.sigma) throw new UsageError('--refine and --sigma do not go together: a refined z has no sigma');
  const refine = values.refine
    ? { steps: values['refine-steps'] === undefined ? undefined : intOption(values['refine-steps'], 'refine-steps', { min: 0, max: 100000 }) }
    : undefined;
  const chords = [];
  for (let i = 0; i < inputs.length; i++) chords.push(await fileChords(model, inputs[i], values, positionals[i]));
  const encodeOne = (sequences, controls) => (values.sigma ? model.encodeWithSigma(sequences, controls)
    : model.encode(sequences, controls).then((mu) => ({ mu })));
  let result;
  if (!isChordModel(model)) {
    result = await encodeOne(inputs.map((i) => i.sequence), refine ? { refine } : undefined);
  } else {
    // Each file over its own chords: one call each (an encode draws nothing at random).
    result = { mu: [], sigma: values.sigma ? [] : undefined };
    for (let i = 0; i < inputs.length; i++) {
      const one = await encodeOne([inputs[i].sequence], { chordProgression: chords[i], ...(refine ? { refine } : {}) });
      result.mu.push(one.mu[0]);
      if (one.sigma) result.sigma.push(one.sigma[0]);
    }
  }
  const extra = { inputs: positionals };
  if (result.sigma) extra.sigma = result.sigma.map((v) => Array.from(v));
  if (isChordModel(model)) extra.chords = chords;
  writeOutputs([latentsOutput(values.output, model, result.mu, extra)]);
  model.dispose();
}

async function cmdDecode(values, positionals) {
  if (positionals.length !== 1) throw new UsageError('decode takes one JSON file of latent vectors');
  const model = await openModel(values);
  const { z, chords } = readLatents(positionals[0], model.zDims);
  const { tokens, qpm } = await decodeAll(model, z, values, 0, 'decoding', chords);
  if (values.tokens) printTokens(tokens);
  writeMusic(values, 'decoded', await tokensToSequences(model, tokens, qpm), model.info.numSteps, qpm);
  model.dispose();
}

async function cmdInterpolate(values, positionals) {
  const model = await openModel(values);
  let inputs = [];
  const inputChords = [];
  for (const file of positionals) {
    if (file.toLowerCase().endsWith('.json')) {
      const { z, chords } = readLatents(file, model.zDims);
      inputs.push(...z);
      inputChords.push(...chords);
    } else {
      const input = readSequence(file, model, values);
      const chords = await fileChords(model, input, values, file);
      // A .mid input is encoded over its own chords (the model's encoder hears them).
      inputs.push(chords ? (await model.encode([input.sequence], { chordProgression: chords }))[0] : input.sequence);
      inputChords.push(chords);
    }
  }
  if (inputs.length !== 2 && inputs.length !== 4) {
    throw new UsageError(`interpolate needs 2 or 4 inputs (MIDI files or latent vectors), got ${inputs.length}`);
  }
  let numInterps = intOption(values.n, 'n', { min: 1, max: inputs.length === 4 ? Math.sqrt(MAX_POINTS) : MAX_POINTS, fallback: 5 });
  if (values.grid !== undefined) {
    const m = /^(\d+)x(\d+)$/i.exec(values.grid);
    if (!m || inputs.length !== 4) throw new UsageError('--grid COLSxROWS needs 4 inputs, e.g. --grid 5x3');
    numInterps = [Number(m[1]), Number(m[2])];
    if (!(numInterps[0] >= 1 && numInterps[1] >= 1 && numInterps[0] * numInterps[1] <= MAX_POINTS)) {
      throw new UsageError(`--grid needs at least 1 column and row and at most ${MAX_POINTS} points, got '${values.grid}'`);
    }
  }
  const method = values.method || 'linear';
  if (method !== 'linear' && method !== 'slerp') throw new UsageError(`--method must be linear or slerp, got '${method}'`);
  const z = await model.interpolateLatents(inputs, numInterps, { method });
  const over = inputChords.find((c) => c) || null;
  const { tokens, qpm } = await decodeAll(model, z, values, 0, 'decoding', over && z.map(() => over));
  if (values.tokens) printTokens(tokens);
  const extra = values['z-out'] ? [latentsOutput(values['z-out'], model, z)] : [];
  writeMusic(values, 'interpolation', await tokensToSequences(model, tokens, qpm), model.info.numSteps, qpm, extra);
  model.dispose();
}

async function cmdConvert(values, positionals) {
  if (positionals.length !== 2) throw new UsageError('convert takes a checkpoint (URL or folder) and an output file');
  const [from, out] = positionals;
  const quantize = values.quantize;
  if (quantize !== undefined && quantize !== 'q8') throw new UsageError(`--quantize must be q8, got '${quantize}'`);
  const block = intOption(values.block, 'block', { min: 1, max: 1 << 20 });
  let config;
  if (values.config !== undefined) {
    try {
      config = JSON.parse(readFile(values.config, 'utf8'));
    } catch (e) {
      if (e instanceof FileError) throw e;
      throw new UsageError(`--config ${values.config}: invalid JSON: ${e.message}`);
    }
  }
  const report = values.quiet ? () => {} : (m) => process.stderr.write(m);
  let last = 0;
  const { bytes, layout, dropped } = await convertCheckpoint(from, {
    quantize, block, config, name: values.name, description: values.description, license: values.license,
    source: values.source ?? (/^https?:/i.test(from) ? from : undefined), allowMissingEncoder: values['allow-missing-encoder'],
    cache: false,
    warn: (m) => report(`musicvae convert: warning: ${m}\n`),
    onProgress: (loaded, total) => {
      const now = Date.now();
      if (loaded === total || now - last > 200) {
        last = now;
        report(`downloading: ${(loaded / 1e6).toFixed(1)} / ${(total / 1e6).toFixed(1)} MB${loaded === total || !process.stderr.isTTY ? '\n' : '\r'}`);
      }
    },
  });
  if (dropped.length) report(`musicvae convert: warning: encoder files missing: the model will not encode\n`);
  writeFiles([{ file: out, data: bytes }]);
  const { meta, tensors } = parseModelFile(bytes);
  report(`${out}: ${bytes.length} bytes, ${tensors.size} tensors (${layout} layout); z ${meta['musicvae.z_size']}, ` +
    `${meta['musicvae.num_steps']} steps, ${meta['musicvae.decoder']} decoder, ${meta['converter.type']}\n`);
}

// ---- main ----

export async function main(argv) {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainUsage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`musicvae: unknown command '${name}'\n\n${mainUsage()}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`musicvae ${name}: ${e.message}\nusage: ${command.usage}\n(musicvae ${name} --help for the options)\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`usage: ${command.usage}\n\n${command.summary}\n\n${command.help}\n`);
    return 0;
  }
  try {
    await command.run(parsed.values, parsed.positionals);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`musicvae ${name}: ${e.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    if (e instanceof MusicVAEError) {
      process.stderr.write(`musicvae ${name}: ${e.message} [${e.code}]\n`);
      return 1;
    }
    if (e instanceof FileError) {
      process.stderr.write(`musicvae ${name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

const invokedDirectly = process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  // stdout closed early (| head) ends the command quietly; other stdout failures are I/O errors.
  process.stdout.on('error', (e) => {
    if (e.code !== 'EPIPE') process.stderr.write(`musicvae: cannot write to stdout: ${e.message}\n`);
    process.exit(e.code === 'EPIPE' ? 0 : 1);
  });
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    // A bug, not a user error: the message, and the stack only when asked for.
    process.stderr.write(`musicvae: internal error: ${e && e.message ? e.message : e}` +
      `${process.env.MUSICVAE_DEBUG ? `\n${e && e.stack}` : ' (MUSICVAE_DEBUG=1 shows where)'}\n`);
    process.exitCode = 1;
  });
}
