// musicvae-wasm: MusicVAE on WebAssembly SIMD with magenta.js's API. See wasm_api/README.md.
export {
  MusicVAE, loadEngine, engineInfo, engineHeapUsed, MAX_INPUT_NOTES, MAX_BUFFER_BYTES, MAX_MODEL_BYTES,
} from './musicvae.mjs';
export { MidiMe } from './midime.mjs';
export { MusicVAEWorker } from './worker_client.mjs';
export { quantizeNoteSequence, isQuantizedSequence } from './sequences.mjs';
export { LatentTensor } from './tensor.mjs';
// The @magenta/music-shaped namespace (also its own entry point, 'musicvae-wasm/mm').
export * as mm from './mm.mjs';
export * from './errors.mjs';
