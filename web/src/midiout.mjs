// Web MIDI output: finding output ports, and a transport output that sends a port note-on/note-off
// messages timestamped on the performance clock (melody on channel 1, bass on 2, chords on 3, drums on 10).
import { voiceOf } from './synth.mjs';

export const MIDI_MESSAGES = {
  unsupported:
    'Web MIDI is not available in this browser (Chrome, Edge, Opera and Firefox have it, on https:// or ' +
    'localhost pages; Safari and iOS do not). The built-in synth still plays.',
  denied:
    'MIDI access was denied. Allow MIDI devices for this site in the browser\'s site settings, then ' +
    'press “MIDI devices” again. The built-in synth still plays.',
  none:
    'No MIDI output found. Connect a device (or start a virtual MIDI port / software synth), then press ' +
    '“MIDI devices” again.',
};

/** True when this browser has Web MIDI (navigator.requestMIDIAccess). */
export function midiSupported() {
  return typeof navigator !== 'undefined' && typeof navigator.requestMIDIAccess === 'function';
}

let accessPromise = null;

/**
 * The MIDIAccess (asked once per page). Rejects with an Error whose `reason` is 'unsupported' or
 * 'denied' and whose message says what to do.
 */
export function requestMidi() {
  if (!midiSupported()) {
    const e = new Error(MIDI_MESSAGES.unsupported);
    e.reason = 'unsupported';
    return Promise.reject(e);
  }
  if (!accessPromise) {
    accessPromise = navigator.requestMIDIAccess({ sysex: false }).catch((err) => {
      accessPromise = null;
      const e = new Error(MIDI_MESSAGES.denied);
      e.reason = 'denied';
      e.cause = err;
      throw e;
    });
  }
  return accessPromise;
}

/** The connected output ports of a MIDIAccess: [{id, name, port}]. */
export function midiOutputs(access) {
  const list = [];
  access.outputs.forEach((port, key) => {
    if (port.state === 'disconnected') return;
    const name = [port.manufacturer, port.name].filter(Boolean).join(' ') || `MIDI output ${key}`;
    list.push({ id: port.id || key, name, port });
  });
  return list;
}

function channelOf(note) {
  const voice = voiceOf(note);
  return voice === 'drums' ? 9 : voice === 'bass' ? 1 : voice === 'keys' ? 2 : 0;
}

/**
 * A transport output for a MIDI port: play(note, time, duration) with time on the AudioContext
 * clock `ctx`, converted to the performance clock the port's send() takes.
 */
export function midiOutput(port, ctx) {
  const sounding = new Map(); // "channel:pitch" -> note-off time (ms)
  const programs = new Map();
  // The audio clock -> performance clock offset. Each reading of it (getOutputTimestamp) jitters by
  // a render quantum or more, so one steady offset is kept, and taken anew only when a reading
  // strays from it by more than RESYNC_MS (the clocks drifted, or the context was suspended): the
  // notes of a loop then keep their exact spacing.
  const RESYNC_MS = 25;
  let offset = null;
  const toMs = (time) => {
    const ts = typeof ctx.getOutputTimestamp === 'function' ? ctx.getOutputTimestamp() : null;
    const reading = ts && ts.performanceTime > 0 ? ts.performanceTime - ts.contextTime * 1000
      : performance.now() - ctx.currentTime * 1000;
    if (offset === null || Math.abs(reading - offset) > RESYNC_MS) offset = reading;
    return offset + time * 1000;
  };
  return {
    name: port.name,
    play(note, time, duration) {
      const ch = channelOf(note);
      const on = toMs(time);
      const off = on + Math.max(duration * 1000 - 2, 5);
      const program = note.isDrum ? null : note.program || 0;
      if (program !== null && programs.get(ch) !== program) {
        programs.set(ch, program);
        port.send([0xc0 | ch, program & 0x7f], on);
      }
      const velocity = Math.min(Math.max(Math.round(note.velocity || 80), 1), 127);
      port.send([0x90 | ch, note.pitch, velocity], on);
      port.send([0x80 | ch, note.pitch, 0], off);
      sounding.set(`${ch}:${note.pitch}`, off);
    },
    allOff() {
      if (typeof port.clear === 'function') port.clear();
      const now = performance.now();
      const channels = new Set();
      for (const [key, off] of sounding) {
        const [ch, pitch] = key.split(':').map(Number);
        channels.add(ch);
        if (off > now - 50) port.send([0x80 | ch, pitch, 0]);
      }
      for (const ch of channels) port.send([0xb0 | ch, 123, 0]); // all notes off
      sounding.clear();
      programs.clear();
    },
  };
}
