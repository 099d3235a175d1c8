// MusicVAE on the WebAssembly engine, with magenta.js's `MusicVAE` API (@magenta/music 1.23.1):
// porting code from magenta.js is an import change. Latent vectors are Float32Arrays (a batch is an
// array of them) instead of TF.js tensors; NoteSequences are plain objects of magenta.js's shape.
// Runs in browsers, Web Workers and Node >= 20 (see README.md beside this file).
import {
  BadModelError, DisposedError, EngineError, InvalidArgumentError, UnsupportedError, errorForStatus,
} from './errors.mjs';
import {
  DEFAULT_QPM, DEFAULT_STEPS_PER_QUARTER, buildSequence, sequenceToRecords,
} from './sequences.mjs';

const isNode = typeof process === 'object' && !!(process.versions && process.versions.node);
const MAX_BATCH = 4096; // MVAE_MAX_BATCH
const CHUNK = 64; // the engine decodes 64 at a time; chunks of a multiple of 64 draw the same randoms
const NOTE_INTS = 7;
const CONVERTERS = ['melody', 'drums', 'trio'];

// ---- The engine (one WebAssembly instance per JavaScript realm, shared by every model) ----------

let enginePromise = null;

async function nodeImport(name) {
  return import(/* webpackIgnore: true */ name);
}

async function readLocalFile(pathOrUrl) {
  const fs = await nodeImport('node:fs/promises');
  return new Uint8Array(await fs.readFile(pathOrUrl));
}

/**
 * Loads the WebAssembly engine once. `options.wasmBinary` (bytes) or `options.wasmUrl` choose the
 * .wasm file; by default it is `dist/musicvae_wasm.wasm` beside this module (read from disk under
 * Node, fetched by URL elsewhere). Later calls return the same engine.
 */
export function loadEngine(options = {}) {
  if (!enginePromise) {
    enginePromise = instantiate(options).catch((e) => {
      enginePromise = null;
      throw e instanceof EngineError ? e : new EngineError(`cannot start the WebAssembly engine: ${e.message}`);
    });
  }
  return enginePromise;
}

async function instantiate(options) {
  let factory;
  try {
    factory = (await import('./dist/musicvae_wasm.mjs')).default;
  } catch (e) {
    throw new EngineError(
      `wasm_api/dist/musicvae_wasm.mjs is missing or broken (build it with: bash wasm_api/build.sh): ${e.message}`);
  }
  const moduleArgs = {};
  const wasmUrl = options.wasmUrl || new URL('./dist/musicvae_wasm.wasm', import.meta.url);
  if (options.wasmBinary) {
    moduleArgs.wasmBinary = toBytes(options.wasmBinary, 'wasmBinary');
  } else if (isNode && String(wasmUrl).startsWith('file:')) {
    moduleArgs.wasmBinary = await readLocalFile(new URL(String(wasmUrl)));
  } else {
    moduleArgs.locateFile = () => String(wasmUrl);
  }
  const M = await factory(moduleArgs);
  return new Engine(M);
}

class Engine {
  constructor(M) {
    this.M = M;
    this.kernels = M.UTF8ToString(M._mvw_kernels());
    this.activations = M.UTF8ToString(M._mvw_activations());
  }
  heapUsed() {
    return this.M._mvw_heap_used();
  }
  // Runs fn(alloc) and frees everything alloc() gave, whatever happens.
  withMemory(fn) {
    const M = this.M;
    const pointers = [];
    const alloc = (bytes) => {
      const p = M._malloc(Math.max(bytes, 4));
      if (!p) throw errorForStatus(5, `out of WebAssembly memory allocating ${bytes} bytes`);
      pointers.push(p);
      return p;
    };
    try {
      return fn(alloc);
    } finally {
      for (const p of pointers) M._free(p);
    }
  }
  f32(ptr, n) {
    return new Float32Array(this.M.HEAPU8.buffer, ptr, n);
  }
  i32(ptr, n) {
    return new Int32Array(this.M.HEAPU8.buffer, ptr, n);
  }
  u8(ptr, n) {
    return new Uint8Array(this.M.HEAPU8.buffer, ptr, n);
  }
}

/** The names of the kernel and activation sets the engine runs ("wasm_simd128" for this build). */
export async function engineInfo(options) {
  const engine = await loadEngine(options);
  return { kernels: engine.kernels, activations: engine.activations };
}

// ---- Argument handling ------------------------------------------------------------------------

function toBytes(data, what) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new InvalidArgumentError(`${what} must be bytes (Uint8Array, ArrayBuffer or a typed array)`);
}

async function fetchBytes(url) {
  if (typeof fetch !== 'function') throw new BadModelError(`cannot fetch ${url}: no fetch() here`);
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new BadModelError(`cannot fetch the model ${url}: ${e.message}`);
  }
  if (!response.ok) throw new BadModelError(`cannot fetch the model ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function modelBytes(source) {
  if (source === undefined || source === null) {
    source = new URL('../models/mel_2bar_small.q8.mvae', import.meta.url);
  }
  if (typeof source !== 'string' && !(source instanceof URL)) return toBytes(source, 'the model');
  const text = String(source);
  if (isNode && !/^(https?|data|blob):/i.test(text)) {
    try {
      return await readLocalFile(text.startsWith('file:') ? new URL(text) : text);
    } catch (e) {
      throw new BadModelError(`cannot read the model file ${text}: ${e.message}`);
    }
  }
  return fetchBytes(text);
}

function checkControlArgs(controlArgs) {
  if (controlArgs === undefined || controlArgs === null) return {};
  if (typeof controlArgs !== 'object') {
    throw new InvalidArgumentError('controlArgs must be an object ({seed, onProgress, method, ...})');
  }
  if (controlArgs.chordProgression) {
    throw new UnsupportedError('Unexpected chord progression provided: this model takes no chord conditioning.');
  }
  if (controlArgs.key !== undefined && controlArgs.key !== null) {
    throw new UnsupportedError('Unexpected key provided: this model takes no key conditioning.');
  }
  if (controlArgs.extraControls && Object.keys(controlArgs.extraControls).length) {
    throw new UnsupportedError('this model takes no extra control signals');
  }
  return controlArgs;
}

function checkTemperature(temperature, fallback) {
  if (temperature === undefined || temperature === null) return fallback;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) {
    throw new InvalidArgumentError(`temperature ${temperature} is not a number >= 0`);
  }
  return temperature;
}

/** A 64-bit seed as [low, high] 32-bit halves; a random one if none is given. */
function seedHalves(seed) {
  if (seed === undefined || seed === null) {
    const words = new Uint32Array(2);
    globalThis.crypto.getRandomValues(words);
    return [words[0], words[1]];
  }
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new InvalidArgumentError(`seed ${seed} is not an integer in 0..2^53-1 (use a BigInt for larger ones)`);
    }
    return [seed % 0x100000000, Math.floor(seed / 0x100000000)];
  }
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) throw new InvalidArgumentError(`seed ${seed} is not in 0..2^64-1`);
    return [Number(seed & 0xffffffffn), Number(seed >> 32n)];
  }
  if (typeof seed === 'string' && /^\d+$/.test(seed)) return seedHalves(BigInt(seed));
  throw new InvalidArgumentError(`seed must be a non-negative integer (number or BigInt), got ${typeof seed}`);
}

function checkCount(n, what) {
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} ${n} is not a positive integer`);
  return n;
}

function isLatentLike(x) {
  return ArrayBuffer.isView(x) || (Array.isArray(x) && (x.length === 0 || typeof x[0] === 'number'));
}

/** A batch of latent vectors as one Float32Array [batch * zDims], checked. */
function latentBatch(z, zDims, what = 'z') {
  if (z && typeof z === 'object' && !ArrayBuffer.isView(z) && !Array.isArray(z) &&
      typeof z.dataSync === 'function' && Array.isArray(z.shape)) {
    // A TF.js-like 2-D tensor (duck-typed; TF.js is not needed).
    if (z.shape.length !== 2) throw new InvalidArgumentError(`${what} tensor must be 2-D [batch, ${zDims}]`);
    z = Float32Array.from(z.dataSync());
  }
  let rows;
  if (ArrayBuffer.isView(z) || (Array.isArray(z) && z.length > 0 && typeof z[0] === 'number')) {
    if (z.length === 0 || z.length % zDims !== 0) {
      throw new InvalidArgumentError(`${what} has ${z.length} values; expected a multiple of zDims ${zDims}`);
    }
    rows = [];
    for (let i = 0; i < z.length; i += zDims) rows.push(z.slice(i, i + zDims));
  } else if (Array.isArray(z)) {
    rows = z;
  } else {
    throw new InvalidArgumentError(`${what} must be an array of Float32Array (or of number arrays) of length ${zDims}`);
  }
  if (rows.length === 0) throw new InvalidArgumentError(`${what} is an empty batch`);
  const out = new Float32Array(rows.length * zDims);
  rows.forEach((row, b) => {
    if (!isLatentLike(row)) throw new InvalidArgumentError(`${what}[${b}] is not a Float32Array or number array`);
    if (row.length !== zDims) {
      throw new InvalidArgumentError(`${what}[${b}] has length ${row.length}; this model's zDims is ${zDims}`);
    }
    for (let d = 0; d < zDims; d++) {
      const v = row[d];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new InvalidArgumentError(`${what}[${b}][${d}] is ${v}, not a finite number`);
      }
      out[b * zDims + d] = v;
    }
  });
  return out;
}

function splitRows(flat, width, count) {
  const rows = new Array(count);
  for (let i = 0; i < count; i++) rows[i] = flat.slice(i * width, (i + 1) * width);
  return rows;
}

function interpolationShape(count, numInterps) {
  const dims = typeof numInterps === 'number' ? [numInterps] : numInterps;
  if (!Array.isArray(dims) || (dims.length !== 1 && dims.length !== 2)) {
    throw new InvalidArgumentError('numInterps must be a number or [columns, rows]');
  }
  dims.forEach((d) => checkCount(d, 'numInterps'));
  if (count !== 2 && count !== 4) {
    throw new InvalidArgumentError(`interpolate takes 2 or 4 inputs, got ${count}`);
  }
  const cols = dims[0];
  const rows = count === 4 ? (dims.length === 2 ? dims[1] : cols) : 1;
  return { cols, rows };
}

// ---- MusicVAE -----------------------------------------------------------------------------------

/**
 * A MusicVAE model, as magenta.js's `mm.MusicVAE`: `new MusicVAE(modelUrlOrBytes)`, then
 * `initialize()` (or let the first call do it). The model is an MVAE file (docs/model-format.md):
 * a URL or path (Node) to one, or its bytes; none = the bundled models/mel_2bar_small.q8.mvae.
 * `options`: {wasmBinary, wasmUrl} for the engine (see loadEngine). A magenta.js spec object in
 * this place is ignored: the model file carries its configuration.
 */
export class MusicVAE {
  constructor(modelUrlOrBytes, options = {}) {
    this.source = modelUrlOrBytes;
    this.options = options && !options.dataConverter ? options : {};
    this.initialized = false;
    this.disposed = false;
    this.zDims = undefined;
    this.info = undefined;
    this._engine = null;
    this._model = 0;
    this._initPromise = null;
  }

  /** Loads the engine and the model. Safe to call more than once. */
  async initialize() {
    if (this.disposed) throw new DisposedError();
    if (!this._initPromise) {
      this._initPromise = this._load().catch((e) => {
        this._initPromise = null;
        throw e;
      });
    }
    return this._initPromise;
  }

  async _load() {
    const [engine, bytes] = await Promise.all([loadEngine(this.options), modelBytes(this.source)]);
    if (this.disposed) throw new DisposedError();
    const M = engine.M;
    const model = engine.withMemory((alloc) => {
      const data = alloc(bytes.length);
      engine.u8(data, bytes.length).set(bytes);
      const status = alloc(4);
      const ptr = M._mvw_load(data, bytes.length, status);
      if (!ptr) {
        const code = engine.i32(status, 1)[0];
        const message = M.UTF8ToString(M._mvw_load_error());
        throw errorForStatus(code, `cannot load the model: ${message}`);
      }
      return ptr;
    });
    let v;
    try {
      v = engine.withMemory((alloc) => {
        const out = alloc(20 * 4);
        const st = M._mvw_info(model, out);
        if (st) throw errorForStatus(st, 'cannot read the model info');
        return Array.from(engine.i32(out, 20));
      });
    } catch (e) {
      M._mvae_model_free(model);
      throw e;
    }
    this._engine = engine;
    this._model = model;
    this.info = Object.freeze({
      name: M.UTF8ToString(M._mvw_name(model)),
      zSize: v[0], numSteps: v[1], numSegments: v[2], stepsPerQuarter: v[3], stepsPerBar: v[4],
      hierarchical: !!v[5], hasEncoder: !!v[6], hasSigma: !!v[7], inputDepth: v[8], numTracks: v[9],
      outputDepths: v.slice(10, 10 + v[9]), converter: CONVERTERS[v[14]] || String(v[14]),
      minPitch: v[15], maxPitch: v[16], drumsRollInput: !!v[17], quantized: !!v[18], weightBytes: v[19],
      kernels: engine.kernels,
    });
    this.zDims = this.info.zSize;
    this.initialized = true;
  }

  isInitialized() {
    return this.initialized;
  }

  /** Frees the model's WebAssembly memory. Every later call throws DisposedError. */
  dispose() {
    if (this._model) this._engine.M._mvae_model_free(this._model);
    this._model = 0;
    this.initialized = false;
    this.disposed = true;
  }

  async _ready() {
    if (this.disposed) throw new DisposedError();
    if (!this.initialized) await this.initialize();
    if (this.disposed) throw new DisposedError();
    return this._engine;
  }

  _fail(status) {
    const M = this._engine.M;
    return errorForStatus(status, M.UTF8ToString(M._mvae_last_error(this._model)));
  }

  _check(status) {
    if (status) throw this._fail(status);
  }

  // ---- encode ----

  /** Latent means (mu) of quantized NoteSequences: an array of Float32Array(zDims). */
  async encode(inputSequences, controlArgs) {
    return (await this._encode(inputSequences, controlArgs, false)).mu;
  }

  /** {mu, sigma}: arrays of Float32Array(zDims). */
  async encodeWithSigma(inputSequences, controlArgs) {
    return this._encode(inputSequences, controlArgs, true);
  }

  async _encode(sequences, controlArgs, withSigma) {
    checkControlArgs(controlArgs);
    const engine = await this._ready();
    if (!Array.isArray(sequences) || sequences.length === 0) {
      throw new InvalidArgumentError('encode takes a non-empty array of NoteSequences');
    }
    if (sequences.length > MAX_BATCH) throw new InvalidArgumentError(`at most ${MAX_BATCH} sequences at once`);
    const { numSteps, inputDepth, stepsPerQuarter } = this.info;
    const records = sequences.map((ns, i) => sequenceToRecords(ns, i, numSteps, stepsPerQuarter));
    return this._encodeRecords(engine, records, numSteps * inputDepth, withSigma);
  }

  _encodeRecords(engine, records, stepValues, withSigma) {
    const M = engine.M;
    const batch = records.length;
    const z = this.zDims;
    return engine.withMemory((alloc) => {
      const inputs = alloc(batch * stepValues * 4);
      let notesPtr = 0, notesCap = 0;
      records.forEach((rec, i) => {
        if (rec.length > notesCap) {
          notesCap = rec.length;
          notesPtr = alloc(notesCap * 4);
        }
        engine.i32(notesPtr, rec.length).set(rec);
        this._check(M._mvae_notes_to_input(this._model, notesPtr, rec.length / NOTE_INTS,
          inputs + i * stepValues * 4));
      });
      const mu = alloc(batch * z * 4);
      const sigma = withSigma ? alloc(batch * z * 4) : 0;
      this._check(M._mvae_encode(this._model, inputs, batch, mu, sigma));
      const result = { mu: splitRows(engine.f32(mu, batch * z), z, batch) };
      if (withSigma) result.sigma = splitRows(engine.f32(sigma, batch * z), z, batch);
      return result;
    });
  }

  // ---- decode ----

  /**
   * NoteSequences from latent vectors z (array of Float32Array or number arrays, or one flat
   * Float32Array). No temperature: argmax, as magenta.js. controlArgs (our additions):
   * {seed, onProgress(done, total)}.
   */
  async decode(z, temperature, controlArgs, stepsPerQuarter = DEFAULT_STEPS_PER_QUARTER, qpm = DEFAULT_QPM) {
    const args = checkControlArgs(controlArgs);
    temperature = checkTemperature(temperature, 0);
    checkOutputTiming(stepsPerQuarter, qpm);
    const engine = await this._ready();
    const flat = latentBatch(z, this.zDims);
    const tokens = this._decodeFlat(engine, flat, temperature, args.seed, args.onProgress);
    return this._toSequences(engine, tokens, flat.length / this.zDims, stepsPerQuarter, qpm);
  }

  /**
   * The engine's raw output: {tokens: Int32Array[] (one per sequence, [numTracks][numSteps] class
   * indices), logits?: Float32Array[] ([numSteps][sum of output depths])}. options: {temperature,
   * seed, teacher (Int32Array[] of tokens to feed back), logits (true to return them), onProgress}.
   */
  async decodeTokens(z, options = {}) {
    const temperature = checkTemperature(options.temperature, 0);
    const engine = await this._ready();
    const flat = latentBatch(z, this.zDims);
    const batch = flat.length / this.zDims;
    const seqTokens = this.info.numTracks * this.info.numSteps;
    let teacher = null;
    if (options.teacher) {
      if (!Array.isArray(options.teacher) || options.teacher.length !== batch) {
        throw new InvalidArgumentError(`teacher must be an array of ${batch} token arrays`);
      }
      teacher = new Int32Array(batch * seqTokens);
      options.teacher.forEach((t, b) => {
        if (!t || t.length !== seqTokens) {
          throw new InvalidArgumentError(`teacher[${b}] must have ${seqTokens} tokens`);
        }
        teacher.set(t, b * seqTokens);
      });
    }
    const logitWidth = this.info.outputDepths.reduce((a, b) => a + b, 0) * this.info.numSteps;
    const logits = options.logits ? new Float32Array(batch * logitWidth) : null;
    const tokens = this._decodeFlat(engine, flat, temperature, options.seed, options.onProgress, teacher, logits);
    const result = { tokens: splitRows(tokens, seqTokens, batch) };
    if (logits) result.logits = splitRows(logits, logitWidth, batch);
    return result;
  }

  // Decodes flat z in chunks (multiples of 64: the same randoms as one call), returns all tokens.
  _decodeFlat(engine, flat, temperature, seed, onProgress, teacher = null, logitsOut = null, rngPtr = 0) {
    const M = engine.M;
    const zs = this.zDims;
    const batch = flat.length / zs;
    const seqTokens = this.info.numTracks * this.info.numSteps;
    const logitWidth = logitsOut ? logitsOut.length / batch : 0;
    const chunk = onProgress ? CHUNK * 4 : MAX_BATCH - (MAX_BATCH % CHUNK);
    const tokens = new Int32Array(batch * seqTokens);
    return engine.withMemory((alloc) => {
      let rng = rngPtr;
      if (!rng && temperature > 0) {
        const [lo, hi] = seedHalves(seed);
        rng = M._mvw_rng_new(lo, hi);
        if (!rng) throw errorForStatus(5, 'out of memory');
      }
      try {
        const n = Math.min(chunk, batch);
        const zPtr = alloc(n * zs * 4);
        const tPtr = alloc(n * seqTokens * 4);
        const teacherPtr = teacher ? alloc(n * seqTokens * 4) : 0;
        const logitsPtr = logitsOut ? alloc(n * logitWidth * 4) : 0;
        for (let b = 0; b < batch; b += chunk) {
          const m = Math.min(chunk, batch - b);
          engine.f32(zPtr, m * zs).set(flat.subarray(b * zs, (b + m) * zs));
          if (teacher) engine.i32(teacherPtr, m * seqTokens).set(teacher.subarray(b * seqTokens, (b + m) * seqTokens));
          this._check(M._mvw_decode(this._model, zPtr, m, temperature, rng, teacherPtr, logitsPtr, tPtr));
          tokens.set(engine.i32(tPtr, m * seqTokens), b * seqTokens);
          if (logitsOut) logitsOut.set(engine.f32(logitsPtr, m * logitWidth), b * logitWidth);
          if (onProgress) onProgress(b + m, batch);
        }
        return tokens;
      } finally {
        if (rng && rng !== rngPtr) M._free(rng);
      }
    });
  }

  /**
   * NoteSequences from decoded tokens (Int32Array[] as decodeTokens / sampleTokens return), through
   * the model's converter, without running the network.
   */
  async tokensToSequences(tokens, stepsPerQuarter = DEFAULT_STEPS_PER_QUARTER, qpm = DEFAULT_QPM) {
    checkOutputTiming(stepsPerQuarter, qpm);
    const engine = await this._ready();
    const seqTokens = this.info.numTracks * this.info.numSteps;
    if (!Array.isArray(tokens) || tokens.length === 0) {
      throw new InvalidArgumentError('tokens must be a non-empty array of token arrays');
    }
    const flat = new Int32Array(tokens.length * seqTokens);
    tokens.forEach((t, b) => {
      if (!t || t.length !== seqTokens) throw new InvalidArgumentError(`tokens[${b}] must have ${seqTokens} tokens`);
      flat.set(t, b * seqTokens);
    });
    return this._toSequences(engine, flat, tokens.length, stepsPerQuarter, qpm);
  }

  _toSequences(engine, tokens, batch, stepsPerQuarter, qpm) {
    const M = engine.M;
    const { numSteps, numTracks, outputDepths } = this.info;
    const seqTokens = numTracks * numSteps;
    // Upper bound of notes per sequence: one per step per track, nine per step for drums.
    const maxNotes = outputDepths.reduce((a, d) => a + (d === 512 ? 9 : 1), 0) * numSteps + 1;
    return engine.withMemory((alloc) => {
      const tPtr = alloc(seqTokens * 4);
      const notesPtr = alloc(maxNotes * NOTE_INTS * 4);
      const countPtr = alloc(4);
      const out = [];
      for (let b = 0; b < batch; b++) {
        engine.i32(tPtr, seqTokens).set(tokens.subarray(b * seqTokens, (b + 1) * seqTokens));
        this._check(M._mvae_tokens_to_notes(this._model, tPtr, notesPtr, maxNotes, countPtr));
        const count = engine.i32(countPtr, 1)[0];
        out.push(buildSequence(engine.i32(notesPtr, count * NOTE_INTS), count, numSteps, stepsPerQuarter, qpm));
      }
      return out;
    });
  }

  // ---- sample / similar / interpolate ----

  /**
   * n sequences from the prior, z ~ N(0, I), decoded at `temperature` (default 0.5, as magenta.js).
   * The third argument is magenta.js's controlArgs or, as a shorthand, a seed: sample(4, 0.5, 42).
   * Same seed, same music, here and in the native build (`build/mvae sample -s SEED`).
   */
  async sample(numSamples, temperature = 0.5, controlArgsOrSeed, stepsPerQuarter = DEFAULT_STEPS_PER_QUARTER,
    qpm = DEFAULT_QPM) {
    const { tokens } = await this._sampleTokens(numSamples, temperature, controlArgsOrSeed, stepsPerQuarter, qpm);
    return this._toSequences(this._engine, tokens, numSamples, stepsPerQuarter, qpm);
  }

  /** {z: Float32Array[], tokens: Int32Array[]} of a sample (same arguments as sample). */
  async sampleTokens(numSamples, temperature = 0.5, controlArgsOrSeed) {
    const { z, tokens } = await this._sampleTokens(numSamples, temperature, controlArgsOrSeed);
    const seqTokens = this.info.numTracks * this.info.numSteps;
    return { z: splitRows(z, this.zDims, numSamples), tokens: splitRows(tokens, seqTokens, numSamples) };
  }

  /**
   * n latent vectors z ~ N(0, I), without decoding: the z that sample(n, t, seed) would decode.
   * `seed` as in sample (a number, bigint or string; random when omitted).
   */
  async sampleLatents(numSamples, seed) {
    checkCount(numSamples, 'numSamples');
    const engine = await this._ready();
    const M = engine.M;
    const [lo, hi] = seedHalves(seed);
    const rng = M._mvw_rng_new(lo, hi);
    if (!rng) throw errorForStatus(5, 'out of memory');
    try {
      const n = numSamples * this.zDims;
      const z = engine.withMemory((alloc) => {
        const zPtr = alloc(n * 4);
        M._mvw_normal(rng, zPtr, n);
        return engine.f32(zPtr, n).slice();
      });
      return splitRows(z, this.zDims, numSamples);
    } finally {
      M._free(rng);
    }
  }

  async _sampleTokens(numSamples, temperature, controlArgsOrSeed, stepsPerQuarter = 4, qpm = 120) {
    const isSeed = ['number', 'bigint', 'string'].includes(typeof controlArgsOrSeed);
    const args = isSeed ? { seed: controlArgsOrSeed } : checkControlArgs(controlArgsOrSeed);
    checkCount(numSamples, 'numSamples');
    temperature = checkTemperature(temperature, 0.5);
    checkOutputTiming(stepsPerQuarter, qpm);
    const engine = await this._ready();
    const M = engine.M;
    const zs = this.zDims;
    const [lo, hi] = seedHalves(args.seed);
    const rng = M._mvw_rng_new(lo, hi);
    if (!rng) throw errorForStatus(5, 'out of memory');
    try {
      // As mvae_sample: every z from the rng first, then the decode with the same rng.
      const z = engine.withMemory((alloc) => {
        const zPtr = alloc(numSamples * zs * 4);
        M._mvw_normal(rng, zPtr, numSamples * zs);
        return engine.f32(zPtr, numSamples * zs).slice();
      });
      const tokens = this._decodeFlat(engine, z, temperature, undefined, args.onProgress, null, null, rng);
      return { z, tokens };
    } finally {
      M._free(rng);
    }
  }

  /**
   * n variations of one sequence: z' = similarity * z + (1 - similarity) * N(0, I), decoded.
   * `inputSequence` may also be a latent vector (Float32Array). controlArgs: {seed}.
   */
  async similar(inputSequence, numSamples, similarity, temperature, controlArgs) {
    const args = checkControlArgs(controlArgs);
    checkCount(numSamples, 'numSamples');
    if (typeof similarity !== 'number' || !(similarity >= 0 && similarity <= 1)) {
      throw new InvalidArgumentError('Similarity must be between 0 and 1.');
    }
    temperature = checkTemperature(temperature, 0);
    if (numSamples > MAX_BATCH) throw new InvalidArgumentError(`at most ${MAX_BATCH} samples at once`);
    const engine = await this._ready();
    const z0 = isLatentLike(inputSequence)
      ? latentBatch([inputSequence], this.zDims)
      : (await this.encode([inputSequence]))[0];
    const M = engine.M;
    const [lo, hi] = seedHalves(args.seed);
    const seqTokens = this.info.numTracks * this.info.numSteps;
    const tokens = engine.withMemory((alloc) => {
      const zPtr = alloc(this.zDims * 4);
      engine.f32(zPtr, this.zDims).set(z0);
      const tPtr = alloc(numSamples * seqTokens * 4);
      const rng = M._mvw_rng_new(lo, hi);
      if (!rng) throw errorForStatus(5, 'out of memory');
      try {
        this._check(M._mvw_similar(this._model, zPtr, numSamples, similarity, temperature, rng, 0, tPtr));
      } finally {
        M._free(rng);
      }
      return engine.i32(tPtr, numSamples * seqTokens).slice();
    });
    return this._toSequences(engine, tokens, numSamples, DEFAULT_STEPS_PER_QUARTER, DEFAULT_QPM);
  }

  /**
   * Interpolates between 2 sequences (numInterps points, both ends included) or over the grid of 4
   * (magenta.js layout: A top-left, B bottom-left, C top-right, D bottom-right; numInterps = side or
   * [columns, rows]; results row-major). Inputs may also be latent vectors (Float32Array).
   * controlArgs: {method: 'linear' (magenta.js, default) | 'slerp', seed, onProgress}.
   */
  async interpolate(inputSequences, numInterps, temperature, controlArgs) {
    const zs = await this.interpolateLatents(inputSequences, numInterps, controlArgs);
    return this.decode(zs, temperature, controlArgs);
  }

  /** The latent vectors interpolate() decodes (array of Float32Array). */
  async interpolateLatents(inputs, numInterps, controlArgs) {
    const args = checkControlArgs(controlArgs);
    const method = args.method === undefined ? 'linear' : args.method;
    if (method !== 'linear' && method !== 'slerp') {
      throw new InvalidArgumentError(`method must be 'linear' or 'slerp', got ${method}`);
    }
    if (!Array.isArray(inputs)) throw new InvalidArgumentError('interpolate takes an array of 2 or 4 inputs');
    const { cols, rows } = interpolationShape(inputs.length, numInterps);
    if (cols * rows > MAX_BATCH * 16) throw new InvalidArgumentError('too many interpolation points');
    const engine = await this._ready();
    const zs = this.zDims;
    // Latent vectors as given; sequences encoded (together, in one batch).
    const corners = new Array(inputs.length);
    const toEncode = [];
    inputs.forEach((x, i) => {
      if (isLatentLike(x)) corners[i] = latentBatch([x], zs, `inputs[${i}]`);
      else toEncode.push(i);
    });
    if (toEncode.length) {
      const mu = await this.encode(toEncode.map((i) => inputs[i]));
      toEncode.forEach((i, k) => { corners[i] = mu[k]; });
    }
    const M = engine.M;
    const count = cols * rows;
    return engine.withMemory((alloc) => {
      const c = alloc(inputs.length * zs * 4);
      corners.forEach((v, i) => engine.f32(c + i * zs * 4, zs).set(v));
      const out = alloc(count * zs * 4);
      const m = method === 'slerp' ? 1 : 0;
      const status = inputs.length === 2
        ? M._mvae_interpolate(c, c + zs * 4, zs, cols, m, out)
        : M._mvae_interpolate_grid(c, zs, cols, rows, m, out);
      if (status) throw errorForStatus(status, `interpolation failed (status ${status})`);
      return splitRows(engine.f32(out, count * zs), zs, count);
    });
  }
}

function checkOutputTiming(stepsPerQuarter, qpm) {
  if (!(Number.isInteger(stepsPerQuarter) && stepsPerQuarter > 0)) {
    throw new InvalidArgumentError(`stepsPerQuarter ${stepsPerQuarter} is not a positive integer`);
  }
  if (typeof qpm !== 'number' || !(qpm > 0) || !Number.isFinite(qpm)) {
    throw new InvalidArgumentError(`qpm ${qpm} is not a positive number`);
  }
}

/** Bytes of WebAssembly heap in use (for leak checks). */
export async function engineHeapUsed() {
  return (await loadEngine()).heapUsed();
}
