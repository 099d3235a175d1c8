// MusicVAEWorker: the MusicVAE API with the engine in a Worker (worker.js), so that a page never
// blocks its UI or audio thread. Every method returns a promise, as MusicVAE's do; arguments and
// results are the same (latent vectors are transferred, not copied, back to the caller).
//
//   const mvae = new MusicVAEWorker('models/mel_2bar_small.q8.mvae');
//   await mvae.initialize();
//   const [melody] = await mvae.sample(1, 0.5);
//   mvae.dispose();            // ends the worker
//
// In browsers the worker is started as a module worker from worker.js beside this file; under Node
// as a node:worker_threads Worker. Pass {worker} to use one you started yourself.
import { DisposedError, EngineError, deserializeError } from './errors.mjs';
import { MIDIME_OPS, MODEL_METHODS, swapProgress } from './protocol.mjs';
import { LatentTensor } from './tensor.mjs';

const isNode = typeof process === 'object' && !!(process.versions && process.versions.node);

function resolveSource(source) {
  // A relative URL is relative to the page, not to the worker script.
  if (typeof source === 'string' && !isNode && typeof location !== 'undefined' && !/^[a-z]+:/i.test(source)) {
    return new URL(source, location.href).href;
  }
  return source instanceof URL ? source.href : source;
}

export class MusicVAEWorker {
  /**
   * @param modelUrlOrBytes as for MusicVAE (URL or path of an .mvae file, or its bytes; none = the
   *   bundled default model)
   * @param options {worker: a started Worker to use, workerUrl: where worker.js is, wasmUrl,
   *   midiModule: URL of the MIDI module midi() runs (default wasm_api/midi.mjs), threads (as for
   *   MusicVAE: the engine's threads in the Worker; `threads` says how many calls use), ...}
   */
  constructor(modelUrlOrBytes, options = {}) {
    this.source = resolveSource(modelUrlOrBytes);
    this.options = options;
    this.zDims = undefined;
    this.info = undefined;
    this.initialized = false;
    this.disposed = false;
    this._worker = null;
    this._nextId = 1;
    this._pending = new Map();
    this._initPromise = null;
  }

  async _start() {
    if (this._worker) return;
    const url = this.options.workerUrl || new URL('./worker.js', import.meta.url);
    let worker = this.options.worker;
    if (!worker) {
      if (typeof Worker === 'function' && !isNode) {
        worker = new Worker(url, { type: 'module' });
      } else if (isNode) {
        const { Worker: NodeWorker } = await import(/* webpackIgnore: true */ 'node:worker_threads');
        worker = new NodeWorker(url);
      } else {
        throw new EngineError('no Worker support here');
      }
    }
    this._worker = worker;
    const onMessage = (data) => this._onMessage(data);
    const onError = (e) => this._failAll(new EngineError(`the MusicVAE worker failed: ${e && e.message ? e.message : e}`));
    if (typeof worker.on === 'function') {
      worker.on('message', onMessage);
      worker.on('error', onError);
      // Do not keep a Node process alive for an idle worker.
      if (typeof worker.unref === 'function') worker.unref();
    } else {
      worker.addEventListener('message', (event) => onMessage(event.data));
      worker.addEventListener('error', onError);
    }
  }

  _onMessage({ id, result, error, progress }) {
    const call = this._pending.get(id);
    if (!call) return;
    if (progress) {
      if (call.onProgress) call.onProgress(...progress);
      return;
    }
    this._pending.delete(id);
    if (this._pending.size === 0 && this._worker && typeof this._worker.unref === 'function') this._worker.unref();
    if (error) call.reject(deserializeError(error));
    else call.resolve(result);
  }

  _failAll(error) {
    for (const call of this._pending.values()) call.reject(error);
    this._pending.clear();
  }

  // Posts a call; a function onProgress in controlArgs stays here and is driven by the worker.
  _call(method, args, onProgress) {
    return new Promise((resolve, reject) => {
      const id = this._nextId++;
      this._pending.set(id, { resolve, reject, onProgress });
      if (typeof this._worker.ref === 'function') this._worker.ref();
      try {
        this._worker.postMessage({ id, method, args });
      } catch (e) {
        this._pending.delete(id);
        reject(e);
      }
    });
  }

  async _invoke(method, args) {
    if (this.disposed) throw new DisposedError();
    if (!this.initialized) await this.initialize();
    const { args: sent, onProgress } = swapProgress(args, MODEL_METHODS[method] ?? -1, true);
    return this._call(method, sent, typeof onProgress === 'function' ? onProgress : null);
  }

  async initialize() {
    if (this.disposed) throw new DisposedError();
    if (!this._initPromise) {
      this._initPromise = (async () => {
        await this._start();
        const { wasmUrl, wasmBinary, midiModule, onProgress, cache, quantize, threads } = this.options;
        // A checkpoint's download progress: the worker posts it, onProgress stays on this thread.
        const progress = typeof onProgress === 'function' ? onProgress : null;
        const { info, zDims, threads: modelThreads } = await this._call('init', [this.source, {
          wasmUrl: wasmUrl && String(wasmUrl), wasmBinary, midiModule: midiModule && String(midiModule),
          cache, quantize, threads, onProgress: progress ? true : undefined,
        }], progress);
        this.info = info;
        this.zDims = zDims;
        this.threads = modelThreads;
        this.initialized = true;
      })().catch((e) => {
        this._initPromise = null;
        throw e;
      });
    }
    return this._initPromise;
  }

  isInitialized() {
    return this.initialized;
  }

  /** Frees the model and ends the worker; later calls throw DisposedError. */
  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    this.initialized = false;
    this._failAll(new DisposedError());
    if (this._worker) this._worker.terminate();
    this._worker = null;
  }

  /**
   * Runs a function of the MIDI module in the worker, off this thread: midi('midiToQuantizedSequence',
   * bytes, stepsPerQuarter), midi('midiToSequence', bytes), ... (protocol.mjs lists them).
   */
  midi(name, ...args) {
    return this._invoke('midi', [name, ...args]);
  }
  /**
   * MidiMe (midime.mjs) in the worker, over this model's latent space: midime('train', latents,
   * config, {onProgress(epoch, epochs, {total, losses})}) makes and trains a new one (magenta.js's
   * MidiMe config; input_size is the model's zDims), then midime('sample', n), midime('encode',
   * latents), midime('decode', z) give LatentTensors, midime('dispose') frees it.
   */
  async midime(op, ...args) {
    if (this.disposed) throw new DisposedError();
    if (!this.initialized) await this.initialize();
    const { args: sent, onProgress } = swapProgress([op, ...args], (MIDIME_OPS[op] ?? -2) + 1, true);
    const result = await this._call('midime', sent, typeof onProgress === 'function' ? onProgress : null);
    return Array.isArray(result) ? LatentTensor.fromRows(result) : result;
  }
  /** {kernels, activations} of the engine in the worker. */
  engineInfo() { return this._invoke('engineInfo', []); }
  /** Bytes of the worker's WebAssembly heap in use. */
  heapUsed() { return this._invoke('heapUsed', []); }
}

// Latent vectors cross the thread as arrays of Float32Array; callers get them as MusicVAE returns
// them, LatentTensors: method -> the fields of its result that hold them ('' = the result itself).
const LATENT_RESULTS = {
  encode: [''], encodeWithSigma: ['mu', 'sigma'], sampleLatents: [''], interpolateLatents: [''],
  sampleTokens: ['z'], similarTokens: ['z'],
};
function latentResult(method, result) {
  for (const field of LATENT_RESULTS[method] || []) {
    if (field === '') return LatentTensor.fromRows(result);
    if (result && Array.isArray(result[field])) result[field] = LatentTensor.fromRows(result[field]);
  }
  return result;
}

// The MusicVAE methods, forwarded to the worker: the same arguments and results as MusicVAE's.
for (const method of Object.keys(MODEL_METHODS)) {
  Object.defineProperty(MusicVAEWorker.prototype, method, {
    value: async function forward(...args) { return latentResult(method, await this._invoke(method, args)); },
    writable: true,
    configurable: true,
  });
}
