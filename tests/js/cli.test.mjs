// The `musicvae` CLI (wasm_api/cli.mjs, the package's bin) on the WebAssembly build.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import toneMidi from '@tonejs/midi';

import { MusicVAE } from '../../wasm_api/index.mjs';
import { sequencesToMidi } from '../../wasm_api/midi.mjs';
import {
  ROOT, CLI, Q8_MODEL, benchModels, nativeSample, eventsToSequence, sequenceToEvents, tmpdir,
} from './wasm_helpers.mjs';

const { Midi } = toneMidi;

function run(args, opts = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: opts.cwd || ROOT, maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const tokenLines = (stdout) => stdout.trim().split('\n').map((l) => l.split(' ').map(Number));
const canonical = (tokens) => sequenceToEvents(eventsToSequence(Array.from(tokens)));

/** Melody events of each 2-bar window of a MIDI file written by the CLI (120 qpm). */
function midiEvents(file, count) {
  const midi = new Midi(fs.readFileSync(file));
  const stepTicks = midi.header.ppq / 4;
  const notes = midi.tracks.flatMap((t) => t.notes);
  return Array.from({ length: count }, (_, i) => sequenceToEvents({
    notes: notes.filter((n) => Math.round(n.ticks / stepTicks) >= 32 * i && Math.round(n.ticks / stepTicks) < 32 * (i + 1))
      .map((n) => ({
        pitch: n.midi,
        quantizedStartStep: Math.round(n.ticks / stepTicks) - 32 * i,
        quantizedEndStep: Math.round((n.ticks + n.durationTicks) / stepTicks) - 32 * i,
      })),
  }));
}

let dir, api;
before(async () => {
  dir = tmpdir('mvae-cli-');
  api = new MusicVAE(Q8_MODEL);
  await api.initialize();
});
after(() => api.dispose());

describe('usage', () => {
  test('the package bin is this CLI', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.equal(path.resolve(ROOT, pkg.bin.musicvae), CLI);
    assert.match(fs.readFileSync(CLI, 'utf8'), /^#!\/usr\/bin\/env node\n/);
    assert.ok(fs.statSync(CLI).mode & 0o111, 'executable');
    // The CLI and the API need no packages at run time (@tonejs/midi is the tests' independent
    // MIDI reader, a pinned dev dependency).
    assert.deepEqual(Object.keys(pkg.dependencies || {}), [], 'no run-time dependencies');
    assert.match(pkg.devDependencies['@tonejs/midi'], /^\d+\.\d+\.\d+$/, 'pinned');
  });

  test('no command prints the commands; --help works for each', () => {
    const none = run([]);
    assert.equal(none.code, 2);
    for (const c of ['sample', 'encode', 'decode', 'interpolate', 'info']) assert.match(none.stdout, new RegExp(`^  ${c} `, 'm'));
    for (const c of ['sample', 'encode', 'decode', 'interpolate', 'info']) {
      const r = run([c, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^usage: musicvae ${c}`));
      assert.match(r.stdout, /--model/);
    }
    assert.match(run(['sample', '--help']).stdout, /--temperature[\s\S]*--seed[\s\S]*--output/);
  });

  test('bad commands and options exit 2 with a message', () => {
    const cases = [
      [['bogus'], /unknown command 'bogus'/],
      [['sample', '--bogus'], /Unknown option '--bogus'/],
      [['sample', '-n', '0'], /-n must be an integer in 1\.\./],
      [['sample', '--seed', 'abc'], /--seed must be an integer/],
      [['sample', '--temperature=-1'], /--temperature must be a number >= 0/],
      [['decode'], /one JSON file/],
      [['decode', path.join(ROOT, 'README.md')], /cannot read latent vectors from .*README\.md: Unexpected token/],
      [['interpolate', path.join(ROOT, 'package.json')], /package.json holds no latent vectors/],
    ];
    for (const [args, pattern] of cases) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
  });

  test('engine errors exit 1 with their code; so do files that cannot be read', () => {
    const missing = run(['decode', 'nonexistent.json']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'musicvae decode: cannot read nonexistent.json: no such file or directory (ENOENT)\n');
    const enc = run(['encode', path.join(ROOT, 'package.json')]);
    assert.equal(enc.code, 1);
    const badModel = run(['sample', '--model', path.join(ROOT, 'package.json')]);
    assert.equal(badModel.code, 1);
    assert.match(badModel.stderr, /\[BAD_MODEL\]/);
  });

  test('info names the model and the WASM SIMD kernels', () => {
    const r = run(['info']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /name\s+mel_2bar_small/);
    assert.match(r.stdout, /kernels\s+wasm_simd128/);
    assert.match(r.stdout, /encoder\s+yes/);
  });
});

describe('sample, decode, interpolate (the bundled model)', () => {
  test('sample: the native tokens for a seed; a MIDI file with those melodies; JSON NoteSequences', async () => {
    const out = path.join(dir, 's.mid');
    const json = path.join(dir, 's.json');
    const r = run(['sample', '-n', '4', '-t', '0.5', '-s', '7', '--tokens', '-o', out, '--json', json, '--z-out', path.join(dir, 'z.json')]);
    assert.equal(r.code, 0, r.stderr);
    const tokens = tokenLines(r.stdout);
    assert.deepEqual(tokens, nativeSample(Q8_MODEL, 4, 0.5, 7));
    assert.match(r.stderr, /wrote 4 sequence\(s\) to .*s\.mid/);
    assert.deepEqual(midiEvents(out, 4), tokens.map(canonical));
    assert.deepEqual(JSON.parse(fs.readFileSync(json, 'utf8')), await api.sample(4, 0.5, 7));
    const z = JSON.parse(fs.readFileSync(path.join(dir, 'z.json'), 'utf8'));
    assert.equal(z.zDims, 256);
    assert.deepEqual(z.z.map((v) => Float32Array.from(v)), Array.from((await api.sampleTokens(4, 0.5, 7)).z)); // a LatentTensor
  });

  test('sample --split writes one file per sequence; long batches report progress', () => {
    const r = run(['sample', '-n', '3', '-s', '1', '--split', '-o', path.join(dir, 'part.mid')]);
    assert.equal(r.code, 0, r.stderr);
    for (const i of [1, 2, 3]) assert.ok(fs.existsSync(path.join(dir, `part_${i}.mid`)));
    const big = run(['sample', '-n', '300', '-s', '2', '-o', path.join(dir, 'big.mid')]);
    assert.equal(big.code, 0, big.stderr);
    assert.match(big.stderr, /sampling: 256\/300\nsampling: 300\/300\n/);
    const quiet = run(['sample', '-n', '300', '-s', '2', '-q', '-o', path.join(dir, 'big.mid')]);
    assert.equal(quiet.stderr, '');
  });

  test('decode: latent JSON to MIDI, argmax by default, seeded at a temperature', async () => {
    const { z } = await api.sampleTokens(3, 0, 5);
    const file = path.join(dir, 'dz.json');
    fs.writeFileSync(file, JSON.stringify({ z: z.map((v) => Array.from(v)) }));
    const r = run(['decode', file, '--tokens', '-o', path.join(dir, 'd.mid')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(tokenLines(r.stdout), (await api.decodeTokens(z)).tokens.map((t) => Array.from(t)));
    assert.deepEqual(midiEvents(path.join(dir, 'd.mid'), 3), tokenLines(r.stdout).map(canonical));
    const hot = run(['decode', file, '--tokens', '-t', '1', '-s', '9', '-o', path.join(dir, 'd2.mid')]);
    assert.deepEqual(tokenLines(hot.stdout), (await api.decodeTokens(z, { temperature: 1, seed: 9 })).tokens.map((t) => Array.from(t)));
    // A bare vector is accepted too; a vector of the wrong size is a usage error.
    fs.writeFileSync(file, JSON.stringify(Array.from(z[0])));
    assert.equal(run(['decode', file, '-o', path.join(dir, 'd3.mid')]).code, 0);
    fs.writeFileSync(file, JSON.stringify([[1, 2, 3]]));
    const bad = run(['decode', file]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /vector 0 has 3 values; the model's zDims is 256/);
  });

  test('interpolate: from latent JSON, 2 points (linear, slerp) and a 4-corner grid', async () => {
    const { z } = await api.sampleTokens(4, 0, 6);
    const two = path.join(dir, 'two.json');
    const four = path.join(dir, 'four.json');
    fs.writeFileSync(two, JSON.stringify({ z: z.slice(0, 2).map((v) => Array.from(v)) }));
    fs.writeFileSync(four, JSON.stringify({ z: z.map((v) => Array.from(v)) }));
    for (const method of ['linear', 'slerp']) {
      const r = run(['interpolate', two, '-n', '5', '--method', method, '--tokens', '-o', path.join(dir, 'i.mid')]);
      assert.equal(r.code, 0, r.stderr);
      const expected = await api.decodeTokens(await api.interpolateLatents(z.slice(0, 2), 5, { method }));
      assert.deepEqual(tokenLines(r.stdout), expected.tokens.map((t) => Array.from(t)));
    }
    const grid = run(['interpolate', four, '--grid', '3x2', '--tokens', '-o', path.join(dir, 'g.mid')]);
    assert.equal(grid.code, 0, grid.stderr);
    const expected = await api.decodeTokens(await api.interpolateLatents(z, [3, 2]));
    assert.deepEqual(tokenLines(grid.stdout), expected.tokens.map((t) => Array.from(t)));
    assert.equal(run(['interpolate', two, '--grid', '3x2']).code, 2);
  });
});

describe('encode and interpolate from MIDI (random-encoder bench model)', () => {
  test('encode reads MIDI files into the sequences the API encodes; interpolate between them', async () => {
    const model = benchModels().fp32;
    const bench = new MusicVAE(model);
    const files = [1, 2].map((i) => path.join(dir, `in_${i}.mid`));
    const r = run(['sample', '-n', '2', '-s', '3', '--split', '--tokens', '-o', path.join(dir, 'in.mid')]);
    assert.equal(r.code, 0, r.stderr);
    const sequences = tokenLines(r.stdout).map((t) => eventsToSequence(t, { velocity: 80 }));

    const out = path.join(dir, 'enc.json');
    const e = run(['encode', ...files, '--model', model, '--sigma', '-o', out]);
    assert.equal(e.code, 0, e.stderr);
    const json = JSON.parse(fs.readFileSync(out, 'utf8'));
    const { mu, sigma } = await bench.encodeWithSigma(sequences);
    assert.deepEqual(json.z.map((v) => Float32Array.from(v)), Array.from(mu)); // LatentTensors: their rows
    assert.deepEqual(json.sigma.map((v) => Float32Array.from(v)), Array.from(sigma));
    assert.deepEqual(json.inputs, files);

    // stdout by default; --bar picks a window, one past the notes is refused (nothing encoded).
    const stdout = run(['encode', files[0], '--model', model]);
    assert.deepEqual(JSON.parse(stdout.stdout).z, [json.z[0]]);
    assert.deepEqual(JSON.parse(run(['encode', files[0], '--model', model, '--bar', '0']).stdout).z, [json.z[0]]);
    const later = run(['encode', files[0], '--model', model, '--bar', '4']);
    assert.equal(later.code, 1);
    assert.equal(later.stdout, '');
    assert.match(later.stderr, /in_1\.mid: bar 4 is past its last note \(in bar 1, counting from 0\) \[BAD_MIDI\]/);

    const i = run(['interpolate', ...files, '-n', '3', '--model', model, '--tokens', '-o', path.join(dir, 'im.mid')]);
    assert.equal(i.code, 0, i.stderr);
    const expected = await bench.decodeTokens(await bench.interpolateLatents(sequences, 3));
    assert.deepEqual(tokenLines(i.stdout), expected.tokens.map((t) => Array.from(t)));
    bench.dispose();
  });
});

// A chord model (the shipped mel_2bar_chords): --chords, and each MIDI file over its own chords.
describe('chord models (mel_2bar_chords)', () => {
  const CHORDS_MODEL = path.join(ROOT, 'models/mel_2bar_chords.q8.mvae');
  const note = (pitch, s, e, program) => ({ pitch, velocity: 80, program, instrument: program, isDrum: false, quantizedStartStep: s, quantizedEndStep: e });
  const lead = [[72, 0, 12], [74, 12, 16], [71, 16, 24], [72, 24, 32]].map(([p, s, e]) => note(p, s, e, 0));
  // A piano part under it: D minor, G, C, A minor, half a bar each (hand-picked triads).
  const piano = [[50, 53, 57], [43, 47, 50], [48, 52, 55], [45, 48, 52]].flatMap((ps, i) => ps.map((p) => note(p, 8 * i, 8 * i + 8, 1)));
  const file = (name, notes) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, sequencesToMidi({ notes, quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: 32, tempos: [{ time: 0, qpm: 120 }] }));
    return f;
  };
  let chordsApi;
  before(async () => {
    chordsApi = new MusicVAE(CHORDS_MODEL);
    await chordsApi.initialize();
  });
  after(() => chordsApi && chordsApi.dispose());

  test('sample needs --chords and plays over them (the API\'s tokens for the seed); other models refuse it', async () => {
    const none = run(['sample', '-m', CHORDS_MODEL, '-o', path.join(dir, 'c0.mid')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /chord-conditioned: give its progression, e\.g\. --chords C,G,Am,F/);
    const r = run(['sample', '-m', CHORDS_MODEL, '-c', 'C,G,Am,F', '-n', '3', '-s', '5', '--tokens', '-o', path.join(dir, 'c1.mid')]);
    assert.equal(r.code, 0, r.stderr);
    const want = await chordsApi.sampleTokens(3, 0.5, { seed: 5n, chordProgression: ['C', 'G', 'Am', 'F'] });
    assert.deepEqual(tokenLines(r.stdout), want.tokens.map((t) => Array.from(t)));
    const other = run(['sample', '-c', 'C', '-o', path.join(dir, 'c2.mid')]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /--chords: this model is not chord-conditioned/);
    const bad = run(['sample', '-m', CHORDS_MODEL, '-c', 'C,Xyz', '-o', path.join(dir, 'c3.mid')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /chord symbol has unknown root: Xyz \[BAD_INPUT\]/);
  });

  test('encode hears each file over its own chords, writes them, and decode plays each z over them', async () => {
    const song = file('song.mid', [...lead, ...piano]);
    const alone = file('lead.mid', lead);
    const out = path.join(dir, 'cz.json');
    const e = run(['encode', '-m', CHORDS_MODEL, song, alone, '-o', out]);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stderr, /song\.mid: over its own chords Dm,G,C,Am/);
    assert.match(e.stderr, /lead\.mid: no accompaniment in the window: over N\.C\./);
    const json = JSON.parse(fs.readFileSync(out, 'utf8'));
    const progressions = [['Dm', 'G', 'C', 'Am'], ['N.C.', 'N.C.', 'N.C.', 'N.C.']];
    assert.deepEqual(json.chords, progressions);
    const melody = { notes: lead, quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: 32 };
    for (let i = 0; i < 2; i++) {
      const [mu] = await chordsApi.encode([melody], { chordProgression: progressions[i] });
      assert.deepEqual(Float32Array.from(json.z[i]), mu, `file ${i}'s z: the API's over its chords`);
    }
    // --chords overrides the file's own.
    const forced = JSON.parse(run(['encode', '-m', CHORDS_MODEL, song, '-c', 'C,G,Am,F']).stdout);
    assert.deepEqual(forced.chords, [['C', 'G', 'Am', 'F']]);
    assert.deepEqual(Float32Array.from(forced.z[0]), (await chordsApi.encode([melody], { chordProgression: ['C', 'G', 'Am', 'F'] }))[0]);

    // decode: each vector over its chords, seeded as one call would be (firstRow), at T = 0.7.
    const d = run(['decode', '-m', CHORDS_MODEL, out, '-t', '0.7', '-s', '9', '--tokens', '-o', path.join(dir, 'cd.mid')]);
    assert.equal(d.code, 0, d.stderr);
    const rows = [];
    for (let i = 0; i < 2; i++) {
      const one = await chordsApi.decodeTokens([Float32Array.from(json.z[i])], { temperature: 0.7, seed: 9n, firstRow: i, chordProgression: progressions[i] });
      rows.push(Array.from(one.tokens[0]));
    }
    assert.deepEqual(tokenLines(d.stdout), rows);
    // A bare vector has no chords: decode asks for them.
    fs.writeFileSync(path.join(dir, 'bare.json'), JSON.stringify(json.z[0]));
    const bare = run(['decode', '-m', CHORDS_MODEL, path.join(dir, 'bare.json'), '-o', path.join(dir, 'cb.mid')]);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /--chords C,G,Am,F/);

    // interpolate from the files: each encoded over its chords, decoded over the first's.
    const i = run(['interpolate', '-m', CHORDS_MODEL, song, alone, '-n', '3', '--tokens', '-o', path.join(dir, 'ci.mid')]);
    assert.equal(i.code, 0, i.stderr);
    const z = await chordsApi.interpolateLatents(json.z.map((v) => Float32Array.from(v)), 3);
    const want = await chordsApi.decodeTokens(z, { chordProgression: progressions[0] });
    assert.deepEqual(tokenLines(i.stdout), want.tokens.map((t) => Array.from(t)));
  });
});
