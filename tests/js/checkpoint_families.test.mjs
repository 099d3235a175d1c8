// wasm_api/checkpoint_families.mjs: the magenta.js -> MVAE mapping of the NADE and controls
// families, checked against the test models tests/data/{nade_drums,chords_mel}.mvae (written by
// the NumPy reference's tools in MVAE layout) and the magenta.js checkpoint layout of the same
// weights (NADE weights 3-D, as Magenta and magenta.js store them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { parseModelFile, tensorName, tensorValues } from '../../models/convert.mjs';
import {
  FamilyError, describeControls, describeNade, coreDecoderInput, reshapeFamilyVariables,
  familyMetadata, rejectUnsupportedFamilies,
} from '../../wasm_api/checkpoint_families.mjs';
import { ROOT } from './wasm_helpers.mjs';

const load = (name) => parseModelFile(fs.readFileSync(path.join(ROOT, 'tests/data', `${name}.mvae`)));

// The model's weights as a magenta.js checkpoint holds them: {shape, data}, NADE weights 3-D.
function checkpointVars(model) {
  const vars = new Map();
  for (const [name, t] of model.tensors) {
    let shape = t.shape;
    if (name.endsWith('nade/w_enc')) shape = [shape[0], 1, shape[1]];
    if (name.endsWith('nade/w_dec_t')) shape = [shape[0], shape[1], 1];
    vars.set(name, { shape, data: tensorValues(t) });
  }
  return vars;
}

test('NADE: shapes, widths and metadata of drums_2bar_nade-style checkpoints', () => {
  const model = load('nade_drums');
  const vars = checkpointVars(model);
  const core = tensorName('flat_decoder');
  const nade = describeNade(vars, tensorName('decoder_nade', { core }));
  assert.deepEqual({ ...nade, tensors: undefined }, { dims: 9, hidden: 12, tokenDepth: 512, outputWidth: 21, tensors: undefined });
  assert.deepEqual(nade.tensors, ['decoder/nade/w_enc', 'decoder/nade/w_dec_t']);
  // The widths the file has: output projection [top units, hidden + dims]; cell 0 [labels, z] + h.
  assert.equal(model.tensors.get(`${tensorName('decoder_output', { core })}kernel`).shape[1], nade.outputWidth);
  const cell0 = model.tensors.get(`${tensorName('decoder_lstm', { core, layer: 0 })}kernel`).shape;
  assert.equal(cell0[0] - cell0[1] / 4, coreDecoderInput({ depth: 512, nade, condIn: 8 }));
  // Reshaped to the file's 2-D shapes, values unchanged.
  const reshaped = reshapeFamilyVariables(vars);
  for (const name of nade.tensors) {
    assert.deepEqual(reshaped.get(name).shape, model.tensors.get(name).shape);
    assert.deepEqual(Array.from(reshaped.get(name).data), Array.from(tensorValues(model.tensors.get(name))));
  }
  assert.deepEqual(familyMetadata({ nade }), [['musicvae.output_layer', 'str', model.meta['musicvae.output_layer']]]);
  assert.equal(describeNade(checkpointVars(load('flat_small')), tensorName('decoder_nade', { core })), null);
  // Half a NADE, or magenta.js shapes that do not fit, are refused by name.
  const half = new Map(vars);
  half.delete('decoder/nade/w_dec_t');
  assert.throws(() => describeNade(half, 'decoder/nade/'), (e) => e instanceof FamilyError && /w_dec_t/.test(e.message));
  const bad = new Map(vars);
  bad.set('decoder/nade/w_dec_t', { shape: [9, 11, 1], data: new Float32Array(99) });
  assert.throws(() => describeNade(bad, 'decoder/nade/'), /shape mismatch in decoder\/nade\/w_dec_t/);
});

test('controls: chord encoders, key and extraControls in magenta.js\'s order', () => {
  const model = load('chords_mel');
  const controls = describeControls({ type: 'MusicVAE', chordEncoder: 'PitchChordEncoder', dataConverter: { type: 'MelodyConverter', args: { numSteps: 32 } } });
  assert.equal(controls.depth, 37);
  assert.deepEqual(familyMetadata({ controls }), [
    ['musicvae.control_depth', 'i32', model.meta['musicvae.control_depth']],
    ['controls.chord_encoding', 'str', model.meta['controls.chord_encoding']],
  ]);
  const cell0 = model.tensors.get(`${tensorName('decoder_lstm', { core: 'decoder/', layer: 0 })}kernel`).shape;
  assert.equal(cell0[0] - cell0[1] / 4, coreDecoderInput({ depth: 38, condIn: 12, controlDepth: controls.depth }));
  const all = describeControls({ chordEncoder: 'MajorMinorChordEncoder', conditionOnKey: true, extraControls: [{ name: 'rhythm', depth: 2 }, { name: 'density', depth: 1 }] });
  assert.deepEqual(all, {
    depth: 40, chords: { encoding: 'major_minor', depth: 25, offset: 0 }, key: { depth: 12, offset: 25 },
    extra: [{ name: 'rhythm', depth: 2, offset: 37 }, { name: 'density', depth: 1, offset: 39 }],
  });
  assert.deepEqual(familyMetadata({ controls: all }), [
    ['musicvae.control_depth', 'i32', 40], ['controls.chord_encoding', 'str', 'major_minor'],
    ['controls.key_depth', 'i32', 12], ['controls.extra', 'str', 'rhythm:2,density:1'],
  ]);
  assert.equal(describeControls({ dataConverter: { type: 'MelodyConverter' } }).depth, 0);
  assert.deepEqual(familyMetadata({}), []);
  assert.throws(() => describeControls({ chordEncoder: 'JazzChordEncoder' }), FamilyError);
  assert.throws(() => describeControls({ chordEncoder: 'PitchChordEncoder', dataConverter: { type: 'MultitrackConverter' } }), /MultitrackConverter/);
  assert.throws(() => describeControls({ extraControls: [{ name: 'x' }] }), /name, depth/);
  assert.throws(() => rejectUnsupportedFamilies(new Map([['control_preprocessing/cell_0/bidirectional_rnn/fw/multi_rnn_cell/cell_0/lstm_cell/kernel', {}]])), /control preprocessing/);
});
