// The MusicVAE Web Worker (an ES module worker): runs the engine off the page's UI and audio
// threads. Use it through MusicVAEWorker (worker_client.mjs), which starts it with
//   new Worker(new URL('./worker.js', import.meta.url), {type: 'module'})
// (or a node:worker_threads Worker under Node). The protocol and the methods it forwards are in
// protocol.mjs; Float32Array / Int32Array results are transferred, not copied.
import { MusicVAE, engineInfo, engineHeapUsed } from './musicvae.mjs';
import { serializeError, InvalidArgumentError } from './errors.mjs';
import { MidiMe } from './midime.mjs';
import { MIDIME_OPS, MIDI_FUNCTIONS, MODEL_METHODS, isModelMethod, swapProgress, transferables } from './protocol.mjs';

let model = null;
let midime = null; // the page's MidiMe over this model's latent space (runMidiMe)
let midiModuleUrl = new URL('./midi.mjs', import.meta.url).href;

// The MIDI module (wasm_api/midi.mjs, or the page's own, named at init): loaded on first use.
async function runMidi(name, args) {
  if (!MIDI_FUNCTIONS.includes(name)) throw new InvalidArgumentError(`unknown MIDI function ${name}`);
  const midi = await import(midiModuleUrl);
  if (typeof midi[name] !== 'function') throw new InvalidArgumentError(`the MIDI module has no ${name}`);
  return midi[name](...args);
}

// MidiMe's operations (protocol.mjs, MIDIME_OPS): 'train' starts a new one.
async function runMidiMe(op, args, progress) {
  if (!Object.hasOwn(MIDIME_OPS, op)) throw new InvalidArgumentError(`unknown MidiMe operation ${op}`);
  if (op === 'dispose') {
    if (midime) midime.dispose();
    midime = null;
    return null;
  }
  if (op === 'train') {
    const [latents, config = {}, options = {}] = args;
    if (midime) midime.dispose();
    midime = new MidiMe({ ...config, input_size: model.zDims });
    await midime.initialize();
    const epochs = midime.config.epochs;
    await midime.train(latents, options.onProgress ? (epoch, loss) => progress(epoch + 1, epochs, loss) : undefined);
    return { epochs };
  }
  if (!midime || !midime.trained) throw new InvalidArgumentError('MidiMe has not been trained: call midime("train", ...) first');
  return midime[op](...args);
}

async function handle(method, args, progress) {
  if (method === 'init') {
    if (model) model.dispose();
    if (midime) midime.dispose(); // it was over the old model's latent space
    midime = null;
    const [source, options = {}] = args;
    if (options.midiModule) {
      const url = new URL(options.midiModule, import.meta.url);
      if (url.origin !== new URL(import.meta.url).origin && !/^(file|blob):/.test(url.protocol)) {
        throw new InvalidArgumentError(`the MIDI module must come from this worker's origin: ${url.href}`);
      }
      midiModuleUrl = url.href;
    }
    model = new MusicVAE(source, { ...options, onProgress: options.onProgress ? progress : undefined });
    await model.initialize();
    return { info: model.info, zDims: model.zDims, threads: model.threads };
  }
  if (method === 'engineInfo') return engineInfo();
  if (method === 'heapUsed') return engineHeapUsed();
  if (method === 'midi') return runMidi(args[0], args.slice(1));
  if (!isModelMethod(method) && method !== 'dispose' && method !== 'midime') throw new InvalidArgumentError(`unknown method ${method}`);
  if (!model) throw new InvalidArgumentError('the worker has no model: call initialize() first');
  if (method === 'midime') return runMidiMe(args[0], args.slice(1), progress);
  if (method === 'dispose') {
    if (midime) midime.dispose();
    midime = null;
    model.dispose();
    return null;
  }
  // Progress callbacks cannot cross threads: the client sends a flag, the worker posts progress.
  return model[method](...swapProgress(args, MODEL_METHODS[method], progress).args);
}

function serve(post, listen) {
  let queue = Promise.resolve();
  listen((message) => {
    const { id, method, args } = message || {};
    // One call at a time, in order: the engine is single-threaded per model.
    queue = queue.then(async () => {
      try {
        const result = await handle(method, Array.isArray(args) ? args : [],
          (done, total, detail) => post({ id, progress: detail === undefined ? [done, total] : [done, total, detail] }));
        post({ id, result }, [...new Set(transferables(result))]);
      } catch (e) {
        post({ id, error: serializeError(e) });
      }
    });
  });
}

if (typeof self !== 'undefined' && typeof self.postMessage === 'function' && typeof self.addEventListener === 'function') {
  serve((msg, transfer) => self.postMessage(msg, transfer || []),
    (fn) => self.addEventListener('message', (event) => fn(event.data)));
} else {
  const { parentPort } = await import(/* webpackIgnore: true */ 'node:worker_threads');
  if (parentPort) {
    serve((msg, transfer) => parentPort.postMessage(msg, transfer || []), (fn) => parentPort.on('message', fn));
  }
}
