// Tests for the checkpoint converter (wasm_api/checkpoint.mjs, through its CLI models/convert.mjs):
// run with `node --test tests/js/`.
// Synthetic checkpoints are written in both magenta.js layouts; expected values are computed here from
// the raw numbers written, independently of the converter's decoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import {
  readCheckpoint, buildModelFile, parseModelFile, tensorValues, quantizeQ8,
} from '../../models/convert.mjs';
import { rng } from './checkpoint_helpers.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = process.env.MVAE_SHARED_DIR || path.resolve(ROOT, '../shared');
const REAL = path.join(SHARED, 'checkpoints/mel_2bar_small');
const quiet = { warn: () => {} };

const tmpdir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mvae-convert-'));
const numel = (shape) => shape.reduce((a, b) => a * b, 1);
const f32bytes = (values) => Buffer.from(new Float32Array(values).buffer);

// A small flat melody MusicVAE: pitches 60..63 (depth 6), z 4, encoder 5 units per direction, decoder
// LSTM [3, 2]. Shapes follow docs/model-format.md.
function flatMelodyShapes() {
  return {
    'encoder/cell_0/bidirectional_rnn/fw/multi_rnn_cell/cell_0/lstm_cell/kernel': [11, 20],
    'encoder/cell_0/bidirectional_rnn/fw/multi_rnn_cell/cell_0/lstm_cell/bias': [20],
    'encoder/cell_0/bidirectional_rnn/bw/multi_rnn_cell/cell_0/lstm_cell/kernel': [11, 20],
    'encoder/cell_0/bidirectional_rnn/bw/multi_rnn_cell/cell_0/lstm_cell/bias': [20],
    'encoder/mu/kernel': [10, 4],
    'encoder/mu/bias': [4],
    'encoder/sigma/kernel': [10, 4],
    'encoder/sigma/bias': [4],
    'decoder/z_to_initial_state/kernel': [4, 10],
    'decoder/z_to_initial_state/bias': [10],
    'decoder/multi_rnn_cell/cell_0/lstm_cell/kernel': [13, 12],
    'decoder/multi_rnn_cell/cell_0/lstm_cell/bias': [12],
    'decoder/multi_rnn_cell/cell_1/lstm_cell/kernel': [5, 8],
    'decoder/multi_rnn_cell/cell_1/lstm_cell/bias': [8],
    'decoder/output_projection/kernel': [2, 6],
    'decoder/output_projection/bias': [6],
  };
}
const MELODY_CONFIG = {
  type: 'MusicVAE',
  dataConverter: { type: 'MelodyConverter', args: { numSteps: 8, minPitch: 60, maxPitch: 63 } },
};

// Random f32 values in [-2, 2), with one block of zeros in the first kernel (scale 0 case).
function randomValues(shapes, seed) {
  const r = rng(seed);
  const out = {};
  for (const [name, shape] of Object.entries(shapes)) {
    out[name] = Float32Array.from({ length: numel(shape) }, () => r() * 4 - 2);
  }
  out['decoder/z_to_initial_state/kernel'].fill(0, 0, 10);
  return out;
}

function writeDeeplearn(dir, shapes, values, config) {
  const manifest = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const filename = name.replace(/\//g, '_');
    manifest[name] = { filename, shape };
    fs.writeFileSync(path.join(dir, filename), f32bytes(values[name]));
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  if (config) fs.writeFileSync(path.join(dir, 'converter.json'), JSON.stringify(config.dataConverter));
}

// tfjs layout: one group in two shards split mid-weight; weights alternate float32, uint8 and uint16
// quantized. Returns the values tfjs would decode: q * scale + min, rounded to f32.
function writeTfjs(dir, shapes, config, seed) {
  const r = rng(seed);
  const kinds = ['float32', 'uint8', 'uint16'];
  const weights = [];
  const chunks = [];
  const expected = {};
  Object.entries(shapes).forEach(([name, shape], i) => {
    const n = numel(shape);
    const kind = kinds[i % 3];
    if (kind === 'float32') {
      const v = Float32Array.from({ length: n }, () => r() * 4 - 2);
      chunks.push(f32bytes(v));
      weights.push({ name, shape, dtype: 'float32' });
      expected[name] = v;
    } else {
      const q = kind === 'uint8' ? Uint8Array.from({ length: n }, () => Math.floor(r() * 256))
        : Uint16Array.from({ length: n }, () => Math.floor(r() * 65536));
      const min = -1.5 - i / 10;
      const scale = kind === 'uint8' ? 3 / 255 : 3 / 65535;
      const buf = Buffer.alloc(n * q.BYTES_PER_ELEMENT);
      q.forEach((x, j) => (kind === 'uint8' ? buf.writeUInt8(x, j) : buf.writeUInt16LE(x, 2 * j)));
      chunks.push(buf);
      weights.push({ name, shape, dtype: 'float32', quantization: { min, scale, dtype: kind } });
      expected[name] = Float32Array.from(q, (x) => Math.fround(x * scale + min));
    }
  });
  const all = Buffer.concat(chunks);
  const cut = Math.floor(all.length / 2) + 3; // not on a weight boundary
  fs.writeFileSync(path.join(dir, 'group1-shard1of2'), all.subarray(0, cut));
  fs.writeFileSync(path.join(dir, 'group1-shard2of2'), all.subarray(cut));
  fs.writeFileSync(path.join(dir, 'weights_manifest.json'),
    JSON.stringify([{ paths: ['group1-shard1of2', 'group1-shard2of2'], weights }]));
  if (config) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return expected;
}

async function convert(dir, opts = {}, readOpts = {}) {
  const ck = await readCheckpoint(dir, readOpts);
  return parseModelFile(buildModelFile(ck.vars, ck.config, { ...quiet, ...opts }));
}

function assertFlatMelodyMeta(meta) {
  assert.equal(meta['general.architecture'], 'musicvae');
  assert.equal(meta['musicvae.z_size'], 4);
  assert.equal(meta['musicvae.num_steps'], 8);
  assert.equal(meta['musicvae.num_segments'], undefined);
  assert.equal(meta['musicvae.decoder'], 'flat');
  assert.equal(meta['musicvae.encoder'], 'bidirectional');
  assert.deepEqual(meta['musicvae.output_depths'], [6]);
  assert.equal(meta['musicvae.input_depth'], 6);
  assert.equal(meta['converter.type'], 'melody');
  assert.equal(meta['converter.min_pitch'], 60);
  assert.equal(meta['converter.max_pitch'], 63);
}

function assertValuesEqual(file, expected) {
  assert.equal(file.tensors.size, Object.keys(expected).length);
  for (const [name, want] of Object.entries(expected)) {
    const t = file.tensors.get(name);
    assert.ok(t, `tensor ${name}`);
    assert.equal(t.dtype, 'f32');
    assert.deepEqual(tensorValues(t), want, name);
  }
}

test('tfjs layout: two shards, float32 + uint8 + uint16 weights', async () => {
  const dir = tmpdir();
  const expected = writeTfjs(dir, flatMelodyShapes(), MELODY_CONFIG, 7);
  const file = await convert(dir, { name: 'tiny' });
  assert.equal(file.meta['general.name'], 'tiny');
  assertFlatMelodyMeta(file.meta);
  assertValuesEqual(file, expected);
  const k = file.tensors.get('decoder/multi_rnn_cell/cell_0/lstm_cell/kernel');
  assert.deepEqual(k.shape, [13, 12]);
  assert.equal(k.offset % 64, 0);
});

test('deeplearn.js layout with converter.json', async () => {
  const dir = tmpdir();
  const shapes = flatMelodyShapes();
  const values = randomValues(shapes, 3);
  writeDeeplearn(dir, shapes, values, MELODY_CONFIG);
  const file = await convert(dir);
  assertFlatMelodyMeta(file.meta);
  assertValuesEqual(file, values);
});

test('q8: per-block scales, |w - deq| <= scale / 2, biases stay f32', async () => {
  const dir = tmpdir();
  const shapes = flatMelodyShapes();
  const values = randomValues(shapes, 11);
  writeDeeplearn(dir, shapes, values, MELODY_CONFIG);
  const file = await convert(dir, { quantize: 'q8', block: 4 });
  for (const [name, shape] of Object.entries(shapes)) {
    const t = file.tensors.get(name);
    if (shape.length === 1) {
      assert.equal(t.dtype, 'f32');
      assert.deepEqual(tensorValues(t), values[name]);
      continue;
    }
    const [rows, cols] = shape;
    assert.equal(t.dtype, 'q8');
    assert.equal(t.block, Math.min(4, cols));
    const nblk = Math.ceil(cols / t.block);
    assert.equal(t.nbytes, 4 * rows * nblk + rows * cols);
    const b = Buffer.from(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < nblk; k++) {
        const scale = b.readFloatLE(4 * (r * nblk + k));
        const cs = [];
        for (let c = k * t.block; c < Math.min(cols, (k + 1) * t.block); c++) cs.push(c);
        const maxAbs = Math.max(...cs.map((c) => Math.abs(values[name][r * cols + c])));
        assert.equal(scale, Math.fround(maxAbs / 127));
        for (const c of cs) {
          const q = b.readInt8(4 * rows * nblk + r * cols + c);
          const w = values[name][r * cols + c];
          assert.ok(q >= -127 && q <= 127);
          if (scale === 0) assert.equal(q, 0);
          assert.ok(Math.abs(w - scale * q) <= (scale / 2) * (1 + 1e-6), `${name}[${r}][${c}]: ${w} vs ${scale} * ${q}`);
        }
      }
    }
  }
  // Default block 32 clamps to the row width where rows are narrower.
  const wide = await convert(dir, { quantize: 'q8' });
  assert.equal(wide.tensors.get('decoder/output_projection/kernel').block, 6);
});

test('q8 rounds ties to even, as docs/model-format.md says', async () => {
  // max 127 gives scale 1, so each value is its own w / scale.
  const w = Float32Array.from([127, 2.5, -2.5, 3.5, -3.5, 0.5, -0.5, 1.4, -1.6]);
  const out = quantizeQ8(w, 1, w.length, w.length);
  assert.equal(new DataView(out.buffer).getFloat32(0, true), 1);
  assert.deepEqual([...new Int8Array(out.buffer, 4)], [127, 2, -2, 4, -4, 0, 0, 1, -2]);
});

test('hierarchical trio: conductor, three core decoders, hierarchical encoder', async () => {
  const dir = tmpdir();
  // Pitches 60..61: depth 4 for melody and bass; drums 512. z 3, conductor [2], cores [2], encoder [2].
  const shapes = {
    'decoder/hierarchical_level_0/initial_state/kernel': [3, 4],
    'decoder/hierarchical_level_0/initial_state/bias': [4],
    'decoder/hierarchical_level_0/cell_0/lstm_cell/kernel': [3, 8],
    'decoder/hierarchical_level_0/cell_0/lstm_cell/bias': [8],
  };
  [4, 4, 512].forEach((depth, i) => {
    const p = `core_decoder/core_decoder_${i}/decoder/`;
    shapes[p + 'z_to_initial_state/kernel'] = [2, 4];
    shapes[p + 'z_to_initial_state/bias'] = [4];
    shapes[p + 'multi_rnn_cell/cell_0/lstm_cell/kernel'] = [depth + 2 + 2, 8];
    shapes[p + 'multi_rnn_cell/cell_0/lstm_cell/bias'] = [8];
    shapes[p + 'output_projection/kernel'] = [2, depth];
    shapes[p + 'output_projection/bias'] = [depth];
  });
  // Level 0 has two layers; the second reads [fw; bw] of the first (2 x 2).
  for (const [k, l, input] of [[0, 0, 520], [0, 1, 4], [1, 0, 4]]) {
    for (const d of ['fw', 'bw']) {
      const p = `encoder/hierarchical_level_${k}/cell_${l}/bidirectional_rnn/${d}/multi_rnn_cell/cell_0/lstm_cell/`;
      shapes[p + 'kernel'] = [input + 2, 8];
      shapes[p + 'bias'] = [8];
    }
  }
  shapes['encoder/mu/kernel'] = [4, 3];
  shapes['encoder/mu/bias'] = [3];
  const config = {
    type: 'MusicVAE',
    dataConverter: {
      type: 'TrioConverter',
      args: { numSteps: 16, numSegments: 4, melArgs: { minPitch: 60, maxPitch: 61 },
        bassArgs: { minPitch: 60, maxPitch: 61 }, drumsArgs: {} },
    },
  };
  writeTfjs(dir, shapes, config, 5);
  const { meta, tensors } = await convert(dir);
  assert.equal(meta['musicvae.z_size'], 3);
  assert.equal(meta['musicvae.num_steps'], 16);
  assert.equal(meta['musicvae.num_segments'], 4);
  assert.equal(meta['musicvae.decoder'], 'hierarchical');
  assert.equal(meta['musicvae.encoder'], 'hierarchical');
  assert.deepEqual(meta['musicvae.output_depths'], [4, 4, 512]);
  assert.equal(meta['musicvae.input_depth'], 520);
  assert.equal(meta['converter.type'], 'trio');
  assert.equal(meta['converter.drums_roll_input'], 0);
  assert.equal(tensors.size, Object.keys(shapes).length);
});

test('the shared mel_2bar_small checkpoint converts; f32 tensors equal the raw files', async (t) => {
  if (!fs.existsSync(path.join(REAL, 'manifest.json'))) return t.skip(`no checkpoint at ${REAL}`);
  await assert.rejects(readCheckpoint(REAL), /missing file .*lstm_cell_kernel.*--allow-missing-encoder/);
  const ck = await readCheckpoint(REAL, { allowMissingEncoder: true });
  assert.equal(ck.layout, 'deeplearn');
  assert.equal(ck.dropped.length, 4); // both encoder LSTM kernels and their biases
  const { meta, tensors } = parseModelFile(buildModelFile(ck.vars, ck.config, { ...quiet, name: 'mel_2bar_small' }));
  assert.equal(meta['musicvae.z_size'], 256);
  assert.equal(meta['musicvae.num_steps'], 32);
  assert.deepEqual(meta['musicvae.output_depths'], [90]);
  assert.equal(meta['musicvae.input_depth'], 90);
  assert.equal(meta['musicvae.decoder'], 'flat');
  assert.equal(meta['musicvae.encoder'], 'bidirectional');
  assert.equal(meta['converter.type'], 'melody');
  assert.equal(meta['converter.min_pitch'], 21);
  assert.equal(meta['converter.max_pitch'], 108);
  assert.equal(tensors.size, 12); // decoder 8 + encoder mu / sigma 4
  const manifest = JSON.parse(fs.readFileSync(path.join(REAL, 'manifest.json'), 'utf8'));
  for (const [name, tensor] of tensors) {
    assert.equal(tensor.dtype, 'f32');
    assert.deepEqual(tensor.shape, manifest[name].shape);
    const raw = fs.readFileSync(path.join(REAL, manifest[name].filename));
    assert.ok(raw.equals(Buffer.from(tensor.bytes)), `${name} differs from its raw file`);
  }
});

test('models/build.sh\'s q8 conversion of mel_2bar_small matches the shared checkpoint', async (t) => {
  if (!fs.existsSync(path.join(REAL, 'manifest.json'))) return t.skip(`no checkpoint at ${REAL}`);
  const converted = path.join(ROOT, 'build/magenta/mel_2bar_small_decoder.q8.mvae');
  if (!fs.existsSync(converted)) return t.skip('run models/build.sh first');
  const file = parseModelFile(fs.readFileSync(converted));
  assert.equal(file.meta['general.name'], 'mel_2bar_small');
  assert.equal(file.meta['general.license'], 'Apache-2.0');
  assert.equal(file.meta['musicvae.z_size'], 256);
  assert.equal(file.tensors.size, 12);
  const manifest = JSON.parse(fs.readFileSync(path.join(REAL, 'manifest.json'), 'utf8'));
  for (const [name, tensor] of file.tensors) {
    const raw = fs.readFileSync(path.join(REAL, manifest[name].filename));
    const w = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
    const deq = tensorValues(tensor);
    if (tensor.shape.length === 1) {
      assert.equal(tensor.dtype, 'f32');
      assert.deepEqual(deq, w);
      continue;
    }
    assert.equal(tensor.dtype, 'q8');
    const [rows, cols] = tensor.shape;
    const block = Math.min(128, cols); // models/build.sh leaves the writers' default block, 128
    assert.equal(tensor.block, block);
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      for (let c0 = 0; c0 < cols; c0 += block) {
        let max = 0;
        for (let c = c0; c < Math.min(cols, c0 + block); c++) max = Math.max(max, Math.abs(w[r * cols + c]));
        for (let c = c0; c < Math.min(cols, c0 + block); c++) {
          // Rounding to the nearest step: within half a step, plus the f32 product's own rounding
          // (half an ulp of scale * q) in the dequantized value.
          const bound = Math.fround(max / 127) / 2 + Math.abs(deq[r * cols + c]) * 2 ** -24;
          worst = Math.max(worst, Math.abs(w[r * cols + c] - deq[r * cols + c]) / (bound || 1));
        }
      }
    }
    assert.ok(worst <= 1, `${name}: error ${worst} x its bound`);
  }
});

test('clear errors for broken checkpoints', async () => {
  const shapes = flatMelodyShapes();
  const setup = () => {
    const dir = tmpdir();
    writeDeeplearn(dir, shapes, randomValues(shapes, 1), MELODY_CONFIG);
    return dir;
  };
  const build = async (dir, config) => {
    const ck = await readCheckpoint(dir);
    return buildModelFile(ck.vars, config || ck.config, quiet);
  };

  let dir = setup();
  fs.unlinkSync(path.join(dir, 'decoder_output_projection_kernel'));
  await assert.rejects(() => build(dir), /missing or unreadable file .*decoder_output_projection_kernel/);

  dir = setup();
  fs.truncateSync(path.join(dir, 'decoder_multi_rnn_cell_cell_1_lstm_cell_kernel'), 100);
  await assert.rejects(() => build(dir), /100 bytes, but decoder\/multi_rnn_cell\/cell_1\/lstm_cell\/kernel of shape \[5, 8\] needs 160/);

  dir = setup(); // declared shape consistent with the file size, inconsistent with the model
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json')));
  manifest['decoder/output_projection/kernel'].shape = [3, 4];
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  await assert.rejects(() => build(dir), /shape mismatch in decoder\/output_projection\//);

  dir = setup();
  // A multitrack configuration on a melody checkpoint: what the converter needs is named.
  await assert.rejects(() => build(dir, { type: 'MusicVAE', dataConverter: { type: 'MultitrackConverter', args: { numSteps: 8 } } }),
    /MultitrackConverter: totalSteps undefined is not an integer/);
  await assert.rejects(() => build(dir, { type: 'GrooveConverter', args: { numSteps: 8 } }),
    /unsupported: the checkpoint's output depths \[\d+\] do not match the groove converter's \[27\]/);
  await assert.rejects(() => build(dir, { ...MELODY_CONFIG, chordEncoder: 'JazzChordEncoder' }), /unsupported: chordEncoder JazzChordEncoder \(supported: /);
  await assert.rejects(() => build(dir, { type: 'PerformanceConverter', args: { numSteps: 8 } }),
    /unsupported: converter type PerformanceConverter \(supported: MelodyConverter, /);
  await assert.rejects(() => build(dir, { type: 'MelodyConverter', args: { numSteps: 8, minPitch: 60, maxPitch: 70 } }),
    /output depths \[6\] do not match the melody converter's \[13\]/);

  dir = setup();
  fs.writeFileSync(path.join(dir, 'nade'), f32bytes([1, 2]));
  manifest['decoder/nade/w_enc'] = { filename: 'nade', shape: [2] };
  manifest['decoder/output_projection/kernel'].shape = [2, 6];
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  await assert.rejects(() => build(dir), /missing variable decoder\/nade\/w_dec_t \(the NADE has only half its weights\)/);

  dir = setup();
  const nan = new Float32Array(12);
  nan[5] = NaN;
  fs.writeFileSync(path.join(dir, 'decoder_output_projection_kernel'), f32bytes(nan));
  await assert.rejects(() => build(dir), /non-finite weight NaN at index 5/);

  dir = tmpdir(); // tfjs: a shard cut short
  writeTfjs(dir, shapes, MELODY_CONFIG, 2);
  fs.truncateSync(path.join(dir, 'group1-shard2of2'), 10);
  await assert.rejects(() => build(dir), /too few for weight|truncated/);
});

test('command line: writes the same bytes as buildModelFile, fails with a message', async () => {
  const dir = tmpdir();
  const shapes = flatMelodyShapes();
  const values = randomValues(shapes, 4);
  writeDeeplearn(dir, shapes, values, MELODY_CONFIG);
  const out = path.join(dir, 'out.mvae');
  const cli = path.join(ROOT, 'models/convert.mjs');
  let r = spawnSync(process.execPath, [cli, dir, out, '--quantize', 'q8', '--block', '4', '--name', 'x', '--license', 'MIT']);
  assert.equal(r.status, 0, r.stderr.toString());
  const ck = await readCheckpoint(dir);
  const want = buildModelFile(ck.vars, ck.config, { ...quiet, quantize: 'q8', block: 4, name: 'x', license: 'MIT' });
  assert.ok(Buffer.from(want).equals(fs.readFileSync(out)));

  r = spawnSync(process.execPath, [cli, path.join(dir, 'nope'), out]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.toString(), /checkpoint directory not found/);
  r = spawnSync(process.execPath, [cli, dir, out, '--quantize', 'q4']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.toString(), /unsupported: --quantize q4/);
});
