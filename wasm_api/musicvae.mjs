// MusicVAE on the WebAssembly engine, with magenta.js's `MusicVAE` API (@magenta/music 1.23.1):
// porting code from magenta.js is an import change. A model is a magenta.js checkpoint folder (its
// URL, converted in memory by checkpoint.mjs) or an MVAE file. Latent vectors come back as
// LatentTensor (tensor.mjs: tf.Tensor2D's surface, and an array of Float32Array rows); every call
// takes those, real TF.js tensors, nested arrays or Float32Arrays. NoteSequences are plain objects
// of magenta.js's shape (or its JSON, int64 fields as strings).
// Runs in browsers, Web Workers and Node >= 20 (see README.md beside this file).
import {
  BadModelError, DisposedError, EngineError, InvalidArgumentError, OutOfMemoryError, UnsupportedError, errorForCode,
} from './errors.mjs';
import {
  DEFAULT_QPM, DEFAULT_STEPS_PER_QUARTER, MULTITRACK_ALL_STEPS, buildSequence, multitrackTiming, sequenceToRecords,
} from './sequences.mjs';
import { LatentTensor, isTensorLike, tensorRows } from './tensor.mjs';
import { buildGrooveSequence, grooveInput, writeGrooveNotes } from './groove.mjs';

const isNode = typeof process === 'object' && !!(process.versions && process.versions.node);
const CHUNK = 64; // the engine decodes 64 at a time; chunks of a multiple of 64 draw the same randoms

// Limits on what one call may ask for, checked before any WebAssembly memory is allocated (see
// README.md, "Limits"). Sequences, latent vectors, samples and interpolation points per call are
// limited by the engine's MVAE_MAX_BATCH (4096), read from the engine.
/** Notes in one input sequence. */
export const MAX_INPUT_NOTES = 1 << 20;
/** Bytes of one WebAssembly allocation or one result array (the heap grows to 2 GiB at most). */
export const MAX_BUFFER_BYTES = 1 << 30;
/** Bytes of a model file. */
export const MAX_MODEL_BYTES = 1 << 30;

// ---- The engine (one WebAssembly instance per JavaScript realm, shared by every model) ----------

let enginePromise = null;

async function nodeImport(name) {
  return import(/* webpackIgnore: true */ name);
}

async function readLocalFile(pathOrUrl) {
  const fs = await nodeImport('node:fs/promises');
  return new Uint8Array(await fs.readFile(pathOrUrl));
}

/** The most threads the engine runs by default (the `threads` option): the CPU's, at most this. */
export const DEFAULT_MAX_THREADS = 4;

// Where the pthreads build can run: under Node (worker_threads); in a browser, SharedArrayBuffer and
// Workers in a cross-origin isolated page or Worker (COOP/COEP headers; elsewhere browsers hide
// SharedArrayBuffer or cannot share it), with this module on the page's origin (its threads are
// Workers started from dist/, which must be).
function threadsAvailable() {
  if (typeof SharedArrayBuffer !== 'function') return false;
  if (isNode) return true;
  if (typeof Worker !== 'function' || globalThis.crossOriginIsolated !== true) return false;
  const here = globalThis.location && globalThis.location.origin;
  return !!here && here === new URL(import.meta.url).origin;
}

function checkThreads(threads, what = 'threads') {
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new InvalidArgumentError(`${what} must be an integer in 1..64, not ${threads}`);
  return threads;
}

async function defaultThreads() {
  let cores = (typeof navigator === 'object' && navigator && navigator.hardwareConcurrency) || 1;
  if (isNode) {
    const os = await nodeImport('node:os');
    cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  }
  return Math.max(1, Math.min(DEFAULT_MAX_THREADS, cores));
}

/**
 * Loads the WebAssembly engine once. `options.threads` (default: navigator.hardwareConcurrency or
 * Node's os.availableParallelism(), at most DEFAULT_MAX_THREADS; 1: one thread) > 1 picks the
 * pthreads build where it can run (Node; a cross-origin isolated page or Worker), with that many
 * threads started, else the single-thread build runs. `options.wasmBinary` (bytes) or
 * `options.wasmUrl` choose the single-thread build's .wasm file (they imply it); by default it is
 * `dist/musicvae_wasm.wasm` beside this module (read from disk under Node, fetched by URL
 * elsewhere). Later calls return the same engine.
 */
export function loadEngine(options = {}) {
  if (options.threads !== undefined) {
    try {
      checkThreads(options.threads);
    } catch (e) {
      return Promise.reject(e);
    }
  }
  if (!enginePromise) {
    enginePromise = instantiate(options).catch((e) => {
      enginePromise = null;
      throw e instanceof EngineError ? e : new EngineError(`cannot start the WebAssembly engine: ${e.message}`);
    });
  }
  return enginePromise;
}

async function instantiate(options) {
  const threads = options.threads === undefined ? await defaultThreads() : checkThreads(options.threads);
  if (threads > 1 && !options.wasmBinary && !options.wasmUrl && threadsAvailable()) {
    try {
      return await instantiateBuild(options, threads);
    } catch {
      // No pthreads build here after all (say, no 2 GiB of shared memory to reserve on a 32-bit
      // device): the single-thread build.
    }
  }
  return instantiateBuild(options, 1);
}

// The pthreads build with `threads` threads, or for threads = 1 the single-thread build.
async function instantiateBuild(options, threads) {
  const threaded = threads > 1;
  const name = threaded ? 'musicvae_wasm_threads' : 'musicvae_wasm';
  let factory;
  try {
    // Literal imports (not one computed): bundlers see the browser's files. Node's variant of the
    // pthreads glue imports node: modules, so bundlers must not follow it (nodeImport).
    const glue = !threaded ? import('./dist/musicvae_wasm.mjs')
      : isNode ? nodeImport(new URL('./dist/musicvae_wasm_threads_node.mjs', import.meta.url).href)
        : import('./dist/musicvae_wasm_threads.mjs');
    factory = (await glue).default;
  } catch (e) {
    throw new EngineError(`wasm_api/dist/${name}${isNode && threaded ? '_node' : ''}.mjs is missing or broken (build it with: bash wasm_api/build.sh): ${e.message}`);
  }
  const moduleArgs = {};
  const distUrl = new URL('./dist/', import.meta.url);
  const wasmUrl = options.wasmUrl || new URL(`${name}.wasm`, distUrl);
  if (options.wasmBinary) {
    moduleArgs.wasmBinary = toBytes(options.wasmBinary, 'wasmBinary');
  } else if (isNode && String(wasmUrl).startsWith('file:')) {
    moduleArgs.wasmBinary = await readLocalFile(new URL(String(wasmUrl)));
  } else {
    // The .wasm, and for the pthreads build its threads' glue (musicvae_wasm_threads.worker.js).
    moduleArgs.locateFile = (file) => (file.endsWith('.wasm') ? String(wasmUrl) : new URL(file, distUrl).href);
  }
  let memory = null;
  if (threaded) {
    // The threads' Workers start with the engine (Emscripten's pool), all but the calling thread.
    moduleArgs.pthreadPoolSize = threads - 1;
    if (isNode) {
      // Their script: CommonJS (.cjs), a path (node:worker_threads takes no file: URL string).
      const { fileURLToPath } = await nodeImport('node:url');
      moduleArgs.locateFile = (file) => fileURLToPath(new URL(file.replace(/\.worker\.js$/, '.worker.cjs'), distUrl));
    }
    // The memory, made here so that its views can be renewed after a thread grows it (below).
    memory = new WebAssembly.Memory({ initial: 256, maximum: 32768, shared: true }); // 16 MiB .. 2 GiB
    moduleArgs.wasmMemory = memory;
  }
  // (The glue is synchronous up to the download of the .wasm: its pool of threads exists now.)
  const ready = factory(moduleArgs);
  const watch = threaded ? watchThreads(moduleArgs.PThread) : null;
  let M;
  try {
    M = await (watch ? Promise.race([ready, watch.failed]) : ready);
  } catch (e) {
    if (watch) watch.stop();
    throw e;
  }
  if (watch) watch.started();
  // Node: the idle threads do not keep the process alive (a call waits for its threads itself).
  if (isNode && threaded) for (const worker of M.PThread.unusedWorkers) worker.unref();
  if (memory) {
    // A thread that grows the shared memory leaves this thread's HEAPU8 on the old, shorter buffer.
    const raw = M;
    M = new Proxy(raw, {
      get(target, key) {
        if (key === 'HEAPU8' && target.HEAPU8.buffer !== memory.buffer) target.HEAPU8 = new Uint8Array(memory.buffer);
        return target[key];
      },
    });
  }
  return new Engine(M, threaded ? threads : 1);
}

// The pthreads glue waits for ever for a thread that fails to start (its script is missing or
// blocked), and rethrows a thread's error (where a MusicVAEWorker runs it: an uncaught error of that
// Worker). Instead: `failed` rejects when a thread fails before `started()` (the threads are stopped
// then, and the single-thread build loads; stop() stops them when the load fails otherwise); later
// errors are logged.
function watchThreads(pthread) {
  const workers = (pthread && pthread.unusedWorkers) || [];
  let started = false;
  const stop = () => { for (const w of workers) w.terminate(); };
  const failed = new Promise((_, reject) => {
    const fail = (e) => {
      const message = `a thread of the pthreads build failed: ${(e && e.message) || 'error'}`;
      if (started) {
        console.error(message);
        return;
      }
      stop();
      reject(new EngineError(message));
    };
    for (const w of workers) {
      // The glue's own handler (assigned to onerror once the .wasm is compiled) is not used.
      Object.defineProperty(w, 'onerror', { configurable: true, get: () => () => {}, set: () => {} });
      if (typeof w.addEventListener === 'function') w.addEventListener('error', fail);
      else w.on('error', fail);
    }
  });
  return { failed, stop, started: () => { started = true; } };
}

// mvae_info fields as the engine's field table names them (snake_case) -> MusicVAE.info (camelCase).
const camelCase = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
// Field kinds of the table (wasm_api/exports.c, MVW_INT ... MVW_CONVERTER).
const FIELD_READERS = [
  (e, p) => e.i32(p, 1)[0],
  (e, p) => e.i32(p, 1)[0] !== 0,
  (e, p) => new Uint32Array(e.M.HEAPU8.buffer, p, 1)[0],
  (e, p) => e.M.UTF8ToString(new Uint32Array(e.M.HEAPU8.buffer, p, 1)[0]),
  (e, p) => Array.from(e.i32(p, e.C.MVAE_MAX_TRACKS)),
  (e, p) => e.M.UTF8ToString(e.M._mvw_converter_name(e.i32(p, 1)[0])),
];

class Engine {
  constructor(M, threads) {
    this.M = M;
    this.threads = threads; // 1: the single-thread build; more: the pthreads build's threads
    this.kernels = M.UTF8ToString(M._mvw_kernels());
    this.activations = M.UTF8ToString(M._mvw_activations());
    // The C constants the API uses, by name (MVAE_OK, MVAE_MAX_BATCH, MVAE_INTERP_SLERP, ...).
    const C = {};
    for (let i = 0; i < M._mvw_constant_count(); i++) C[M.UTF8ToString(M._mvw_constant_name(i))] = M._mvw_constant_value(i);
    this.C = Object.freeze(C);
    this.infoFields = [];
    for (let i = 0; i < M._mvw_info_field_count(); i++) {
      this.infoFields.push({
        name: camelCase(M.UTF8ToString(M._mvw_info_field_name(i))),
        offset: M._mvw_info_field_offset(i),
        read: FIELD_READERS[M._mvw_info_field_kind(i)],
      });
    }
    const classNames = [];
    for (let c = 0; c < C.MVAE_DRUM_CLASSES; c++) classNames.push(M.UTF8ToString(M._mvw_drum_class_name(c)));
    this.drumMap = Object.freeze({
      classNames: Object.freeze(classNames),
      classPitches: Object.freeze(classNames.map((_, c) => M._mvae_drum_class_pitch(c))),
      classOfPitch: Object.freeze(Array.from({ length: 128 }, (_, p) => M._mvae_drum_class_of_pitch(p))),
    });
  }
  heapUsed() {
    return this.M._mvw_heap_used();
  }
  /** The typed error for an engine status and message. */
  error(status, message) {
    return errorForCode(this.M.UTF8ToString(this.M._mvw_status_code(status)), message);
  }
  // Runs fn(alloc) and frees everything alloc() gave, whatever happens. Every size reaching _malloc
  // is checked here too (it takes a 32-bit size: a larger one would wrap to a small block).
  withMemory(fn) {
    const M = this.M;
    const pointers = [];
    const alloc = (bytes) => {
      checkBufferBytes(bytes, 'a WebAssembly buffer');
      const p = M._malloc(Math.max(bytes, 4));
      if (!p) throw new OutOfMemoryError(`out of WebAssembly memory allocating ${bytes} bytes`);
      pointers.push(p);
      return p;
    };
    try {
      return fn(alloc);
    } finally {
      for (const p of pointers) M._free(p);
    }
  }
  // Runs fn(rng) with a new engine rng seeded from `seed` (a random one if none) and skipped
  // `firstRow` rows (the first sequence then draws what row firstRow of a batch would), freed after.
  withRng(seed, fn, firstRow = 0) {
    const [lo, hi] = seedHalves(seed);
    const rng = this.M._mvw_rng_new(lo, hi);
    if (!rng) throw new OutOfMemoryError('out of WebAssembly memory for a random number generator');
    try {
      this.M._mvae_rng_skip_rows(rng, firstRow);
      return fn(rng);
    } finally {
      this.M._free(rng);
    }
  }
  // mvae_info of a model as an object, field by field from the engine's table.
  modelInfo(model) {
    return this.withMemory((alloc) => {
      const p = alloc(this.M._mvw_info_size());
      const status = this.M._mvw_info(model, p);
      if (status !== this.C.MVAE_OK) throw this.error(status, 'cannot read the model info');
      const info = {};
      for (const f of this.infoFields) info[f.name] = f.read(this, p + f.offset);
      info.outputDepths = info.outputDepths.slice(0, info.numTracks);
      info.drumMap = this.drumMap;
      return Object.freeze(info);
    });
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

function checkBufferBytes(bytes, what) {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new InvalidArgumentError(`${what} of ${bytes} bytes is not a valid size`);
  if (bytes > MAX_BUFFER_BYTES) {
    throw new OutOfMemoryError(`${what} would need ${bytes} bytes, more than the limit of ${MAX_BUFFER_BYTES} ` +
      '(1 GiB): ask for fewer sequences at once');
  }
}

/**
 * The names of the kernel and activation sets the engine runs ("wasm_simd128" for this build), which
 * build runs (build: 'threads', the pthreads build, or 'single') and its most threads per call.
 */
export async function engineInfo(options) {
  const engine = await loadEngine(options);
  return { kernels: engine.kernels, activations: engine.activations, build: engine.threads > 1 ? 'threads' : 'single', threads: engine.threads };
}

// ---- Argument handling ------------------------------------------------------------------------

function toBytes(data, what) {
  let bytes;
  if (data instanceof Uint8Array) bytes = data;
  else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else throw new InvalidArgumentError(`${what} must be bytes (Uint8Array, ArrayBuffer or a typed array)`);
  if (bytes.length > MAX_MODEL_BYTES) {
    throw new InvalidArgumentError(`${what} has ${bytes.length} bytes, more than the limit of ${MAX_MODEL_BYTES}`);
  }
  return bytes;
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
  return toBytes(await response.arrayBuffer(), `the model ${url}`);
}

const isModelFile = (bytes) => bytes.length >= 4 && bytes[0] === 0x4d && bytes[1] === 0x56 && bytes[2] === 0x41 &&
  bytes[3] === 0x45; // 'MVAE'

// A magenta.js checkpoint folder converted to MVAE bytes (checkpoint.mjs, loaded only when needed).
async function checkpointBytes(where, options) {
  const { convertCheckpoint } = await import('./checkpoint.mjs');
  const { bytes } = await convertCheckpoint(where, {
    onProgress: options.onProgress, cache: options.cache, quantize: options.quantize, config: options.config,
    warn: () => {},
  });
  return toBytes(bytes, `the model converted from ${where}`);
}

/**
 * The MVAE bytes of a model source: bytes as given; under Node a local path or file: URL to an MVAE
 * file or a checkpoint folder; a URL ending in .mvae (or data:, blob:) fetched; any other URL is a
 * checkpoint folder if it holds config.json (as magenta.js loads it), else fetched as a model file.
 */
async function modelBytes(source, options = {}) {
  if (source === undefined || source === null) {
    source = new URL('../models/mel_2bar_small.q8.mvae', import.meta.url);
  }
  if (typeof source !== 'string' && !(source instanceof URL)) return toBytes(source, 'the model');
  const text = String(source);
  if (isNode && !/^(https?|data|blob):/i.test(text)) {
    const [fs, { fileURLToPath }] = await Promise.all([nodeImport('node:fs/promises'), nodeImport('node:url')]);
    const file = text.startsWith('file:') ? fileURLToPath(text) : text;
    let bytes;
    try {
      if ((await fs.stat(file)).isDirectory()) return checkpointBytes(file, options);
      bytes = await readLocalFile(file);
    } catch (e) {
      if (e instanceof BadModelError || e instanceof UnsupportedError) throw e;
      throw new BadModelError(`cannot read the model file ${text}: ${e.message}`);
    }
    return toBytes(bytes, `the model file ${text}`);
  }
  if (/^(data|blob):/i.test(text) || /\.mvae([?#].*)?$/i.test(text)) return fetchBytes(text);
  const { isCheckpoint } = await import('./checkpoint.mjs');
  if (options.config || await isCheckpoint(text, { cache: options.cache })) return checkpointBytes(text, options);
  const bytes = await fetchBytes(text);
  if (!isModelFile(bytes)) {
    throw new BadModelError(`${text} is neither an MVAE model file nor a magenta.js checkpoint folder ` +
      `(no ${text.replace(/\/+$/, '')}/config.json)`);
  }
  return bytes;
}

function checkControlArgs(controlArgs) {
  if (controlArgs === undefined || controlArgs === null) return {};
  if (typeof controlArgs !== 'object') {
    throw new InvalidArgumentError('controlArgs must be an object ({seed, onProgress, method, ...})');
  }
  if (controlArgs.onProgress !== undefined && controlArgs.onProgress !== null &&
      typeof controlArgs.onProgress !== 'function') {
    throw new InvalidArgumentError('onProgress must be a function (done, total)');
  }
  const row = controlArgs.firstRow;
  if (row !== undefined && row !== null && !(Number.isInteger(row) && row >= 0 && row <= 0xffffffff)) {
    throw new InvalidArgumentError(`firstRow ${row} is not an integer in 0..2^32-1`);
  }
  return controlArgs;
}

/** chordProgression, checked to be a non-empty array of chord symbols (strings). */
function checkChordSymbols(chords) {
  if (!Array.isArray(chords) || !chords.length || !chords.every((c) => typeof c === 'string')) {
    throw new InvalidArgumentError('chordProgression must be a non-empty array of chord symbols');
  }
  return chords;
}

/** The symbols as C strings in the engine's memory (from alloc) and a table of their pointers. */
function chordSymbolTable(engine, alloc, chords) {
  const ptrs = chords.map((c) => {
    const bytes = new TextEncoder().encode(`${c}\0`);
    const p = alloc(bytes.length);
    engine.M.HEAPU8.set(bytes, p);
    return p;
  });
  const table = alloc(4 * ptrs.length);
  engine.i32(table, ptrs.length).set(ptrs);
  return { ptrs, table };
}

const REFINE_MAX_STEPS = 100000;  // MVAE_REFINE_MAX_STEPS
const MAX_CHORD_STEPS = 1 << 20; // inferChordProgression: numSteps and spanSteps

/** controlArgs.refine -> {steps, learningRate, timeBudgetMs, priorWeight} (-1: the engine's
 * default), or null for no refinement. */
function checkRefine(refine) {
  if (refine === undefined || refine === null || refine === false) return null;
  const r = refine === true ? {} : refine;
  if (typeof r !== 'object') {
    throw new InvalidArgumentError('refine must be true or {steps, learningRate, timeBudgetMs, priorWeight}');
  }
  const number = (key, ok, what) => {
    const v = r[key];
    if (v === undefined || v === null) return -1;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
      throw new InvalidArgumentError(`refine.${key} ${v} must be ${what}`);
    }
    return v;
  };
  return {
    steps: number('steps', (v) => Number.isInteger(v) && v >= 0 && v <= REFINE_MAX_STEPS,
      `an integer in 0..${REFINE_MAX_STEPS}`),
    learningRate: number('learningRate', (v) => v > 0, 'a number > 0'),
    timeBudgetMs: number('timeBudgetMs', (v) => v >= 0, 'a number >= 0 (0: no limit)'),
    priorWeight: number('priorWeight', (v) => v >= 0, 'a number >= 0'),
  };
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

/** A count of sequences, samples or points: an integer in 1..limit (the engine's MVAE_MAX_BATCH). */
function checkCount(n, what, limit) {
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} ${n} is not a positive integer`);
  if (n > limit) throw new InvalidArgumentError(`${what} ${n} is more than ${limit}, the most one call takes`);
  return n;
}

function isLatentLike(x) {
  return ArrayBuffer.isView(x) || (Array.isArray(x) && (x.length === 0 || typeof x[0] === 'number')) ||
    (isTensorLike(x) && x.shape.length === 1);
}

/** A batch of at most `limit` latent vectors as one Float32Array [batch * zDims], checked. */
export function latentBatch(z, zDims, limit, what = 'z') {
  if (isTensorLike(z)) {
    // A LatentTensor or a TF.js 2-D tensor (duck-typed; TF.js is not needed).
    if (z.shape.length !== 2) throw new InvalidArgumentError(`${what} tensor must be 2-D [batch, ${zDims}]`);
    z = tensorRows(z, what);
  }
  let rows;
  if (ArrayBuffer.isView(z) || (Array.isArray(z) && z.length > 0 && typeof z[0] === 'number')) {
    if (z.length === 0 || z.length % zDims !== 0) {
      throw new InvalidArgumentError(`${what} has ${z.length} values; expected a multiple of zDims ${zDims}`);
    }
    checkCount(z.length / zDims, `${what}: the number of latent vectors`, limit);
    rows = [];
    for (let i = 0; i < z.length; i += zDims) rows.push(z.slice(i, i + zDims));
  } else if (Array.isArray(z)) {
    rows = z;
  } else {
    throw new InvalidArgumentError(`${what} must be an array of Float32Array (or of number arrays) of length ${zDims}`);
  }
  if (rows.length === 0) throw new InvalidArgumentError(`${what} is an empty batch`);
  checkCount(rows.length, `${what}: the number of latent vectors`, limit);
  const out = new Float32Array(rows.length * zDims);
  rows.forEach((row, b) => {
    if (isTensorLike(row) && row.shape.length === 1) row = tensorRows(row, `${what}[${b}]`)[0];
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

/** A batch of token arrays (each `width` integers) as one Int32Array, checked: no NaN becomes 0. */
function tokenBatch(tokens, width, limit, what) {
  if (!Array.isArray(tokens) || tokens.length === 0) {
    throw new InvalidArgumentError(`${what} must be a non-empty array of token arrays`);
  }
  checkCount(tokens.length, `${what}: the number of token arrays`, limit);
  const flat = new Int32Array(tokens.length * width);
  tokens.forEach((t, b) => {
    if (!(ArrayBuffer.isView(t) || Array.isArray(t)) || t.length !== width) {
      throw new InvalidArgumentError(`${what}[${b}] must have ${width} tokens`);
    }
    if (!(t instanceof Int32Array)) {
      for (let i = 0; i < width; i++) {
        const v = t[i];
        if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
          throw new InvalidArgumentError(`${what}[${b}][${i}] is ${v}, not an integer token`);
        }
      }
    }
    flat.set(t, b * width);
  });
  return flat;
}

function splitRows(flat, width, count) {
  const rows = new Array(count);
  for (let i = 0; i < count; i++) rows[i] = flat.slice(i * width, (i + 1) * width);
  return rows;
}

// Latent vectors as callers get them: a LatentTensor [count, width].
const latentRows = (flat, width, count) => LatentTensor.fromRows(splitRows(flat, width, count), width);

function interpolationShape(count, numInterps, limit) {
  const dims = typeof numInterps === 'number' ? [numInterps] : numInterps;
  if (!Array.isArray(dims) || (dims.length !== 1 && dims.length !== 2)) {
    throw new InvalidArgumentError('numInterps must be a number or [columns, rows]');
  }
  dims.forEach((d) => checkCount(d, 'numInterps', limit));
  if (count !== 2 && count !== 4) {
    throw new InvalidArgumentError(`interpolate takes 2 or 4 inputs, got ${count}`);
  }
  const cols = dims[0];
  const rows = count === 4 ? (dims.length === 2 ? dims[1] : cols) : 1;
  checkCount(cols * rows, `interpolation points (${cols} x ${rows})`, limit);
  return { cols, rows };
}

function interpolationMethod(engine, controlArgs) {
  const method = controlArgs.method === undefined ? 'linear' : controlArgs.method;
  if (method !== 'linear' && method !== 'slerp') {
    throw new InvalidArgumentError(`method must be 'linear' or 'slerp', got ${method}`);
  }
  return method === 'slerp' ? engine.C.MVAE_INTERP_SLERP : engine.C.MVAE_INTERP_LINEAR;
}

function checkOutputTiming(stepsPerQuarter, qpm) {
  if (!(Number.isInteger(stepsPerQuarter) && stepsPerQuarter > 0)) {
    throw new InvalidArgumentError(`stepsPerQuarter ${stepsPerQuarter} is not a positive integer`);
  }
  if (typeof qpm !== 'number' || !(qpm > 0) || !Number.isFinite(qpm)) {
    throw new InvalidArgumentError(`qpm ${qpm} is not a positive number`);
  }
}

// A pad point is blended by the engine's mvae_interpolate at a fraction k / PAD_STEPS (see latentAt).
const PAD_STEPS = 256;
const gcd = (a, b) => (b ? gcd(b, a % b) : a);

// ---- MusicVAE -----------------------------------------------------------------------------------

/**
 * A MusicVAE model, as magenta.js's `mm.MusicVAE`: `new MusicVAE(checkpointURL)`, then
 * `initialize()` (or let the first call do it). The model is a magenta.js checkpoint folder (its
 * URL as magenta.js takes it; under Node also a local folder or file: URL), converted in memory, or
 * an MVAE file (docs/model-format.md: a URL or path to one, or its bytes); none = the bundled
 * models/mel_2bar_small.q8.mvae. `options`: {wasmBinary, wasmUrl} for the engine (see loadEngine);
 * for checkpoints {onProgress(loadedBytes, totalBytes), cache (false: not in the Cache API; a
 * name: that cache), quantize ('q8': int8 kernels)}. A magenta.js MusicVAESpec in this place
 * (an object with dataConverter) is used in place of the checkpoint's config.json, as magenta.js
 * does; an MVAE file carries its own configuration. int8Compute: false runs an int8 model's matrix
 * products in float on its int8 values (the engine's integer compute is the default,
 * mvae_model_set_int8_compute). threads: how many threads a call runs on (the pthreads build only,
 * at most the engine's, see loadEngine; default: all of them; mvae_model_set_threads): the results
 * are the same for any count.
 */
export class MusicVAE {
  constructor(modelUrlOrBytes, options = {}) {
    this.source = modelUrlOrBytes;
    // magenta.js's second argument is a MusicVAESpec (config.json's content): it then stands in for
    // the checkpoint's config.json.
    const isSpec = !!(options && options.dataConverter);
    this.options = options && !isSpec ? options : {};
    this._spec = isSpec ? options : null;
    this.initialized = false;
    this.disposed = false;
    this.zDims = undefined;
    this.info = undefined;
    this.threads = undefined; // the threads a call runs on (1 in the single-thread build)
    this._engine = null;
    this._model = 0;
    this._initPromise = null;
    this._generation = 0; // dispose() starts a new one: a load begun before it does not land after
  }

  /** Loads the engine and the model. Safe to call more than once; after dispose() it loads again. */
  async initialize() {
    if (this.disposed) {
      this.disposed = false;
      this._initPromise = null;
    }
    if (!this._initPromise) {
      this._initPromise = this._load().catch((e) => {
        this._initPromise = null;
        throw e;
      });
    }
    return this._initPromise;
  }

  async _load() {
    const generation = this._generation;
    const [engine, bytes] = await Promise.all([loadEngine(this.options),
      modelBytes(this.source, this._spec ? { ...this.options, config: this._spec } : this.options)]);
    if (this.disposed || generation !== this._generation) throw new DisposedError();
    const M = engine.M;
    const model = engine.withMemory((alloc) => {
      const data = alloc(bytes.length);
      engine.u8(data, bytes.length).set(bytes);
      const status = alloc(4), err = alloc(512);
      const ptr = M._mvw_load(data, bytes.length, status, err, 512);
      if (!ptr) throw engine.error(engine.i32(status, 1)[0], `cannot load the model: ${M.UTF8ToString(err)}`);
      if (this.options.int8Compute === false) M._mvae_model_set_int8_compute(ptr, 0);
      // The model's threads: its `threads` option, at most the engine's (1 in the single-thread build).
      const threads = Math.min(engine.threads, this.options.threads === undefined ? engine.threads : checkThreads(this.options.threads));
      if (threads > 1 && M._mvae_model_set_threads(ptr, threads) !== engine.C.MVAE_OK) {
        const message = M.UTF8ToString(M._mvae_last_error(ptr));
        M._mvae_model_free(ptr);
        throw new OutOfMemoryError(`cannot start ${threads} threads: ${message}`);
      }
      this.threads = threads;
      return ptr;
    });
    try {
      this.info = engine.modelInfo(model);
    } catch (e) {
      M._mvae_model_free(model);
      throw e;
    }
    this._engine = engine;
    this._model = model;
    this.zDims = this.info.zSize;
    this.initialized = true;
  }

  isInitialized() {
    return this.initialized;
  }

  /**
   * Frees the model's WebAssembly memory. Later calls throw DisposedError until initialize() loads
   * the model again (magenta.js re-initializes on the next call by itself).
   */
  dispose() {
    if (this._model) this._engine.M._mvae_model_free(this._model);
    this._model = 0;
    this._generation++;
    this._initPromise = null;
    this.initialized = false;
    this.disposed = true;
  }

  async _ready() {
    if (this.disposed) throw new DisposedError();
    if (!this.initialized) await this.initialize();
    if (this.disposed) throw new DisposedError();
    return this._engine;
  }

  /** The most sequences, latent vectors or points one call takes (the engine's MVAE_MAX_BATCH). */
  get _limit() {
    return this._engine.C.MVAE_MAX_BATCH;
  }

  get _seqTokens() {
    return this.info.numTracks * this.info.numSteps;
  }

  // GrooVAE (magenta.js's GrooveConverter): decodes carry velocities and offsets beside the hits.
  get _groove() {
    return this.info.outputLayer === this._engine.C.MVAE_OUTPUT_GROOVE;
  }

  // Values of one decoded GrooVAE sequence: [numSteps][hits | velocities | offsets].
  get _seqValues() {
    return this.info.numSteps * this.info.outputDepths[0];
  }

  // Model calls leave their message in mvae_last_error; the latent helpers take no model and have
  // only their status: `latentCall` names the call for the message.
  _check(status, latentCall = null) {
    const { C, M } = this._engine;
    if (status === C.MVAE_OK) return;
    const message = latentCall ? '' : M.UTF8ToString(M._mvae_last_error(this._model));
    throw this._engine.error(status, message || `${latentCall || 'the call'} failed: ${M.UTF8ToString(M._mvae_status_string(status))}`);
  }

  // onProgress may call dispose(): the call then ends with a DisposedError, not an engine error.
  _progress(onProgress, done, total) {
    if (onProgress) onProgress(done, total);
    if (this.disposed) throw new DisposedError('the model was disposed during the call (by onProgress)');
  }

  // ---- encode ----

  /**
   * Latent means (mu) of quantized NoteSequences: a LatentTensor [n, zDims] (tf.Tensor2D's surface,
   * and an array of Float32Array(zDims)).
   * controlArgs.refine (our addition): true, or {steps, learningRate, timeBudgetMs, priorWeight},
   * then each z is mu improved by Adam steps on the decoder's loss of its own sequence (the
   * engine's mvae_encode_refined: 30 steps by default, ~160 ms per 2-bar melody in WebAssembly),
   * which reconstructs music unlike the encoder's training data far better.
   */
  async encode(inputSequences, controlArgs) {
    return (await this._encode(inputSequences, controlArgs, false)).mu;
  }

  /** {mu, sigma}: LatentTensors [n, zDims]. */
  async encodeWithSigma(inputSequences, controlArgs) {
    if (controlArgs && controlArgs.refine) {
      throw new InvalidArgumentError('refine applies to encode(): a refined z has no sigma');
    }
    return this._encode(inputSequences, controlArgs, true);
  }

  async _encode(sequences, controlArgs, withSigma) {
    checkControlArgs(controlArgs);
    const engine = await this._ready();
    if (!Array.isArray(sequences) || sequences.length === 0) {
      throw new InvalidArgumentError('encode takes a non-empty array of NoteSequences');
    }
    checkCount(sequences.length, 'the number of sequences', this._limit);
    const { numSteps, inputDepth, stepsPerQuarter } = this.info;
    const multitrack = this.info.converter === 'multitrack';
    const records = sequences.map((ns, i) => {
      if (ns && Array.isArray(ns.notes) && ns.notes.length > MAX_INPUT_NOTES) {
        throw new InvalidArgumentError(`sequence ${i} has ${ns.notes.length} notes, more than ${MAX_INPUT_NOTES}`);
      }
      // GrooVAE reads times too (its offsets) and quantizes an unquantized sequence, as magenta.js;
      // a multitrack model's steps are events, not time: every note goes to the engine.
      if (this._groove) return grooveInput(ns, i, stepsPerQuarter);
      return sequenceToRecords(ns, i, multitrack ? MULTITRACK_ALL_STEPS : numSteps, stepsPerQuarter);
    });
    const timings = multitrack ? sequences.map((ns) => multitrackTiming(ns, stepsPerQuarter)) : null;
    const refine = checkRefine(controlArgs && controlArgs.refine);
    const controls = this._controls(engine, controlArgs || {});
    if (refine && controls) throw new UnsupportedError('refine: not supported on a model with controls');
    return this._encodeRecords(engine, records, numSteps * inputDepth, withSigma, refine, controls, timings);
  }

  _encodeRecords(engine, records, stepValues, withSigma, refine = null, controls = null, timings = null) {
    const M = engine.M;
    const batch = records.length;
    const z = this.zDims;
    const noteInts = engine.C.MVW_NOTE_INTS;
    return engine.withMemory((alloc) => {
      const inputs = alloc(batch * stepValues * 4);
      let notesPtr = 0, notesCap = 0;
      if (this._groove) this._grooveInputs(engine, alloc, records, inputs, stepValues);
      else records.forEach((rec, i) => {
        if (rec.length > notesCap) {
          notesCap = rec.length;
          notesPtr = alloc(notesCap * 4);
        }
        engine.i32(notesPtr, rec.length).set(rec);
        const n = rec.length / noteInts, input = inputs + i * stepValues * 4;
        if (timings) {
          // A multitrack input: the notes' startTime order, velocities absent, totalQuantizedSteps.
          const { startTimes, noVelocity, totalQuantizedSteps } = timings[i];
          const times = alloc(8 * Math.max(1, n)), flags = alloc(Math.max(1, n));
          new Float64Array(M.HEAPU8.buffer, times, n).set(startTimes);
          engine.u8(flags, n).set(noVelocity);
          this._check(M._mvw_notes_to_input_timed(this._model, notesPtr, n, times, totalQuantizedSteps, flags, input));
        } else {
          this._check(M._mvae_notes_to_input(this._model, notesPtr, n, input));
        }
      });
      const mu = alloc(batch * z * 4);
      const sigma = withSigma ? alloc(batch * z * 4) : 0;
      if (refine) {
        this._check(M._mvw_encode_refined(this._model, inputs, batch, refine.steps, refine.learningRate,
          refine.timeBudgetMs, refine.priorWeight, mu, 0));
      } else if (controls) {
        const c = alloc(controls.length * 4);
        engine.f32(c, controls.length).set(controls);
        this._check(M._mvw_encode_with(this._model, inputs, batch, c, 0, mu, sigma));
      } else {
        this._check(M._mvae_encode(this._model, inputs, batch, mu, sigma));
      }
      const result = { mu: latentRows(engine.f32(mu, batch * z), z, batch) };
      if (withSigma) result.sigma = latentRows(engine.f32(sigma, batch * z), z, batch);
      return result;
    });
  }

  // GrooVAE inputs: each sequence's notes as mvae_groove_note structs, through mvae_groove_to_input.
  _grooveInputs(engine, alloc, inputs, inputPtr, stepValues) {
    const bytes = engine.C.MVW_GROOVE_NOTE_BYTES;
    inputs.forEach(({ notes, qpm }, i) => {
      const p = alloc(Math.max(1, notes.length) * bytes);
      writeGrooveNotes(engine.M.HEAPU8, p, notes, bytes);
      this._check(engine.M._mvae_groove_to_input(this._model, p, notes.length, qpm, inputPtr + i * stepValues * 4));
    });
  }

  // GrooVAE NoteSequences from decoded values (Float32Array [batch][numSteps][depth]), as
  // magenta.js's GrooveConverter.toNoteSequence; it refuses a stepsPerQuarter other than the model's.
  _grooveSequences(engine, values, batch, stepsPerQuarter, qpm) {
    if (stepsPerQuarter && stepsPerQuarter !== this.info.stepsPerQuarter) {
      throw new InvalidArgumentError('`stepsPerQuarter` is set by the model.');
    }
    const M = engine.M;
    const { numSteps, maxNotes } = this.info;
    const seqValues = this._seqValues, hitBytes = engine.C.MVW_GROOVE_HIT_BYTES;
    return engine.withMemory((alloc) => {
      const vPtr = alloc(seqValues * 4), hits = alloc(maxNotes * hitBytes), countPtr = alloc(4);
      const out = [];
      for (let b = 0; b < batch; b++) {
        engine.f32(vPtr, seqValues).set(values.subarray(b * seqValues, (b + 1) * seqValues));
        this._check(M._mvae_groove_to_notes(this._model, vPtr, hits, maxNotes, countPtr));
        const count = engine.i32(countPtr, 1)[0];
        out.push(buildGrooveSequence(M.HEAPU8, hits, count, hitBytes, numSteps, this.info.stepsPerQuarter, qpm));
      }
      return out;
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
    const flat = latentBatch(z, this.zDims, this._limit);
    const controls = this._controls(engine, args);
    const batch = flat.length / this.zDims;
    const values = this._groove ? this._valuesBuffer(batch) : null;
    const tokens = engine.withRng(args.seed,
      (rng) => this._decodeFlat(engine, flat, temperature, rng, args.onProgress, null, null, controls, values),
      args.firstRow);
    if (values) return this._grooveSequences(engine, values, batch, stepsPerQuarter, qpm);
    return this._toSequences(engine, tokens, batch, stepsPerQuarter, qpm);
  }

  _valuesBuffer(batch) {
    checkBufferBytes(batch * this._seqValues * 4, `the GrooVAE values of ${batch} sequences`);
    return new Float32Array(batch * this._seqValues);
  }

  /**
   * The engine's raw output: {tokens: Int32Array[] (one per sequence, [numTracks][numSteps] class
   * indices), logits?: Float32Array[] ([numSteps][sum of output depths]), values?: Float32Array[]
   * (GrooVAE: [numSteps][hits | velocities | offsets], what its decoder fed back)}. options: {temperature,
   * seed, teacher (Int32Array[] of tokens to feed back), logits (true to return them), onProgress}.
   */
  async decodeTokens(z, options = {}) {
    if (options === null || options === undefined) options = {};
    if (typeof options !== 'object') throw new InvalidArgumentError('decodeTokens options must be an object');
    checkControlArgs(options);
    const temperature = checkTemperature(options.temperature, 0);
    const engine = await this._ready();
    const flat = latentBatch(z, this.zDims, this._limit);
    const batch = flat.length / this.zDims;
    const seqTokens = this._seqTokens;
    let teacher = null;
    if (options.teacher) {
      if (!Array.isArray(options.teacher) || options.teacher.length !== batch) {
        throw new InvalidArgumentError(`teacher must be an array of ${batch} token arrays`);
      }
      teacher = tokenBatch(options.teacher, seqTokens, this._limit, 'teacher');
    }
    const logitWidth = this.info.outputDepths.reduce((a, b) => a + b, 0) * this.info.numSteps;
    let logits = null;
    if (options.logits) {
      checkBufferBytes(batch * logitWidth * 4, `the logits of ${batch} sequences`);
      logits = new Float32Array(batch * logitWidth);
    }
    const controls = this._controls(engine, options);
    const values = this._groove && !teacher ? this._valuesBuffer(batch) : null;
    const tokens = engine.withRng(options.seed,
      (rng) => this._decodeFlat(engine, flat, temperature, rng, options.onProgress, teacher, logits, controls, values),
      options.firstRow);
    const result = { tokens: splitRows(tokens, seqTokens, batch) };
    if (logits) result.logits = splitRows(logits, logitWidth, batch);
    if (values) result.values = splitRows(values, this._seqValues, batch);
    return result;
  }

  // Decodes flat z in chunks with `rng` (unused at temperature 0; each row has its own stream and
  // every call moves rng past its rows, so chunks draw what one call would), returns all tokens.
  _decodeFlat(engine, flat, temperature, rng, onProgress, teacher = null, logitsOut = null, controls = null,
    valuesOut = null) {
    const M = engine.M;
    const zs = this.zDims;
    const batch = flat.length / zs;
    const seqTokens = this._seqTokens;
    const logitWidth = logitsOut ? logitsOut.length / batch : 0;
    const chunk = onProgress ? CHUNK * 4 : this._limit - (this._limit % CHUNK);
    const tokens = new Int32Array(batch * seqTokens);
    return engine.withMemory((alloc) => {
      const n = Math.min(chunk, batch);
      const zPtr = alloc(n * zs * 4);
      const tPtr = alloc(n * seqTokens * 4);
      const teacherPtr = teacher ? alloc(n * seqTokens * 4) : 0;
      const logitsPtr = logitsOut ? alloc(n * logitWidth * 4) : 0;
      const controlsPtr = controls ? alloc(controls.length * 4) : 0;
      if (controls) engine.f32(controlsPtr, controls.length).set(controls);
      const seqValues = valuesOut ? this._seqValues : 0;
      const valuesPtr = valuesOut ? alloc(n * seqValues * 4) : 0;
      for (let b = 0; b < batch; b += chunk) {
        const m = Math.min(chunk, batch - b);
        engine.f32(zPtr, m * zs).set(flat.subarray(b * zs, (b + m) * zs));
        if (teacher) engine.i32(teacherPtr, m * seqTokens).set(teacher.subarray(b * seqTokens, (b + m) * seqTokens));
        if (valuesOut) {
          this._check(M._mvw_decode_values(this._model, zPtr, m, temperature, rng, logitsPtr, controlsPtr, 0, valuesPtr, tPtr));
          valuesOut.set(engine.f32(valuesPtr, m * seqValues), b * seqValues);
        } else {
          this._check(controls
            ? M._mvw_decode_with(this._model, zPtr, m, temperature, rng, teacherPtr, logitsPtr, controlsPtr, 0, 0, tPtr)
            : M._mvw_decode(this._model, zPtr, m, temperature, rng, teacherPtr, logitsPtr, tPtr));
        }
        tokens.set(engine.i32(tPtr, m * seqTokens), b * seqTokens);
        if (logitsOut) logitsOut.set(engine.f32(logitsPtr, m * logitWidth), b * logitWidth);
        this._progress(onProgress, b + m, batch);
      }
      return tokens;
    });
  }

  /**
   * NoteSequences from decoded tokens (Int32Array[] as decodeTokens / sampleTokens return), through
   * the model's converter, without running the network.
   */
  async tokensToSequences(tokens, stepsPerQuarter = DEFAULT_STEPS_PER_QUARTER, qpm = DEFAULT_QPM) {
    checkOutputTiming(stepsPerQuarter, qpm);
    const engine = await this._ready();
    const flat = tokenBatch(tokens, this._seqTokens, this._limit, 'tokens');
    return this._toSequences(engine, flat, tokens.length, stepsPerQuarter, qpm);
  }

  _toSequences(engine, tokens, batch, stepsPerQuarter, qpm) {
    const M = engine.M;
    const { totalSteps, maxNotes } = this.info;
    const seqTokens = this._seqTokens;
    const noteInts = engine.C.MVW_NOTE_INTS;
    return engine.withMemory((alloc) => {
      const tPtr = alloc(seqTokens * 4);
      const notesPtr = alloc(maxNotes * noteInts * 4);
      const countPtr = alloc(4);
      const out = [];
      for (let b = 0; b < batch; b++) {
        engine.i32(tPtr, seqTokens).set(tokens.subarray(b * seqTokens, (b + 1) * seqTokens));
        this._check(M._mvae_tokens_to_notes(this._model, tPtr, notesPtr, maxNotes, countPtr));
        const count = engine.i32(countPtr, 1)[0];
        out.push(buildSequence(engine.i32(notesPtr, count * noteInts), count, totalSteps, stepsPerQuarter, qpm));
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
    checkOutputTiming(stepsPerQuarter, qpm);
    const { tokens, values } = await this._sampleTokens(numSamples, temperature, controlArgsOrSeed);
    if (values) return this._grooveSequences(this._engine, values, numSamples, stepsPerQuarter, qpm);
    return this._toSequences(this._engine, tokens, numSamples, stepsPerQuarter, qpm);
  }

  /** {z: Float32Array[], tokens: Int32Array[], values? (GrooVAE, as decodeTokens)} of a sample (same
   * arguments as sample). */
  async sampleTokens(numSamples, temperature = 0.5, controlArgsOrSeed) {
    const { z, tokens, values } = await this._sampleTokens(numSamples, temperature, controlArgsOrSeed);
    const result = { z: latentRows(z, this.zDims, numSamples), tokens: splitRows(tokens, this._seqTokens, numSamples) };
    if (values) result.values = splitRows(values, this._seqValues, numSamples);
    return result;
  }

  /**
   * n latent vectors z ~ N(0, I), without decoding: the z that sample(n, t, seed) would decode.
   * `seed` as in sample (a number, bigint or string; random when omitted).
   */
  async sampleLatents(numSamples, seed) {
    const engine = await this._ready();
    checkCount(numSamples, 'numSamples', this._limit);
    const zs = this.zDims;
    const z = engine.withRng(seed, (rng) => engine.withMemory((alloc) => {
      const zPtr = alloc(numSamples * zs * 4);
      this._check(engine.M._mvae_latent_sample(rng, zs, numSamples, zPtr, 0, 0), 'latent sample');
      return engine.f32(zPtr, numSamples * zs).slice();
    }));
    return latentRows(z, zs, numSamples);
  }

  async _sampleTokens(numSamples, temperature, controlArgsOrSeed) {
    const isSeed = ['number', 'bigint', 'string'].includes(typeof controlArgsOrSeed);
    const args = isSeed ? { seed: controlArgsOrSeed } : checkControlArgs(controlArgsOrSeed);
    temperature = checkTemperature(temperature, 0.5);
    const engine = await this._ready();
    checkCount(numSamples, 'numSamples', this._limit);
    const controls = this._controls(engine, args);
    // mvae_sample in chunks: each row draws its z, then its samples, from its own stream, so chunks
    // give what one call would.
    const zs = this.zDims, seqTokens = this._seqTokens;
    const chunk = args.onProgress ? CHUNK * 4 : this._limit - (this._limit % CHUNK);
    const z = new Float32Array(numSamples * zs), tokens = new Int32Array(numSamples * seqTokens);
    const values = this._groove ? this._valuesBuffer(numSamples) : null, seqValues = values ? this._seqValues : 0;
    engine.withRng(args.seed, (rng) => engine.withMemory((alloc) => {
      const n = Math.min(chunk, numSamples);
      const zPtr = alloc(n * zs * 4), tPtr = alloc(n * seqTokens * 4);
      const c = controls ? alloc(controls.length * 4) : 0;
      if (controls) engine.f32(c, controls.length).set(controls);
      const vPtr = values ? alloc(n * seqValues * 4) : 0;
      for (let b = 0; b < numSamples; b += chunk) {
        const m = Math.min(chunk, numSamples - b);
        if (values) {
          this._check(engine.M._mvw_sample_values(this._model, m, temperature, rng, c, 0, zPtr, vPtr, tPtr));
          values.set(engine.f32(vPtr, m * seqValues), b * seqValues);
        } else {
          this._check(controls
            ? engine.M._mvw_sample_with(this._model, m, temperature, rng, c, 0, 0, zPtr, tPtr)
            : engine.M._mvae_sample(this._model, m, temperature, rng, zPtr, tPtr));
        }
        z.set(engine.f32(zPtr, m * zs), b * zs);
        tokens.set(engine.i32(tPtr, m * seqTokens), b * seqTokens);
        this._progress(args.onProgress, b + m, numSamples);
      }
    }), args.firstRow);
    return { z, tokens, values };
  }

  /**
   * n variations of one sequence: z' = similarity * z + (1 - similarity) * N(0, I), decoded.
   * `inputSequence` may also be a latent vector (Float32Array). controlArgs: {seed}.
   */
  async similar(inputSequence, numSamples, similarity, temperature, controlArgs) {
    const { tokens, values } = await this._similar(inputSequence, numSamples, similarity, temperature, controlArgs);
    if (values) return this._grooveSequences(this._engine, values, numSamples, null, DEFAULT_QPM);
    return this._toSequences(this._engine, tokens, numSamples, DEFAULT_STEPS_PER_QUARTER, DEFAULT_QPM);
  }

  /** {z: Float32Array[], tokens: Int32Array[]} of similar (same arguments): the z' and their decodes. */
  async similarTokens(inputSequence, numSamples, similarity, temperature, controlArgs) {
    const { z, tokens } = await this._similar(inputSequence, numSamples, similarity, temperature, controlArgs);
    return { z: latentRows(z, this.zDims, numSamples), tokens: splitRows(tokens, this._seqTokens, numSamples) };
  }

  async _similar(inputSequence, numSamples, similarity, temperature, controlArgs) {
    const args = checkControlArgs(controlArgs);
    if (typeof similarity !== 'number' || !(similarity >= 0 && similarity <= 1)) {
      throw new InvalidArgumentError('Similarity must be between 0 and 1.');
    }
    temperature = checkTemperature(temperature, 0);
    const engine = await this._ready();
    checkCount(numSamples, 'numSamples', this._limit);
    const z0 = isTensorLike(inputSequence) || isLatentLike(inputSequence)
      ? latentBatch(isTensorLike(inputSequence) ? inputSequence : [inputSequence], this.zDims, 1)
      : (await this.encode([inputSequence], args))[0];
    const controls = this._controls(engine, args);
    const zs = this.zDims, seqTokens = this._seqTokens;
    return engine.withMemory((alloc) => {
      const c = controls ? alloc(controls.length * 4) : 0;
      if (controls) engine.f32(c, controls.length).set(controls);
      const zPtr = alloc(zs * 4);
      engine.f32(zPtr, zs).set(z0);
      const zOut = alloc(numSamples * zs * 4);
      const tPtr = alloc(numSamples * seqTokens * 4);
      const seqValues = this._groove ? this._seqValues : 0;
      if (seqValues) checkBufferBytes(numSamples * seqValues * 4, `the GrooVAE values of ${numSamples} sequences`);
      const vPtr = seqValues ? alloc(numSamples * seqValues * 4) : 0;
      engine.withRng(args.seed,
        (rng) => this._check(seqValues
          ? engine.M._mvw_similar_values(this._model, zPtr, numSamples, similarity, temperature, rng, c, 0, zOut, vPtr, tPtr)
          : controls
            ? engine.M._mvw_similar_with(this._model, zPtr, numSamples, similarity, temperature, rng, c, 0, 0, zOut, tPtr)
            : engine.M._mvw_similar(this._model, zPtr, numSamples, similarity, temperature, rng, zOut, tPtr)),
        args.firstRow);
      const result = { z: engine.f32(zOut, numSamples * zs).slice(), tokens: engine.i32(tPtr, numSamples * seqTokens).slice() };
      if (seqValues) result.values = engine.f32(vPtr, numSamples * seqValues).slice();
      return result;
    });
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
    if (isTensorLike(inputs)) inputs = tensorRows(inputs, 'inputs');
    if (!Array.isArray(inputs)) throw new InvalidArgumentError('interpolate takes an array of 2 or 4 inputs');
    const engine = await this._ready();
    const method = interpolationMethod(engine, args);
    const { cols, rows } = interpolationShape(inputs.length, numInterps, this._limit);
    const corners = await this._latents(inputs, controlArgs);
    const zs = this.zDims;
    const count = cols * rows;
    return engine.withMemory((alloc) => {
      const c = alloc(inputs.length * zs * 4);
      engine.f32(c, inputs.length * zs).set(corners);
      const out = alloc(count * zs * 4);
      this._check(inputs.length === 2
        ? engine.M._mvae_interpolate(c, c + zs * 4, zs, cols, method, out)
        : engine.M._mvae_interpolate_grid(c, zs, cols, rows, method, out), 'interpolation');
      return latentRows(engine.f32(out, count * zs), zs, count);
    });
  }

  /**
   * The latent vector at (u, v) of the square of 4 corners (as interpolateLatents: A top-left,
   * B bottom-left, C top-right, D bottom-right; u left to right, v top to bottom, both in 0..1), or
   * at fraction u between 2 inputs: the left (A..B) and right (C..D) edges at v, then across at u,
   * each blend by the engine's mvae_interpolate (linear: the bilinear point; slerp: as the grid's
   * rows). u and v are taken to the nearest multiple of 1/256. controlArgs: {method}.
   */
  async latentAt(inputs, u, v = 0, controlArgs) {
    const args = checkControlArgs(controlArgs);
    if (isTensorLike(inputs)) inputs = tensorRows(inputs, 'inputs');
    if (!Array.isArray(inputs) || (inputs.length !== 2 && inputs.length !== 4)) {
      throw new InvalidArgumentError('latentAt takes an array of 2 or 4 inputs');
    }
    for (const [name, x] of [['u', u], ['v', v]]) {
      if (typeof x !== 'number' || !(x >= 0 && x <= 1)) throw new InvalidArgumentError(`${name} ${x} is not in 0..1`);
    }
    const engine = await this._ready();
    const method = interpolationMethod(engine, args);
    const corners = await this._latents(inputs, controlArgs);
    const zs = this.zDims;
    return engine.withMemory((alloc) => {
      const c = alloc(corners.length * 4);
      engine.f32(c, corners.length).set(corners);
      const ends = alloc(2 * zs * 4);
      const out = alloc(zs * 4);
      // The point k / PAD_STEPS of a..b is point p of mvae_interpolate's q + 1 (p / q in lowest terms).
      const scratch = alloc((PAD_STEPS + 1) * zs * 4);
      const blend = (a, b, t, to) => {
        const k = Math.round(t * PAD_STEPS), d = gcd(k, PAD_STEPS) || PAD_STEPS;
        const p = k / d, q = PAD_STEPS / d;
        this._check(engine.M._mvae_interpolate(a, b, zs, q + 1, method, scratch), 'interpolation');
        engine.M.HEAPU8.copyWithin(to, scratch + p * zs * 4, scratch + (p + 1) * zs * 4);
      };
      if (inputs.length === 2) {
        blend(c, c + zs * 4, u, out);
      } else {
        blend(c, c + zs * 4, v, ends);
        blend(c + 2 * zs * 4, c + 3 * zs * 4, v, ends + zs * 4);
        blend(ends, ends + zs * 4, u, out);
      }
      return engine.f32(out, zs).slice();
    });
  }

  /**
   * A chord progression as this chord-conditioned model hears it (our addition, for a page that
   * draws and plays the chords): {chords: [{symbol, noChord, root, pitchClasses}], stepChord:
   * Int32Array(numSteps), the index of the chord each step plays}. Checked exactly as decode() and
   * encode() check controlArgs.chordProgression (the engine's parser, magenta.js's rules): a bad
   * symbol is refused with the parser's message.
   */
  async chordProgressionInfo(chordProgression) {
    const engine = await this._ready();
    const { controlDepth = 0, chordEncoding = 0, numSteps } = this.info;
    if (!(controlDepth > 0 && chordEncoding > 0)) throw new UnsupportedError('Unexpected chord progression provided.');
    const chords = checkChordSymbols(chordProgression);
    return engine.withMemory((alloc) => {
      const { ptrs, table } = chordSymbolTable(engine, alloc, chords);
      // The whole progression first, as a decode takes it (its count, every symbol, the encoding).
      this._check(engine.M._mvw_chords_to_controls(this._model, table, ptrs.length, alloc(numSteps * controlDepth * 4)));
      const fields = alloc(16);
      const parsed = chords.map((symbol, i) => {
        this._check(engine.M._mvw_chord_parse(ptrs[i], fields, 0, 0), 'chord parse');
        const [noChord, root, mask] = engine.i32(fields, 4);
        const pitchClasses = [];
        for (let pc = 0; pc < 12; pc++) if ((mask >> pc) & 1) pitchClasses.push(pc);
        return { symbol, noChord: noChord === 1, root, pitchClasses };
      });
      // Spread over the steps by the engine's rule (mvae_chord_of_step).
      const stepChord = Int32Array.from({ length: numSteps }, (_, s) => engine.M._mvae_chord_of_step(s, chords.length, numSteps));
      return { chords: parsed, stepChord };
    });
  }

  /**
   * The chords of a quantized NoteSequence's accompaniment, one symbol per span (our addition:
   * magenta.js asks the user for them): ["C", "Am", "N.C.", ...], ceil(numSteps / spanSteps) of
   * them, by the rule this project labels its chord models' training data with (the engine's
   * mvae_chords_infer: duration-weighted pitch classes against the major and minor triads; drums
   * ignored; "N.C." where nothing sounds). options.numSteps: default the model's; spanSteps: default
   * half a bar (mvae_chord_span_steps), the span a chord model here is trained on, so that the result
   * is a progression decode() and encode() spread back one chord per span. Any model can infer;
   * notes start where they start (a negative quantizedStartStep sounds from step 0).
   */
  async inferChordProgression(sequence, { numSteps: steps, spanSteps: span } = {}) {
    const engine = await this._ready();
    const { M, C } = engine;
    const stepsPerBar = this.info.stepsPerBar || 4 * (this.info.stepsPerQuarter || 4);
    const numSteps = steps === undefined ? this.info.numSteps : steps;
    const spanSteps = span === undefined ? M._mvae_chord_span_steps(stepsPerBar) : span;
    // (At most 2^20 steps, 65,536 bars: the chords' buffer stays small whatever a caller passes.)
    for (const [name, v] of [['numSteps', numSteps], ['spanSteps', spanSteps]]) {
      if (!Number.isSafeInteger(v) || v < 1 || v > MAX_CHORD_STEPS) {
        throw new InvalidArgumentError(`${name} must be an integer in 1..${MAX_CHORD_STEPS}, got ${v}`);
      }
    }
    // Every note counts, whatever its step (the engine clips it to the spans): none left out.
    const records = sequenceToRecords(sequence, 0, MULTITRACK_ALL_STEPS, this.info.stepsPerQuarter || 4);
    const noteInts = C.MVW_NOTE_INTS, n = records.length / noteInts;
    const spans = Math.ceil(numSteps / spanSteps);
    return engine.withMemory((alloc) => {
      const notes = alloc(Math.max(1, records.length) * 4);
      engine.i32(notes, records.length).set(records);
      const out = alloc(16 * spans), err = alloc(256), symbol = alloc(8);
      const status = M._mvw_chords_infer(notes, n, numSteps, spanSteps, out, err, 256);
      if (status !== C.MVAE_OK) throw engine.error(status, M.UTF8ToString(err));
      return Array.from({ length: spans }, (_, s) => {
        this._check(M._mvw_chord_symbol(out + 16 * s, symbol, 8), 'chord symbol');
        return M.UTF8ToString(symbol);
      });
    });
  }

  // Latent vectors of inputs as one Float32Array [inputs.length * zDims]: latent vectors as given,
  // sequences encoded (together, in one batch).
  /**
   * magenta.js's controlArgs {chordProgression, key, extraControls} as the model's per-step controls
   * (Float32Array [numSteps][controlDepth], one for the whole batch), or null for a model without
   * them; refused as magenta.js refuses them (missing, unexpected, wrong depth). The chord columns
   * come from the engine (mvw_chords_to_controls: magenta.js's chord encoders and spreading), then
   * the key one-hot, then extraControls in the model's order (metadata controls.extra).
   */
  _controls(engine, args) {
    const { controlDepth = 0, chordEncoding = 0, controlKeyDepth = 0, controlExtra = '', numSteps } = this.info;
    const chords = args.chordProgression;
    const key = args.key === undefined ? null : args.key;
    const extra = args.extraControls || {};
    const hasChords = controlDepth > 0 && chordEncoding > 0;
    if (hasChords && !chords) throw new InvalidArgumentError('Chord progression expected but not provided.');
    if (!hasChords && chords) throw new UnsupportedError('Unexpected chord progression provided.');
    if (controlKeyDepth && key === null) throw new InvalidArgumentError('Key expected but not provided.');
    if (!controlKeyDepth && key !== null) throw new UnsupportedError('Unexpected key provided.');
    const specs = controlExtra ? controlExtra.split(',').map((e) => {
      const [name, depth] = e.split(':');
      return { name, depth: Number(depth) };
    }) : [];
    const extraRows = specs.map(({ name, depth }) => {
      if (!(name in extra)) throw new InvalidArgumentError(`Missing control signal: ${name}`);
      const rows = isTensorLike(extra[name]) ? tensorRows(extra[name], name) : extra[name];
      if (!Array.isArray(rows) || rows.length !== numSteps) {
        throw new InvalidArgumentError(`Control signal ${name} must have ${numSteps} steps`);
      }
      rows.forEach((r) => {
        if (!r || r.length !== depth) {
          throw new InvalidArgumentError(`Control signal ${name} has invalid depth: ${r && r.length} != ${depth}`);
        }
      });
      return rows;
    });
    if (!controlDepth) {
      if (Object.keys(extra).length) throw new UnsupportedError('this model takes no extra control signals');
      return null;
    }
    const values = new Float32Array(numSteps * controlDepth);
    let offset = 0;
    if (hasChords) {
      checkChordSymbols(chords);
      engine.withMemory((alloc) => {
        const { ptrs, table } = chordSymbolTable(engine, alloc, chords);
        const out = alloc(values.length * 4);
        this._check(engine.M._mvw_chords_to_controls(this._model, table, ptrs.length, out));
        values.set(engine.f32(out, values.length));
      });
      offset = engine.M._mvw_chord_encoding_depth(chordEncoding);
    }
    if (controlKeyDepth) {
      if (!Number.isInteger(key) || key < 0 || key >= controlKeyDepth) {
        throw new InvalidArgumentError(`key must be an integer 0..${controlKeyDepth - 1}, got ${key}`);
      }
      for (let t = 0; t < numSteps; t++) values[t * controlDepth + offset + key] = 1;
      offset += controlKeyDepth;
    }
    specs.forEach(({ depth }, k) => {
      for (let t = 0; t < numSteps; t++) {
        for (let d = 0; d < depth; d++) values[t * controlDepth + offset + d] = Number(extraRows[k][t][d]);
      }
      offset += depth;
    });
    return values;
  }

  async _latents(inputs, controlArgs) {
    const zs = this.zDims;
    const out = new Float32Array(inputs.length * zs);
    const toEncode = [];
    inputs.forEach((x, i) => {
      if (isLatentLike(x)) out.set(latentBatch([x], zs, 1, `inputs[${i}]`), i * zs);
      else toEncode.push(i);
    });
    if (toEncode.length) {
      const mu = await this.encode(toEncode.map((i) => inputs[i]), controlArgs);
      toEncode.forEach((i, k) => out.set(mu[k], i * zs));
    }
    if (this.disposed) throw new DisposedError();
    return out;
  }
}

/** Bytes of WebAssembly heap in use (for leak checks). */
export async function engineHeapUsed() {
  return (await loadEngine()).heapUsed();
}
