// Types of musicvae-wasm (wasm_api/index.mjs). tests/js/types.test.mjs checks that every value
// declared here is exported and every export is declared.

/** A note of a NoteSequence, as magenta.js's INoteSequence.INote (int64 fields may be strings). */
export interface Note {
  pitch?: number;
  velocity?: number;
  instrument?: number;
  program?: number;
  isDrum?: boolean;
  startTime?: number;
  endTime?: number;
  quantizedStartStep?: number | string;
  quantizedEndStep?: number | string;
}

/** A NoteSequence as a plain object of magenta.js's shape (or protobuf's JSON of one). */
export interface NoteSequence {
  notes: Note[];
  quantizationInfo?: { stepsPerQuarter?: number; stepsPerSecond?: number };
  totalQuantizedSteps?: number | string;
  totalTime?: number;
  tempos?: { time?: number; qpm: number }[];
  timeSignatures?: { time?: number; numerator: number; denominator: number }[];
  ticksPerQuarter?: number;
  [field: string]: unknown;
}

/** Anything with a 2-D tensor's surface: a LatentTensor, a tf.Tensor2D. */
export interface TensorLike {
  shape: number[];
  dataSync?(): ArrayLike<number>;
  arraySync?(): unknown;
}

/** Latent vectors as every call takes them. */
export type Latents = LatentTensor | TensorLike | ArrayLike<number>[] | number[][] | Float32Array;

/** A batch of latent vectors with tf.Tensor2D's surface, and an array of Float32Array rows. */
export class LatentTensor extends Array<Float32Array> {
  static fromRows(rows: Float32Array[], cols?: number): LatentTensor;
  readonly shape: [number, number];
  readonly dtype: 'float32';
  readonly rank: 2;
  readonly size: number;
  readonly isDisposed: boolean;
  dataSync(): Float32Array;
  data(): Promise<Float32Array>;
  arraySync(): number[][];
  array(): Promise<number[][]>;
  dispose(): void;
  clone(): LatentTensor;
  print(): void;
}

export interface ModelInfo {
  zSize: number;
  numSteps: number;
  numSegments: number;
  stepsPerQuarter: number;
  stepsPerBar: number;
  hierarchical: boolean;
  hasEncoder: boolean;
  hasSigma: boolean;
  inputDepth: number;
  numTracks: number;
  outputDepths: number[];
  converter: string;
  minPitch: number;
  maxPitch: number;
  drumsRollInput: boolean;
  quantized: boolean;
  weightBytes: number;
  name: string;
  kernels: string;
  activations: string;
  maxNotes: number;
  /** Steps of a decoded NoteSequence: numSteps, except for 'multitrack' (numSteps counts events). */
  totalSteps: number;
  /** 'multitrack': velocity bins of its events (0: none); 0 otherwise. */
  velocityBins: number;
  /** Drums and trio: 0 encodes drum notes as magenta.js does (its checkpoints), 1 as Magenta trains (models trained here). */
  drumEncoding: number;
  /** GrooVAE (converter 'groove'): its encoding options, magenta.js's GrooveConverter args. */
  grooveHumanize?: boolean;
  grooveTapify?: boolean;
  drumMap: { classNames: readonly string[]; classPitches: readonly number[]; classOfPitch: readonly number[] };
}

export interface EngineOptions {
  /** The single-thread build's .wasm (either implies that build). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  wasmUrl?: string | URL;
  /**
   * Threads (1..64; default: the CPU's, at most 4). For the engine (the first load): more than 1 runs
   * the pthreads build where it can (Node; a cross-origin isolated page or Worker) with that many;
   * for a model: how many of the engine's its calls use (the results are the same for any count).
   */
  threads?: number;
}

/** Which engine runs: its kernel sets, the build ('threads': pthreads; 'single') and its threads. */
export interface EngineInfo {
  kernels: string;
  activations: string;
  build: 'threads' | 'single';
  threads: number;
}

export interface ModelOptions extends EngineOptions {
  /** Download progress of a checkpoint's weights, in bytes. */
  onProgress?: (loaded: number, total: number) => void;
  /** Keep a checkpoint's files in the Cache API (default true where there is one), or a cache name. */
  cache?: boolean | string;
  /** 'q8': convert a checkpoint with int8 kernels. */
  quantize?: 'q8';
}

export interface ControlArgs {
  seed?: number | bigint | string;
  onProgress?: (done: number, total: number) => void;
  method?: 'linear' | 'slerp';
  refine?: boolean | { steps?: number; learningRate?: number; timeBudgetMs?: number; priorWeight?: number };
  chordProgression?: string[];
  key?: number;
  extraControls?: Record<string, unknown>;
}

export type ModelSource = string | URL | ArrayBuffer | ArrayBufferView | null | undefined;

export class MusicVAE {
  constructor(checkpointURL?: ModelSource, options?: ModelOptions | object);
  readonly source: ModelSource;
  zDims: number | undefined;
  info: ModelInfo | undefined;
  /** The threads a call runs on, once initialized (1 in the single-thread build). */
  threads: number | undefined;
  initialized: boolean;
  disposed: boolean;
  initialize(): Promise<void>;
  isInitialized(): boolean;
  dispose(): void;
  encode(inputSequences: NoteSequence[], controlArgs?: ControlArgs): Promise<LatentTensor>;
  encodeWithSigma(inputSequences: NoteSequence[], controlArgs?: ControlArgs): Promise<{ mu: LatentTensor; sigma: LatentTensor }>;
  decode(z: Latents, temperature?: number, controlArgs?: ControlArgs, stepsPerQuarter?: number, qpm?: number): Promise<NoteSequence[]>;
  decodeTokens(z: Latents, options?: ControlArgs & { temperature?: number; teacher?: ArrayLike<number>[]; logits?: boolean }):
    Promise<{ tokens: Int32Array[]; logits?: Float32Array[]; values?: Float32Array[] }>;
  tokensToSequences(tokens: ArrayLike<number>[], stepsPerQuarter?: number, qpm?: number): Promise<NoteSequence[]>;
  sample(numSamples: number, temperature?: number, controlArgs?: ControlArgs | number | bigint | string,
    stepsPerQuarter?: number, qpm?: number): Promise<NoteSequence[]>;
  sampleTokens(numSamples: number, temperature?: number, controlArgs?: ControlArgs | number | bigint | string):
    Promise<{ z: LatentTensor; tokens: Int32Array[]; values?: Float32Array[] }>;
  sampleLatents(numSamples: number, seed?: number | bigint | string): Promise<LatentTensor>;
  similar(inputSequence: NoteSequence | Latents, numSamples: number, similarity: number, temperature?: number,
    controlArgs?: ControlArgs): Promise<NoteSequence[]>;
  similarTokens(inputSequence: NoteSequence | Latents, numSamples: number, similarity: number, temperature?: number,
    controlArgs?: ControlArgs): Promise<{ z: LatentTensor; tokens: Int32Array[] }>;
  interpolate(inputSequences: (NoteSequence | ArrayLike<number>)[] | TensorLike, numInterps: number | number[],
    temperature?: number, controlArgs?: ControlArgs): Promise<NoteSequence[]>;
  interpolateLatents(inputs: (NoteSequence | ArrayLike<number>)[] | TensorLike, numInterps: number | number[],
    controlArgs?: ControlArgs): Promise<LatentTensor>;
  latentAt(inputs: (NoteSequence | ArrayLike<number>)[] | TensorLike, u: number, v?: number, controlArgs?: ControlArgs):
    Promise<Float32Array>;
  /** A chord-conditioned model's progression as it plays it (the engine's parser; a bad symbol is refused). */
  chordProgressionInfo(chordProgression: string[]): Promise<{
    chords: { symbol: string; noChord: boolean; root: number; pitchClasses: number[] }[]; stepChord: Int32Array }>;
  /** The chords of a quantized sequence's accompaniment, one symbol per span (default half a bar over the model's steps). */
  inferChordProgression(sequence: NoteSequence, options?: { numSteps?: number; spanSteps?: number }): Promise<string[]>;
}

/** MusicVAE's methods, with the engine in a Worker. */
/** magenta.js's MidiMeConfig, plus batchSize, learningRate and seed (wasm_api/midime.mjs). */
export interface MidiMeConfig {
  input_size?: number;
  latent_size?: number;
  encoder_layers?: number[];
  decoder_layers?: number[];
  beta?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number | bigint | string;
}

/** magenta.js's MidiMe: a small VAE over a model's latent space, trained by the engine. */
export class MidiMe {
  constructor(config?: MidiMeConfig, options?: EngineOptions);
  config: Required<Omit<MidiMeConfig, 'batchSize' | 'seed'>> & Pick<MidiMeConfig, 'batchSize' | 'seed'>;
  initialized: boolean;
  trained: boolean;
  initialize(): Promise<void>;
  dispose(): void;
  train(xTrain: Latents, callback?: (epoch: number, loss: { total: number; losses: [number, number] }) => void,
    options?: { noise?: Float32Array[] }): Promise<void>;
  sample(numSamples?: number): Promise<LatentTensor>;
  encode(z: Latents): Promise<LatentTensor>;
  decode(z: Latents): Promise<LatentTensor>;
  predict(z: Latents): Promise<LatentTensor>;
  getWeights(): Promise<Float32Array>;
  setWeights(weights: Float32Array): Promise<void>;
}

export class MusicVAEWorker extends MusicVAE {
  /** MidiMe in the worker over this model's latent space: 'train' | 'sample' | 'encode' | 'decode' | 'dispose'. */
  midime(op: 'train', latents: Latents, config?: MidiMeConfig,
    options?: { onProgress?: (epoch: number, epochs: number, loss: { total: number; losses: [number, number] }) => void }): Promise<{ epochs: number }>;
  midime(op: 'sample', n: number): Promise<LatentTensor>;
  midime(op: 'encode' | 'decode', z: Latents): Promise<LatentTensor>;
  midime(op: 'dispose'): Promise<null>;
  constructor(checkpointURL?: ModelSource, options?: ModelOptions & { worker?: unknown; workerUrl?: string | URL; midiModule?: string | URL });
  midi(name: string, ...args: unknown[]): Promise<unknown>;
  engineInfo(): Promise<EngineInfo>;
  heapUsed(): Promise<number>;
}

export function loadEngine(options?: EngineOptions): Promise<unknown>;
export function engineInfo(options?: EngineOptions): Promise<EngineInfo>;
export function engineHeapUsed(): Promise<number>;
export const MAX_INPUT_NOTES: number;
export const MAX_BUFFER_BYTES: number;
export const MAX_MODEL_BYTES: number;
export function quantizeNoteSequence(ns: NoteSequence, stepsPerQuarter?: number): NoteSequence;
export function isQuantizedSequence(ns: NoteSequence): boolean;

export class MusicVAEError extends Error {
  constructor(message: string, code?: string);
  code: string;
}
export class InvalidArgumentError extends MusicVAEError { constructor(message: string); }
export class BadModelError extends MusicVAEError { constructor(message: string); }
export class ConvertError extends BadModelError {}
export class UnsupportedError extends MusicVAEError { constructor(message: string); }
export class NoEncoderError extends MusicVAEError { constructor(message: string); }
export class BadInputError extends MusicVAEError { constructor(message: string); }
export class OutOfMemoryError extends MusicVAEError { constructor(message: string); }
export class DisposedError extends MusicVAEError { constructor(message?: string); }
export class EngineError extends MusicVAEError { constructor(message: string); }
export function errorForCode(code: string, message?: string): MusicVAEError;
export function serializeError(e: unknown): { name?: string; code?: string; message: string };
export function deserializeError(data: { code?: string; message: string }): MusicVAEError;

export * as mm from './mm.js';
