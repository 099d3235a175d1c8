// Standard MIDI Files at the byte level: a reader that walks the events in one pass and hands each
// to a visitor (no object per event, so time and memory stay linear in the file size), and a writer.
// What the events mean as notes (magenta.js's rules) is in midi.mjs; this file knows only bytes.
import { InvalidArgumentError } from './errors.mjs';

/** The largest MIDI file read (bytes): far above any song, below what would strain a page. */
export const MAX_MIDI_BYTES = 16 * 1024 * 1024;

/** A MIDI file that cannot be read, or whose content a model cannot use; the message says why. */
export class MidiFileError extends InvalidArgumentError {
  constructor(message) {
    super(message);
    this.code = 'BAD_MIDI';
  }
}

const unreadable = (reason) => new MidiFileError(`not a readable MIDI file: ${reason}`);
const ascii = (b, at) => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
const u32 = (b, at) => ((b[at] << 24) >>> 0) + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];

/** Bytes as text one char per byte (as the midi-file package, hence @tonejs/midi, reads names). */
export function latin1(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}

/** Data bytes that follow each channel-message status (high nibble 8..E). */
const DATA_BYTES = { 8: 2, 9: 2, 10: 2, 11: 2, 12: 1, 13: 1, 14: 2 };

/**
 * Reads MIDI bytes, calling visitor.track(index) at each track, visitor.channel(tick, kind, channel,
 * data1, data2) for channel messages (kind: the status's high nibble, 8..14; a note-on of velocity 0
 * comes as kind 8, a note-off) and visitor.meta(tick, type, data) for meta events. Returns
 * {format, ppq, trackCount}. Running status carries across meta and sysex events, as in the midi-file
 * package; chunks other than MThd/MTrk are skipped; a file cut inside an event is refused.
 */
export function readSmf(input, visitor) {
  let b;
  if (input instanceof Uint8Array) b = input;
  else if (input instanceof ArrayBuffer) b = new Uint8Array(input);
  else if (ArrayBuffer.isView(input)) b = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  else if (Array.isArray(input)) b = Uint8Array.from(input);
  else throw new MidiFileError(`expected MIDI bytes (a Uint8Array or an ArrayBuffer), got ${input === null ? 'null' : typeof input}`);
  if (b.length > MAX_MIDI_BYTES) {
    throw new MidiFileError(`the file is too large: ${(b.length / 1e6).toFixed(1)} MB (the limit is ${MAX_MIDI_BYTES / (1 << 20)} MiB)`);
  }
  if (b.length < 14 || ascii(b, 0) !== 'MThd') throw unreadable('it does not start with an MThd header');
  const headerLength = u32(b, 4);
  if (headerLength < 6 || 8 + headerLength > b.length) throw unreadable(`bad MIDI header (length ${headerLength})`);
  const format = (b[8] << 8) | b[9];
  const trackCount = (b[10] << 8) | b[11];
  const division = (b[12] << 8) | b[13];
  if (division & 0x8000) {
    throw new MidiFileError(`its time division is SMPTE (${0x100 - (division >> 8)} frames per second): only files timed in ticks per quarter note are supported`);
  }
  if (division === 0) throw unreadable('its time division is 0 ticks per quarter note');
  let at = 8 + headerLength;
  let track = 0;
  while (track < trackCount && at + 8 <= b.length) {
    const id = ascii(b, at);
    const length = u32(b, at + 4);
    const start = at + 8;
    const end = Math.min(start + length, b.length); // a short last chunk is read as far as it goes
    at = start + length;
    if (id !== 'MTrk') continue;
    visitor.track(track);
    readTrack(b, start, end, track, visitor);
    track++;
  }
  return { format, ppq: division, trackCount: track };
}

function readTrack(b, start, end, track, visitor) {
  let p = start;
  let tick = 0;
  let running = 0;
  const cut = () => unreadable(`track ${track} is cut off inside an event (byte ${p} of ${b.length})`);
  const varint = () => {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      if (p >= end) throw cut();
      const byte = b[p++];
      value = value * 128 + (byte & 0x7f);
      if (!(byte & 0x80)) return value;
    }
    throw unreadable(`track ${track}: a variable-length number longer than 4 bytes at byte ${p}`);
  };
  while (p < end) {
    tick += varint();
    if (p >= end) throw cut();
    let status = b[p];
    if (status === 0xff || status === 0xf0 || status === 0xf7) {
      p++;
      const type = status === 0xff ? b[p++] : -1;
      const length = varint();
      if (p + length > end) throw cut();
      if (status === 0xff) visitor.meta(tick, type, b.subarray(p, p + length));
      p += length;
      continue;
    }
    if (status & 0x80) {
      p++;
      running = status;
    } else if (running) {
      status = running;
    } else {
      throw unreadable(`track ${track}: a data byte with no status before it (byte ${p})`);
    }
    const kind = status >> 4;
    const count = DATA_BYTES[kind];
    if (count === undefined) throw unreadable(`track ${track}: unknown MIDI event type 0x${status.toString(16)} at byte ${p - 1}`);
    if (p + count > end) throw cut();
    const d1 = b[p];
    const d2 = count === 2 ? b[p + 1] : 0;
    p += count;
    visitor.channel(tick, kind === 9 && d2 === 0 ? 8 : kind, status & 0x0f, d1, d2);
  }
}

// ---- writing ----

function varintBytes(out, v) {
  const bytes = [v & 0x7f];
  for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) bytes.push((v & 0x7f) | 0x80);
  for (let i = bytes.length - 1; i >= 0; i--) out.push(bytes[i]);
}

/**
 * MIDI bytes (format 1) for `tracks`: arrays of events {tick, bytes} (bytes: a channel message, or
 * [0xff, type, ...data] for a meta event, written with its length), each track sorted by tick
 * keeping the given order among equal ticks, an end-of-track added (at endTick when that is later
 * than the track's last event: the file's length, for a loop that must last whole bars). No
 * running status.
 */
export function writeSmf({ ppq, tracks, endTick = 0 }) {
  const out = [0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 1, (tracks.length >> 8) & 0xff, tracks.length & 0xff,
    (ppq >> 8) & 0x7f, ppq & 0xff];
  for (const events of tracks) {
    const body = [];
    let last = 0;
    const sorted = events.map((e, i) => [e, i]).sort((x, y) => x[0].tick - y[0].tick || x[1] - y[1]);
    for (const [{ tick, bytes }] of sorted) {
      varintBytes(body, tick - last);
      last = tick;
      if (bytes[0] === 0xff) {
        body.push(0xff, bytes[1]);
        varintBytes(body, bytes.length - 2);
        for (let i = 2; i < bytes.length; i++) body.push(bytes[i]);
      } else {
        body.push(...bytes);
      }
    }
    varintBytes(body, Math.max(endTick - last, 0));
    body.push(0xff, 0x2f, 0);
    const n = body.length;
    out.push(0x4d, 0x54, 0x72, 0x6b, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    for (const byte of body) out.push(byte);
  }
  return new Uint8Array(out);
}
