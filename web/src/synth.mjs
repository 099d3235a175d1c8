// A small WebAudio synth, built from oscillators, filters, noise and envelopes only (nothing is
// fetched, so it works offline): a lead voice for melodies, a bass voice, and a synthesized drum kit
// (kick, snare, hi-hats, toms, cymbals). Works on an AudioContext or an OfflineAudioContext.
import { drumClass } from './drums.mjs';

const midiToHz = (pitch) => 440 * 2 ** ((pitch - 69) / 12);

/**
 * Which voice plays a note: 'drums' (isDrum), 'bass' (General MIDI programs 32..39), 'keys' (the
 * electric pianos, 4..7: the explorer's soft chords) or 'lead'.
 */
export function voiceOf(note) {
  if (note.isDrum) return 'drums';
  if (note.program >= 4 && note.program <= 7) return 'keys';
  return note.program >= 32 && note.program <= 39 ? 'bass' : 'lead';
}

function noiseBuffer(ctx) {
  // Deterministic white noise (an LCG), so that offline renders are repeatable.
  const length = Math.round(ctx.sampleRate * 1.5);
  const buffer = ctx.createBuffer(1, length, ctx.sampleRate);
  const data = buffer.getChannelData(0);
  let s = 0x2545f491;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2147483648 - 1;
  }
  return buffer;
}

export class Synth {
  /** @param ctx an AudioContext or OfflineAudioContext; destination defaults to ctx.destination */
  constructor(ctx, destination = ctx.destination) {
    this.ctx = ctx;
    this.volume = ctx.createGain();
    this.volume.gain.value = 0.7;
    const compressor = ctx.createDynamicsCompressor();
    compressor.threshold.value = -12;
    compressor.ratio.value = 4;
    this.volume.connect(compressor);
    compressor.connect(destination);
    this.noise = noiseBuffer(ctx);
    this.noiseOffset = 0;
    this.voices = new Set();
  }

  /** Plays a note (NoteSequence note) at `time` (context seconds) for `duration` seconds. */
  play(note, time, duration) {
    const velocity = Math.min(Math.max((note.velocity || 80) / 127, 0.05), 1);
    const voice = voiceOf(note);
    if (voice === 'drums') this.drum(drumClass(note.pitch), time, velocity);
    else if (voice === 'bass') this.bass(note.pitch, time, duration, velocity);
    else if (voice === 'keys') this.keys(note.pitch, time, duration, velocity);
    else this.lead(note.pitch, time, duration, velocity);
  }

  _track(nodes, gain, end) {
    const voice = { nodes, gain, end };
    this.voices.add(voice);
    nodes[0].onended = () => {
      this.voices.delete(voice);
      for (const n of nodes) n.disconnect();
      gain.disconnect();
    };
    for (const n of nodes) if (n.stop) n.stop(end);
  }

  /** ADSR on `gain` from `time`, held `duration` seconds; returns when it has died away. */
  _envelope(gain, time, duration, peak, { attack = 0.005, decay = 0.12, sustain = 0.6, release = 0.08 } = {}) {
    const g = gain.gain;
    const noteEnd = time + Math.max(duration, attack + 0.01);
    g.setValueAtTime(0, time);
    g.linearRampToValueAtTime(peak, time + attack);
    if (noteEnd > time + attack + decay) {
      g.linearRampToValueAtTime(peak * sustain, time + attack + decay);
      g.setValueAtTime(peak * sustain, noteEnd);
    } else {
      g.linearRampToValueAtTime(peak * (1 - (1 - sustain) * ((noteEnd - time - attack) / decay)), noteEnd);
    }
    g.linearRampToValueAtTime(0, noteEnd + release);
    return noteEnd + release + 0.02;
  }

  _oscillator(type, frequency, time) {
    const osc = this.ctx.createOscillator();
    osc.type = type;
    osc.frequency.setValueAtTime(frequency, time);
    return osc;
  }

  // Two oscillators (the second at `mixLevel`) through a low-pass filter and an enveloped amp.
  _twoOscillatorVoice(main, second, mixLevel, filter, time, duration, peak, envelope) {
    const ctx = this.ctx;
    const mix = ctx.createGain();
    mix.gain.value = mixLevel;
    const amp = ctx.createGain();
    main.connect(filter);
    second.connect(mix);
    mix.connect(filter);
    filter.connect(amp);
    amp.connect(this.volume);
    const end = this._envelope(amp, time, duration, peak, envelope);
    main.start(time);
    second.start(time);
    this._track([main, second, mix, filter], amp, end);
  }

  lead(pitch, time, duration, velocity) {
    const f = midiToHz(pitch);
    const square = this._oscillator('square', f, time);
    square.detune.setValueAtTime(7, time);
    const filter = this.ctx.createBiquadFilter();
    filter.type = 'lowpass';
    filter.Q.value = 2;
    filter.frequency.setValueAtTime(Math.min(f * 8 + 1500 * velocity, 12000), time);
    filter.frequency.exponentialRampToValueAtTime(Math.min(f * 3 + 400, 8000), time + 0.25);
    this._twoOscillatorVoice(this._oscillator('sawtooth', f, time), square, 0.5, filter, time, duration, 0.22 * velocity);
  }

  bass(pitch, time, duration, velocity) {
    const f = midiToHz(pitch);
    const filter = this.ctx.createBiquadFilter();
    filter.type = 'lowpass';
    filter.frequency.setValueAtTime(Math.min(f * 6, 2500), time);
    this._twoOscillatorVoice(this._oscillator('triangle', f, time), this._oscillator('square', f, time), 0.25, filter,
      time, duration, 0.45 * velocity, { decay: 0.2, sustain: 0.7, release: 0.06 });
  }

  // Soft and round, behind the lead: a triangle and a quiet sine an octave up, a slow attack.
  keys(pitch, time, duration, velocity) {
    const f = midiToHz(pitch);
    const filter = this.ctx.createBiquadFilter();
    filter.type = 'lowpass';
    filter.frequency.setValueAtTime(Math.min(f * 4, 3000), time);
    this._twoOscillatorVoice(this._oscillator('triangle', f, time), this._oscillator('sine', 2 * f, time), 0.2, filter,
      time, duration, 0.12 * velocity, { attack: 0.03, decay: 0.4, sustain: 0.5, release: 0.2 });
  }

  _noise(time, length) {
    const src = this.ctx.createBufferSource();
    src.buffer = this.noise;
    // A different stretch of the noise for each hit, deterministically.
    this.noiseOffset = (this.noiseOffset + 0.137) % Math.max(this.noise.duration - length, 0.01);
    src.start(time, this.noiseOffset);
    return src;
  }

  _decay(time, peak, length) {
    const amp = this.ctx.createGain();
    amp.gain.setValueAtTime(0, time);
    amp.gain.linearRampToValueAtTime(peak, time + 0.002);
    amp.gain.exponentialRampToValueAtTime(0.001, time + length);
    amp.gain.linearRampToValueAtTime(0, time + length + 0.01);
    amp.connect(this.volume);
    return amp;
  }

  _filtered(time, type, frequency, q = 0.7) {
    const filter = this.ctx.createBiquadFilter();
    filter.type = type;
    filter.frequency.setValueAtTime(frequency, time);
    filter.Q.value = q;
    return filter;
  }

  _pitchedHit(time, from, to, sweep, peak, length, type = 'sine') {
    const osc = this.ctx.createOscillator();
    osc.type = type;
    osc.frequency.setValueAtTime(from, time);
    osc.frequency.exponentialRampToValueAtTime(to, time + sweep);
    const amp = this._decay(time, peak, length);
    osc.connect(amp);
    osc.start(time);
    this._track([osc], amp, time + length + 0.05);
  }

  _noiseHit(time, filterType, frequency, peak, length, q) {
    const src = this._noise(time, length + 0.05);
    const filter = this._filtered(time, filterType, frequency, q);
    const amp = this._decay(time, peak, length);
    src.connect(filter);
    filter.connect(amp);
    this._track([src, filter], amp, time + length + 0.05);
  }

  /** A drum hit of class c (0 kick, 1 snare, 2 closed hat, 3 open hat, 4-6 toms, 7 crash, 8 ride). */
  drum(c, time, velocity) {
    switch (c) {
      case 0: // kick: a sine sweeping down, with a short click
        this._pitchedHit(time, 160, 42, 0.12, 1.0 * velocity, 0.45);
        this._noiseHit(time, 'lowpass', 3000, 0.25 * velocity, 0.015);
        break;
      case 1: // snare: filtered noise and a short tonal body
        this._noiseHit(time, 'highpass', 1200, 0.55 * velocity, 0.2);
        this._pitchedHit(time, 220, 160, 0.08, 0.45 * velocity, 0.1, 'triangle');
        break;
      case 2: // closed hi-hat
        this._noiseHit(time, 'highpass', 7500, 0.3 * velocity, 0.05);
        break;
      case 3: // open hi-hat
        this._noiseHit(time, 'highpass', 7000, 0.25 * velocity, 0.35);
        break;
      case 4: case 5: case 6: { // toms: low, mid, high
        const f = [95, 140, 200][c - 4];
        this._pitchedHit(time, f * 1.6, f, 0.15, 0.7 * velocity, 0.4);
        break;
      }
      case 7: // crash
        this._noiseHit(time, 'highpass', 3500, 0.3 * velocity, 1.3);
        break;
      case 8: // ride: bright, band-limited noise with a bell tone
        this._noiseHit(time, 'bandpass', 6000, 0.25 * velocity, 0.7, 0.8);
        this._pitchedHit(time, 3100, 3000, 0.05, 0.04 * velocity, 0.5, 'square');
        break;
      default:
        break;
    }
  }

  /** Silences every sounding and scheduled voice (a short fade, no clicks). */
  stopAll() {
    const now = this.ctx.currentTime;
    for (const voice of this.voices) {
      const g = voice.gain.gain;
      g.cancelScheduledValues(now);
      g.setValueAtTime(g.value, now);
      g.linearRampToValueAtTime(0, now + 0.03);
      for (const n of voice.nodes) {
        try {
          if (n.stop) n.stop(now + 0.05);
        } catch {
          // already stopped
        }
      }
    }
  }
}

/** Schedules every note of a quantized sequence on `output` ({play(note, time, duration)}). */
export function scheduleSequence(output, seq, startTime, secondsPerStep) {
  for (const note of seq.notes) {
    const start = Math.max(startTime + (note.quantizedStartStep + (note.offsetSteps || 0)) * secondsPerStep, 0);
    output.play(note, start, (note.quantizedEndStep - note.quantizedStartStep) * secondsPerStep);
  }
}

/**
 * Renders a sequence through the synth in an OfflineAudioContext: an AudioBuffer (mono), `loops`
 * times, at `qpm`, with a second of tail.
 */
export async function renderSequence(seq, { qpm = 120, loops = 1, sampleRate = 44100 } = {}) {
  const Offline = globalThis.OfflineAudioContext || globalThis.webkitOfflineAudioContext;
  if (!Offline) throw new Error('this browser has no OfflineAudioContext');
  const spq = (seq.quantizationInfo && seq.quantizationInfo.stepsPerQuarter) || 4;
  const secondsPerStep = 60 / (qpm * spq);
  const length = seq.totalQuantizedSteps * secondsPerStep * loops + 1;
  const ctx = new Offline(1, Math.ceil(length * sampleRate), sampleRate);
  const synth = new Synth(ctx);
  for (let i = 0; i < loops; i++) {
    scheduleSequence(synth, seq, 0.01 + i * seq.totalQuantizedSteps * secondsPerStep, secondsPerStep);
  }
  return ctx.startRendering();
}

/** WAV file bytes (16-bit PCM) of an AudioBuffer's first channel. */
export function audioBufferToWav(buffer) {
  const data = buffer.getChannelData(0);
  const bytes = new ArrayBuffer(44 + data.length * 2);
  const v = new DataView(bytes);
  const text = (o, s) => [...s].forEach((ch, i) => v.setUint8(o + i, ch.charCodeAt(0)));
  text(0, 'RIFF');
  v.setUint32(4, 36 + data.length * 2, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, buffer.sampleRate, true);
  v.setUint32(28, buffer.sampleRate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  text(36, 'data');
  v.setUint32(40, data.length * 2, true);
  for (let i = 0; i < data.length; i++) {
    const s = Math.max(-1, Math.min(1, data[i]));
    v.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
  }
  return new Uint8Array(bytes);
}
