// Helpers for the MIDI tests: MIDI bytes written by hand (independent of wasm_api/smf.mjs's writer),
// and magenta.js 1.23.1's own midi_io (the reference the module must equal).
import { createRequire } from 'node:module';

/** A variable-length quantity. */
export function vlq(v) {
  const out = [v & 0x7f];
  for (v >>>= 7; v; v >>>= 7) out.unshift((v & 0x7f) | 0x80);
  return out;
}

const be32 = (n) => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];

/** A track chunk of [delta, ...eventBytes] rows; an end-of-track is added unless `end` is false. */
export function mtrk(rows, { end = true } = {}) {
  const body = rows.flatMap(([delta, ...bytes]) => [...vlq(delta), ...bytes]);
  if (end) body.push(0, 0xff, 0x2f, 0);
  return [0x4d, 0x54, 0x72, 0x6b, ...be32(body.length), ...body];
}

/** MIDI bytes: a header (format, ppq or a raw division word) and track chunks (byte arrays). */
export function smf(format, division, tracks, { trackCount = tracks.length } = {}) {
  return new Uint8Array([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, format, trackCount >> 8, trackCount & 0xff,
    (division >> 8) & 0xff, division & 0xff, ...tracks.flat()]);
}

export const meta = (type, ...data) => [0xff, type, ...vlq(data.length), ...data];
export const tempo = (qpm) => {
  const us = Math.round(60000000 / qpm);
  return meta(0x51, (us >> 16) & 0xff, (us >> 8) & 0xff, us & 0xff);
};
export const timeSignature = (num, den) => meta(0x58, num, Math.log2(den), 24, 8);
export const trackName = (name) => meta(0x03, ...Array.from(name, (c) => c.charCodeAt(0)));

/** A melody of `count` notes, one per `step` ticks, as rows. */
export function scale(count, step, { channel = 0, base = 60, velocity = 90 } = {}) {
  const rows = [];
  for (let i = 0; i < count; i++) {
    rows.push([i ? 0 : 0, 0x90 | channel, base + (i % 24), velocity], [step, 0x80 | channel, base + (i % 24), 0]);
  }
  return rows;
}

let magenta = null;
/**
 * magenta.js's core (midiToSequenceProto, sequenceProtoToMidi). Its Node bundle loads Tone.js and
 * staffrender for playback and drawing, which the MIDI functions never call: stand-ins are given.
 */
export function magentaCore() {
  if (magenta) return magenta;
  const require = createRequire(import.meta.url);
  const Module = require('node:module');
  const load = Module._load;
  const standIn = new Proxy(function standIn() {}, { get: (t, k) => (k === 'prototype' ? {} : t) });
  Module._load = function (request, ...rest) {
    return request === 'tone' || request === 'staffrender' ? standIn : load.call(this, request, ...rest);
  };
  try {
    magenta = require('@magenta/music/node/core');
  } finally {
    Module._load = load;
  }
  return magenta;
}

/** The fields of a NoteSequence (magenta.js's protobuf object or a plain one) that MIDI sets. */
export function midiFields(ns) {
  return {
    ticksPerQuarter: ns.ticksPerQuarter,
    totalTime: ns.totalTime || 0,
    timeSignatures: ns.timeSignatures.map((t) => [t.time || 0, t.numerator, t.denominator]),
    tempos: ns.tempos.map((t) => [t.time || 0, t.qpm]),
    notes: ns.notes.map((n) => [n.instrument || 0, n.program || 0, n.startTime || 0, n.endTime || 0, n.pitch, n.velocity || 0, !!n.isDrum]),
    controlChanges: ns.controlChanges.map((c) => [c.time || 0, c.controlNumber || 0, c.controlValue || 0, c.instrument || 0, c.program || 0, !!c.isDrum]),
  };
}
