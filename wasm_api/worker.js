// The MusicVAE Web Worker (an ES module worker): runs the engine off the page's UI and audio
// threads. Use it through MusicVAEWorker (worker_client.mjs), which starts it with
//   new Worker(new URL('./worker.js', import.meta.url), {type: 'module'})
// (or a node:worker_threads Worker under Node). Protocol: the client posts
// {id, method, args}; the worker answers {id, result} or {id, error: {name, code, message}}, and
// {id, progress: [done, total]} during long batches. Float32Array / Int32Array results are
// transferred, not copied.
import { MusicVAE, engineInfo, engineHeapUsed } from './musicvae.mjs';
import { serializeError, InvalidArgumentError } from './errors.mjs';

let model = null;

function transferables(value, out = []) {
  if (ArrayBuffer.isView(value)) out.push(value.buffer);
  else if (Array.isArray(value)) value.forEach((v) => transferables(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => transferables(v, out));
  return out;
}

async function handle(method, args, progress) {
  if (method === 'init') {
    if (model) model.dispose();
    const [source, options] = args;
    model = new MusicVAE(source, options);
    await model.initialize();
    return { info: model.info, zDims: model.zDims };
  }
  if (method === 'engineInfo') return engineInfo();
  if (method === 'heapUsed') return engineHeapUsed();
  if (!model) throw new InvalidArgumentError('the worker has no model: call initialize() first');
  if (method === 'dispose') {
    model.dispose();
    return null;
  }
  // Progress callbacks cannot cross threads: the client asks for progress with a flag.
  const withProgress = (controlArgs) =>
    controlArgs && controlArgs.onProgress ? { ...controlArgs, onProgress: progress } : controlArgs;
  switch (method) {
    case 'encode': return model.encode(args[0], args[1]);
    case 'encodeWithSigma': return model.encodeWithSigma(args[0], args[1]);
    case 'decode': return model.decode(args[0], args[1], withProgress(args[2]), args[3], args[4]);
    case 'decodeTokens': return model.decodeTokens(args[0], withProgress(args[1]));
    case 'sample':
      return model.sample(args[0], args[1], typeof args[2] === 'object' ? withProgress(args[2]) : args[2], args[3], args[4]);
    case 'sampleTokens': return model.sampleTokens(args[0], args[1], args[2]);
    case 'sampleLatents': return model.sampleLatents(args[0], args[1]);
    case 'similar': return model.similar(args[0], args[1], args[2], args[3], args[4]);
    case 'interpolate': return model.interpolate(args[0], args[1], args[2], withProgress(args[3]));
    case 'interpolateLatents': return model.interpolateLatents(args[0], args[1], args[2]);
    default: throw new InvalidArgumentError(`unknown method ${method}`);
  }
}

function serve(post, listen) {
  let queue = Promise.resolve();
  listen((message) => {
    const { id, method, args } = message || {};
    // One call at a time, in order: the engine is single-threaded per model.
    queue = queue.then(async () => {
      try {
        const result = await handle(method, args || [], (done, total) => post({ id, progress: [done, total] }));
        post({ id, result }, transferables(result));
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
