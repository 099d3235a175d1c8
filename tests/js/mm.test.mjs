// musicvae-wasm/mm against @magenta/music 1.23.1: a magenta.js demo (tests/js/demo_snippet.mjs) run
// unchanged with either namespace gives the same music from the same checkpoint URL; the sequences
// helpers give magenta.js's results; the players resolve under Node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';

import * as ours from '../../wasm_api/mm.mjs';
import { mm as fromIndex } from '../../wasm_api/index.mjs';
import { ROOT, relativeError, tmpdir } from './wasm_helpers.mjs';
import { quietly, serveDirectory, writeCheckpoint } from './checkpoint_helpers.mjs';
import { magentaCore } from './midi_helpers.mjs';
import { demo } from './demo_snippet.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
let server, url, magenta;

before(async () => {
  const root = tmpdir('mvae-demo-');
  writeCheckpoint('flat_mel', { quantization: 'uint8', seed: 3, root });
  let base;
  ({ server, base } = await serveDirectory(root));
  url = `${base}/flat_mel_uint8`;
  await quietly(async () => {
    const tf = require('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    magenta = { ...magentaCore(), MusicVAE: require('@magenta/music/node/music_vae').MusicVAE };
  });
});
after(() => server && server.close());

// Steps of quantized sequences (magenta.js's decodes carry no times; ours add them), times of others.
const notes = (ns) => ns.notes.map((n) => [n.pitch, ...(ns.quantizationInfo && ns.quantizationInfo.stepsPerQuarter
  ? [Number(n.quantizedStartStep || 0), Number(n.quantizedEndStep || 0)] : [n.startTime || 0, n.endTime || 0]),
n.instrument || 0, n.program || 0, !!n.isDrum]);

test('the index exports the same namespace', () => assert.equal(fromIndex.MusicVAE, ours.MusicVAE));

test('a magenta.js demo, unchanged but for the namespace, gives magenta.js\'s results', async () => {
  const theirs = await quietly(() => demo(magenta, url));
  const mine = await demo(ours, url);
  assert.deepEqual(mine.zShape, theirs.zShape);
  mine.zValues.forEach((row, i) => assert.ok(relativeError(row, theirs.zValues[i]) <= 1e-4, `z ${i}`));
  for (const key of ['reconstructed', 'interpolated']) {
    assert.equal(mine[key].length, theirs[key].length);
    mine[key].forEach((ns, i) => assert.deepEqual(notes(ns), notes(theirs[key][i]), `${key} ${i}`));
  }
  assert.ok(mine.interpolated.some((ns) => ns.notes.length > 0), 'the decodes have notes');
  for (const key of ['concatenated', 'merged', 'unquantized']) {
    assert.deepEqual(notes(mine[key]), notes(theirs[key]), key);
  }
  assert.equal(Number(mine.concatenated.totalQuantizedSteps), Number(theirs.concatenated.totalQuantizedSteps));
  assert.equal(mine.unquantized.totalTime, theirs.unquantized.totalTime);
  // MIDI: decoded notes have no velocity. magenta.js's quantized path then writes velocity 0 (a
  // note-on of velocity 0 is a note-off: its file reads back empty); wasm_api/midi.mjs writes
  // magenta.js's default 80 (tests/js/midi.test.mjs), byte for byte what magenta.js writes for 80.
  assert.equal(theirs.readBack.notes.length, 0);
  const at80 = structuredClone(theirs.concatenated);
  at80.notes.forEach((n) => (n.velocity = 80));
  assert.deepEqual(Array.from(mine.midi), Array.from(magenta.sequenceProtoToMidi(at80)));
  assert.deepEqual(notes(mine.readBack), notes(magenta.midiToSequenceProto(magenta.sequenceProtoToMidi(at80))));
});

test('sequences helpers equal magenta.js\'s on hand-made sequences', () => {
  const q = { notes: [{ pitch: 60, quantizedStartStep: 0, quantizedEndStep: 2, instrument: 0 },
    { pitch: 60, quantizedStartStep: 2, quantizedEndStep: 4, instrument: 0 },
    { pitch: 62, quantizedStartStep: 16, quantizedEndStep: 18, instrument: 1, program: 33 },
    { pitch: 36, quantizedStartStep: 3, quantizedEndStep: 4, isDrum: true, instrument: 2 }],
  quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: 32, tempos: [{ time: 0, qpm: 100 }] };
  const m = magenta.sequences;
  const s = ours.sequences;
  assert.deepEqual(notes(s.mergeConsecutiveNotes(q)), notes(m.mergeConsecutiveNotes(structuredClone(q))));
  assert.deepEqual(notes(s.trim(q, 2, 20)), notes(m.trim(structuredClone(q), 2, 20)));
  assert.deepEqual(notes(s.trim(q, 2, 17, true)), notes(m.trim(structuredClone(q), 2, 17, true)));
  assert.deepEqual(notes(s.mergeInstruments(q)), notes(m.mergeInstruments(structuredClone(q))));
  assert.deepEqual(notes(s.unquantizeSequence(q)), notes(m.unquantizeSequence(structuredClone(q))));
  assert.deepEqual(notes(s.concatenate([q, q], [8, 32])), notes(m.concatenate([structuredClone(q), structuredClone(q)], [8, 32])));
  assert.deepEqual(s.createQuantizedNoteSequence(8, 90).quantizationInfo, { stepsPerQuarter: 8 });
  assert.equal(s.isQuantizedSequence(q), m.isQuantizedSequence(q));
  assert.equal(s.isRelativeQuantizedSequence({ quantizationInfo: { stepsPerSecond: 100 } }), false);
  assert.equal(s.isQuantizedSequence({ quantizationInfo: { stepsPerSecond: 100 } }), true);
});

test('Player and MIDIPlayer under Node: start resolves, calling back each note; no Web MIDI', async () => {
  const seen = [];
  let stopped = 0;
  const player = new ours.Player(false, { run: (n) => seen.push(n.pitch), stop: () => stopped++ });
  await player.start({ notes: [{ pitch: 60, quantizedStartStep: 0, quantizedEndStep: 2 }, { pitch: 62, quantizedStartStep: 2, quantizedEndStep: 4 }],
    quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: 4 });
  assert.deepEqual(seen, [60, 62]);
  assert.equal(stopped, 1);
  assert.equal(player.isPlaying(), false);
  await assert.rejects(new ours.MIDIPlayer().requestMIDIAccess(), /Web MIDI is not available/);
});
