// The explorer's build, server and browser-independent modules, under Node: the static site
// (web/build.mjs) is complete and self-contained, the service worker precaches all of it under a
// content hash, icons are valid PNGs; MIDI import picks the right tracks and window for melody,
// drums and trio models; export round-trips; the pad's latent point matches the engine's grid;
// the static server serves the right types and nothing outside its folder.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { ROOT, tmpdir } from './wasm_helpers.mjs';
import { buildSite } from '../../web/build.mjs';
import { serve } from '../../web/serve.mjs';
import { decodePng } from '../../web/tools/browser.mjs';

const built = fs.existsSync(path.join(ROOT, 'wasm_api/dist/musicvae_wasm.wasm'));
const skip = built ? false : 'the WASM engine is not built (bash wasm_api/build.sh)';

describe('web build, MIDI files, latent pad, server', { skip }, () => {
  let site, mods;
  before(async () => {
    site = buildSite({ out: path.join(tmpdir('mvae-web-build-'), 'site'), quiet: true });
    const load = (f) => import(pathToFileURL(path.join(site.out, f)).href);
    mods = {
      midifile: await load('src/midifile.mjs'),
      roll: await load('src/roll.mjs'),
      Midi: (await import('@tonejs/midi')).default.Midi,  // an independent reader/writer
    };
  });

  test('the site is self-contained: every import resolves to a file of the site, none is bare', () => {
    const js = site.files.filter((f) => /\.(m?js)$/.test(f) && f !== 'sw.js');
    assert.ok(js.includes('embed.js') && js.includes('wasm_api/worker.js') && js.includes('src/explorer.mjs'));
    for (const f of js) {
      const text = fs.readFileSync(path.join(site.out, f), 'utf8');
      const specifiers = [...text.matchAll(/(?:import|export)\s[^'"`;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|import\s+'([^']+)'/g)]
        .map((m) => m[1] || m[2] || m[3]);
      for (const s of specifiers) {
        if (s.startsWith('node:')) continue; // Node-only branches of wasm_api (never taken in browsers)
        assert.ok(s.startsWith('./') || s.startsWith('../'), `${f} imports the bare specifier ${s}`);
        assert.ok(fs.existsSync(path.join(site.out, path.dirname(f), s)), `${f} imports ${s}, which is missing`);
      }
    }
    const html = fs.readFileSync(path.join(site.out, 'index.html'), 'utf8');
    assert.match(html, /<link rel="modulepreload" href="src\/explorer.mjs">/);
    assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org)/, 'no external URL in the page');
  });

  test('the service worker precaches the app and the default model under a content-hash version', () => {
    const sw = fs.readFileSync(path.join(site.out, 'sw.js'), 'utf8');
    assert.match(sw, new RegExp(`const VERSION = "${site.version}";`));
    assert.match(site.version, /^[0-9a-f]{16}$/);
    const precache = JSON.parse(sw.match(/const PRECACHE = (\[[^\]]*\]);/)[1].replace(/,\s*\]/, ']'));
    // Every file but the other models (downloaded when chosen).
    const listed = JSON.parse(fs.readFileSync(path.join(site.out, 'models.json'), 'utf8'));
    const others = listed.models.filter((m) => m.id !== listed.default).map((m) => m.file);
    assert.ok(others.length >= 1);
    for (const f of others) assert.ok(!precache.includes(f), `${f} is precached`);
    // ... and but the single-thread engine (the page runs the pthreads one: the site is cross-origin
    // isolated), which the worker keeps once fetched.
    const fallback = ['wasm_api/dist/musicvae_wasm.mjs', 'wasm_api/dist/musicvae_wasm.wasm'];
    for (const f of fallback) assert.ok(site.files.includes(f), `${f} is not in the site`);
    const expected = ['./', ...site.files.filter((f) => f !== 'sw.js' && !f.endsWith('LICENSE.md') && !others.includes(f) && !fallback.includes(f))];
    assert.deepEqual([...precache].sort(), expected.sort());
    for (const f of ['index.html', 'wasm_api/dist/musicvae_wasm_threads.wasm', 'wasm_api/dist/musicvae_wasm_threads.mjs',
      'wasm_api/dist/musicvae_wasm_threads.worker.js', 'models/mel_2bar_small.q8.mvae', 'wasm_api/midi.mjs', 'icons/icon-512.png']) {
      assert.ok(precache.includes(f), `${f} is not precached`);
    }
    assert.deepEqual(JSON.parse(sw.match(/const RUNTIME = (\[[^\]]*\]);/)[1]), fallback);
    // The same sources build the same version; the build is deterministic.
    const again = buildSite({ out: path.join(tmpdir('mvae-web-build-'), 'site'), quiet: true });
    assert.equal(again.version, site.version);
  });

  test('web app manifest, icons and model list', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(site.out, 'manifest.webmanifest'), 'utf8'));
    assert.equal(manifest.display, 'standalone');
    assert.equal(manifest.start_url, './');
    for (const icon of manifest.icons) {
      const png = decodePng(fs.readFileSync(path.join(site.out, icon.src)));
      assert.equal(`${png.width}x${png.height}`, icon.sizes);
      assert.equal(png.data[(png.width * (png.height >> 1) + (png.width >> 1)) * 4 + 3], 255, 'opaque centre');
    }
    assert.ok(manifest.icons.some((i) => i.purpose === 'maskable'));
    const models = JSON.parse(fs.readFileSync(path.join(site.out, 'models.json'), 'utf8'));
    assert.equal(models.default, 'mel_2bar_small');
    for (const m of models.models) {
      assert.ok(m.name && m.description && ['melody', 'drums', 'trio', 'groove'].includes(m.kind), JSON.stringify(m));
      assert.ok(fs.existsSync(path.join(site.out, m.file)), m.file);
      assert.equal(m.bytes, fs.statSync(path.join(site.out, m.file)).size, `${m.id}: its size for the page`);
    }
    // The source manifest has one model per line: adding a model is a one-line change.
    const source = fs.readFileSync(path.join(ROOT, 'web/models.json'), 'utf8');
    for (const m of JSON.parse(source).models) assert.match(source, new RegExp(`\\{[^\\n]*"id": "${m.id}"[^\\n]*\\}`));
  });

  function midiFile(build) {
    const midi = new mods.Midi();
    midi.header.setTempo(100);
    build(midi, midi.header.ppq / 4); // ticks per 16th note
    return midi.toArray();
  }

  const MELODY_INFO = { converter: 'melody', numSteps: 32, stepsPerBar: 16, stepsPerQuarter: 4, minPitch: 21, maxPitch: 108 };

  test('MIDI import for a melody model: the first single-line track, from its first bar, 2 bars', () => {
    const bytes = midiFile((midi, step) => {
      const chords = midi.addTrack();
      chords.name = 'Chords';
      for (const p of [48, 52, 55]) chords.addNote({ midi: p, ticks: 0, durationTicks: 16 * step });
      for (const p of [50, 53, 57]) chords.addNote({ midi: p, ticks: 16 * step, durationTicks: 16 * step });
      const lead = midi.addTrack();
      lead.name = 'Tune';
      // Starts in bar 3 (step 32); a note in bar 5 is outside the window; 110 folds an octave down.
      lead.addNote({ midi: 60, ticks: 33 * step, durationTicks: 3 * step });
      lead.addNote({ midi: 110, ticks: 36 * step, durationTicks: 2 * step });
      lead.addNote({ midi: 64, ticks: 62 * step, durationTicks: 8 * step });
      lead.addNote({ midi: 67, ticks: 64 * step, durationTicks: 2 * step });
      const drums = midi.addTrack();
      drums.channel = 9;
      drums.addNote({ midi: 36, ticks: 0, durationTicks: step });
    });
    const { sequence, description, qpm } = mods.midifile.midiToModelInput(bytes, MELODY_INFO);
    assert.equal(description, 'bars 3–4 of “Tune”');
    assert.equal(qpm, 100);
    assert.deepEqual(sequence.quantizationInfo, { stepsPerQuarter: 4 });
    assert.equal(sequence.totalQuantizedSteps, 32);
    assert.deepEqual(sequence.notes.map((n) => [n.pitch, n.quantizedStartStep, n.quantizedEndStep, n.isDrum]),
      [[60, 1, 4, false], [98, 4, 6, false], [64, 30, 32, false]]);
  });

  test('MIDI import for drum and trio models; clear errors for unsuitable files', () => {
    const bytes = midiFile((midi, step) => {
      const piano = midi.addTrack();
      piano.name = 'Piano';
      [72, 74, 76, 77].forEach((p, i) => piano.addNote({ midi: p, ticks: i * 4 * step, durationTicks: 4 * step }));
      const bass = midi.addTrack();
      bass.name = 'Bass';
      bass.channel = 1; // its own channel: a program change is a channel's, in every track (GM)
      bass.instrument.number = 33;
      [36, 43].forEach((p, i) => bass.addNote({ midi: p, ticks: i * 8 * step, durationTicks: 8 * step }));
      const drums = midi.addTrack();
      drums.name = 'Kit';
      drums.channel = 9;
      [36, 42, 38, 42].forEach((p, i) => drums.addNote({ midi: p, ticks: i * 4 * step, durationTicks: step }));
    });
    const drums = mods.midifile.midiToModelInput(bytes, { ...MELODY_INFO, converter: 'drums' });
    assert.equal(drums.description, 'bars 1–2 of “Kit”');
    assert.deepEqual(drums.sequence.notes.map((n) => [n.pitch, n.quantizedStartStep, n.isDrum]),
      [[38, 8, true], [36, 0, true], [42, 4, true], [42, 12, true]].sort((a, b) => a[1] - b[1] || b[0] - a[0]));
    const trio = mods.midifile.midiToModelInput(bytes, { ...MELODY_INFO, converter: 'trio', numSteps: 64 });
    assert.equal(trio.description, 'bars 1–4 of “Piano”, “Bass”, “Kit”');
    const roles = (inst) => trio.sequence.notes.filter((n) => n.instrument === inst);
    assert.deepEqual(roles(0).map((n) => [n.pitch, n.program, n.isDrum]), [[72, 0, false], [74, 0, false], [76, 0, false], [77, 0, false]]);
    assert.deepEqual(roles(1).map((n) => [n.pitch, n.program]), [[36, 32], [43, 32]]);
    assert.equal(roles(2).length, 4);
    assert.ok(roles(2).every((n) => n.isDrum));
    // The lanes the explorer draws a trio in pick the same notes.
    const lanes = mods.roll.lanesFor({ converter: 'trio' });
    assert.deepEqual(lanes.map((l) => trio.sequence.notes.filter(l.select).length), [4, 2, 4]);

    const { midiToModelInput, MidiFileError } = mods.midifile;
    const drumsOnly = midiFile((midi, step) => {
      const t = midi.addTrack();
      t.channel = 9;
      t.addNote({ midi: 36, ticks: 0, durationTicks: step });
    });
    assert.throws(() => midiToModelInput(drumsOnly, MELODY_INFO), (e) => e instanceof MidiFileError && /only drums/.test(e.message));
    assert.throws(() => midiToModelInput(new Uint8Array([1, 2, 3, 4]), MELODY_INFO), /not a readable MIDI file/);
    assert.throws(() => midiToModelInput(midiFile(() => {}), MELODY_INFO), /no notes/);
    const pianoOnly = midiFile((m, s) => m.addTrack().addNote({ midi: 60, ticks: 0, durationTicks: s }));
    assert.throws(() => midiToModelInput(pianoOnly, { ...MELODY_INFO, converter: 'drums' }), /no drum track/);
  });

  test('MIDI export: melody, bass and drums on their channels, at the given tempo', () => {
    const seq = {
      notes: [
        { pitch: 72, velocity: 80, quantizedStartStep: 0, quantizedEndStep: 4, program: 0, isDrum: false, instrument: 0 },
        { pitch: 40, velocity: 80, quantizedStartStep: 4, quantizedEndStep: 8, program: 32, isDrum: false, instrument: 1 },
        { pitch: 36, velocity: 80, quantizedStartStep: 8, quantizedEndStep: 9, program: 0, isDrum: true, instrument: 2 },
      ],
      quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: 16,
    };
    const midi = new mods.Midi(mods.midifile.sequencesToMidiBytes([seq, seq], { qpm: 90 }));
    assert.equal(Math.round(midi.header.tempos[0].bpm), 90);
    const byName = Object.fromEntries(midi.tracks.map((t) => [t.name, t]));
    assert.deepEqual(Object.keys(byName).sort(), ['Bass', 'Drums', 'Melody']);
    assert.equal(byName.Melody.channel, 0);
    assert.equal(byName.Bass.channel, 1);
    assert.equal(byName.Bass.instrument.number, 32);
    assert.equal(byName.Drums.channel, 9);
    // Two sequences one after the other: 16 steps = 4 beats later.
    assert.deepEqual(byName.Melody.notes.map((n) => n.ticks / midi.header.ppq), [0, 4]);
    assert.deepEqual(byName.Drums.notes.map((n) => n.ticks / midi.header.ppq), [2, 6]);
    // The file lasts both sequences' full length (2 x 16 steps = 8 beats), not to the last note-off.
    for (const t of midi.tracks) assert.equal(t.endOfTrackTicks / midi.header.ppq, 8, t.name);
  });

  test('MIDI export of a 2-bar cell is exactly 2 bars long, however early its last note ends', () => {
    const seq = {
      notes: [{ pitch: 60, velocity: 80, quantizedStartStep: 0, quantizedEndStep: 22, program: 0, isDrum: false, instrument: 0 }],
      quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: 32,
    };
    const midi = new mods.Midi(mods.midifile.sequencesToMidiBytes([seq], { qpm: 120 }));
    assert.equal(midi.tracks[0].notes[0].durationTicks / midi.header.ppq, 5.5);
    // 2 bars of 4/4 = 8 quarters, in every track (the longest track's end is the file's length).
    assert.deepEqual(midi.tracks.map((t) => t.endOfTrackTicks / midi.header.ppq), [8]);
    assert.equal(Math.max(...midi.tracks.map((t) => t.endOfTrackTicks)) / midi.header.ppq / 4, 2, 'bars');
  });

  test('the pad\'s latent point (the engine\'s latentAt) on a cell position is that cell of the engine\'s grid', async () => {
    const { MusicVAE } = await import('../../wasm_api/index.mjs');
    const m = new MusicVAE(path.join(ROOT, 'tests/data/flat_small.mvae'));
    const { z: corners } = await m.sampleTokens(4, 0, 5);
    for (const method of ['linear', 'slerp']) {
      const grid = await m.interpolateLatents(corners, [5, 5], { method });
      for (let r = 0; r < 5; r++) {
        for (let c = 0; c < 5; c++) {
          const z = await m.latentAt(corners, c / 4, r / 4, { method });
          const cell = grid[r * 5 + c];
          for (let i = 0; i < z.length; i++) {
            // slerp blends edges then across, as the grid does: the same operations, the same floats.
            // linear: the bilinear point through two edge blends, equal up to rounding.
            if (method === 'slerp') assert.equal(z[i], cell[i], `slerp cell ${r},${c} [${i}]`);
            else assert.ok(Math.abs(z[i] - cell[i]) <= 1e-6 * (1 + Math.abs(cell[i])), `linear cell ${r},${c} [${i}]`);
          }
        }
      }
    }
    // "Similar to this": the engine's similar, z' = 0.75 z + 0.25 N(0, I) in float32 (src/api/api.c).
    const noise = (await m.sampleLatents(1, 9))[0];
    const { z: [sim] } = await m.similarTokens(corners[0], 1, 0.75, 0, { seed: 9 });
    const f = Math.fround;
    for (let i = 0; i < sim.length; i++) assert.equal(sim[i], f(f(0.75 * corners[0][i]) + f(0.25 * noise[i])));
    m.dispose();
  });

  describe('static server', () => {
    let srv;
    before(async () => { srv = await serve(site.out, { routes: { '/extra.json': { body: '{}', type: 'application/json' } } }); });
    after(() => srv.close());
    const get = (p, headers = {}) => new Promise((resolve, reject) => {
      const u = new URL(srv.url);
      http.get({ host: u.hostname, port: u.port, path: p, headers }, (res) => {
        const chunks = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });

    test('types, index, routes, 404, 304, no way out of its folder', async () => {
      const index = await get('/');
      assert.equal(index.status, 200);
      assert.match(index.headers['content-type'], /^text\/html/);
      assert.equal(index.headers['access-control-allow-origin'], '*');
      assert.equal((await get('/wasm_api/dist/musicvae_wasm.wasm')).headers['content-type'], 'application/wasm');
      assert.match((await get('/src/explorer.mjs')).headers['content-type'], /^text\/javascript/);
      assert.match((await get('/manifest.webmanifest')).headers['content-type'], /^application\/manifest\+json/);
      assert.equal((await get('/extra.json')).body.toString(), '{}');
      assert.equal((await get('/nothing-here.js')).status, 404);
      for (const p of ['/../package.json', '/%2e%2e/package.json', '/..%2f..%2fpackage.json']) {
        assert.ok([403, 404].includes((await get(p)).status), p);
      }
      const again = await get('/index.html', { 'if-none-match': index.headers.etag });
      assert.equal(again.status, 304);
    });
  });
});
