#!/usr/bin/env node
// musicvae: the command-line tool on the WebAssembly build (Node >= 20).
//   musicvae sample|encode|decode|interpolate|info [options]      (musicvae COMMAND --help)
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import { MusicVAE } from './musicvae.mjs';
import { MusicVAEError } from './errors.mjs';
import { midiToQuantizedSequence, sequencesToMidi } from './midi.mjs';

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
const modelHelp = `  -m, --model FILE     model file (.mvae); default: the bundled mel_2bar_small.q8.mvae`;
const decodeHelp = `  -t, --temperature T  sampling temperature (> 0); 0 or none = argmax
  -s, --seed N         random seed (0..2^64-1): the same seed gives the same music, here and in
                       the native build; default: a random one
  -o, --output FILE    MIDI file to write, all sequences one after another (default: NAME.mid)
      --split          one MIDI file per sequence: FILE_1.mid, FILE_2.mid, ...
      --qpm Q          tempo of the output, quarters per minute (default 120)
      --json FILE      also write the NoteSequences as JSON ('-' = stdout)
      --tokens         print the decoded class indices, one sequence per line, to stdout
  -q, --quiet          no progress or summary on stderr`;

const commands = {
  sample: {
    summary: 'sample melodies (or drums, trios) from the model prior',
    usage: 'musicvae sample [-n N] [-t T] [-s SEED] [-o out.mid] [options]',
    options: { ...common, ...decoding, n: { type: 'string', short: 'n' }, 'z-out': { type: 'string' } },
    help: `  -n N                 how many sequences (default 1)
${decodeHelp.replace('(> 0); 0 or none = argmax', '(default 0.5; 0 = argmax)')}
      --z-out FILE     write the latent vectors drawn as JSON
${modelHelp}`,
    run: cmdSample,
  },
  encode: {
    summary: 'encode MIDI files to latent vectors (JSON)',
    usage: 'musicvae encode IN.mid [IN2.mid ...] [-o z.json] [options]',
    options: { ...common, output: { type: 'string', short: 'o' }, bar: { type: 'string' },
      track: { type: 'string' }, sigma: { type: 'boolean' } },
    help: `  -o, --output FILE    where to write the JSON (default: stdout)
      --bar B          first bar of the window to encode (default 0); the window is the
                       model's length (2 bars for mel_2bar_small)
      --track K        use only MIDI track K (0-based); default: every track that fits the
                       model (melody: the non-drum notes, highest note at each onset)
      --sigma          also write sigma
${modelHelp}
The JSON: {"model": NAME, "zDims": Z, "z": [[...], ...]} (and "sigma"). Needs a model with an
encoder (the bundled mel_2bar_small has one).`,
    run: cmdEncode,
  },
  decode: {
    summary: 'decode latent vectors (JSON) to MIDI',
    usage: 'musicvae decode z.json [-t T] [-s SEED] [-o out.mid] [options]',
    options: { ...common, ...decoding },
    help: `${decodeHelp}
${modelHelp}
z.json: {"z": [[...], ...]} as encode writes, or a bare array of vectors, or one vector.`,
    run: cmdDecode,
  },
  interpolate: {
    summary: 'interpolate between 2 or 4 inputs (MIDI files or latent JSON)',
    usage: 'musicvae interpolate A B [C D] [-n N | --grid COLSxROWS] [--method linear|slerp] [-o out.mid]',
    options: { ...common, ...decoding, n: { type: 'string', short: 'n' }, grid: { type: 'string' },
      method: { type: 'string' }, bar: { type: 'string' }, track: { type: 'string' }, 'z-out': { type: 'string' } },
    help: `  A B [C D]            .mid files (encoded; needs an encoder) or .json latent files; one .json
                       file holding 2 or 4 vectors is enough
  -n N                 points from A to B, both included (default 5); with 4 inputs, an N x N grid
      --grid CxR       the grid's columns and rows with 4 inputs (A top-left, B bottom-left,
                       C top-right, D bottom-right; output row by row)
      --method M       linear (magenta.js, default) or slerp
${decodeHelp}
      --bar B          as for encode, for .mid inputs
      --track K        as for encode, for .mid inputs
      --z-out FILE     write the interpolated latent vectors as JSON
${modelHelp}`,
    run: cmdInterpolate,
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

function intOption(value, name, { min = -Infinity, max = Infinity, fallback } = {}) {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got '${value}'`);
  }
  return Number(value);
}

function numberOption(value, name, fallback) {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0) {
    throw new UsageError(`--${name} must be a number >= 0, got '${value}'`);
  }
  return x;
}

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

function readLatents(file, zDims) {
  let data;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
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
  });
  return z.map((v) => Float32Array.from(v));
}

function writeLatents(file, model, z, extra = {}) {
  const json = JSON.stringify({ model: model.info.name, zDims: model.zDims, z: z.map((v) => Array.from(v)), ...extra });
  if (!file || file === '-') process.stdout.write(json + '\n');
  else fs.writeFileSync(file, json + '\n');
}

function readSequence(file, model, values) {
  let bytes;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${e.message}`);
  }
  const { numSteps, stepsPerQuarter, stepsPerBar, converter } = model.info;
  const ns = midiToQuantizedSequence(bytes, stepsPerQuarter);
  const track = intOption(values.track, 'track', { min: 0 });
  const bar = intOption(values.bar, 'bar', { min: 0, fallback: 0 });
  const from = bar * stepsPerBar;
  const notes = ns.notes.filter((n) => {
    if (track !== undefined) return n.instrument === track;
    return converter === 'melody' ? !n.isDrum : converter === 'drums' ? n.isDrum : true;
  }).filter((n) => n.quantizedStartStep >= from && n.quantizedStartStep < from + numSteps)
    .map((n) => ({ ...n, quantizedStartStep: n.quantizedStartStep - from, quantizedEndStep: n.quantizedEndStep - from }));
  if (notes.length === 0) {
    process.stderr.write(`musicvae: warning: ${file} has no notes in bars ${bar}..${bar + numSteps / stepsPerBar - 1}\n`);
  }
  return { ...ns, notes, totalQuantizedSteps: numSteps };
}

function outputs(values, defaultName, sequences, numSteps, qpm) {
  const out = values.output || `${defaultName}.mid`;
  const written = [];
  if (values.split && sequences.length > 1) {
    const ext = path.extname(out) || '.mid';
    const base = out.slice(0, out.length - path.extname(out).length);
    sequences.forEach((ns, i) => {
      const file = `${base}_${i + 1}${ext}`;
      fs.writeFileSync(file, sequencesToMidi([ns], { qpm, stepsEach: numSteps }));
      written.push(file);
    });
  } else {
    fs.writeFileSync(out, sequencesToMidi(sequences, { qpm, stepsEach: numSteps }));
    written.push(out);
  }
  if (values.json) {
    const json = JSON.stringify(sequences, null, 1);
    if (values.json === '-') process.stdout.write(json + '\n');
    else fs.writeFileSync(values.json, json + '\n');
  }
  if (!values.quiet) {
    process.stderr.write(`wrote ${sequences.length} sequence(s) to ${written.length === 1 ? written[0] : `${written[0]} ... ${written[written.length - 1]}`}\n`);
  }
}

function printTokens(tokens) {
  process.stdout.write(tokens.map((t) => Array.from(t).join(' ')).join('\n') + '\n');
}

// Decodes a batch with the common decoding options; tokens and sequences from one decode.
async function decodeAll(model, z, values, fallbackTemperature, label) {
  const temperature = numberOption(values.temperature, 'temperature', fallbackTemperature);
  const seed = seedOption(values.seed);
  const qpm = values.qpm === undefined ? 120 : numberOption(values.qpm, 'qpm');
  if (!(qpm > 0)) throw new UsageError('--qpm must be > 0');
  const { tokens } = await model.decodeTokens(z, { temperature, seed, onProgress: progress(values, label) });
  return { tokens, qpm };
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
    ['steps', `${i.numSteps} (${i.numSteps / i.stepsPerBar} bars, ${i.numSegments} segment(s))`],
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
  const qpm = values.qpm === undefined ? 120 : numberOption(values.qpm, 'qpm');
  const model = await openModel(values);
  const { z, tokens } = await model.sampleTokens(n, temperature, { seed, onProgress: progress(values, 'sampling') });
  if (values['z-out']) writeLatents(values['z-out'], model, z);
  if (values.tokens) printTokens(tokens);
  outputs(values, 'sample', await tokensToSequences(model, tokens, qpm), model.info.numSteps, qpm);
  model.dispose();
}

async function cmdEncode(values, positionals) {
  if (positionals.length === 0) throw new UsageError('encode needs at least one .mid file');
  const model = await openModel(values);
  const sequences = positionals.map((f) => readSequence(f, model, values));
  const result = values.sigma ? await model.encodeWithSigma(sequences) : { mu: await model.encode(sequences) };
  const extra = { inputs: positionals };
  if (result.sigma) extra.sigma = result.sigma.map((v) => Array.from(v));
  writeLatents(values.output, model, result.mu, extra);
  model.dispose();
}

async function cmdDecode(values, positionals) {
  if (positionals.length !== 1) throw new UsageError('decode takes one JSON file of latent vectors');
  const model = await openModel(values);
  const z = readLatents(positionals[0], model.zDims);
  const { tokens, qpm } = await decodeAll(model, z, values, 0, 'decoding');
  if (values.tokens) printTokens(tokens);
  outputs(values, 'decoded', await tokensToSequences(model, tokens, qpm), model.info.numSteps, qpm);
  model.dispose();
}

async function cmdInterpolate(values, positionals) {
  const model = await openModel(values);
  let inputs = [];
  for (const file of positionals) {
    if (file.toLowerCase().endsWith('.json')) inputs.push(...readLatents(file, model.zDims));
    else inputs.push(readSequence(file, model, values));
  }
  if (inputs.length !== 2 && inputs.length !== 4) {
    throw new UsageError(`interpolate needs 2 or 4 inputs (MIDI files or latent vectors), got ${inputs.length}`);
  }
  let numInterps = intOption(values.n, 'n', { min: 1, max: 4096, fallback: 5 });
  if (values.grid !== undefined) {
    const m = /^(\d+)x(\d+)$/i.exec(values.grid);
    if (!m || inputs.length !== 4) throw new UsageError('--grid COLSxROWS needs 4 inputs, e.g. --grid 5x3');
    numInterps = [Number(m[1]), Number(m[2])];
  }
  const method = values.method || 'linear';
  if (method !== 'linear' && method !== 'slerp') throw new UsageError(`--method must be linear or slerp, got '${method}'`);
  const z = await model.interpolateLatents(inputs, numInterps, { method });
  if (values['z-out']) writeLatents(values['z-out'], model, z);
  const { tokens, qpm } = await decodeAll(model, z, values, 0, 'decoding');
  if (values.tokens) printTokens(tokens);
  outputs(values, 'interpolation', await tokensToSequences(model, tokens, qpm), model.info.numSteps, qpm);
  model.dispose();
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
    throw e;
  }
}

const invokedDirectly = process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    process.stderr.write(`musicvae: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  });
}
