// Tests for wasm_api/checkpoint.mjs beyond the layouts (tests/js/convert.test.mjs): checkpoints read
// over HTTP and from file: URLs give the same bytes as from a folder, download progress, the
// schema copy the browser reads, and an error for every magenta.js family the engine does not run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { convertCheckpoint, isCheckpoint } from '../../wasm_api/checkpoint.mjs';
import { UnsupportedError, ConvertError } from '../../wasm_api/errors.mjs';
import { schemaModule } from '../../wasm_api/gen_schema.mjs';
import { ROOT } from './wasm_helpers.mjs';
import { serveDirectory, writeCheckpoint, FAMILIES } from './checkpoint_helpers.mjs';

let server, base, dir;
before(async () => {
  dir = writeCheckpoint('flat_mel', { quantization: 'uint8' });
  ({ server, base } = await serveDirectory(path.dirname(dir)));
});
after(() => server && server.close());

test('wasm_api/schema.mjs is up to date with src/format/schema.json (node wasm_api/gen_schema.mjs)', () => {
  assert.equal(fs.readFileSync(path.join(ROOT, 'wasm_api/schema.mjs'), 'utf8'), schemaModule());
});

test('a folder, its file: URL and its HTTP URL convert to the same bytes; progress reaches the total', async () => {
  const fromDir = await convertCheckpoint(dir, { name: 'x', warn: () => {} });
  const fromFileUrl = await convertCheckpoint(pathToFileURL(dir).href, { name: 'x' });
  const calls = [];
  const fromHttp = await convertCheckpoint(`${base}/${path.basename(dir)}/`, {
    name: 'x', onProgress: (loaded, total) => calls.push([loaded, total]),
  });
  assert.deepEqual(fromFileUrl.bytes, fromDir.bytes);
  assert.deepEqual(fromHttp.bytes, fromDir.bytes);
  assert.ok(calls.length >= 1);
  const shardBytes = fs.readdirSync(dir).filter((f) => f.startsWith('group'))
    .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  assert.deepEqual(calls.at(-1), [shardBytes, shardBytes]);
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] >= calls[i - 1][0]);
});

test('isCheckpoint: a folder with config.json, not an .mvae file or a missing URL', async () => {
  assert.equal(await isCheckpoint(`${base}/${path.basename(dir)}`), true);
  assert.equal(await isCheckpoint(`${base}/nothing-here`), false);
  assert.equal(await isCheckpoint(path.join(ROOT, 'models/mel_2bar_small.q8.mvae')), false);
  // A server that answers every path with its HTML page (a single-page app's fallback).
  const html = path.join(path.dirname(dir), 'html');
  fs.mkdirSync(html, { recursive: true });
  fs.writeFileSync(path.join(html, 'config.json'), '<!doctype html><html></html>');
  assert.equal(await isCheckpoint(`${base}/html`), false);
});

test('HTTP errors name the file', async () => {
  await assert.rejects(convertCheckpoint(`${base}/nothing-here`), (e) => e instanceof ConvertError &&
    /nothing-here: no weights_manifest.json \(tfjs\) or manifest.json/.test(e.message));
});

// The families magenta.js hosts that the engine does not run (README, "magenta.js checkpoints"), and
// configurations it cannot run: each is refused with what it needs, never a shape mismatch.
const REFUSED = [
  [{ chordEncoder: 'JazzChordEncoder' }, /chordEncoder JazzChordEncoder \(supported: PitchChordEncoder, MajorMinorChordEncoder, TriadChordEncoder\)/],
  [{ useBooleanDecoder: true }, /a boolean decoder over 90 labels \(at most 16\)/],
  // (GrooVAE runs now: a GrooveConverter config on this melody checkpoint is refused by its widths.)
  [{ dataConverter: { type: 'GrooveConverter', args: { numSteps: 8 } } }, /output depths \[\d+\] do not match the groove converter's \[27\]/],
  [{ dataConverter: { type: 'MelodyRhythmConverter', args: { numSteps: 8 } } }, /MelodyRhythmConverter needs config.useBooleanDecoder/],
  [{ dataConverter: { type: 'TrioRhythmConverter', args: { numSteps: 8 } } }, /TrioRhythmConverter needs config.useBooleanDecoder/],
  [{ type: 'MusicRNN' }, /model type MusicRNN/],
];
for (const [change, message] of REFUSED) {
  test(`refused with its reason: ${JSON.stringify(change)}`, async () => {
    const config = { ...JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')), ...change };
    await assert.rejects(convertCheckpoint(dir, { config }), (e) => e instanceof UnsupportedError &&
      /^unsupported: /.test(e.message) && message.test(e.message));
  });
}

// Controls the checkpoint's weights were not trained with: its cell 0 and encoder are too narrow.
test('a chord config on an unconditioned checkpoint is a shape mismatch that names the controls', async () => {
  const config = { ...JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')), chordEncoder: 'PitchChordEncoder' };
  await assert.rejects(convertCheckpoint(dir, { config }), (e) => e instanceof ConvertError &&
    /shape mismatch in decoder\/multi_rnn_cell\/cell_0\/lstm_cell\/: input \d+, expected output \d+ \+ conditioning \d+ \+ controls 37/.test(e.message));
});

// The rhythm and shape families' configurations the engine cannot run, on their own weights.
test('rhythm and shape checkpoints with a configuration that does not fit are refused with why', async () => {
  const cases = [
    ['mel_rhythm', { useBooleanDecoder: false }, /MelodyRhythmConverter needs config.useBooleanDecoder/],
    ['mel_shape', { useBooleanDecoder: true }, /MelodyShapeConverter with useBooleanDecoder/],
    ['trio_rhythm', { dataConverter: { ...FAMILIES.trio_rhythm.config.dataConverter, args: { ...FAMILIES.trio_rhythm.config.dataConverter.args, numSegments: undefined } } },
      /TrioRhythmConverter without numSegments/],
    ['mel_multicontrol', { extraControls: [{ name: 'rhythm', depth: 1 }] }, /shape mismatch in control_preprocessing\/cell_0\/bidirectional_rnn\/fw\/.*expected \[controls 38 \+ units/],
  ];
  for (const [family, change, message] of cases) {
    const dir = writeCheckpoint(family, { quantization: 'uint8' });
    await assert.rejects(convertCheckpoint(dir, { config: { ...FAMILIES[family].config, ...change } }), (e) =>
      (e instanceof UnsupportedError || e instanceof ConvertError) && message.test(e.message), family);
  }
});

test('every supported family converts from its magenta.js checkpoint', async () => {
  for (const family of Object.keys(FAMILIES)) {
    const { bytes } = await convertCheckpoint(writeCheckpoint(family, { quantization: 'uint16' }));
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'MVAE', family);
  }
});

test('musicvae convert URL|DIR OUT: the converter\'s bytes, written whole or not at all', async () => {
  const { spawn } = await import('node:child_process');
  const run = (args) => new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(ROOT, 'wasm_api/cli.mjs'), 'convert', ...args]);
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stderr }));
  });
  const out = path.join(path.dirname(dir), 'out.mvae');
  const url = `${base}/${path.basename(dir)}`;
  let r = await run([url, out, '--quantize', 'q8', '--name', 'x']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /downloading: .* MB\n[^]*out\.mvae: \d+ bytes/);
  const want = await convertCheckpoint(dir, { quantize: 'q8', name: 'x', source: url });
  assert.deepEqual(new Uint8Array(fs.readFileSync(out)), want.bytes);
  // A failure (a family the engine does not run) leaves the existing file as it was, and no temporary.
  const bad = path.join(path.dirname(dir), 'chords.json');
  fs.writeFileSync(bad, JSON.stringify({ ...FAMILIES.flat_mel.config, useBooleanDecoder: true }));
  r = await run([dir, out, '--config', bad]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unsupported: a boolean decoder over 90 labels .* \[UNSUPPORTED\]/);
  assert.deepEqual(new Uint8Array(fs.readFileSync(out)), want.bytes);
  assert.deepEqual(fs.readdirSync(path.dirname(dir)).filter((f) => f.endsWith('.tmp')), []);
  r = await run([dir]);
  assert.equal(r.code, 2);
});

test('float16 weights (tfjs quantization dtype float16) decode as IEEE halves', async () => {
  const { readCheckpoint } = await import('../../wasm_api/checkpoint.mjs');
  // Hand-worked halves: sign, exponent, mantissa -> value.
  const halves = [[0x3c00, 1], [0xc000, -2], [0x3800, 0.5], [0x3555, 0.333251953125], [0x0001, 2 ** -24],
    [0x8000, -0], [0x7bff, 65504], [0x3e00, 1.5]];
  const f16 = path.join(path.dirname(dir), 'f16');
  fs.mkdirSync(f16, { recursive: true });
  const shard = Buffer.alloc(2 * halves.length);
  halves.forEach(([h], i) => shard.writeUInt16LE(h, 2 * i));
  fs.writeFileSync(path.join(f16, 'group1-shard1of1'), shard);
  fs.writeFileSync(path.join(f16, 'weights_manifest.json'), JSON.stringify([{ paths: ['group1-shard1of1'],
    weights: [{ name: 'encoder/mu/bias', shape: [halves.length], dtype: 'float32', quantization: { dtype: 'float16' } }] }]));
  const { vars } = await readCheckpoint(f16);
  assert.deepEqual(Array.from(vars.get('encoder/mu/bias').data), halves.map(([, v]) => v));
});

test('new MusicVAE(url): a checkpoint folder, a spec in place of config.json, a URL that is neither', async () => {
  const { MusicVAE } = await import('../../wasm_api/musicvae.mjs');
  const { BadModelError } = await import('../../wasm_api/errors.mjs');
  const z = [new Float32Array(8).fill(0.5)];
  const viaUrl = new MusicVAE(`${base}/${path.basename(dir)}/`);
  const want = (await viaUrl.decodeTokens(z)).tokens;
  viaUrl.dispose();
  // magenta.js's second argument, a MusicVAESpec, stands in for config.json.
  const noConfig = path.join(path.dirname(dir), 'no_config');
  fs.cpSync(dir, noConfig, { recursive: true });
  fs.rmSync(path.join(noConfig, 'config.json'));
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const viaSpec = new MusicVAE(`${base}/no_config`, spec);
  assert.deepEqual((await viaSpec.decodeTokens(z)).tokens, want);
  viaSpec.dispose();
  const neither = new MusicVAE(`${base}/${path.basename(dir)}/weights_manifest.json`);
  await assert.rejects(neither.initialize(), (e) => e instanceof BadModelError &&
    /is neither an MVAE model file nor a magenta.js checkpoint folder \(no .*weights_manifest.json\/config.json\)/.test(e.message));
});

test('the CLI takes a checkpoint URL as --model', async () => {
  const { spawnSync } = await import('node:child_process');
  // spawnSync would block this process's server: the CLI runs on a folder here, over HTTP above.
  const r = spawnSync(process.execPath, [path.join(ROOT, 'wasm_api/cli.mjs'), 'info', '-m', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /name\s+flat_mel_uint8\n/);
  assert.match(r.stdout, /z size\s+8\n/);
});

test('a feature with convert() adds its metadata and tensors (where a new family plugs in)', async () => {
  const { CHECKPOINT_FEATURES, parseModelFile } = await import('../../wasm_api/checkpoint.mjs');
  const extra = path.join(path.dirname(dir), 'extra');
  fs.cpSync(dir, extra, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(extra, 'weights_manifest.json'), 'utf8'));
  manifest.push({ paths: ['extra.bin'], weights: [{ name: 'decoder/test_feature/w', shape: [2], dtype: 'float32' }] });
  fs.writeFileSync(path.join(extra, 'weights_manifest.json'), JSON.stringify(manifest));
  fs.writeFileSync(path.join(extra, 'extra.bin'), Buffer.from(new Float32Array([1.5, -2]).buffer));
  await assert.rejects(convertCheckpoint(extra), /unsupported: unexpected variable decoder\/test_feature\/w/);
  const feature = {
    name: 'test feature', inVars: /\/test_feature\//,
    convert: ({ vars }) => ({ meta: [['test.width', 'i32', vars.get('decoder/test_feature/w').shape[0]]], tensors: ['decoder/test_feature/w'] }),
  };
  CHECKPOINT_FEATURES.push(feature);
  try {
    const { meta, tensors } = parseModelFile((await convertCheckpoint(extra)).bytes);
    assert.equal(meta['test.width'], 2);
    assert.ok(tensors.has('decoder/test_feature/w'));
  } finally {
    CHECKPOINT_FEATURES.pop();
  }
});
