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
  describeControls, describeNade, coreDecoderInput, reshapeFamilyVariables,
  familyMetadata, describeControlPreprocessing, describeBooleanDecoder,
} from '../../wasm_api/checkpoint_families.mjs';
import { ConvertError, UnsupportedError } from '../../wasm_api/errors.mjs';
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
  assert.throws(() => describeNade(half, 'decoder/nade/'), (e) => e instanceof ConvertError && /w_dec_t/.test(e.message));
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
  assert.throws(() => describeControls({ chordEncoder: 'JazzChordEncoder' }), UnsupportedError);
  // multitrack_chords: the chords of each track segment (the engine lays them out per segment).
  assert.equal(describeControls({ chordEncoder: 'TriadChordEncoder', dataConverter: { type: 'MultitrackConverter' } }).depth, 49);
  assert.throws(() => describeControls({ extraControls: [{ name: 'x' }] }), /name, depth/);
});

test('control preprocessing: one bidirectional layer over the controls; anything else is named', () => {
  const prefix = (layer, direction) => tensorName('control_lstm', { layer, direction });
  const lstm = (input, units) => ({ kernel: { shape: [input + units, 4 * units] }, bias: { shape: [4 * units] } });
  const vars = (layers, input = 37, units = [6, 6]) => {
    const m = new Map();
    for (let l = 0; l < layers; l++) {
      ['fw', 'bw'].forEach((d, k) => {
        const { kernel, bias } = lstm(l ? 12 : input, units[k]);
        m.set(`${prefix(l, d)}kernel`, kernel);
        m.set(`${prefix(l, d)}bias`, bias);
      });
    }
    return m;
  };
  const controls = { depth: 37 };
  const pre = describeControlPreprocessing(vars(1), controls, prefix);
  assert.deepEqual({ units: pre.units, outputWidth: pre.outputWidth }, { units: 6, outputWidth: 12 });
  assert.equal(pre.tensors.length, 4);
  assert.equal(describeControlPreprocessing(new Map(), controls, prefix), null);
  assert.throws(() => describeControlPreprocessing(vars(2), controls, prefix), (e) => e instanceof UnsupportedError && /2 or more layers/.test(e.message));
  assert.throws(() => describeControlPreprocessing(vars(1), { depth: 0 }, prefix), /no controls/);
  assert.throws(() => describeControlPreprocessing(vars(1, 36), controls, prefix), /shape mismatch in control_preprocessing\/cell_0\/bidirectional_rnn\/fw/);
  assert.throws(() => describeControlPreprocessing(vars(1, 37, [6, 5]), controls, prefix), /forward 6 units, backward 5/);
  assert.throws(() => describeControlPreprocessing(new Map([['control_preprocessing/x/kernel', {}]]), controls, prefix),
    (e) => e instanceof UnsupportedError && /control_preprocessing\/x\/kernel/.test(e.message));
  // A boolean decoder: one logit per label, at most 16 labels.
  assert.equal(describeBooleanDecoder({}, 3), null);
  assert.deepEqual(describeBooleanDecoder({ useBooleanDecoder: true }, 3),
    { dims: 3, hidden: 0, tokenDepth: 8, outputWidth: 3, tensors: [], boolean: true });
  assert.throws(() => describeBooleanDecoder({ useBooleanDecoder: true }, 17), UnsupportedError);
});

// The converter end to end (wasm_api/checkpoint.mjs): the magenta.js layout of the test models,
// with the config.json magenta.js reads for them, gives back the MVAE files they came from.
const FAMILY_CONFIGS = {
  nade_drums: { type: 'MusicVAE', dataConverter: { type: 'DrumRollConverter', args: { numSteps: 16 } } },
  chords_mel: {
    type: 'MusicVAE', chordEncoder: 'PitchChordEncoder',
    dataConverter: { type: 'MelodyConverter', args: { numSteps: 32, minPitch: 48, maxPitch: 83 } },
  },
};

for (const [name, config] of Object.entries(FAMILY_CONFIGS)) {
  test(`buildModelFile converts the magenta.js checkpoint of ${name} to its MVAE file`, async () => {
    const { buildModelFile } = await import('../../wasm_api/checkpoint.mjs');
    const model = load(name);
    const built = parseModelFile(buildModelFile(checkpointVars(model), config, { name }));
    for (const [key, value] of Object.entries(model.meta)) {
      if (!key.startsWith('general.')) assert.deepEqual(built.meta[key], value, key);
    }
    // One key more for a drum model: a magenta.js checkpoint's drum inputs are magenta.js's (the
    // test file's inputs are tensors; it has no converter of its own to describe).
    if (model.meta['converter.type'] === 'drums') assert.equal(built.meta['converter.drum_encoding'], 'magenta_js');
    for (const key of Object.keys(built.meta)) {
      if (!key.startsWith('general.') && key !== 'converter.drum_encoding') assert.ok(key in model.meta, `extra metadata ${key}`);
    }
    assert.deepEqual([...built.tensors.keys()].sort(), [...model.tensors.keys()].sort());
    for (const [tensor, t] of model.tensors) {
      assert.deepEqual(built.tensors.get(tensor).shape, t.shape, tensor);
      assert.deepEqual(Array.from(tensorValues(built.tensors.get(tensor))), Array.from(tensorValues(t)), tensor);
    }
  });
}

test('buildModelFile: key and extraControls widen the inputs; the wrong widths are named', async () => {
  const { buildModelFile } = await import('../../wasm_api/checkpoint.mjs');
  const vars = checkpointVars(load('chords_mel'));
  // chords_mel has 37 control columns: a MajorMinor chord (25) + the key (12) fill them too.
  const keyed = { ...FAMILY_CONFIGS.chords_mel, chordEncoder: 'MajorMinorChordEncoder', conditionOnKey: true };
  const meta = parseModelFile(buildModelFile(vars, keyed)).meta;
  assert.equal(meta['musicvae.control_depth'], 37);
  assert.equal(meta['controls.chord_encoding'], 'major_minor');
  assert.equal(meta['controls.key_depth'], 12);
  const extra = { ...FAMILY_CONFIGS.chords_mel, chordEncoder: 'TriadChordEncoder' }; // 49 columns
  assert.throws(() => buildModelFile(vars, extra), (e) => e instanceof ConvertError &&
    /shape mismatch in decoder\/multi_rnn_cell\/cell_0\/lstm_cell\/: input 87, expected output 38 \+ conditioning 12 \+ controls 49/.test(e.message));
  const noChords = { ...FAMILY_CONFIGS.chords_mel, chordEncoder: undefined };
  assert.throws(() => buildModelFile(vars, noChords), /shape mismatch in decoder\/multi_rnn_cell\/cell_0/);
  const preprocessed = new Map(vars);
  preprocessed.set('control_preprocessing/cell_0/bidirectional_rnn/fw/multi_rnn_cell/cell_0/lstm_cell/kernel', { shape: [1], data: new Float32Array(1) });
  // Half a control preprocessing LSTM: named (a whole one is a family: wasm_magenta_families).
  assert.throws(() => buildModelFile(preprocessed, FAMILY_CONFIGS.chords_mel), (e) => e instanceof ConvertError &&
    /missing variable control_preprocessing\/cell_0\/bidirectional_rnn\/fw\/multi_rnn_cell\/cell_0\/lstm_cell\/bias \(control preprocessing\)/.test(e.message));
});

test('buildModelFile: a NADE whose output projection does not fit is named', async () => {
  const { buildModelFile } = await import('../../wasm_api/checkpoint.mjs');
  const vars = checkpointVars(load('nade_drums'));
  vars.set('decoder/nade/w_enc', { shape: [9, 1, 11], data: new Float32Array(99) });
  vars.set('decoder/nade/w_dec_t', { shape: [9, 11, 1], data: new Float32Array(99) });
  assert.throws(() => buildModelFile(vars, FAMILY_CONFIGS.nade_drums), /shape mismatch in decoder\/output_projection\/: width 21, the NADE needs hidden 11 \+ labels 9/);
});
