// wasm_api/midi.mjs (MIDI <-> NoteSequence for the CLI and the page) against magenta.js 1.23.1
// itself: midiToSequenceProto on real files of ../shared/data and on hand-made edge cases (equal
// NoteSequences), sequenceProtoToMidi (equal bytes); clear errors for unreadable files; linear time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { SHARED } from './wasm_helpers.mjs';
import { magentaCore, meta, midiFields, mtrk, scale, smf, tempo, timeSignature, trackName } from './midi_helpers.mjs';
import {
  MAX_MIDI_BYTES, MidiFileError, midiToModelInput, midiToQuantizedSequence, midiToSequence, readMidiTracks, sequencesToMidi,
} from '../../wasm_api/midi.mjs';
import { MusicVAEError } from '../../wasm_api/errors.mjs';

const DATA = path.join(SHARED, 'data');
const haveData = fs.existsSync(DATA);

function midiFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && /\.midi?$/i.test(d.name))
    .map((d) => path.join(d.parentPath ?? d.path, d.name)).sort();
}

/** Every k-th file of each data set (all four sets, a few hundred files). */
function sampleFiles(every) {
  return fs.readdirSync(DATA).sort().flatMap((set) => midiFiles(path.join(DATA, set)).filter((_, i) => i % every === 0));
}

const mm = magentaCore();

/** Equal to magenta.js's NoteSequence, but for velocity 127, which magenta.js reads as 128. */
function assertSameAsMagenta(bytes, label) {
  const theirs = mm.midiToSequenceProto(bytes);
  const expected = midiFields(theirs);
  for (const n of expected.notes) n[5] = Math.min(n[5], 127);
  assert.deepEqual(midiFields(midiToSequence(bytes)), expected, label);
  return theirs;
}

describe('reading MIDI equals magenta.js midiToSequenceProto', () => {
  test('real files of every data set', { skip: !haveData && 'no ../shared/data' }, () => {
    const files = sampleFiles(process.env.MVAE_MIDI_ALL ? 1 : 12); // all 3,205 take a minute or two
    assert.ok(files.length > 200, `${files.length} files`);
    let notes = 0;
    for (const f of files) notes += assertSameAsMagenta(fs.readFileSync(f), f).notes.length;
    assert.ok(notes > 50000, `${notes} notes`);
  });

  test('hand-made edge cases of note pairing, tracks, channels, programs, tempos', () => {
    const cases = {
      // Two notes of one pitch overlapping: the first note-off ends the first note-on.
      overlap: smf(0, 96, [mtrk([[0, 0x90, 60, 100], [10, 0x90, 60, 90], [10, 0x80, 60, 0], [10, 0x80, 60, 0]])]),
      // A doubled note-off, then a note-on at the same tick: it takes the spare note-off (length 0).
      doubledOff: smf(0, 96, [mtrk([[0, 0x90, 60, 100], [96, 0x80, 60, 0], [0, 0x80, 60, 0], [0, 0x90, 60, 100], [96, 0x80, 60, 0]])]),
      // A note-off before any note-on, a note-on of velocity 0 as note-off, running status.
      orphanAndRunning: smf(0, 96, [mtrk([[0, 0x80, 62, 0], [0, 0x90, 62, 127], [48, 64, 1], [0, 62, 0], [48, 64, 0]])]),
      // A program change inside a note: the note-off lands in another part, the note never ends.
      programInsideNote: smf(0, 96, [mtrk([[0, 0x90, 60, 100], [10, 0xc0, 5], [10, 0x80, 60, 0], [0, 0x90, 64, 80], [20, 0x80, 64, 0]])]),
      // Format 0 mixing channels 1 and 10 (split into two instruments), CCs on two controllers.
      mixedChannels: smf(0, 480, [mtrk([[0, 0xb0, 7, 100], [0, 0x99, 36, 110], [0, 0x90, 72, 80], [0, 0xb0, 1, 5],
        [240, 0x89, 36, 0], [0, 0xb9, 7, 64], [240, 0x80, 72, 0]])]),
      // Format 1: a conductor track with tempo changes (the first not at 0) and time signatures, a
      // track without notes between two with notes, a CC-only track, track names.
      conductor: smf(1, 220, [
        mtrk([[0, ...trackName('song')], [0, ...timeSignature(3, 4)], [440, ...tempo(90)], [880, ...tempo(140)], [0, ...timeSignature(4, 4)]]),
        mtrk([[0, ...trackName('lead')], [0, 0xc1, 73], ...scale(12, 110, { channel: 1 })]),
        mtrk([[0, ...trackName('empty')], [0, 0xc2, 10]]),
        mtrk([[0, 0xb3, 64, 127], [100, 0xb3, 64, 0]]),
        mtrk([[0, 0xc4, 33], ...scale(6, 220, { channel: 4, base: 36, velocity: 1 })]),
      ]),
      // A first track whose only note is at tick 0 with length 0 (dropped as a conductor track).
      zeroFirstTrack: smf(1, 96, [mtrk([[0, 0x90, 60, 100], [0, 0x80, 60, 0]]), mtrk(scale(4, 24))]),
      // Meta and sysex events between running-status channel events; an unknown meta type.
      metaInRunning: smf(0, 96, [mtrk([[0, 0x90, 60, 100], [24, ...meta(0x01, 65, 66)], [0, 60, 0], [0, 0xf0, 2, 0x7e, 0xf7],
        [0, 62, 70], [24, ...meta(0x60, 1, 2, 3)], [0, 62, 0]])]),
      noNotes: smf(1, 96, [mtrk([[0, ...tempo(100)]])]),
    };
    for (const [name, bytes] of Object.entries(cases)) assertSameAsMagenta(bytes, name);
    // The cases do what they say (so the comparison above covers them).
    const ns = (name) => midiToSequence(cases[name]);
    assert.deepEqual(ns('overlap').notes.map((n) => [n.startTime, n.endTime].map((t) => t * 96 * 2)), [[0, 20], [10, 30]]);
    assert.deepEqual(ns('doubledOff').notes.map((n) => n.endTime - n.startTime), [0.5, 0]);
    assert.equal(ns('orphanAndRunning').notes[0].velocity, 127, 'magenta.js reads 128 here');
    assert.equal(mm.midiToSequenceProto(cases.orphanAndRunning).notes[0].velocity, 128);
    assert.deepEqual(ns('programInsideNote').notes.map((n) => n.pitch), [64]);
    assert.deepEqual(ns('mixedChannels').notes.map((n) => [n.pitch, n.isDrum, n.instrument]), [[72, false, 0], [36, true, 1]]);
    assert.deepEqual([...new Set(ns('conductor').notes.map((n) => `${n.instrument}:${n.program}`))], ['0:73', '1:33']);
    assert.equal(ns('conductor').tempos.length, 2);
    assert.deepEqual(ns('zeroFirstTrack').notes.length, 4);
  });
});

describe('writing MIDI equals magenta.js sequenceProtoToMidi', () => {
  test('the NoteSequences of real files (without control changes), byte for byte', { skip: !haveData && 'no ../shared/data' }, () => {
    for (const f of sampleFiles(process.env.MVAE_MIDI_ALL ? 1 : 40)) {
      const ns = midiToSequence(fs.readFileSync(f));
      ns.controlChanges = [];
      const theirs = mm.midiToSequenceProto(fs.readFileSync(f));
      theirs.controlChanges = [];
      assert.ok(Buffer.from(sequencesToMidi([ns])).equals(Buffer.from(mm.sequenceProtoToMidi(theirs))), f);
    }
  });

  test('quantized melody, bass and drums: magenta.js channels, velocities, tempo', () => {
    // [pitch, velocity, start, end, program, isDrum, instrument]
    const rows = [[72, 80, 0, 4, 0, false, 0], [74, 127, 4, 5, 0, false, 0], [40, 1, 0, 8, 33, false, 1],
      [36, 100, 8, 9, 0, true, 2], [42, 64, 3, 4, 0, true, 2]];
    const trio = {
      notes: rows.map(([pitch, velocity, quantizedStartStep, quantizedEndStep, program, isDrum, instrument]) =>
        ({ pitch, velocity, quantizedStartStep, quantizedEndStep, program, isDrum, instrument })),
      quantizationInfo: { stepsPerQuarter: 4 }, tempos: [{ time: 0, qpm: 97 }], totalQuantizedSteps: 16,
    };
    const theirs = Buffer.from(mm.sequenceProtoToMidi(structuredClone(trio)));
    assert.ok(Buffer.from(sequencesToMidi([trio])).equals(theirs));
    // Read back, the channels are magenta.js's: 1 and 2 for the pitched tracks, 10 for drums.
    const back = midiToSequence(theirs);
    assert.deepEqual([...new Set(back.notes.map((n) => `${n.instrument}:${n.program}:${n.isDrum}`))], ['0:0:false', '1:33:false', '2:0:true']);
    assert.deepEqual(back.notes.map((n) => n.velocity), [80, 127, 1, 64, 100]);
    // Without a velocity a note gets magenta.js's default 80 (its quantized path reads 0 there, and
    // a note-on of velocity 0 is a note-off: the note would be lost).
    const bare = { ...trio, notes: [{ pitch: 60, quantizedStartStep: 0, quantizedEndStep: 2 }] };
    assert.deepEqual(midiToSequence(sequencesToMidi([bare])).notes.map((n) => n.velocity), [80]);
    // Two sequences one after another: the second 16 steps (4 quarters) later.
    const two = midiToQuantizedSequence(sequencesToMidi([trio, trio], { qpm: 120 }), 4);
    assert.deepEqual(two.notes.filter((n) => n.pitch === 72).map((n) => n.quantizedStartStep), [0, 16]);
    assert.equal(two.tempos[0].qpm, 120);
  });
});

describe('unreadable files: a MidiFileError that says why', () => {
  test('each malformed file names its problem', () => {
    const ok = mtrk(scale(2, 96));
    const cases = [
      [new Uint8Array([1, 2, 3, 4]), /not a readable MIDI file: it does not start with an MThd header/],
      [new Uint8Array(0), /does not start with an MThd header/],
      [smf(1, 96, [ok]).slice(0, 12), /does not start with an MThd header/],
      [smf(1, 0xe728, [ok]), /SMPTE \(25 frames per second\): only files timed in ticks per quarter note/],
      [smf(1, 0, [ok]), /time division is 0 ticks per quarter note/],
      [smf(0, 96, [mtrk([[0, 0x90, 60, 100], [96]], { end: false })]), /track 0 is cut off inside an event/],
      [smf(0, 96, [mtrk([[0, 60, 100]])]), /a data byte with no status before it/],
      [smf(0, 96, [mtrk([[0, 0xf4, 1]])]), /unknown MIDI event type 0xf4/],
      [smf(0, 96, [mtrk([[0, 0xff, 0x51, 2, 1, 2]])]), /a tempo event of 2 bytes/],
      [smf(0, 96, [mtrk([[0, ...tempo(120).slice(0, 3), 0, 0, 0]])]), /a tempo of 0 microseconds/],
      [smf(0, 96, [mtrk([[0xfffffff + 1, 0x90]])]), /longer than 4 bytes|cut off/],
      [new Uint8Array(MAX_MIDI_BYTES + 1), /the file is too large: 16\.8 MB \(the limit is 16 MiB\)/],
    ];
    for (const [bytes, pattern] of cases) {
      for (const read of [midiToSequence, (b) => midiToQuantizedSequence(b, 4), (b) => readMidiTracks(b)]) {
        assert.throws(() => read(bytes), (e) => e instanceof MidiFileError && e instanceof MusicVAEError &&
          e.code === 'BAD_MIDI' && pattern.test(e.message) && !/undefined/.test(e.message), String(pattern));
      }
    }
    for (const input of [undefined, null, 'MThd', 42, {}]) assert.throws(() => midiToSequence(input), /expected MIDI bytes/);
    // A track chunk shorter than its declared length is read as far as it goes (midi-file does so).
    const short = smf(0, 96, [mtrk(scale(2, 96))]);
    assert.equal(midiToSequence(short.slice(0, short.length - 4)).notes.length, 2);
    // Fewer tracks than the header says, and chunks of unknown type, are fine.
    assert.equal(midiToSequence(smf(1, 96, [[0x58, 0x46, 0x49, 0x4c, 0, 0, 0, 1, 7], ok], { trackCount: 5 })).notes.length, 2);
  });
});

test('random damage to real files: a NoteSequence or a MidiFileError, nothing else', { skip: !haveData && 'no ../shared/data' }, () => {
  const files = sampleFiles(200);
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const info = { converter: 'melody', numSteps: 32, stepsPerBar: 16, stepsPerQuarter: 4, minPitch: 21, maxPitch: 108 };
  let refused = 0;
  for (let i = 0; i < 1500; i++) {
    const bytes = new Uint8Array(fs.readFileSync(files[i % files.length]));
    const cut = random() < 0.2 ? Math.floor(random() * bytes.length) : bytes.length;
    const damaged = bytes.subarray(0, cut);
    for (let k = 1 + Math.floor(random() * 8); k > 0; k--) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
    for (const read of [midiToSequence, (b) => midiToModelInput(b, info)]) {
      try {
        read(damaged);
      } catch (e) {
        if (!(e instanceof MidiFileError)) throw new Error(`damaged ${files[i % files.length]} (${i}): ${e.stack}`);
        refused++;
      }
    }
  }
  assert.ok(refused > 0);
});

describe('a model input from a file (page and CLI)', () => {
  const info = { converter: 'melody', numSteps: 32, stepsPerBar: 16, stepsPerQuarter: 4, minPitch: 21, maxPitch: 108 };

  test('bars that do not tile 4/4 are refused; 4/4, 2/2, 2/4 (two bars make one 4/4 bar) are read', () => {
    const inMeter = (num, den) => smf(1, 96, [mtrk([[0, ...timeSignature(num, den)]]), mtrk(scale(16, 96))]);
    for (const [num, den] of [[6, 8], [3, 4], [7, 8], [3, 2]]) {
      assert.throws(() => midiToModelInput(inMeter(num, den), info), new RegExp(`it is in ${num}/${den} from bar 0: the model reads bars of 4 quarter notes`));
    }
    for (const [num, den] of [[4, 4], [2, 2], [2, 4]]) assert.equal(midiToModelInput(inMeter(num, den), info).sequence.notes.length, 8);
    // A change to 6/8 after the window does not matter; one inside it does.
    const later = (bar) => smf(1, 96, [mtrk([[0, ...timeSignature(4, 4)], [bar * 4 * 96, ...timeSignature(6, 8)]]), mtrk(scale(40, 96))]);
    assert.equal(midiToModelInput(later(2), info).sequence.notes.length, 8);
    assert.throws(() => midiToModelInput(later(1), info), /in 6\/8 from bar 1/);
  });

  test('track and bar choices; notes that never end; no usable notes', () => {
    const file = smf(1, 96, [mtrk([[0, ...trackName('drums')], ...scale(8, 96, { channel: 9, base: 36 })]),
      mtrk([[0, ...trackName('tune')], ...scale(24, 96)])]);
    assert.equal(midiToModelInput(file, info, { track: 1, bar: 2 }).description, 'bars 3–4 of “tune”');
    assert.equal(midiToModelInput(file, info, { bar: 5 }).sequence.notes.length, 4);
    assert.throws(() => midiToModelInput(file, info, { track: 0 }), /track 0 is a drum track, and this is a melody model/);
    assert.throws(() => midiToModelInput(file, info, { track: 2 }), /it has no track 2 \(its tracks with notes are 0\.\.1\)/);
    assert.throws(() => midiToModelInput(file, info, { bar: 6 }), /bar 6 is past its last note \(in bar 5, counting from 0\)/);
    assert.throws(() => midiToModelInput(file, info, { bar: 1e20 }), /bar must be an integer >= 0/);
    assert.throws(() => midiToModelInput(file, { ...info, converter: 'trio', numSteps: 64 }, { track: 1 }), /trio model .* no single track/);
    const drumsOnly = smf(0, 96, [mtrk(scale(8, 96, { channel: 9, base: 36 }))]);
    assert.throws(() => midiToModelInput(drumsOnly, info), /it has only drums, and this is a melody model/);
    const neverEnd = smf(0, 96, [mtrk([[0, 0x90, 60, 100], [96, 0x90, 62, 100]])]);
    assert.throws(() => midiToModelInput(neverEnd, info), /the file has no notes \(its 2 note-ons never end: no note-off\)/);
    const outOfRange = smf(0, 96, [mtrk(scale(4, 96, { base: 10 }).map((r) => (r.length === 4 ? [r[0], r[1], 3, r[3]] : r)))]);
    assert.throws(() => midiToModelInput(outOfRange, { ...info, minPitch: 48, maxPitch: 50 }), /no usable notes in its first bars/);
  });
});

describe('linear time in the file size', () => {
  /** A format-0 file of about `bytes` bytes: held chords over a long melody, one track. */
  function bigFile(bytes) {
    const rows = [];
    for (let size = 0; size < bytes - 64; size += 8) {
      const p = 40 + ((size >> 3) % 48);
      rows.push([0, 0x90, p, 90], [6, 0x80, p, 0]);
    }
    return smf(0, 96, [mtrk(rows)]);
  }

  test('a 4 MB file reads in seconds (the time is in the log)', (t) => {
    const sizes = [1, 2, 4].map((mb) => mb * 1024 * 1024);
    const times = sizes.map((size) => {
      const bytes = bigFile(size);
      const start = process.hrtime.bigint();
      const ns = midiToSequence(bytes);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      assert.ok(ns.notes.length > size / 10);
      t.diagnostic(`${(bytes.length / 1e6).toFixed(1)} MB, ${ns.notes.length} notes: ${ms.toFixed(0)} ms`);
      return ms;
    });
    assert.ok(times[2] < 60000, 'a generous bound: a quadratic reader takes minutes here');
  });
});
