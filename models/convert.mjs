#!/usr/bin/env node
// convert.mjs: a magenta.js MusicVAE checkpoint -> one MVAE model file (docs/model-format.md).
//
//   node models/convert.mjs <checkpoint-dir> <out.mvae> [--quantize q8] [--block 32] [--name NAME]
//        [--config config.json] [--description TEXT] [--license TEXT] [--source TEXT]
//        [--allow-missing-encoder]
//
// Reads the tfjs layout (weights_manifest.json + shards) or the older deeplearn.js layout (manifest.json
// + one raw float32 file per variable), and the model configuration from config.json / converter.json
// (or --config). Every variable is checked against the model structure magenta.js builds from it, so a
// file that converts is one the engine can run. No dependencies beyond Node's standard library.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export class ConvertError extends Error {}
const fail = (msg) => {
  throw new ConvertError(msg);
};

// ---- Reading checkpoints ------------------------------------------------------------------------

// The tensor names: src/format/schema.json, the one list the engine, this converter and the Python
// tools read. A name is a template whose {fields} are filled in.
const SCHEMA = JSON.parse(fs.readFileSync(new URL('../src/format/schema.json', import.meta.url), 'utf8'));
export function tensorName(part, fields = {}) {
  const template = SCHEMA.names[part];
  if (template === undefined) throw new Error(`no tensor name '${part}' in src/format/schema.json`);
  return template.replace(/\{(\w+)\}/g, (_, key) => {
    if (fields[key] === undefined) throw new Error(`tensor name '${part}' needs {${key}}`);
    return String(fields[key]);
  });
}
// Any name a template can make, as a regular expression (a {field} is one path segment or less).
const templateRegex = (part) =>
  new RegExp(`^${SCHEMA.names[part].replace(/[.*+?^$()|[\]\\/]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}`);
const ENCODER_LSTM_NAMES = [templateRegex('encoder_lstm'), templateRegex('hier_encoder_lstm')];
const ENCODER_LSTM = { test: (name) => ENCODER_LSTM_NAMES.some((re) => re.test(name)) };
// Optimizer state and step counters: present in raw TF checkpoints, meaningless for inference.
const TRAINING_ONLY = /(^|\/)(global_step|beta[12]_power)$|\/Adam(_\d+)?$/;

function readJson(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    fail(`cannot read ${file}: ${e.code || e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${file}: invalid JSON: ${e.message}`);
  }
}

function readBytes(file, what) {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    fail(`missing or unreadable file ${file} (${what}): ${e.code || e.message}`);
  }
}

function numel(name, shape) {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    fail(`variable ${name}: bad shape ${JSON.stringify(shape)}`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

const fmt = (shape) => `[${shape.join(', ')}]`;

function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const f = h & 1023;
  if (e === 0) return sign * f * 2 ** -24;
  if (e === 31) return f ? NaN : sign * Infinity;
  return sign * (1 + f / 1024) * 2 ** (e - 15);
}

// The deeplearn.js layout: {name: {filename, shape}}, one little-endian float32 file per variable.
function readDeeplearn(dir, manifest, allowMissingEncoder) {
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    fail(`${dir}/manifest.json: expected an object {variable: {filename, shape}}`);
  }
  const vars = new Map();
  const missing = [];
  for (const [name, entry] of Object.entries(manifest)) {
    if (!entry || typeof entry !== 'object') {
      fail(`manifest.json: variable ${name} needs {filename, shape}`);
    }
    const n = numel(name, entry.shape);
    const fname = entry.filename;
    if (typeof fname !== 'string' || fname === '' || fname !== path.basename(fname)) {
      fail(`manifest.json: variable ${name} has a bad filename ${JSON.stringify(fname)}`);
    }
    const file = path.join(dir, fname);
    if (!fs.existsSync(file) && ENCODER_LSTM.test(name)) {
      if (!allowMissingEncoder) {
        fail(`missing file ${file} (variable ${name}); ` +
          'pass --allow-missing-encoder to convert without an encoder');
      }
      missing.push(name);
      continue;
    }
    const bytes = readBytes(file, `variable ${name}`);
    if (bytes.length !== 4 * n) {
      fail(`${file}: ${bytes.length} bytes, but ${name} of shape ${fmt(entry.shape)} needs ${4 * n}`);
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = dv.getFloat32(4 * i, true);
    vars.set(name, { shape: entry.shape.slice(), data });
  }
  return { vars, missing };
}

// The tfjs layout: groups of weights, each group's shards concatenated and its weights laid one after
// another; a quantized weight takes its quantized width per element (as tfjs io.decodeWeights reads it).
const QUANT_WIDTH = { uint8: 1, uint16: 2, float16: 2 };

function readTfjs(dir, groups) {
  if (!Array.isArray(groups)) fail(`${dir}/weights_manifest.json: expected an array of weight groups`);
  const vars = new Map();
  groups.forEach((group, g) => {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      fail(`weights_manifest.json: group ${g} needs "paths" and "weights" arrays`);
    }
    const shards = group.paths.map((p) => readBytes(path.join(dir, p), `shard of group ${g}`));
    const buf = Buffer.concat(shards);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    let off = 0;
    for (const w of group.weights) {
      if (!w || typeof w.name !== 'string') fail(`weights_manifest.json: group ${g} has a nameless weight`);
      const n = numel(w.name, w.shape);
      if (w.dtype !== 'float32') fail(`unsupported: weight ${w.name} has dtype ${w.dtype}`);
      const q = w.quantization;
      const width = q ? QUANT_WIDTH[q.dtype] : 4;
      if (!width) fail(`unsupported: weight ${w.name} has quantization dtype ${q.dtype}`);
      if (q && q.dtype !== 'float16' && !(Number.isFinite(q.scale) && Number.isFinite(q.min))) {
        fail(`weight ${w.name}: quantization needs numeric "min" and "scale"`);
      }
      if (off + n * width > buf.length) {
        fail(`group ${g}: shards hold ${buf.length} bytes, too few for weight ${w.name} ` +
          `${fmt(w.shape)} at byte ${off} (truncated shard?)`);
      }
      const data = new Float32Array(n);
      for (let i = 0, p = off; i < n; i++, p += width) {
        if (!q) data[i] = dv.getFloat32(p, true);
        else if (q.dtype === 'uint8') data[i] = dv.getUint8(p) * q.scale + q.min;
        else if (q.dtype === 'uint16') data[i] = dv.getUint16(p, true) * q.scale + q.min;
        else data[i] = halfToFloat(dv.getUint16(p, true));
      }
      if (vars.has(w.name)) fail(`weights_manifest.json: duplicate weight ${w.name}`);
      vars.set(w.name, { shape: w.shape.slice(), data });
      off += n * width;
    }
    if (off !== buf.length) {
      fail(`group ${g}: shards hold ${buf.length} bytes but its weights take ${off}`);
    }
  });
  return { vars, missing: [] };
}

// Reads a checkpoint directory: {vars: Map name -> {shape, data: Float32Array}, config (or null),
// layout, dropped}. With allowMissingEncoder, encoder LSTM variables whose files are absent (published
// mirrors that ship only the decoder) make the whole encoder LSTM go: `dropped` lists what went.
export function readCheckpoint(dir, { allowMissingEncoder = false } = {}) {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    fail(`checkpoint directory not found: ${dir}`);
  }
  let layout, result;
  if (fs.existsSync(path.join(dir, 'weights_manifest.json'))) {
    layout = 'tfjs';
    result = readTfjs(dir, readJson(path.join(dir, 'weights_manifest.json')));
  } else if (fs.existsSync(path.join(dir, 'manifest.json'))) {
    layout = 'deeplearn';
    result = readDeeplearn(dir, readJson(path.join(dir, 'manifest.json')), allowMissingEncoder);
  } else {
    fail(`${dir}: no weights_manifest.json (tfjs) or manifest.json (deeplearn.js)`);
  }
  const { vars, missing } = result;
  const dropped = [];
  if (missing.length) {
    // An encoder missing some of its LSTM variables cannot encode; keeping the rest would only make the
    // file claim an encoder it does not have.
    for (const name of [...vars.keys()]) {
      if (ENCODER_LSTM.test(name)) {
        vars.delete(name);
        dropped.push(name);
      }
    }
    dropped.push(...missing);
    dropped.sort();
  }
  let config = null;
  for (const f of ['config.json', 'converter.json']) {
    if (fs.existsSync(path.join(dir, f))) {
      config = readJson(path.join(dir, f));
      break;
    }
  }
  return { vars, config, layout, dropped, missing };
}

// ---- Configuration --------------------------------------------------------------------------------

// Accepts magenta.js's config.json ({type: 'MusicVAE', dataConverter}) or a bare converter spec
// (converter.json of the older layout).
function converterSpec(config) {
  if (!config || typeof config !== 'object') {
    fail('no model configuration (config.json, converter.json or --config)');
  }
  if ('dataConverter' in config || config.type === 'MusicVAE') {
    if (config.type !== undefined && config.type !== 'MusicVAE') {
      fail(`unsupported: model type ${config.type}`);
    }
    if (config.chordEncoder) {
      fail(`unsupported: chord-conditioned model (chordEncoder ${config.chordEncoder})`);
    }
    if (!config.dataConverter || typeof config.dataConverter !== 'object') {
      fail('configuration has no dataConverter');
    }
    return config.dataConverter;
  }
  return config;
}

function pitchRange(args, what) {
  const min = args.minPitch ?? 21;
  const max = args.maxPitch ?? 108;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > 127 || min > max) {
    fail(`${what}: bad pitch range minPitch ${min}, maxPitch ${max}`);
  }
  return { min, max, depth: max - min + 3 }; // no event, note off, then one class per pitch
}

function drumsArgs(args, what) {
  // The engine hard-codes the standard 9 drum classes (2^9 = 512 hit sets).
  if (args.pitchClasses !== undefined) fail(`unsupported: custom drum pitchClasses in ${what}`);
}

// What the data converter implies: metadata, encoder input width and per-track output depths.
function describeConverter(config) {
  const spec = converterSpec(config);
  const args = spec.args || {};
  const { numSteps, numSegments } = args;
  if (!Number.isInteger(numSteps) || numSteps < 1) {
    fail(`converter: numSteps must be a positive integer, got ${numSteps}`);
  }
  const segmentsOk = Number.isInteger(numSegments) && numSegments >= 1 && numSteps % numSegments === 0;
  if (numSegments !== undefined && !segmentsOk) {
    fail(`converter: numSegments ${numSegments} must be a positive integer dividing numSteps ${numSteps}`);
  }
  const base = { numSteps, numSegments };
  switch (spec.type) {
    case 'MelodyConverter': {
      const p = pitchRange(args, 'MelodyConverter');
      return {
        ...base, type: 'melody', minPitch: p.min, maxPitch: p.max, inputDepth: p.depth, depths: [p.depth],
      };
    }
    case 'DrumsConverter': // roll input (9 classes + "no hit"), 512-way one-hot output
    case 'DrumRollConverter':
    case 'DrumsOneHotConverter': {
      drumsArgs(args, spec.type);
      const roll = spec.type !== 'DrumsOneHotConverter';
      return {
        ...base, type: 'drums', rollInput: roll ? 1 : 0, inputDepth: roll ? 10 : 512, depths: [512],
      };
    }
    case 'TrioConverter': {
      const mel = pitchRange(args.melArgs || {}, 'TrioConverter melArgs');
      const bass = pitchRange(args.bassArgs || {}, 'TrioConverter bassArgs');
      drumsArgs(args.drumsArgs || {}, 'TrioConverter drumsArgs');
      // The file has one pitch range for both melodic tracks.
      if (mel.min !== bass.min || mel.max !== bass.max) {
        fail('unsupported: trio melody and bass pitch ranges differ');
      }
      return {
        ...base, type: 'trio', minPitch: mel.min, maxPitch: mel.max, rollInput: 0,
        inputDepth: 2 * mel.depth + 512, depths: [mel.depth, mel.depth, 512],
      };
    }
    default:
      fail(`unsupported: converter type ${spec.type} (supported: MelodyConverter, DrumsConverter, ` +
        'DrumRollConverter, DrumsOneHotConverter, TrioConverter)');
  }
}

// ---- Model structure --------------------------------------------------------------------------------

// Walks the variables the way magenta.js builds the model from them, checking every shape; returns the
// derived metadata. Every variable must be used: anything left over means a model this engine would
// silently run wrong.
function describeModel(vars, config, warn) {
  const used = new Set();
  const get = (name) => {
    const v = vars.get(name);
    if (!v) fail(`missing variable ${name}`);
    used.add(name);
    return v;
  };
  const has = (name) => vars.has(name);
  const shapeError = (what, msg) => fail(`shape mismatch in ${what}: ${msg}`);

  for (const name of vars.keys()) {
    if (/(^|\/)nade\//.test(name)) fail(`unsupported: NADE output layer (${name})`);
  }

  // A dense layer: kernel [rows, cols], bias [cols].
  const dense = (prefix) => {
    const k = get(prefix + 'kernel').shape;
    const b = get(prefix + 'bias').shape;
    if (k.length !== 2 || b.length !== 1 || b[0] !== k[1]) {
      shapeError(prefix, `kernel ${fmt(k)}, bias ${fmt(b)}`);
    }
    return k;
  };
  // A stack of LSTM layers cell_0, cell_1, ...: units and input width of each. Layer l reads layer
  // l - 1's output: `fanIn` x its units (2 for a bidirectional layer, which reads [fw; bw]).
  const lstmStack = (cell, fanIn = 1) => {
    const units = [];
    const inputs = [];
    for (let l = 0; has(cell(l) + 'kernel'); l++) {
      const [rows, cols] = dense(cell(l));
      if (cols % 4 || rows <= cols / 4) {
        shapeError(cell(l), `kernel ${fmt([rows, cols])} is not [input + units, 4 units]`);
      }
      units.push(cols / 4);
      inputs.push(rows - cols / 4);
      if (l > 0 && inputs[l] !== fanIn * units[l - 1]) {
        shapeError(cell(l), `input ${inputs[l]}, previous layer gives ${fanIn} x ${units[l - 1]}`);
      }
    }
    return { units, inputs };
  };
  const sum = (a) => a.reduce((x, y) => x + y, 0);

  // A core decoder: z_to_initial_state, the LSTM stack, output_projection. Conditioning is z (flat) or
  // the conductor output (hierarchical); cell 0 reads [previous output, conditioning].
  const coreDecoder = (core, cond) => {
    const init = tensorName('decoder_init', { core });
    const output = tensorName('decoder_output', { core });
    const cell = (layer) => tensorName('decoder_lstm', { core, layer });
    const [condIn, stateWidth] = dense(init);
    if (cond !== undefined && condIn !== cond) {
      shapeError(init, `input ${condIn}, conductor output ${cond}`);
    }
    const s = lstmStack(cell);
    if (!s.units.length) fail(`missing variable ${cell(0)}kernel`);
    if (stateWidth !== 2 * sum(s.units)) {
      shapeError(init, `width ${stateWidth}, LSTM units ${fmt(s.units)}`);
    }
    const [h, depth] = dense(output);
    if (h !== s.units.at(-1)) {
      shapeError(output, `input ${h}, top LSTM has ${s.units.at(-1)} units`);
    }
    if (s.inputs[0] !== depth + condIn) {
      shapeError(cell(0), `input ${s.inputs[0]}, expected output ${depth} + conditioning ${condIn}`);
    }
    return { depth, condIn };
  };

  let zSize;
  const outputDepths = [];
  const conductorInit = tensorName('conductor_init');
  const conductorCell = (layer) => tensorName('conductor_lstm', { layer });
  const hierarchical = vars.has(`${conductorInit}kernel`) || vars.has(`${conductorCell(0)}kernel`);
  const initKernel = (core) => `${tensorName('decoder_init', { core })}kernel`;
  if (!hierarchical) {
    const core = tensorName('flat_decoder');
    if (!has(initKernel(core))) fail(`missing variable ${initKernel(core)} (no decoder)`);
    const d = coreDecoder(core);
    zSize = d.condIn;
    outputDepths.push(d.depth);
  } else {
    const [z, stateWidth] = dense(conductorInit);
    zSize = z;
    const c = lstmStack(conductorCell);
    if (!c.units.length) fail(`missing variable ${conductorCell(0)}kernel`);
    if (c.inputs[0] !== 1) {
      shapeError(conductorCell(0), `input ${c.inputs[0]}, the conductor input is one zero`);
    }
    if (stateWidth !== 2 * sum(c.units)) {
      shapeError(conductorInit, `width ${stateWidth}, LSTM units ${fmt(c.units)}`);
    }
    // One track: the core_decoder names; several: core_decoder_track, one per track.
    const cores = [];
    if (has(initKernel(tensorName('core_decoder')))) cores.push(tensorName('core_decoder'));
    for (let track = 0; has(initKernel(tensorName('core_decoder_track', { track }))); track++) {
      cores.push(tensorName('core_decoder_track', { track }));
    }
    if (!cores.length) {
      fail(`missing variable ${initKernel(tensorName('core_decoder'))} (no core decoder)`);
    }
    for (const core of cores) outputDepths.push(coreDecoder(core, c.units.at(-1)).depth);
  }

  // Encoder: bidirectional LSTM layers (one level, or two hierarchical levels), then mu / sigma.
  // part: 'encoder_lstm', or 'hier_encoder_lstm' at a level.
  const biLstm = (part, level) => {
    const dir = (direction) => lstmStack((layer) => tensorName(part, { level, layer, direction }), 2);
    const fw = dir('fw');
    const bw = dir('bw');
    if (!fw.units.length && !bw.units.length) return null;
    if (fmt(fw.units) !== fmt(bw.units) || fmt(fw.inputs) !== fmt(bw.inputs)) {
      shapeError(tensorName(part, { level, layer: 0, direction: 'fw' }),
        `forward units ${fmt(fw.units)} differ from backward ${fmt(bw.units)}`);
    }
    return { input: fw.inputs[0], output: 2 * fw.units.at(-1) };
  };
  const hierNames = templateRegex('hier_encoder_lstm');
  const hierEncoder = [...vars.keys()].some((n) => hierNames.test(n));
  let encoder = null;
  if (hierEncoder) {
    const levels = [];
    for (let k = 0; ; k++) {
      const level = biLstm('hier_encoder_lstm', k);
      if (!level) break;
      levels.push(level);
    }
    if (levels.length !== 2) {
      fail(`unsupported: hierarchical encoder with ${levels.length} levels (expected 2)`);
    }
    if (levels[1].input !== levels[0].output) {
      shapeError(tensorName('hier_encoder_lstm', { level: 1, layer: 0, direction: 'fw' }),
        `input ${levels[1].input}, level 0 gives ${levels[0].output}`);
    }
    encoder = { input: levels[0].input, output: levels[1].output };
  } else {
    encoder = biLstm('encoder_lstm');
  }
  for (const latent of ['mu', 'sigma']) {
    const prefix = tensorName('latent', { latent });
    if (!has(`${prefix}kernel`) && !has(`${prefix}bias`)) continue;
    const [rows, cols] = dense(prefix);
    if (cols !== zSize) shapeError(prefix, `width ${cols}, decoder z size ${zSize}`);
    if (encoder && rows !== encoder.output) {
      shapeError(prefix, `input ${rows}, encoder LSTM gives ${encoder.output}`);
    }
  }
  const muKernel = `${tensorName('latent', { latent: 'mu' })}kernel`;
  if (encoder && !has(muKernel)) {
    fail(`missing variable ${muKernel} (the encoder LSTM is present)`);
  }

  const conv = describeConverter(config);
  if (fmt(outputDepths) !== fmt(conv.depths)) {
    fail(`unsupported: the checkpoint's output depths ${fmt(outputDepths)} do not match the ` +
      `${conv.type} converter's ${fmt(conv.depths)}`);
  }
  if (encoder && encoder.input !== conv.inputDepth) {
    fail(`unsupported: the encoder reads ${encoder.input} values per step, the ${conv.type} ` +
      `converter gives ${conv.inputDepth}`);
  }
  if ((hierarchical || hierEncoder) && conv.numSegments === undefined) {
    fail('converter: numSegments is required for a hierarchical decoder or encoder');
  }
  if (!hierarchical && !hierEncoder && conv.numSegments !== undefined) {
    fail(`converter: numSegments ${conv.numSegments} given, but the checkpoint has no conductor ` +
      'or hierarchical encoder');
  }

  for (const name of vars.keys()) {
    if (used.has(name)) continue;
    if (TRAINING_ONLY.test(name)) {
      warn(`ignoring training-only variable ${name}`);
      continue;
    }
    fail(`unsupported: unexpected variable ${name} ${fmt(vars.get(name).shape)}`);
  }

  return {
    zSize,
    numSteps: conv.numSteps,
    numSegments: conv.numSegments,
    decoder: hierarchical ? 'hierarchical' : 'flat',
    // Without encoder weights this records what magenta.js would build: a hierarchical encoder
    // exactly when the converter has segments.
    encoder:
      hierEncoder || (!encoder && conv.numSegments !== undefined) ? 'hierarchical' : 'bidirectional',
    outputDepths,
    inputDepth: conv.inputDepth,
    converter: conv,
    tensors: [...used].sort(),
  };
}

// ---- Writing ----------------------------------------------------------------------------------------

const DTYPE = { f32: 0, f16: 1, q8: 2 };
const META = { i32: 1, f32: 2, str: 3, 'i32[]': 4 };
const utf8 = new TextEncoder();

// Ties to even (as numpy's rint in training/mvae_format.py), so both writers give the same bytes.
function roundHalfEven(x) {
  const r = Math.round(x); // ties toward +infinity
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// Symmetric per-block int8: the f32 scales [rows][nblk], then the int8 values [rows][cols].
export function quantizeQ8(data, rows, cols, block) {
  const nblk = Math.ceil(cols / block);
  const out = new Uint8Array(4 * rows * nblk + rows * cols);
  const dv = new DataView(out.buffer);
  const q = new Int8Array(out.buffer, 4 * rows * nblk);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nblk; b++) {
      const c0 = r * cols + b * block;
      const c1 = r * cols + Math.min(cols, (b + 1) * block);
      let max = 0;
      for (let i = c0; i < c1; i++) max = Math.max(max, Math.abs(data[i]));
      // Divide by the f32 scale actually stored, so |w - scale * q| <= scale / 2 holds for the file.
      const scale = Math.fround(max / 127);
      dv.setFloat32(4 * (r * nblk + b), scale, true);
      if (scale === 0) continue;
      for (let i = c0; i < c1; i++) {
        q[i] = Math.max(-127, Math.min(127, roundHalfEven(data[i] / scale)));
      }
    }
  }
  return out;
}

class ByteWriter {
  constructor() {
    this.chunks = [];
    this.length = 0;
  }
  bytes(b) {
    this.chunks.push(b);
    this.length += b.length;
  }
  num(setter, size, v) {
    const b = new Uint8Array(size);
    new DataView(b.buffer)[setter](0, v, true);
    this.bytes(b);
  }
  u32(v) { this.num('setUint32', 4, v); }
  i32(v) { this.num('setInt32', 4, v); }
  f32(v) { this.num('setFloat32', 4, v); }
  u64(v) { this.num('setBigUint64', 8, BigInt(v)); }
  str(s, max, what) {
    const b = utf8.encode(s);
    if (b.length > max) fail(`${what} is ${b.length} bytes (at most ${max})`);
    this.u32(b.length);
    this.bytes(b);
  }
}

const align64 = (n) => Math.ceil(n / 64) * 64;

// Format version 2 (docs/model-format.md): version 1's layout plus a CRC-32 at byte 32 and a reserved
// zero at 36; version 1 files (no checksum) are still read.
const VERSION = 2;
const HEADER_SIZES = { 1: 32, 2: 40 };
const CRC_OFFSET = 32;

// CRC-32 (ISO-HDLC, as zlib's; Node 18 has no zlib.crc32) of the whole file with its 4 checksum bytes
// read as zeros.
let crcTable;
export function fileCrc32(buf) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) {
    const byte = i >= CRC_OFFSET && i < CRC_OFFSET + 4 ? 0 : buf[i];
    c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

// Builds the MVAE file. vars: Map or object name -> {shape, data}; config: magenta.js config.json or a
// converter spec; opts: {quantize: 'q8'?, block = 32, name, description, license, source, warn}.
export function buildModelFile(vars, config, opts = {}) {
  const { quantize, block = 32 } = opts;
  const warn = opts.warn || ((m) => process.stderr.write(`convert.mjs: warning: ${m}\n`));
  if (quantize !== undefined && quantize !== null && quantize !== 'q8') {
    fail(`unsupported: --quantize ${quantize} (only q8)`);
  }
  if (!Number.isInteger(block) || block < 1) fail(`--block must be a positive integer, got ${block}`);
  const varMap = vars instanceof Map ? vars : new Map(Object.entries(vars));
  for (const [name, v] of varMap) {
    if (numel(name, v.shape) !== v.data.length) {
      fail(`variable ${name}: ${v.data.length} values for shape ${fmt(v.shape)}`);
    }
    const bad = v.data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) fail(`variable ${name}: non-finite weight ${v.data[bad]} at index ${bad}`);
  }
  const m = describeModel(varMap, config, warn);
  const c = m.converter;

  const meta = [
    ['general.architecture', 'str', 'musicvae'],
    ['general.name', 'str', opts.name],
    ['general.description', 'str', opts.description],
    ['general.license', 'str', opts.license],
    ['general.source', 'str', opts.source],
    ['musicvae.z_size', 'i32', m.zSize],
    ['musicvae.num_steps', 'i32', m.numSteps],
    ['musicvae.num_segments', 'i32', m.numSegments],
    ['musicvae.steps_per_quarter', 'i32', 4],
    ['musicvae.quarters_per_bar', 'i32', 4],
    ['musicvae.decoder', 'str', m.decoder],
    ['musicvae.encoder', 'str', m.encoder],
    ['musicvae.output_depths', 'i32[]', m.outputDepths],
    ['musicvae.input_depth', 'i32', m.inputDepth],
    ['converter.type', 'str', c.type],
    ['converter.min_pitch', 'i32', c.minPitch],
    ['converter.max_pitch', 'i32', c.maxPitch],
    ['converter.drums_roll_input', 'i32', c.rollInput],
  ].filter((e) => e[2] !== undefined && e[2] !== null);

  // Tensor data, each at a 64-byte aligned offset from data_offset.
  const tensors = [];
  let dataSize = 0;
  for (const name of m.tensors) {
    const { shape, data } = varMap.get(name);
    if (data.length >= 2 ** 31) fail(`variable ${name} has too many elements`);
    let dtype = 'f32';
    let blk = 0;
    let bytes;
    if (quantize === 'q8' && shape.length === 2) {
      dtype = 'q8';
      blk = Math.min(block, shape[1]);
      bytes = quantizeQ8(data, shape[0], shape[1], blk);
    } else {
      bytes = new Uint8Array(4 * data.length);
      const dv = new DataView(bytes.buffer);
      data.forEach((x, i) => dv.setFloat32(4 * i, x, true));
    }
    const offset = align64(dataSize);
    tensors.push({ name, dtype, shape, block: blk, offset, bytes });
    dataSize = offset + bytes.length;
  }
  if (tensors.length > 1024) fail(`${tensors.length} tensors (at most 1024)`);

  const head = new ByteWriter();
  for (const [key, type, value] of meta) {
    head.str(key, 255, `metadata key ${key}`);
    head.u32(META[type]);
    if (type === 'str') head.str(value, 65535, `metadata ${key}`);
    else if (type === 'f32') head.f32(value);
    else if (type === 'i32') head.i32(value);
    else {
      head.u32(value.length);
      value.forEach((v) => head.i32(v));
    }
  }
  for (const t of tensors) {
    head.str(t.name, 255, `tensor name ${t.name}`);
    head.u32(DTYPE[t.dtype]);
    head.u32(t.shape.length);
    t.shape.forEach((d) => head.u32(d));
    head.u32(t.block);
    head.u64(t.offset);
    head.u64(t.bytes.length);
  }
  const headerSize = HEADER_SIZES[VERSION];
  const dataOffset = align64(headerSize + head.length);

  const out = new Uint8Array(dataOffset + dataSize);
  const dv = new DataView(out.buffer);
  out.set(utf8.encode('MVAE'), 0);
  dv.setUint32(4, VERSION, true);
  dv.setUint32(8, meta.length, true);
  dv.setUint32(12, tensors.length, true);
  dv.setBigUint64(16, BigInt(dataOffset), true);
  dv.setBigUint64(24, BigInt(dataSize), true);
  let p = headerSize;
  for (const chunk of head.chunks) {
    out.set(chunk, p);
    p += chunk.length;
  }
  for (const t of tensors) out.set(t.bytes, dataOffset + t.offset);
  dv.setUint32(CRC_OFFSET, fileCrc32(out), true);
  return out;
}

// ---- Reading model files (for tests and inspection) -------------------------------------------------

// Parses and validates an MVAE file: {version, meta: {key: value}, tensors: Map name -> {name, dtype,
// shape, block, offset, nbytes, bytes}}. Offsets are relative to data_offset; `bytes` is the raw data.
export function parseModelFile(bytes) {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const bad = (msg) => fail(`bad model file: ${msg}`);
  let p = 0;
  const need = (n) => {
    if (p + n > buf.length) bad(`truncated at byte ${p}`);
    const at = p;
    p += n;
    return at;
  };
  const u32 = () => dv.getUint32(need(4), true);
  const u64 = () => {
    const v = dv.getBigUint64(need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad('64-bit value out of range');
    return Number(v);
  };
  const str = (min, max, what) => {
    const n = u32();
    if (n < min || n > max) bad(`${what} length ${n}`);
    return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(need(n), p));
  };

  if (buf.length < 32 || new TextDecoder().decode(buf.subarray(0, 4)) !== 'MVAE') bad('no MVAE magic');
  p = 4;
  const version = u32();
  if (!(version in HEADER_SIZES)) bad(`version ${version}`);
  if (buf.length < HEADER_SIZES[version]) bad('truncated header');
  const nMeta = u32();
  const nTensors = u32();
  if (nMeta > 256 || nTensors > 1024) bad(`${nMeta} metadata entries, ${nTensors} tensors`);
  const dataOffset = u64();
  const dataSize = u64();
  if (dataOffset % 64 || dataOffset + dataSize !== buf.length) {
    bad(`data_offset ${dataOffset}, data_size ${dataSize}, file ${buf.length}`);
  }
  if (version >= 2) {
    const stored = u32();
    if (stored !== fileCrc32(buf)) bad(`checksum mismatch: the file is corrupted`);
    if (u32() !== 0) bad('reserved header field is not 0');
  }

  const meta = {};
  for (let i = 0; i < nMeta; i++) {
    const key = str(1, 255, 'key');
    if (key in meta) bad(`duplicate key ${key}`);
    const type = u32();
    if (type === 1) meta[key] = dv.getInt32(need(4), true);
    else if (type === 2) meta[key] = dv.getFloat32(need(4), true);
    else if (type === 3) meta[key] = str(0, 65535, `value of ${key}`);
    else if (type === 4) {
      const n = u32();
      if (n > 64) bad(`${key}: ${n} array entries`);
      meta[key] = Array.from({ length: n }, () => dv.getInt32(need(4), true));
    } else bad(`${key}: metadata type ${type}`);
  }

  const tensors = new Map();
  for (let i = 0; i < nTensors; i++) {
    const name = str(1, 255, 'tensor name');
    if (tensors.has(name)) bad(`duplicate tensor ${name}`);
    const dtype = ['f32', 'f16', 'q8'][u32()];
    const nDims = u32();
    if (!dtype || (nDims !== 1 && nDims !== 2)) bad(`${name}: dtype or n_dims`);
    const shape = Array.from({ length: nDims }, u32);
    const [rows, cols] = nDims === 1 ? [1, shape[0]] : shape;
    if (rows < 1 || cols < 1 || rows * cols >= 2 ** 31) bad(`${name}: dims ${fmt(shape)}`);
    const block = u32();
    const offset = u64();
    const nbytes = u64();
    let expect;
    if (dtype === 'q8') {
      if (nDims !== 2 || block < 1 || block > cols) bad(`${name}: q8 block ${block}`);
      expect = 4 * rows * Math.ceil(cols / block) + rows * cols;
    } else {
      if (block !== 0) bad(`${name}: block ${block} for ${dtype}`);
      if (nDims === 1 && dtype !== 'f32') bad(`${name}: a 1-D tensor must be f32`);
      expect = (dtype === 'f32' ? 4 : 2) * rows * cols;
    }
    if (nbytes !== expect || offset % 64 || offset + nbytes > dataSize) {
      bad(`${name}: offset ${offset}, nbytes ${nbytes}`);
    }
    const start = dataOffset + offset;
    const data = buf.subarray(start, start + nbytes);
    tensors.set(name, { name, dtype, shape, block, offset, nbytes, bytes: data });
  }
  if (p > dataOffset) bad('tables run into the data section');
  const sorted = [...tensors.values()].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].offset < sorted[i - 1].offset + sorted[i - 1].nbytes) {
      bad(`${sorted[i].name} overlaps ${sorted[i - 1].name}`);
    }
  }
  return { version, meta, tensors };
}

// The values of a parsed tensor as f32 (q8 and f16 dequantized as the engine does).
export function tensorValues(t) {
  const [rows, cols] = t.shape.length === 1 ? [1, t.shape[0]] : t.shape;
  const dv = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Float32Array(rows * cols);
  if (t.dtype === 'f32') out.forEach((_, i) => (out[i] = dv.getFloat32(4 * i, true)));
  else if (t.dtype === 'f16') out.forEach((_, i) => (out[i] = halfToFloat(dv.getUint16(2 * i, true))));
  else {
    const nblk = Math.ceil(cols / t.block);
    const qBase = 4 * rows * nblk;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const scale = dv.getFloat32(4 * (r * nblk + Math.floor(c / t.block)), true);
        out[r * cols + c] = scale * dv.getInt8(qBase + r * cols + c);
      }
    }
  }
  return out;
}

// ---- Command line ------------------------------------------------------------------------------------

const USAGE = 'usage: node models/convert.mjs <checkpoint-dir> <out.mvae> [--quantize q8] [--block 32] ' +
  '[--name NAME] [--config config.json] [--description TEXT] [--license TEXT] [--source TEXT] ' +
  '[--allow-missing-encoder]';

function parseArgs(argv) {
  const opts = {};
  const positional = [];
  const valued = ['quantize', 'block', 'name', 'config', 'description', 'license', 'source'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--allow-missing-encoder') opts.allowMissingEncoder = true;
    else if (a === '-h' || a === '--help') opts.help = true;
    else if (a.startsWith('--')) {
      const key = a.slice(2);
      if (!valued.includes(key)) fail(`unknown option ${a}\n${USAGE}`);
      if (i + 1 >= argv.length) fail(`${a} needs a value`);
      opts[key] = argv[++i];
    } else positional.push(a);
  }
  if (opts.help) return { help: true };
  if (positional.length !== 2) fail(USAGE);
  if (opts.block !== undefined) {
    if (!/^[1-9][0-9]*$/.test(opts.block)) fail(`--block must be a positive integer, got ${opts.block}`);
    opts.block = Number(opts.block);
  }
  return { dir: positional[0], out: positional[1], opts };
}

// A temporary file in the same folder, then a rename: a failed write leaves an existing `out` intact.
function writeAtomically(out, bytes) {
  const tmp = path.join(path.dirname(path.resolve(out)), `.${path.basename(out)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    fail(`cannot write ${out}: ${e.message}`);
  }
}

function main(argv) {
  const args = parseArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const { dir, out, opts } = args;
  const ck = readCheckpoint(dir, { allowMissingEncoder: opts.allowMissingEncoder });
  if (ck.dropped.length) {
    process.stderr.write(`convert.mjs: warning: encoder LSTM files missing (${ck.missing.join(', ')}); ` +
      `dropped ${ck.dropped.length} encoder LSTM variables: the model will not encode\n`);
  }
  const config = opts.config ? readJson(opts.config) : ck.config;
  if (!config) fail(`${dir}: no config.json or converter.json; pass --config`);
  const name = opts.name ?? path.basename(path.resolve(dir));
  const bytes = buildModelFile(ck.vars, config, { ...opts, name });
  writeAtomically(out, bytes);
  const { meta, tensors } = parseModelFile(bytes);
  console.log(`${out}: ${bytes.length} bytes, ${tensors.size} tensors (${ck.layout} layout); ` +
    `z ${meta['musicvae.z_size']}, ${meta['musicvae.num_steps']} steps, ${meta['musicvae.decoder']} decoder, ` +
    `output depths [${meta['musicvae.output_depths']}], ${meta['converter.type']}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`convert.mjs: ${e instanceof ConvertError ? e.message : e.stack}\n`);
    process.exitCode = 1;
  }
}
