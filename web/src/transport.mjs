// Playback: a look-ahead scheduler on the AudioContext clock ("A tale of two clocks": a timer wakes
// every 25 ms and schedules the notes of the next ~150 ms with sample-accurate start times), looping
// the current sequence; the sequence can be swapped while playing and the loop carries on at the
// same step. Notes go to outputs: the built-in synth and/or a Web MIDI port.
import { Synth } from './synth.mjs';

let sharedContext = null;
let sharedSynth = null;

/** The page's AudioContext (one for every element), created and resumed on demand. */
export function audioContext() {
  if (!sharedContext) {
    const AC = globalThis.AudioContext || globalThis.webkitAudioContext;
    if (!AC) return null;
    sharedContext = new AC({ latencyHint: 'interactive' });
  }
  if (sharedContext.state === 'suspended') sharedContext.resume().catch(() => {});
  return sharedContext;
}

/** The built-in synth as an output on the page's AudioContext. */
export function synthOutput() {
  const ctx = audioContext();
  if (!ctx) return null;
  if (!sharedSynth) sharedSynth = new Synth(ctx);
  return { name: 'Built-in synth', play: (n, t, d) => sharedSynth.play(n, t, d), allOff: () => sharedSynth.stopAll() };
}

const transports = new Set();

export class Transport extends EventTarget {
  constructor() {
    super();
    this.qpm = 120;
    this.loop = true;
    this.playing = false;
    this.outputs = [];
    this._sequence = null;
    this._byStep = [];
    this._timer = null;
    this._marks = [];
    this._endAt = null;
    transports.add(this);
  }

  get sequence() {
    return this._sequence;
  }

  /** The sequence to play (quantized NoteSequence); may change while playing. */
  set sequence(seq) {
    this._sequence = seq;
    const byStep = [];
    if (seq) {
      for (const note of seq.notes) {
        (byStep[note.quantizedStartStep] ||= []).push(note);
      }
    }
    this._byStep = byStep;
  }

  /** Starts looping the sequence now (stops any other transport on the page). */
  start() {
    for (const t of transports) if (t !== this && t.playing) t.stop();
    const ctx = audioContext();
    if (!ctx) throw new Error('this browser has no Web Audio');
    this.ctx = ctx;
    if (this.playing) return;
    this.playing = true;
    this._step = 0;
    this._next = ctx.currentTime + 0.06;
    this._marks = [];
    this._endAt = null;
    this._timer = setInterval(() => this._tick(), 25);
    this._tick();
    this.dispatchEvent(new Event('statechange'));
  }

  stop() {
    if (!this.playing) return;
    clearInterval(this._timer);
    this._timer = null;
    this.playing = false;
    this._marks = [];
    for (const o of this.outputs) o.allOff();
    this.dispatchEvent(new Event('statechange'));
  }

  /** Stops for good (the element was removed). */
  dispose() {
    this.stop();
    transports.delete(this);
  }

  _tick() {
    const seq = this._sequence;
    const ctx = this.ctx;
    if (!seq || !this.playing) return;
    const now = ctx.currentTime;
    if (this._endAt !== null) {
      if (now >= this._endAt) this.stop();
      return;
    }
    // A hidden tab's timers run once a second: schedule further ahead then.
    const lookahead = globalThis.document && document.hidden ? 1.5 : 0.15;
    if (this._next < now - 0.1) this._next = now + 0.02; // fell behind (suspended tab): catch up
    while (this._next < now + lookahead) {
      const spq = (seq.quantizationInfo && seq.quantizationInfo.stepsPerQuarter) || 4;
      const secondsPerStep = 60 / (this.qpm * spq);
      const numSteps = seq.totalQuantizedSteps;
      if (this._step >= numSteps) {
        if (!this.loop) {
          this._endAt = this._next + 0.3;
          break;
        }
        this._step = 0;
      }
      for (const note of this._byStep[this._step] || []) {
        const duration = (note.quantizedEndStep - note.quantizedStartStep) * secondsPerStep;
        // (a groove's hit is a little off its step: offsetSteps, groove.mjs; never in the past)
        const at = note.offsetSteps ? Math.max(this._next + note.offsetSteps * secondsPerStep, now) : this._next;
        for (const o of this.outputs) o.play(note, at, duration);
      }
      this._marks.push({ step: this._step, time: this._next, secondsPerStep, numSteps });
      this._next += secondsPerStep;
      this._step++;
    }
    while (this._marks.length > 2 && this._marks[1].time < now - 0.5) this._marks.shift();
  }

  /** The playhead: {step (fractional), numSteps} at the audio clock's time, or null when stopped. */
  position() {
    if (!this.playing || !this._marks.length) return null;
    const latency = this.ctx.outputLatency || this.ctx.baseLatency || 0;
    const now = this.ctx.currentTime - latency;
    let mark = null;
    for (const m of this._marks) {
      if (m.time <= now) mark = m;
      else break;
    }
    if (!mark) return null;
    const step = Math.min(mark.step + (now - mark.time) / mark.secondsPerStep, mark.numSteps);
    return { step, numSteps: mark.numSteps };
  }
}
