// Types of musicvae-wasm/mm (wasm_api/mm.mjs), the @magenta/music-shaped namespace.
import type { NoteSequence } from './index.js';
export { MusicVAE, LatentTensor, MidiMe } from './index.js';

export const sequences: {
  quantizeNoteSequence(ns: NoteSequence, stepsPerQuarter?: number): NoteSequence;
  unquantizeSequence(qns: NoteSequence, qpm?: number): NoteSequence;
  isQuantizedSequence(ns: NoteSequence): boolean;
  isRelativeQuantizedSequence(ns: NoteSequence): boolean;
  isAbsoluteQuantizedSequence(ns: NoteSequence): boolean;
  assertIsQuantizedSequence(ns: NoteSequence): void;
  assertIsRelativeQuantizedSequence(ns: NoteSequence): void;
  assertIsAbsoluteQuantizedSequence(ns: NoteSequence): void;
  createQuantizedNoteSequence(stepsPerQuarter?: number, qpm?: number): NoteSequence;
  clone(ns: NoteSequence): NoteSequence;
  concatenate(sequences: NoteSequence[], sequenceDurations?: number[]): NoteSequence;
  trim(ns: NoteSequence, start: number, end: number, truncateEndNotes?: boolean): NoteSequence;
  mergeConsecutiveNotes(ns: NoteSequence): NoteSequence;
  mergeInstruments(ns: NoteSequence): NoteSequence;
};

export const constants: {
  readonly DEFAULT_QUARTERS_PER_MINUTE: number;
  readonly DEFAULT_STEPS_PER_QUARTER: number;
  readonly DEFAULT_STEPS_PER_BAR: number;
  readonly DEFAULT_VELOCITY: number;
  readonly DRUM_PITCH_CLASSES: undefined;
};

export function midiToSequenceProto(midi: ArrayBuffer | ArrayBufferView | string): NoteSequence;
export function sequenceProtoToMidi(ns: NoteSequence): Uint8Array;
export function blobToNoteSequence(blob: Blob): Promise<NoteSequence>;
export function urlToNoteSequence(url: string): Promise<NoteSequence>;

export interface PlayerCallback {
  run(note: NoteSequence['notes'][number]): void;
  stop(): void;
}

/** magenta.js's Player on the built-in WebAudio synth; under Node start() resolves at once, silent. */
export class Player {
  constructor(loop?: boolean, callbackObject?: PlayerCallback);
  loop: boolean;
  start(seq: NoteSequence, qpm?: number, offset?: number): Promise<void>;
  stop(): void;
  isPlaying(): boolean;
  getPlayState(): 'started' | 'stopped';
}

/** magenta.js's MIDIPlayer on Web MIDI. */
export class MIDIPlayer extends Player {
  outputs: unknown[];
  output: unknown;
  requestMIDIAccess(): Promise<unknown[]>;
}
