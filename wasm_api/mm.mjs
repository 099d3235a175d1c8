// An @magenta/music-shaped namespace for what MusicVAE users call beside MusicVAE:
//   import * as mm from "musicvae-wasm/mm";   // in place of: import * as mm from "@magenta/music";
// MusicVAE, sequences (magenta.js's helpers on plain NoteSequence objects), midiToSequenceProto,
// sequenceProtoToMidi, blobToNoteSequence, urlToNoteSequence (wasm_api/midi.mjs: magenta.js's MIDI
// rules), Player (the explorer's built-in WebAudio synth; nothing is fetched) and MIDIPlayer (Web
// MIDI). Under Node (no WebAudio, no Web MIDI) Player.start resolves at once without sound, calling
// the callback object as it would; MIDIPlayer.requestMIDIAccess rejects.
import { MusicVAE, loadEngine } from './musicvae.mjs';
import { midiToSequence, sequencesToMidi } from './midi.mjs';
import * as sequenceHelpers from './sequences.mjs';
import { InvalidArgumentError, UnsupportedError } from './errors.mjs';
import { LatentTensor } from './tensor.mjs';

export { MusicVAE, LatentTensor };
// magenta.js's MidiMe (wasm_api/midime.mjs), trained by the engine.
export { MidiMe } from './midime.mjs';

/** magenta.js's `mm.sequences`: the helpers MusicVAE demos use. */
export const sequences = Object.freeze({
  quantizeNoteSequence: sequenceHelpers.quantizeNoteSequence,
  unquantizeSequence: sequenceHelpers.unquantizeSequence,
  isQuantizedSequence: sequenceHelpers.isQuantizedSequence,
  isRelativeQuantizedSequence: sequenceHelpers.isRelativeQuantizedSequence,
  isAbsoluteQuantizedSequence: sequenceHelpers.isAbsoluteQuantizedSequence,
  assertIsQuantizedSequence: sequenceHelpers.assertIsQuantizedSequence,
  assertIsRelativeQuantizedSequence: sequenceHelpers.assertIsRelativeQuantizedSequence,
  assertIsAbsoluteQuantizedSequence: sequenceHelpers.assertIsAbsoluteQuantizedSequence,
  createQuantizedNoteSequence: sequenceHelpers.createQuantizedNoteSequence,
  clone: sequenceHelpers.clone,
  concatenate: sequenceHelpers.concatenate,
  trim: sequenceHelpers.trim,
  mergeConsecutiveNotes: sequenceHelpers.mergeConsecutiveNotes,
  mergeInstruments: sequenceHelpers.mergeInstruments,
});

export const constants = Object.freeze({
  DEFAULT_QUARTERS_PER_MINUTE: sequenceHelpers.DEFAULT_QPM,
  DEFAULT_STEPS_PER_QUARTER: sequenceHelpers.DEFAULT_STEPS_PER_QUARTER,
  DEFAULT_STEPS_PER_BAR: 16,
  DEFAULT_VELOCITY: 80,
  DRUM_PITCH_CLASSES: undefined, // the drum map is the engine's: MusicVAE.info.drumMap
});

function midiBytes(midi) {
  if (typeof midi === 'string') return Uint8Array.from(midi, (c) => c.charCodeAt(0) & 0xff); // a binary string
  if (midi instanceof Uint8Array) return midi;
  if (midi instanceof ArrayBuffer) return new Uint8Array(midi);
  if (ArrayBuffer.isView(midi)) return new Uint8Array(midi.buffer, midi.byteOffset, midi.byteLength);
  throw new InvalidArgumentError('MIDI data must be an ArrayBuffer, a typed array or a binary string');
}

/** An unquantized NoteSequence from a Standard MIDI File (bytes or a binary string). */
export function midiToSequenceProto(midi) {
  return midiToSequence(midiBytes(midi));
}

/** The MIDI file bytes (Uint8Array) of one NoteSequence, quantized or not, as magenta.js writes them. */
export function sequenceProtoToMidi(ns) {
  return sequencesToMidi([ns]);
}

/** A NoteSequence from a MIDI Blob or File (e.g. from an <input type="file">). */
export async function blobToNoteSequence(blob) {
  if (!blob || typeof blob.arrayBuffer !== 'function') throw new InvalidArgumentError('blobToNoteSequence takes a Blob');
  return midiToSequenceProto(await blob.arrayBuffer());
}

/** A NoteSequence from the MIDI file at a URL. */
export async function urlToNoteSequence(url) {
  const response = await fetch(url);
  if (!response.ok) throw new InvalidArgumentError(`cannot fetch ${url}: HTTP ${response.status}`);
  return midiToSequenceProto(await response.arrayBuffer());
}

// ---- players -------------------------------------------------------------------------------------

// A module of the explorer (web/src/NAME), beside this one in the repository (../web/src) or in the
// built site (../src); loaded only to play.
async function importWebModule(name) {
  let last;
  for (const dir of ['../web/src/', '../src/']) {
    try {
      return await import(new URL(dir + name, import.meta.url).href);
    } catch (e) {
      last = e;
    }
  }
  throw new UnsupportedError(`the explorer's web/src/${name} is not found beside wasm_api: ${last && last.message}`);
}

// A sequence's notes in seconds: quantized ones at `qpm` (else their tempo, else 120).
function timedNotes(seq, qpm) {
  if (!seq || !Array.isArray(seq.notes)) throw new InvalidArgumentError('expected a NoteSequence with a notes array');
  const ns = sequenceHelpers.isRelativeQuantizedSequence(seq) ? sequenceHelpers.unquantizeSequence(seq, qpm) : seq;
  const notes = ns.notes.map((n) => ({ ...n, startTime: n.startTime || 0, endTime: n.endTime || 0 }));
  const total = Math.max(ns.totalTime || 0, ...notes.map((n) => n.endTime));
  return { notes, total };
}

/** Plays NoteSequences on an output; the scheduling shared by Player and MIDIPlayer. */
class BasePlayer {
  constructor(loop = false, callbackObject) {
    this.loop = loop;
    this.callbackObject = callbackObject;
    this._timers = new Set();
    this._playing = false;
    this._finish = null;
  }
  isPlaying() {
    return this._playing;
  }
  getPlayState() {
    return this._playing ? 'started' : 'stopped';
  }
  _after(seconds, fn) {
    const t = setTimeout(() => {
      this._timers.delete(t);
      fn();
    }, Math.max(0, seconds * 1000));
    this._timers.add(t);
  }
  /** Plays `seq` (at `qpm` if quantized); resolves when it has played (or stop() is called). */
  async start(seq, qpm, offset = 0) {
    if (this._playing) this.stop();
    const { notes, total } = timedNotes(seq, qpm);
    const output = await this._output();
    this._playing = true;
    return new Promise((resolve) => {
      this._finish = resolve;
      const play = () => {
        const t0 = output ? output.now() + 0.05 : 0;
        for (const n of notes) {
          if (n.startTime < offset) continue;
          if (output) output.play(n, t0 + n.startTime - offset, n.endTime - n.startTime);
          if (this.callbackObject && typeof this.callbackObject.run === 'function') {
            if (output) this._after(n.startTime - offset, () => this.callbackObject.run(n));
            else this.callbackObject.run(n);
          }
        }
        const end = () => {
          if (this.loop && output) play();
          else this._end();
        };
        if (output) this._after(total - offset + 0.05, end);
        else end();
      };
      play();
    });
  }
  _end() {
    this._playing = false;
    if (this.callbackObject && typeof this.callbackObject.stop === 'function') this.callbackObject.stop();
    const finish = this._finish;
    this._finish = null;
    if (finish) finish();
  }
  stop() {
    for (const t of this._timers) clearTimeout(t);
    this._timers.clear();
    if (this._sound && this._sound.stopAll) this._sound.stopAll();
    if (this._playing) this._end();
  }
}

/**
 * magenta.js's Player, on the built-in WebAudio synth (lead, bass and a synthesized drum kit; nothing
 * is fetched, so it plays offline). new Player(loop?, callbackObject? {run(note), stop()}); start(seq,
 * qpm?) resolves when the sequence has played; stop(). Without WebAudio (Node) start resolves at once.
 */
export class Player extends BasePlayer {
  async _output() {
    const Context = globalThis.AudioContext || globalThis.webkitAudioContext;
    if (!Context) return null;
    if (!this._sound) {
      const [{ Synth }, { useDrumMap }, engine] = await Promise.all([importWebModule('synth.mjs'),
        importWebModule('drums.mjs'), loadEngine()]);
      useDrumMap({ drumMap: engine.drumMap }); // the synth's drum sounds follow the engine's drum map
      this._ctx = Player.audioContext || (Player.audioContext = new Context());
      this._sound = new Synth(this._ctx);
    }
    if (this._ctx.state === 'suspended') await this._ctx.resume();
    const ctx = this._ctx;
    return { now: () => ctx.currentTime, play: (n, time, duration) => this._sound.play(n, time, duration) };
  }
}

/**
 * magenta.js's MIDIPlayer: plays on a Web MIDI output. await requestMIDIAccess() lists `outputs`;
 * `output` is the port played on (the first by default); start / stop as Player.
 */
export class MIDIPlayer extends BasePlayer {
  constructor(loop = false, callbackObject) {
    super(loop, callbackObject);
    this.outputs = [];
    this.output = null;
  }
  async requestMIDIAccess() {
    const nav = globalThis.navigator;
    if (!nav || typeof nav.requestMIDIAccess !== 'function') throw new UnsupportedError('Web MIDI is not available here');
    const access = await nav.requestMIDIAccess();
    this.outputs = [...access.outputs.values()];
    if (!this.output) this.output = this.outputs[0] || null;
    return this.outputs;
  }
  async _output() {
    if (!this.output) {
      if (!this.outputs.length) await this.requestMIDIAccess();
      this.output = this.outputs[0] || null;
      if (!this.output) throw new UnsupportedError('no MIDI output to play on');
    }
    // The explorer's MIDI output (web/src/midiout.mjs: melody channel 1, bass 2, drums 10) on the
    // performance clock, which Web MIDI timestamps use.
    const { midiOutput } = await importWebModule('midiout.mjs');
    const clock = { get currentTime() { return performance.now() / 1000; } };
    const out = midiOutput(this.output, clock);
    this._sound = { stopAll: () => out.allOff() };
    return { now: () => clock.currentTime, play: (n, time, duration) => out.play(n, time, duration) };
  }
}
