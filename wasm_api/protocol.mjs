// The Worker protocol, in one place for both ends (worker.js and worker_client.mjs): which MusicVAE
// methods a MusicVAEWorker forwards, where each takes the object whose onProgress callback the
// Worker drives, and which MIDI functions the Worker runs (off the page's main thread).
//
// Messages: the client posts {id, method, args}; the Worker answers {id, result} or
// {id, error: {name, code, message}}, and {id, progress: [done, total]} during long batches.

/** MusicVAE method -> index of its controlArgs / options argument (onProgress), or -1. */
export const MODEL_METHODS = Object.freeze({
  encode: -1,
  encodeWithSigma: -1,
  decode: 2,
  decodeTokens: 1,
  tokensToSequences: -1,
  sample: 2,
  sampleTokens: 2,
  sampleLatents: -1,
  similar: -1,
  similarTokens: -1,
  interpolate: 3,
  interpolateLatents: -1,
  latentAt: -1,
  chordProgressionInfo: -1,
  inferChordProgression: -1,
});

/** The MIDI module's functions the Worker may run for a page (request 'midi'). */
export const MIDI_FUNCTIONS = Object.freeze(['midiToSequence', 'midiToQuantizedSequence', 'midiToModelInput']);

/**
 * What a MusicVAEWorker's midime(op, ...args) runs on the Worker's MidiMe (midime.mjs), one per
 * Worker, over the model's latent space: 'train' [latents, config, {onProgress}] makes a new one
 * (input_size = the model's zDims) and trains it, progress [epoch, epochs, loss]; 'sample' [n];
 * 'encode' [latents]; 'decode' [z]; 'dispose' []. op -> index of its onProgress argument, or -1.
 */
export const MIDIME_OPS = Object.freeze({ train: 2, sample: -1, encode: -1, decode: -1, dispose: -1 });

export function isModelMethod(method) {
  return typeof method === 'string' && Object.hasOwn(MODEL_METHODS, method);
}

/**
 * args with the onProgress of args[index] (when it is a function, or the flag `true` that stands
 * for one across threads) replaced by `replacement`; and the onProgress found. Other args as given.
 */
export function swapProgress(args, index, replacement) {
  const options = index >= 0 ? args[index] : null;
  if (!options || typeof options !== 'object' || !options.onProgress) return { args, onProgress: null };
  const swapped = [...args];
  swapped[index] = { ...options, onProgress: replacement };
  return { args: swapped, onProgress: options.onProgress };
}

/** The ArrayBuffers under a result (typed arrays, nested in arrays and objects), to transfer. */
export function transferables(value, out = []) {
  if (ArrayBuffer.isView(value)) out.push(value.buffer);
  else if (Array.isArray(value)) value.forEach((v) => transferables(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => transferables(v, out));
  return out;
}
