// checkpoint.mjs: a magenta.js MusicVAE checkpoint -> the bytes of one MVAE model file
// (docs/model-format.md), in memory, in pages, Workers and Node. One converter for the API
// (`new MusicVAE(checkpointUrl)`), the CLI (`musicvae convert`, `node models/convert.mjs`) and the tests.
//
// A checkpoint is a folder (a URL, or under Node a local path or file: URL) holding config.json and
// either the tfjs layout (weights_manifest.json + shards; float32, or quantized to uint8 / uint16 /
// float16 as tfjs writes them: {quantization: {dtype, scale, min}}) or the older deeplearn.js layout
// (manifest.json + one raw float32 file per variable, converter.json). Every variable is checked
// against the model structure magenta.js builds from it, so a checkpoint that converts is one the
// engine runs; one it cannot run gets an error that says why.
//
// Where a model family plugs in: its data converter goes in CONVERTER_FAMILIES (what the converter
// implies: metadata, input width, output depths), a magenta.js feature beyond the converter
// in CHECKPOINT_FEATURES (it lists what it recognises; entries without `convert` are refused with their
// reason), new layers in describeModel. The NADE output layer and the per-step controls (chords, key,
// extraControls) are mapped by checkpoint_families.mjs, which describeModel calls.
import { ConvertError, UnsupportedError } from './errors.mjs';
import { SIZES, TENSOR_NAMES } from './schema.mjs';
import { halfToFloat, writeModelFile } from './model_file.mjs';
import {
  coreDecoderInput, describeControls, describeNade, familyMetadata, reshapeFamilyVariables,
  describeBooleanDecoder, describeControlPreprocessing,
  describeGroove,
} from './checkpoint_families.mjs';

export { ConvertError };
export {
  parseModelFile, tensorValues, quantizeQ8, fileCrc32, writeModelFile,
} from './model_file.mjs';

const fail = (msg) => {
  throw new ConvertError(msg);
};
const unsupported = (msg) => {
  throw new UnsupportedError(`unsupported: ${msg}`);
};
const isNode = typeof process === 'object' && !!(process.versions && process.versions.node);
const nodeImport = (name) => import(/* webpackIgnore: true */ name);

// ---- Tensor names ----------------------------------------------------------------------------------

// src/format/schema.json (through wasm_api/schema.mjs), the one list the engine, this converter and
// the Python tools read. A name is a template whose {fields} are filled in.
export function tensorName(part, fields = {}) {
  const template = TENSOR_NAMES[part];
  if (template === undefined) throw new Error(`no tensor name '${part}' in src/format/schema.json`);
  return template.replace(/\{(\w+)\}/g, (_, key) => {
    if (fields[key] === undefined) throw new Error(`tensor name '${part}' needs {${key}}`);
    return String(fields[key]);
  });
}
// Any name a template can make, as a regular expression (a {field} is one path segment or less).
const templateRegex = (part) =>
  new RegExp(`^${TENSOR_NAMES[part].replace(/[.*+?^$()|[\]\\/]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}`);
const ENCODER_LSTM_NAMES = [templateRegex('encoder_lstm'), templateRegex('hier_encoder_lstm')];
const ENCODER_LSTM = { test: (name) => ENCODER_LSTM_NAMES.some((re) => re.test(name)) };
// Optimizer state and step counters: present in raw TF checkpoints, meaningless for inference.
const TRAINING_ONLY = /(^|\/)(global_step|beta[12]_power)$|\/Adam(_\d+)?$/;

// ---- Where the files are ---------------------------------------------------------------------------

const CACHE_NAME = 'musicvae-checkpoints-v1';

/**
 * A checkpoint folder as something to read files from: {label, json(name), bytes(name, {optional}),
 * loaded, total, progress}. `where`: a URL (string or URL: http(s), or file: under Node) or, under
 * Node, a local folder path. options: {onProgress(loaded, total) for the weight bytes, cache: true
 * (default; pages and Workers keep every file in the Cache API for offline use) | false | a cache
 * name, fetch: a fetch function}.
 */
export async function checkpointSource(where, options = {}) {
  const text = String(where).replace(/\/+$/, '');
  if (isNode && !/^(https?|data|blob):/i.test(text)) {
    const { fileURLToPath } = await nodeImport('node:url');
    return localSource(text.startsWith('file:') ? fileURLToPath(text) : text, options);
  }
  return urlSource(text, options);
}

function progressOf(options) {
  const onProgress = options.onProgress;
  if (onProgress !== undefined && onProgress !== null && typeof onProgress !== 'function') {
    throw new ConvertError('onProgress must be a function (loaded bytes, total bytes)');
  }
  const state = { loaded: 0, total: 0 };
  state.add = (n) => {
    state.loaded += n;
    if (onProgress) onProgress(state.loaded, Math.max(state.total, state.loaded));
  };
  return state;
}

async function localSource(dir, options) {
  const fs = await nodeImport('node:fs/promises');
  const path = await nodeImport('node:path');
  let stat = null;
  try {
    stat = await fs.stat(dir);
  } catch {
    // reported below
  }
  if (!stat || !stat.isDirectory()) fail(`checkpoint directory not found: ${dir}`);
  const progress = progressOf(options);
  const read = async (name, optional) => {
    if (name !== path.basename(name) || name === '' || name === '.' || name === '..') {
      fail(`${dir}: bad file name ${JSON.stringify(name)} in the manifest`);
    }
    try {
      return new Uint8Array(await fs.readFile(path.join(dir, name)));
    } catch (e) {
      if (optional && e.code === 'ENOENT') return null;
      throw e;
    }
  };
  return makeSource(dir, read, progress);
}

async function urlSource(base, options) {
  const fetchImpl = options.fetch || globalThis.fetch;
  if (typeof fetchImpl !== 'function') fail(`cannot fetch ${base}: no fetch() here`);
  const cacheName = options.cache === false ? null : typeof options.cache === 'string' ? options.cache : CACHE_NAME;
  let cache = null;
  if (cacheName && typeof globalThis.caches === 'object' && globalThis.caches) {
    try {
      cache = await globalThis.caches.open(cacheName);
    } catch {
      cache = null; // e.g. an opaque origin: no cache, not an error
    }
  }
  const progress = progressOf(options);
  const read = async (name, optional) => {
    const url = `${base}/${name.split('/').map(encodeURIComponent).join('/')}`;
    // Checkpoint files do not change: the cached copy first (offline), else the network.
    let response = cache ? await cache.match(url).catch(() => undefined) : undefined;
    if (!response) {
      try {
        response = await fetchImpl(url);
      } catch (e) {
        throw new Error(`cannot fetch ${url}: ${e.message}`);
      }
      if (response.status === 404 && optional) return null;
      if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status}`);
      if (cache) await cache.put(url, response.clone()).catch(() => {});
    }
    return new Uint8Array(await response.arrayBuffer());
  };
  return makeSource(base, read, progress);
}

// ---- Checkpoints kept in the Cache API ---------------------------------------------------------------
// What urlSource keeps, seen from a page: whether a checkpoint URL loads without the network, its
// size on this device, and removing it ("remove from this device" in the explorer).

async function checkpointCache(options) {
  const name = typeof options.cache === 'string' ? options.cache : CACHE_NAME;
  if (typeof globalThis.caches !== 'object' || !globalThis.caches) return null;
  try {
    return await globalThis.caches.open(name);
  } catch {
    return null;
  }
}

/**
 * Whether every file the checkpoint folder at `url` needs is in the Cache API (it then loads
 * offline): {complete, bytes (its weights' size, as its manifest gives it)}. options: {cache: a cache name}.
 */
export async function cachedCheckpoint(url, options = {}) {
  const base = String(url).replace(/\/+$/, '');
  const cache = await checkpointCache(options);
  if (!cache) return { complete: false, bytes: 0 };
  const cached = async (name) => cache.match(`${base}/${name.split('/').map(encodeURIComponent).join('/')}`).catch(() => undefined);
  const json = async (name) => {
    const r = await cached(name);
    try {
      return r ? await r.clone().json() : null;
    } catch {
      return null;
    }
  };
  // The files readCheckpoint reads: config.json, then the tfjs or the deeplearn.js manifest and its files.
  const groups = await json('weights_manifest.json');
  const manifest = groups ? null : await json('manifest.json');
  let needed = null;
  if (Array.isArray(groups)) needed = groups.flatMap((g) => (g && Array.isArray(g.paths) ? g.paths : [null]));
  else if (manifest && typeof manifest === 'object') {
    needed = Object.entries(manifest).filter(([name]) => !ENCODER_LSTM.test(name)).map(([, e]) => e && e.filename);
  }
  let complete = !!(await cached('config.json')) && Array.isArray(needed) && needed.every((f) => typeof f === 'string');
  // The weights' bytes as the manifest gives them (what a download's progress counts).
  const size = (shape) => (Array.isArray(shape) ? shape.reduce((a, b) => a * b, 1) : 0);
  const bytes = Array.isArray(groups)
    ? groups.flatMap((g) => (g && Array.isArray(g.weights) ? g.weights : []))
      .reduce((n, w) => n + size(w && w.shape) * ((w && w.quantization && QUANT_WIDTH[w.quantization.dtype]) || 4), 0)
    : Object.values(manifest || {}).reduce((n, e) => n + 4 * size(e && e.shape), 0);
  for (const f of complete ? needed : []) {
    if (!(await cached(f))) {
      complete = false;
      break;
    }
  }
  return { complete, bytes };
}

/** Removes every cached file of the checkpoint folder at `url`; resolves to how many were removed. */
export async function removeCachedCheckpoint(url, options = {}) {
  const base = String(url).replace(/\/+$/, '');
  const cache = await checkpointCache(options);
  if (!cache) return 0;
  let removed = 0;
  for (const request of await cache.keys()) {
    if (request.url.startsWith(`${base}/`) && (await cache.delete(request))) removed++;
  }
  return removed;
}

function makeSource(label, read, progress) {
  const bytes = async (name, { what = name, optional = false, counted = false } = {}) => {
    let data;
    try {
      data = await read(name, optional);
    } catch (e) {
      if (e instanceof ConvertError) throw e;
      fail(`missing or unreadable file ${label}/${name} (${what}): ${e.code || e.message}`);
    }
    if (data && counted) progress.add(data.length);
    return data;
  };
  const json = async (name, { optional = false } = {}) => {
    const data = await bytes(name, { optional });
    if (!data) return null;
    try {
      return JSON.parse(new TextDecoder().decode(data));
    } catch (e) {
      fail(`${label}/${name}: invalid JSON: ${e.message}`);
    }
  };
  return { label, bytes, json, progress };
}

// ---- Reading checkpoints ---------------------------------------------------------------------------

function numel(name, shape) {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    fail(`variable ${name}: bad shape ${JSON.stringify(shape)}`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

const fmt = (shape) => `[${shape.join(', ')}]`;

// The deeplearn.js layout: {name: {filename, shape}}, one little-endian float32 file per variable.
async function readDeeplearn(source, manifest, allowMissingEncoder) {
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    fail(`${source.label}/manifest.json: expected an object {variable: {filename, shape}}`);
  }
  const entries = Object.entries(manifest);
  for (const [name, entry] of entries) {
    if (!entry || typeof entry !== 'object') fail(`manifest.json: variable ${name} needs {filename, shape}`);
    const fname = entry.filename;
    if (typeof fname !== 'string' || fname === '' || /[/\\]/.test(fname) || fname === '.' || fname === '..') {
      fail(`manifest.json: variable ${name} has a bad filename ${JSON.stringify(fname)}`);
    }
    source.progress.total += 4 * numel(name, entry.shape);
  }
  const vars = new Map();
  const missing = [];
  const files = await mapLimited(entries, 6, ([name, entry]) => source.bytes(entry.filename,
    { what: `variable ${name}`, optional: ENCODER_LSTM.test(name), counted: true }));
  entries.forEach(([name, entry], i) => {
    const n = numel(name, entry.shape);
    const bytes = files[i];
    if (!bytes) {
      if (!allowMissingEncoder) {
        fail(`missing file ${source.label}/${entry.filename} (variable ${name}); ` +
          'pass --allow-missing-encoder to convert without an encoder');
      }
      missing.push(name);
      return;
    }
    if (bytes.length !== 4 * n) {
      fail(`${source.label}/${entry.filename}: ${bytes.length} bytes, but ${name} of shape ${fmt(entry.shape)} needs ${4 * n}`);
    }
    vars.set(name, { shape: entry.shape.slice(), data: float32s(bytes, 0, n) });
  });
  return { vars, missing };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// n little-endian float32 values at bytes[offset...], as a new (aligned) Float32Array.
function float32s(bytes, offset, n) {
  const start = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN) return new Float32Array(bytes.buffer.slice(start, start + 4 * n));
  const dv = new DataView(bytes.buffer, start, 4 * n);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = dv.getFloat32(4 * i, true);
  return data;
}

// At most `limit` of fn's promises at once; results in order.
async function mapLimited(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// The tfjs layout: groups of weights, each group's shards concatenated and its weights laid one after
// another; a quantized weight takes its quantized width per element and decodes as tfjs
// io.decodeWeights does (q * scale + min, rounded to float32; float16 as IEEE half).
const QUANT_WIDTH = { uint8: 1, uint16: 2, float16: 2 };

async function readTfjs(source, groups) {
  if (!Array.isArray(groups)) fail(`${source.label}/weights_manifest.json: expected an array of weight groups`);
  groups.forEach((group, g) => {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      fail(`weights_manifest.json: group ${g} needs "paths" and "weights" arrays`);
    }
    for (const w of group.weights) {
      if (!w || typeof w.name !== 'string') fail(`weights_manifest.json: group ${g} has a nameless weight`);
      const n = numel(w.name, w.shape);
      if (w.dtype !== 'float32') unsupported(`weight ${w.name} has dtype ${w.dtype} (MusicVAE weights are float32)`);
      const q = w.quantization;
      if (q && !QUANT_WIDTH[q.dtype]) {
        unsupported(`weight ${w.name} has quantization dtype ${q.dtype} (tfjs writes uint8, uint16 or float16)`);
      }
      if (q && q.dtype !== 'float16' && !(Number.isFinite(q.scale) && Number.isFinite(q.min))) {
        fail(`weight ${w.name}: quantization needs numeric "min" and "scale"`);
      }
      source.progress.total += n * (q ? QUANT_WIDTH[q.dtype] : 4);
    }
  });
  const shardsOf = await mapLimited(groups, 2, (group, g) =>
    mapLimited(group.paths, 6, (p) => source.bytes(p, { what: `shard of group ${g}`, counted: true })));
  const vars = new Map();
  groups.forEach((group, g) => {
    const buf = concat(shardsOf[g]);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
    let off = 0;
    for (const w of group.weights) {
      const n = numel(w.name, w.shape);
      const q = w.quantization;
      const width = q ? QUANT_WIDTH[q.dtype] : 4;
      if (off + n * width > buf.length) {
        fail(`group ${g}: shards hold ${buf.length} bytes, too few for weight ${w.name} ` +
          `${fmt(w.shape)} at byte ${off} (truncated shard?)`);
      }
      let data;
      if (!q) data = float32s(buf, off, n);
      else {
        data = new Float32Array(n);
        for (let i = 0, p = off; i < n; i++, p += width) {
          if (q.dtype === 'uint8') data[i] = dv.getUint8(p) * q.scale + q.min;
          else if (q.dtype === 'uint16') data[i] = dv.getUint16(p, true) * q.scale + q.min;
          else data[i] = halfToFloat(dv.getUint16(p, true));
        }
      }
      if (vars.has(w.name)) fail(`weights_manifest.json: duplicate weight ${w.name}`);
      vars.set(w.name, { shape: w.shape.slice(), data });
      off += n * width;
    }
    if (off !== buf.length) fail(`group ${g}: shards hold ${buf.length} bytes but its weights take ${off}`);
  });
  return { vars, missing: [] };
}

function concat(chunks) {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/**
 * Reads a checkpoint folder (see checkpointSource for `where` and the options): {vars: Map name ->
 * {shape, data: Float32Array}, config (or null), layout ('tfjs' | 'deeplearn'), dropped, missing}.
 * With allowMissingEncoder, encoder LSTM variables whose files are absent (published mirrors that
 * ship only the decoder) make the whole encoder LSTM go: `dropped` lists what went.
 */
export async function readCheckpoint(where, options = {}) {
  const source = await checkpointSource(where, options);
  // config.json first: the file that tells a magenta.js checkpoint from anything else.
  let config = await source.json('config.json', { optional: true });
  const groups = await source.json('weights_manifest.json', { optional: true });
  let layout, result;
  if (groups !== null) {
    layout = 'tfjs';
    result = await readTfjs(source, groups);
  } else {
    const manifest = await source.json('manifest.json', { optional: true });
    if (manifest === null) fail(`${source.label}: no weights_manifest.json (tfjs) or manifest.json (deeplearn.js)`);
    layout = 'deeplearn';
    result = await readDeeplearn(source, manifest, options.allowMissingEncoder);
  }
  if (config === null) config = await source.json('converter.json', { optional: true });
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
  return { vars, config, layout, dropped, missing, label: source.label };
}

/**
 * True if `where` (as for readCheckpoint) holds a config.json that is a JSON object: a magenta.js
 * checkpoint folder (a server's HTML page for a missing path is not one).
 */
export async function isCheckpoint(where, options = {}) {
  try {
    const source = await checkpointSource(where, { ...options, onProgress: undefined });
    const config = await source.json('config.json', { optional: true });
    return !!config && typeof config === 'object' && !Array.isArray(config);
  } catch {
    return false;
  }
}

/**
 * The MVAE bytes of a checkpoint folder: readCheckpoint, then buildModelFile. options: those of
 * readCheckpoint, and of buildModelFile ({quantize, block, name, description, license, source,
 * warn}); `config` replaces the folder's configuration. Returns {bytes, layout, dropped, missing}.
 */
export async function convertCheckpoint(where, options = {}) {
  const ck = await readCheckpoint(where, options);
  const config = options.config || ck.config;
  if (!config) fail(`${ck.label}: no config.json or converter.json; pass a configuration (--config)`);
  const name = options.name ?? String(ck.label).split(/[/\\]/).filter(Boolean).pop();
  const bytes = buildModelFile(ck.vars, config, { ...options, name });
  return { bytes, layout: ck.layout, dropped: ck.dropped, missing: ck.missing };
}

// ---- Model families -------------------------------------------------------------------------------

function pitchRange(args, what) {
  const min = args.minPitch ?? 21;
  const max = args.maxPitch ?? 108;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > 127 || min > max) {
    fail(`${what}: bad pitch range minPitch ${min}, maxPitch ${max}`);
  }
  return { min, max, depth: SIZES.melody_depth({ pitches: max - min + 1 }) };
}

function drumsArgs(args, what) {
  // The engine hard-codes the standard 9 drum classes (2^9 = 512 hit sets).
  if (args.pitchClasses !== undefined) unsupported(`custom drum pitchClasses in ${what}`);
}

// magenta.js checkpoints get their drum inputs as magenta.js builds them (its roll's "no hits"
// column and summed one-hot labels: include/musicvae.h, mvae_drum_encoding), not as Magenta trains.
const MAGENTA_JS_DRUMS = 'magenta_js';

function drums(rollInput) {
  return (args, type) => {
    drumsArgs(args, type);
    const labels = SIZES.drum_labels();
    const inputDepth = rollInput ? SIZES.drum_roll_width() : labels;
    return { type: 'drums', rollInput: rollInput ? 1 : 0, inputDepth, depths: [labels], drumEncoding: MAGENTA_JS_DRUMS };
  };
}

/**
 * The data converters the engine runs: type -> (args, type) => {type (the engine's converter),
 * minPitch, maxPitch, rollInput, drumEncoding, inputDepth (encoder input per step), depths (output
 * depth per track)}. A new family adds its converter here.
 */
export const CONVERTER_FAMILIES = {
  MelodyConverter(args) {
    const p = pitchRange(args, 'MelodyConverter');
    return { type: 'melody', minPitch: p.min, maxPitch: p.max, inputDepth: p.depth, depths: [p.depth] };
  },
  // Drums: a roll input (9 classes + "no hit"), 512-way one-hot output; DrumsOneHot: one-hot input.
  DrumsConverter: drums(true),
  DrumRollConverter: drums(true),
  DrumsOneHotConverter: drums(false),
  // Multitrack (magenta.js's MultitrackConverter): numSegments tracks of performance-event tokens
  // (src/notes/convert_multitrack.h), one core decoder over them.
  MultitrackConverter(args) {
    const int = (name, lo, hi) => {
      const v = args[name];
      if (!Number.isInteger(v) || v < lo || v > hi) fail(`MultitrackConverter: ${name} ${v} is not an integer in ${lo}..${hi}`);
      return v;
    };
    // magenta.js: `args.minPitch ? args.minPitch : 0` and the same for maxPitch (127).
    const minPitch = args.minPitch ? int('minPitch', 0, 127) : 0;
    const maxPitch = args.maxPitch ? int('maxPitch', minPitch, 127) : 127;
    const totalSteps = int('totalSteps', 1, 4096);
    const velocityBins = int('numVelocityBins', 0, 127);
    // Without stepsPerQuarter magenta.js refuses every input ("Steps per quarter note mismatch");
    // Magenta's multitrack models are at 24.
    const stepsPerQuarter = args.stepsPerQuarter === undefined ? 24 : int('stepsPerQuarter', 1, 96);
    if (args.numSegments === undefined) fail('MultitrackConverter: numSegments (the number of tracks) is required');
    if (args.numSteps / args.numSegments < 2) fail('MultitrackConverter: each track needs at least 2 steps (numSteps / numSegments)');
    const events = SIZES.multitrack_events({
      pitches: maxPitch - minPitch + 1, total_steps: totalSteps, velocity_bins: velocityBins,
    });
    const depth = SIZES.multitrack_depth({ events, programs: SIZES.multitrack_programs() });
    return {
      type: 'multitrack', minPitch, maxPitch, rollInput: 0, inputDepth: depth, depths: [depth], stepsPerQuarter,
      meta: [['converter.total_steps', 'i32', totalSteps], ['converter.velocity_bins', 'i32', velocityBins]],
    };
  },
  TrioConverter(args) {
    const mel = pitchRange(args.melArgs || {}, 'TrioConverter melArgs');
    const bass = pitchRange(args.bassArgs || {}, 'TrioConverter bassArgs');
    drumsArgs(args.drumsArgs || {}, 'TrioConverter drumsArgs');
    // The file has one pitch range for both melodic tracks.
    if (mel.min !== bass.min || mel.max !== bass.max) unsupported('trio melody and bass pitch ranges differ');
    return {
      type: 'trio', minPitch: mel.min, maxPitch: mel.max, rollInput: 0,
      inputDepth: SIZES.trio_input({ melody_depth: mel.depth, drum_labels: SIZES.drum_labels() }),
      depths: [mel.depth, mel.depth, SIZES.drum_labels()], drumEncoding: MAGENTA_JS_DRUMS,
    };
  },
  // magenta.js's rhythm and shape models (data.ts; melodies.ts MelodyRhythm, MelodyShape): the
  // encoder reads a feature of the melody (or trio); rhythms decode onsets with a boolean decoder
  // (output depth 2: one bit per track), shapes one of down / same / up per step.
  MelodyRhythmConverter(args, type, spec) {
    const p = pitchRange(args, type);
    needsBooleanDecoder(type, spec);
    return { type: 'melody_rhythm', minPitch: p.min, maxPitch: p.max, inputDepth: 1, depths: [2] };
  },
  MelodyShapeConverter(args, type, spec) {
    const p = pitchRange(args, type);
    if (spec && spec.useBooleanDecoder) {
      unsupported(`${type} with useBooleanDecoder (its shape is one of 3 directions, not independent bits)`);
    }
    return { type: 'melody_shape', minPitch: p.min, maxPitch: p.max, inputDepth: 3, depths: [3] };
  },
  TrioRhythmConverter(args, type, spec) {
    const trio = CONVERTER_FAMILIES.TrioConverter(args, type);
    needsBooleanDecoder(type, spec);
    // Without segments magenta.js splits a flat decoder into core_decoder_{i}/decoder/: not the
    // engine's layout (its tracks hang off a conductor).
    if (args.numSegments === undefined) unsupported(`${type} without numSegments (a flat decoder split in 3 tracks)`);
    return {
      type: 'trio_rhythm', minPitch: trio.minPitch, maxPitch: trio.maxPitch, inputDepth: 3,
      depths: [2, 2, 2], drumEncoding: MAGENTA_JS_DRUMS,
    };
  },
  // GrooVAE: [hits | velocities | offsets] of the 9 drum classes in and out (its output layer and
  // encoding options are metadata: grooveMetadata in checkpoint_families.mjs).
  GrooveConverter(args) {
    const g = describeGroove(args);
    return { type: 'groove', inputDepth: g.depth, depths: [g.depth], stepsPerQuarter: g.stepsPerQuarter, meta: g.meta };
  },
};

// A rhythm's onsets are bits: magenta.js decodes them with its BooleanDecoder; a categorical decoder
// over one class would give an onset at every step.
function needsBooleanDecoder(type, spec) {
  if (!spec || !spec.useBooleanDecoder) {
    unsupported(`${type} needs config.useBooleanDecoder (onsets are bits; a categorical decoder over 1 class ` +
      'puts an onset on every step)');
  }
}

/** magenta.js converters the engine does not run yet, with what each needs (none now: every
 * converter of magenta.js 1.23 has a family above). */
export const UNSUPPORTED_CONVERTERS = {};

/**
 * magenta.js model features beyond the data converter, recognised in config.json (spec: inSpec) or
 * in the variables (inVars, a name pattern). Each without `convert` is refused with its message. A
 * family the engine runs gives its entry `convert({spec, converter, vars})` instead, returning
 * {meta: [[key, type, value]] (added to the file's metadata), tensors: [variable names it writes]}
 * (its variables are then not "unexpected"; the rest of the structure is still checked).
 */
export const CHECKPOINT_FEATURES = [];

// The features a checkpoint has: refuses those the engine cannot run, with their reason (before any
// shape is compared); returns the conversions of the others: [{meta, tensors}].
function checkFeatures(spec, converter, vars) {
  const converted = [];
  for (const f of CHECKPOINT_FEATURES) {
    const inSpec = !!(f.inSpec && spec && f.inSpec(spec));
    const name = f.inVars ? [...vars.keys()].find((n) => f.inVars.test(n)) : undefined;
    if (!inSpec && name === undefined) continue;
    if (!f.convert) unsupported(f.message(spec, name));
    const { meta = [], tensors = [] } = f.convert({ spec, converter, vars }) || {};
    for (const t of tensors) if (!vars.has(t)) fail(`missing variable ${t} (${f.name})`);
    converted.push({ meta, tensors });
  }
  return converted;
}

// Accepts magenta.js's config.json ({type: 'MusicVAE', dataConverter, ...}) or a bare converter spec
// (converter.json of the older layout): {spec (the model spec, or null), converter}.
function splitConfig(config) {
  if (!config || typeof config !== 'object') fail('no model configuration (config.json, converter.json or --config)');
  if ('dataConverter' in config || config.type === 'MusicVAE') {
    if (config.type !== undefined && config.type !== 'MusicVAE') {
      unsupported(`model type ${config.type} (this is a MusicVAE engine; magenta.js's MusicRNN and others are different models)`);
    }
    if (!config.dataConverter || typeof config.dataConverter !== 'object') fail('configuration has no dataConverter');
    return { spec: config, converter: config.dataConverter };
  }
  return { spec: null, converter: config };
}

// What the data converter implies: metadata, encoder input width and per-track output depths.
function describeConverter(converter, spec) {
  const args = converter.args || {};
  const { numSteps, numSegments } = args;
  if (!Number.isInteger(numSteps) || numSteps < 1) {
    fail(`converter: numSteps must be a positive integer, got ${numSteps}`);
  }
  const segmentsOk = Number.isInteger(numSegments) && numSegments >= 1 && numSteps % numSegments === 0;
  if (numSegments !== undefined && !segmentsOk) {
    fail(`converter: numSegments ${numSegments} must be a positive integer dividing numSteps ${numSteps}`);
  }
  const family = Object.hasOwn(CONVERTER_FAMILIES, converter.type) ? CONVERTER_FAMILIES[converter.type] : null;
  if (!family) {
    if (Object.hasOwn(UNSUPPORTED_CONVERTERS, converter.type)) unsupported(UNSUPPORTED_CONVERTERS[converter.type]);
    unsupported(`converter type ${converter.type} (supported: ${Object.keys(CONVERTER_FAMILIES).join(', ')})`);
  }
  return { numSteps, numSegments, ...family(args, converter.type, spec) };
}

// ---- Model structure ------------------------------------------------------------------------------

// Walks the variables the way magenta.js builds the model from them, checking every shape by the size
// rules of src/format/schema.json (SIZES, the engine's loader checks by the same); returns the derived
// metadata. Every variable must be used: anything left over means a model this engine would silently
// run wrong.
function describeModel(vars, converter, warn, claimed = new Set(), controls = { depth: 0 }, spec = null) {
  const used = new Set();
  const get = (name) => {
    const v = vars.get(name);
    if (!v) fail(`missing variable ${name}`);
    used.add(name);
    return v;
  };
  const has = (name) => vars.has(name);
  const shapeError = (what, msg) => fail(`shape mismatch in ${what}: ${msg}`);
  // The decoders' control columns: the controls, or the control preprocessing LSTM's output.
  const pre = describeControlPreprocessing(vars, controls,
    (layer, direction) => tensorName('control_lstm', { layer, direction }));
  if (pre) for (const t of pre.tensors) used.add(t);
  const decoderControls = pre ? pre.outputWidth : controls.depth;

  // A dense layer: kernel [rows, cols], bias [cols].
  const dense = (prefix) => {
    const k = get(prefix + 'kernel').shape;
    const b = get(prefix + 'bias').shape;
    if (k.length !== 2 || b.length !== 1 || b[0] !== k[1]) {
      shapeError(prefix, `kernel ${fmt(k)}, bias ${fmt(b)}`);
    }
    return k;
  };
  // Whether layer l of stack s reads `input` values per step (its kernel has lstm_rows rows).
  const reads = (s, l, input) => s.rows[l] === SIZES.lstm_rows({ input, units: s.units[l] });
  // A stack of LSTM layers cell_0, cell_1, ...: units (learnt from the kernel's width), kernel rows
  // and input width of each. Layer l > 0 reads what layer l - 1 gives: its units, or `below(l - 1)`.
  const perUnit = SIZES.lstm_width({ units: 1 });
  const lstmStack = (cell, below = (l, s) => s.units[l]) => {
    const s = { units: [], rows: [], inputs: [] };
    for (let l = 0; has(cell(l) + 'kernel'); l++) {
      const [rows, cols] = dense(cell(l));
      const units = cols / perUnit;
      if (!Number.isInteger(units) || rows <= units) {
        shapeError(cell(l), `kernel ${fmt([rows, cols])} is not [input + units, ${perUnit} units]`);
      }
      s.units.push(units);
      s.rows.push(rows);
      s.inputs.push(rows - units); // for the messages; the checks are reads()
    }
    for (let l = 1; l < s.units.length; l++) {
      const given = below(l - 1, s);
      if (!reads(s, l, given)) shapeError(cell(l), `input ${s.inputs[l]}, previous layer gives ${given}`);
    }
    return s;
  };
  const stateWidth = (units) => SIZES.state_width({ sum_units: units.reduce((x, y) => x + y, 0) });

  // A core decoder: z_to_initial_state, the LSTM stack, output_projection, and maybe a NADE.
  // Conditioning is z (flat) or the conductor output (hierarchical); cell 0 reads
  // [previous output, conditioning, controls] (coreDecoderInput).
  const coreDecoder = (core, cond) => {
    const init = tensorName('decoder_init', { core });
    const output = tensorName('decoder_output', { core });
    const cell = (layer) => tensorName('decoder_lstm', { core, layer });
    const [condIn, initWidth] = dense(init);
    if (cond !== undefined && condIn !== cond) {
      shapeError(init, `input ${condIn}, conductor output ${cond}`);
    }
    const s = lstmStack(cell);
    if (!s.units.length) fail(`missing variable ${cell(0)}kernel`);
    if (initWidth !== stateWidth(s.units)) {
      shapeError(init, `width ${initWidth}, LSTM units ${fmt(s.units)}`);
    }
    const found = describeNade(vars, tensorName('decoder_nade', { core }));
    if (found) for (const t of found.tensors) used.add(t);
    const [h, width] = dense(output);
    if (h !== s.units.at(-1)) {
      shapeError(output, `input ${h}, top LSTM has ${s.units.at(-1)} units`);
    }
    // Label sets: a NADE's, else (as magenta.js chooses) a boolean decoder's, one logit per label.
    const nade = found || describeBooleanDecoder(spec, width);
    if (found && width !== nade.outputWidth) {
      shapeError(output, `width ${width}, the NADE needs hidden ${nade.hidden} + labels ${nade.dims}`);
    }
    const depth = nade ? nade.tokenDepth : width;
    const expected = coreDecoderInput({ depth, nade, condIn, controlDepth: decoderControls });
    if (!reads(s, 0, expected)) {
      const parts = [`${nade ? 'labels' : 'output'} ${nade ? nade.dims : depth}`, `conditioning ${condIn}`];
      if (decoderControls) parts.push(`${pre ? 'preprocessed controls' : 'controls'} ${decoderControls}`);
      shapeError(cell(0), `input ${s.inputs[0]}, expected ${parts.join(' + ')}`);
    }
    return { depth, condIn, nade };
  };

  let zSize;
  const outputDepths = [];
  const nades = [];
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
    nades.push(d.nade);
  } else {
    const [z, initWidth] = dense(conductorInit);
    zSize = z;
    const c = lstmStack(conductorCell);
    if (!c.units.length) fail(`missing variable ${conductorCell(0)}kernel`);
    if (!reads(c, 0, SIZES.conductor_input())) {
      shapeError(conductorCell(0), `input ${c.inputs[0]}, the conductor input is one zero`);
    }
    if (initWidth !== stateWidth(c.units)) {
      shapeError(conductorInit, `width ${initWidth}, LSTM units ${fmt(c.units)}`);
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
    for (const core of cores) {
      const d = coreDecoder(core, c.units.at(-1));
      outputDepths.push(d.depth);
      nades.push(d.nade);
    }
  }

  // Encoder: bidirectional LSTM layers (one level, or two hierarchical levels), then mu / sigma.
  // part: 'encoder_lstm', or 'hier_encoder_lstm' at a level.
  // Layer l > 0 reads [fw; bw] of layer l - 1; the two directions have the same units.
  const biLstm = (part, level) => {
    const cell = (direction) => (layer) => tensorName(part, { level, layer, direction });
    // Both directions' units are the forward stack's (checked equal below).
    const bidiOutput = (l, s) => SIZES.bidi_output({ fw_units: s.units[l], bw_units: s.units[l] });
    const fw = lstmStack(cell('fw'), bidiOutput);
    const bw = lstmStack(cell('bw'), bidiOutput);
    if (!fw.units.length && !bw.units.length) return null;
    if (fmt(fw.units) !== fmt(bw.units) || fmt(fw.inputs) !== fmt(bw.inputs)) {
      shapeError(tensorName(part, { level, layer: 0, direction: 'fw' }),
        `forward units ${fmt(fw.units)} differ from backward ${fmt(bw.units)}`);
    }
    const output = bidiOutput(fw.units.length - 1, fw);
    return { input: fw.inputs[0], output, reads: (n) => reads(fw, 0, n) };
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
      unsupported(`hierarchical encoder with ${levels.length} levels (expected 2)`);
    }
    if (!levels[1].reads(levels[0].output)) {
      shapeError(tensorName('hier_encoder_lstm', { level: 1, layer: 0, direction: 'fw' }),
        `input ${levels[1].input}, level 0 gives ${levels[0].output}`);
    }
    encoder = { input: levels[0].input, output: levels[1].output, reads: levels[0].reads };
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

  const conv = describeConverter(converter, spec);
  if (fmt(outputDepths) !== fmt(conv.depths)) {
    unsupported(`the checkpoint's output depths ${fmt(outputDepths)} do not match the ` +
      `${conv.type} converter's ${fmt(conv.depths)}`);
  }
  const encoderInput = SIZES.encoder_input({ input_depth: conv.inputDepth, control_depth: controls.depth });
  if (encoder && !encoder.reads(encoderInput)) {
    const given = controls.depth ? `${conv.inputDepth} + controls ${controls.depth}` : `${conv.inputDepth}`;
    unsupported(`the encoder reads ${encoder.input} values per step, the ${conv.type} ` +
      `converter gives ${given}`);
  }
  // The engine's output layer is one per model (musicvae.output_layer).
  if (nades.some(Boolean) && !nades.every(Boolean)) {
    unsupported('a NADE output layer on some tracks only');
  }
  if (nades.some((n) => n && n.boolean) && !nades.every((n) => n && n.boolean)) {
    unsupported('a NADE output layer on some tracks, a boolean one on others');
  }
  if ((hierarchical || hierEncoder) && conv.numSegments === undefined) {
    fail('converter: numSegments is required for a hierarchical decoder or encoder');
  }
  if (!hierarchical && !hierEncoder && conv.numSegments !== undefined) {
    fail(`converter: numSegments ${conv.numSegments} given, but the checkpoint has no conductor ` +
      'or hierarchical encoder');
  }

  for (const name of claimed) used.add(name);
  for (const name of vars.keys()) {
    if (used.has(name)) continue;
    if (TRAINING_ONLY.test(name)) {
      warn(`ignoring training-only variable ${name}`);
      continue;
    }
    unsupported(`unexpected variable ${name} ${fmt(vars.get(name).shape)}`);
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
    nade: nades.find(Boolean) || null,
    tensors: [...used].sort(),
  };
}

// ---- Writing ---------------------------------------------------------------------------------------

/**
 * Builds the MVAE file. vars: Map or object name -> {shape, data}; config: magenta.js config.json or
 * a converter spec; opts: {quantize: 'q8'?, block?, name, description, license, source, warn}.
 */
export function buildModelFile(vars, config, opts = {}) {
  const warn = opts.warn || ((m) => console.warn(`convert: warning: ${m}`));
  const varMap = vars instanceof Map ? vars : new Map(Object.entries(vars));
  for (const [name, v] of varMap) {
    if (numel(name, v.shape) !== v.data.length) {
      fail(`variable ${name}: ${v.data.length} values for shape ${fmt(v.shape)}`);
    }
    const bad = v.data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) fail(`variable ${name}: non-finite weight ${v.data[bad]} at index ${bad}`);
  }
  const { spec, converter } = splitConfig(config);
  const features = checkFeatures(spec, converter, varMap);
  const controls = describeControls(spec);
  const m = describeModel(varMap, converter, warn, new Set(features.flatMap((f) => f.tensors)), controls, spec);
  const written = reshapeFamilyVariables(varMap);
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
    ['musicvae.steps_per_quarter', 'i32', c.stepsPerQuarter ?? 4],
    ['musicvae.quarters_per_bar', 'i32', 4],
    ['musicvae.decoder', 'str', m.decoder],
    ['musicvae.encoder', 'str', m.encoder],
    ['musicvae.output_depths', 'i32[]', m.outputDepths],
    ['musicvae.input_depth', 'i32', m.inputDepth],
    ['converter.type', 'str', c.type],
    ['converter.min_pitch', 'i32', c.minPitch],
    ['converter.max_pitch', 'i32', c.maxPitch],
    ['converter.drums_roll_input', 'i32', c.rollInput],
    ...(c.meta || []),
    ['converter.drum_encoding', 'str', c.drumEncoding],
    ...familyMetadata({ nade: m.nade, controls }),
    ...features.flatMap((f) => f.meta),
  ];
  const tensors = m.tensors.map((name) => ({ name, ...written.get(name) }));
  return writeModelFile(meta, tensors, { quantize: opts.quantize, block: opts.block });
}
