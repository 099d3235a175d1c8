// The explorer's chords, for a chord-conditioned model (Magenta's hosted mel_chords: here a
// random-weight checkpoint of its structure, checkpoint_helpers' chords_mel family, from a local
// stand-in host as in web_hosted.test.mjs). In Node: MusicVAE.chordProgressionInfo reads symbols
// as tonal (magenta.js's chord library) spells them and refuses what decode() refuses. In headless
// Chromium: the "Chords" box decodes the grid exactly as Node's MusicVAE does with that
// chordProgression for the same z; a bad symbol shows the engine's message and keeps the grid; the
// link and undo hold the progression; chord names above the roll; "Play chords"; the exported file's
// chord track; a dropped file's own chords (the shipped model); the tablet layout rules. Screenshots go to build/web-test/chords/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import { MusicVAE } from '../../wasm_api/index.mjs';
import { midiToModelInput, readMidiTracks, sequencesToMidi } from '../../wasm_api/midi.mjs';
import { ROOT, tmpdir } from './wasm_helpers.mjs';
import { serveDirectory, writeCheckpoint } from './checkpoint_helpers.mjs';
import { assertOnScreen, browserSkip, explorer, tabletPage } from './web_page_helpers.mjs';
import { buildSite } from '../../web/build.mjs';
import { serve } from '../../web/serve.mjs';
import { launchChromium } from '../../web/tools/browser.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const tonal = require('tonal');
const OUT = path.join(ROOT, 'build/web-test/chords');
const SITE = path.join(OUT, 'site');
const ENTRY = JSON.parse(fs.readFileSync(path.join(ROOT, 'web/models.json'), 'utf8')).magenta.models
  .find((m) => m.checkpoint === 'music_vae/mel_chords');
// The chord model shipped with the page (trained here, models/README.md): offline, no host.
const LOCAL = JSON.parse(fs.readFileSync(path.join(ROOT, 'web/models.json'), 'utf8')).models
  .find((m) => m.id === 'mel_2bar_chords');

// A 4-bar song: a melody (one line) over a piano part; bars 3-4 are Dm G C Am, half a bar each.
const SONG_CHORDS = ['Dm', 'G', 'C', 'Am'];
function songWithChords() {
  const note = (pitch, s, e, program) => ({ pitch, velocity: 80, program, instrument: program, isDrum: false, quantizedStartStep: s, quantizedEndStep: e });
  const melody = [[72, 0, 32], [74, 32, 44], [71, 44, 48], [72, 48, 64]].map(([p, s, e]) => note(p, s, e, 0));
  const triads = [[48, 52, 55], [48, 52, 55], [50, 53, 57], [43, 47, 50], [48, 52, 55], [45, 48, 52]];
  const piano = triads.flatMap((pitches, i) => {
    const [s, e] = i < 2 ? [16 * i, 16 * i + 16] : [32 + 8 * (i - 2), 40 + 8 * (i - 2)];
    return pitches.map((p) => note(p, s, e, 1));
  });
  return sequencesToMidi({ notes: [...melody, ...piano], quantizationInfo: { stepsPerQuarter: 4 }, totalQuantizedSteps: 64, tempos: [{ time: 0, qpm: 120 }] });
}

const wasmBuilt = fs.existsSync(path.join(ROOT, 'wasm_api/dist/musicvae_wasm.wasm'));
const notes = (list) => list.map((n) => [n.pitch, n.quantizedStartStep, n.quantizedEndStep]);

describe('MusicVAE.chordProgressionInfo (the explorer\'s chords, read by the engine)', { skip: !wasmBuilt && 'the WASM engine is not built' }, () => {
  let model;
  before(() => {
    model = new MusicVAE(writeCheckpoint('chords_mel', { quantization: 'uint16', seed: 3 }));
  });
  after(() => model && model.dispose());

  test('pitch classes and roots as tonal spells the chords; steps spread as magenta.js spreads them', async () => {
    const chords = ['C', 'G7', 'Am', 'Dm7', 'Cmaj7', 'F#m7b5', 'Bb', 'N.C.'];
    const info = await model.chordProgressionInfo(chords);
    info.chords.forEach((c, i) => {
      assert.equal(c.symbol, chords[i]);
      if (chords[i] === 'N.C.') {
        assert.deepEqual([c.noChord, c.pitchClasses], [true, []]);
        return;
      }
      const want = [...new Set(tonal.Chord.notes(chords[i]).map((n) => tonal.Note.chroma(n)))].sort((a, b) => a - b);
      assert.deepEqual(c.pitchClasses, want, chords[i]);
      assert.equal(c.root, tonal.Note.chroma(tonal.Chord.tokenize(chords[i])[0]), chords[i]);
      assert.equal(c.noChord, false);
    });
    // 8 chords over 32 steps: 4 steps each (magenta.js's encodeProgression: floor(s * n / steps)).
    assert.deepEqual(Array.from(info.stepChord), Array.from({ length: 32 }, (_, s) => Math.floor(s / 4)));
    assert.deepEqual(Array.from((await model.chordProgressionInfo(['C', 'G', 'F'])).stepChord),
      Array.from({ length: 32 }, (_, s) => Math.floor((s * 3) / 32)));
  });

  test('refuses what decode() refuses, with the same message', async () => {
    for (const bad of [['C', 'Xyz'], ['H7'], [], ['C', 7]]) {
      const decodeError = await model.decode([new Float32Array(8)], 0, { chordProgression: bad }).then(() => null, (e) => e);
      assert.ok(decodeError, JSON.stringify(bad));
      await assert.rejects(model.chordProgressionInfo(bad), (e) => e.message === decodeError.message && e.name === decodeError.name);
    }
  });
});

const skip = await browserSkip();

async function waitGrid(page, timeout = 60000) {
  await page.waitForFunction(() => {
    const el = document.querySelector('musicvae-explorer');
    return el && el.timings && el.timings.gridMs !== undefined && el.currentSequence && el.chordProgression;
  }, null, { timeout });
}

// Runs `action` and waits for the grid decoded after it.
async function afterGrid(page, action) {
  await explorer(page, 'window.__grids = 0; el.addEventListener("gridchange", () => { window.__grids++; }, { once: true });');
  await action();
  await page.waitForFunction(() => window.__grids > 0, null, { timeout: 30000 });
}

const gridState = (page) => explorer(page, `return { z: el.cells.map((c) => Array.from(c.z)), seed: el._seed, temperature: el.temperature,
  sequences: el.sequences.map((s) => s.notes.map((n) => [n.pitch, n.quantizedStartStep, n.quantizedEndStep])),
  chords: el.chordProgression, box: el.shadowRoot.querySelector('.chords-input').value,
  msg: el.shadowRoot.querySelector('.chords-msg').textContent, invalid: el.shadowRoot.querySelector('.chords-input').getAttribute('aria-invalid'),
  names: [...el.shadowRoot.querySelectorAll('.chord-names span')].map((s) => s.textContent),
  error: el.shadowRoot.querySelector('.error').textContent };`);

describe('Chords in the explorer (headless Chromium, a chord model from a local stand-in host)', { skip, timeout: 300000 }, () => {
  let browser, site, host, page, dir, node;
  const errors = [];

  // What Node's MusicVAE decodes for the grid's latent vectors, seed and temperature, over `chords`.
  async function nodeGrid(state, chords) {
    const decoded = await node.decode(state.z, state.temperature, { seed: state.seed, chordProgression: chords });
    return decoded.map((s) => notes(s.notes));
  }

  before(async () => {
    assert.ok(ENTRY, 'web/models.json offers mel_chords');
    fs.rmSync(OUT, { recursive: true, force: true });
    fs.mkdirSync(OUT, { recursive: true });
    buildSite({ out: SITE, quiet: true });
    const root = tmpdir('mvae-chords-');
    dir = path.join(root, ENTRY.checkpoint);
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.cpSync(writeCheckpoint('chords_mel', { quantization: 'uint16', seed: 3, root: tmpdir('mvae-chords-one-') }), dir, { recursive: true });
    node = new MusicVAE(dir);
    host = await serveDirectory(root, { cors: true });
    site = await serve(SITE);
    browser = await launchChromium();
    ({ page } = await tabletPage(browser, errors));
  });

  after(async () => {
    if (node) node.dispose();
    if (browser) await browser.close();
    if (site) await site.close();
    if (host) host.server.close();
  });

  const checkpoints = () => `checkpoints=${encodeURIComponent(`${host.base}/`)}&nosw`;

  test('the chord model starts over its own chords (C G Am F), named above the roll, in the link', async () => {
    await page.goto(`${site.url}?seed=3&model=${ENTRY.id}&${checkpoints()}`);
    await waitGrid(page);
    const s = await gridState(page);
    assert.deepEqual([s.chords, s.box, s.names, s.msg, s.error], [ENTRY.chords, ENTRY.chords.join(' '), ENTRY.chords, '2 chords a bar', '']);
    assert.deepEqual(s.sequences, await nodeGrid(s, ENTRY.chords));
    // The names sit where their chords start: half a bar each, after the roll's note-name axis.
    const lefts = await explorer(page, `const c = el.shadowRoot.querySelector('.current canvas').getBoundingClientRect();
      const gutter = Number(el.shadowRoot.querySelector('.current canvas').dataset.gutter);
      return [...el.shadowRoot.querySelectorAll('.chord-names span')].map((n) => (n.getBoundingClientRect().left - c.left - gutter) / (c.width - gutter));`);
    lefts.forEach((f, i) => assert.ok(Math.abs(f - i / 4) < 0.01, `chord ${i} at ${f}`));
    assert.match(page.url(), /[?&]chords=C,G,Am,F(&|$)/);
  });

  test('a typed progression decodes every cell as Node does with that chordProgression (same z, same seed)', async () => {
    const before = await gridState(page);
    const typed = ['Dm7', 'G7', 'Cmaj7', 'Cmaj7'];
    await afterGrid(page, async () => {
      await page.locator('musicvae-explorer .chords-input').tap();
      await page.locator('musicvae-explorer .chords-input').fill(typed.join(' '));
      await page.locator('musicvae-explorer .chords-input').press('Enter');
    });
    const s = await gridState(page);
    assert.deepEqual(s.z, before.z, 'the corners and cells stay');
    assert.deepEqual([s.chords, s.box, s.names, s.error], [typed, typed.join(' '), ['Dm7', 'G7', 'Cmaj7'], '']);
    const want = await nodeGrid(s, typed);
    assert.deepEqual(s.sequences, want);
    assert.notDeepEqual(want, before.sequences, 'the chords change the music');
    assert.match(page.url(), /[?&]chords=Dm7,G7,Cmaj7,Cmaj7(&|$)/);
  });

  test('a bad symbol shows the engine\'s message by the box; the grid, the chords and the link stay', async () => {
    const before = await gridState(page);
    const url = page.url();
    const bad = ['C', 'Xyz', 'Am', 'F'];
    const nodeError = await node.decode([before.z[0]], 0, { chordProgression: bad }).then(() => null, (e) => e.message);
    assert.ok(nodeError);
    await explorer(page, 'window.__grids = 0; el.addEventListener("gridchange", () => { window.__grids++; });');
    await page.locator('musicvae-explorer .chords-input').fill(bad.join(' '));
    await page.locator('musicvae-explorer .chords-input').press('Enter');
    await page.waitForFunction(() => document.querySelector('musicvae-explorer').shadowRoot.querySelector('.chords-input').getAttribute('aria-invalid') === 'true');
    const s = await gridState(page);
    assert.equal(s.msg, nodeError);
    assert.equal(s.box, bad.join(' '), 'what was typed stays to be corrected');
    assert.deepEqual([s.chords, s.sequences, s.z, s.names, s.error], [before.chords, before.sequences, before.z, before.names, '']);
    assert.equal(await page.evaluate(() => window.__grids), 0);
    assert.equal(page.url(), url);
    // The message is beside the box, on screen.
    const box = await page.locator('musicvae-explorer .chords-input').boundingBox();
    const msg = await page.locator('musicvae-explorer .chords-msg').boundingBox();
    assert.ok(msg.x >= box.x + box.width && Math.abs(msg.y + msg.height / 2 - (box.y + box.height / 2)) < 30, JSON.stringify({ box, msg }));
    await page.screenshot({ path: path.join(OUT, 'chords-bad-symbol.png') });
    // Corrected: the message goes.
    await afterGrid(page, async () => {
      await page.locator('musicvae-explorer .chords-input').fill('C G F C');
      await page.locator('musicvae-explorer .chords-input').press('Enter');
    });
    const fixed = await gridState(page);
    assert.deepEqual([fixed.chords, fixed.invalid, fixed.msg], [['C', 'G', 'F', 'C'], 'false', '2 chords a bar']);
  });

  test('a ready-made progression; undo and redo take the chords back and forth', async () => {
    const preset = await explorer(page, 'return [...el.shadowRoot.querySelectorAll(".chords-preset option")].map((o) => [o.value, o.textContent]);');
    const blues = preset.find(([, text]) => /^Blues turnaround/.test(text));
    assert.ok(blues, JSON.stringify(preset));
    assert.ok(preset.some(([, text]) => /^Pop: I–V–vi–IV \(C G Am F\)$/.test(text)) && preset.some(([, text]) => /ii–V–I/.test(text)));
    await afterGrid(page, () => page.locator('musicvae-explorer .chords-preset').selectOption(blues[0]));
    let s = await gridState(page);
    assert.deepEqual(s.chords, ['G7', 'F7', 'C7', 'G7']);
    assert.deepEqual(s.sequences, await nodeGrid(s, s.chords));
    await afterGrid(page, () => page.locator('musicvae-explorer .undo').tap());
    s = await gridState(page);
    assert.deepEqual([s.chords, s.box], [['C', 'G', 'F', 'C'], 'C G F C']);
    assert.deepEqual(s.sequences, await nodeGrid(s, s.chords));
    assert.match(page.url(), /[?&]chords=C,G,F,C(&|$)/);
    await afterGrid(page, () => page.locator('musicvae-explorer .redo').tap());
    s = await gridState(page);
    assert.deepEqual(s.chords, ['G7', 'F7', 'C7', 'G7']);
  });

  test('the link reproduces the progression and its grid', async () => {
    const before = await gridState(page);
    const url = page.url();
    await page.goto('about:blank');
    await page.goto(url);
    await waitGrid(page);
    const s = await gridState(page);
    assert.deepEqual([s.chords, s.box, s.sequences], [before.chords, before.chords.join(' '), before.sequences]);
    // A link with a bad progression: the model's own chords, and the engine's message by the box.
    await page.goto(`${site.url}?seed=3&model=${ENTRY.id}&chords=C,Q,F&${checkpoints()}`);
    await waitGrid(page);
    const bad = await gridState(page);
    assert.deepEqual([bad.chords, bad.box, bad.invalid, bad.error], [ENTRY.chords, 'C,Q,F', 'true', '']);
    assert.equal(bad.msg, await node.chordProgressionInfo(['C', 'Q', 'F']).then(() => '', (e) => e.message));
    await page.goto(url);
    await waitGrid(page);
  });

  test('"Play chords" adds the chords to what plays; the exported file has them as a second track', async () => {
    const chords = await explorer(page, 'return el.chordProgression;');
    await page.locator('musicvae-explorer button.play').tap();
    await page.waitForFunction(() => document.querySelector('musicvae-explorer').transport.playing);
    const played = () => explorer(page, 'return { all: el.transport.sequence.notes.length, melody: el.currentSequence.notes.length, chords: el.transport.sequence.notes.filter((n) => n.program === 4).length };');
    const on = await played();
    const info = await node.chordProgressionInfo(chords);
    // Each chord: its root an octave down, then its pitch classes (here 4 notes for a seventh chord).
    const voices = info.chords.reduce((n, c) => n + 1 + c.pitchClasses.length, 0);
    assert.deepEqual(on, { all: on.melody + voices, melody: on.melody, chords: voices });
    await page.locator('musicvae-explorer .play-chords').tap();
    const off = await played();
    assert.deepEqual(off, { all: off.melody, melody: off.melody, chords: 0 });
    await page.locator('musicvae-explorer .play-chords').tap();
    await page.locator('musicvae-explorer button.play').tap();
    // The synth sounds the chords alone (its keys voice), softer than the tune's lead voice alone.
    const rms = await explorer(page, `const { renderSequence } = await import('/src/synth.mjs');
      const seq = el.transport.sequence, chords = seq.notes.filter((n) => n.program === 4);
      const level = async (notes) => { const d = (await renderSequence({ ...seq, notes })).getChannelData(0);
        let sum = 0; for (const x of d) sum += x * x; return Math.sqrt(sum / d.length); };
      return { chords: await level(chords), tune: await level(chords.map((n) => ({ ...n, program: 0, instrument: 0 }))) };`
      .replace(/^/, 'return (async () => {').concat('})();'));
    assert.ok(rms.chords > 1e-3 && rms.chords < rms.tune, JSON.stringify(rms));

    // Export: a Melody track and a Chords track, the chords block chords over the whole 2 bars.
    await afterGrid(page, () => explorer(page, 'el.setAttribute("chords", "C G Am F");'));
    const bytes = await explorer(page, 'return el.midiBytes("current").then((b) => Array.from(b));');
    const { tracks } = readMidiTracks(new Uint8Array(bytes));
    const names = tracks.map((t) => t.name);
    assert.ok(names.includes('Melody') && names.includes('Chords'), JSON.stringify(names));
    const chordTrack = tracks.find((t) => t.name === 'Chords');
    // Hand-worked voicing: C = C2 + C3 E3 G3, G = G2 + G3 B3 D4, Am = A2 + A3 C4 E4, F = F2 + F3 A3 C4;
    // half a bar (8 steps) each.
    const want = [[36, 48, 52, 55], [43, 55, 59, 62], [45, 57, 60, 64], [41, 53, 57, 60]]
      .flatMap((pitches, i) => pitches.map((p) => [p, 8 * i, 8 * i + 8])).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    const got = chordTrack.notes.map((n) => [n.pitch, n.start, n.end]).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    assert.deepEqual(got, want);
    const melody = tracks.find((t) => t.name === 'Melody');
    assert.deepEqual(melody.notes.length, (await explorer(page, 'return el.currentSequence.notes.length;')));
    assert.deepEqual(errors, []);
  });

  test('the shipped chord model (mel_2bar_chords, no host) starts over its chords and decodes as Node does', async (t) => {
    if (!LOCAL || !fs.existsSync(path.join(ROOT, 'web', LOCAL.file))) return t.skip('mel_2bar_chords is not built');
    const local = new MusicVAE(path.join(ROOT, 'web', LOCAL.file));
    try {
      await page.goto(`${site.url}?seed=3&model=${LOCAL.id}&nosw`);
      await waitGrid(page);
      let s = await gridState(page);
      assert.deepEqual([s.chords, s.box, s.names, s.msg, s.error], [LOCAL.chords, LOCAL.chords.join(' '), LOCAL.chords, '2 chords a bar', '']);
      const grid = async (state, chords) => (await local.decode(state.z, state.temperature, { seed: state.seed, chordProgression: chords }))
        .map((q) => notes(q.notes));
      assert.deepEqual(s.sequences, await grid(s, LOCAL.chords));
      // Another progression: every cell decodes over it, as Node's MusicVAE does.
      const typed = ['Am', 'F', 'C', 'G'];
      await afterGrid(page, async () => {
        await page.locator('musicvae-explorer .chords-input').fill(typed.join(' '));
        await page.locator('musicvae-explorer .chords-input').press('Enter');
      });
      s = await gridState(page);
      assert.deepEqual([s.chords, s.error], [typed, '']);
      assert.deepEqual(s.sequences, await grid(s, typed));
      // A dropped file plays over its own chords (its accompaniment's, inferred by the engine): the
      // box shows them, the corner's z is Node's encode over them, and undo brings the typed ones back.
      const bytes = songWithChords();
      await afterGrid(page, () => explorer(page, 'el.loadMidi(new Uint8Array(arg), 1, { name: "song.mid", bar: 2 });', Array.from(bytes)));
      s = await gridState(page);
      assert.deepEqual([s.chords, s.box, s.names, s.error], [SONG_CHORDS, SONG_CHORDS.join(' '), SONG_CHORDS, '']);
      assert.deepEqual(s.sequences, await grid(s, SONG_CHORDS));
      const input = midiToModelInput(bytes, local.info, { bar: 2 });
      assert.deepEqual(await local.inferChordProgression(input.accompaniment), SONG_CHORDS);
      const [want] = await local.encode([input.sequence], { chordProgression: SONG_CHORDS });
      const corner = await explorer(page, 'return Array.from(el.corners[1].z);');
      assert.deepEqual(corner, Array.from(want));
      assert.match(await explorer(page, 'return el.shadowRoot.querySelector(".status").textContent;'),
        /into corner .*, over its own chords Dm G C Am\.$/);
      await afterGrid(page, () => page.locator('musicvae-explorer .undo').tap());
      s = await gridState(page);
      assert.deepEqual([s.chords, s.box], [typed, typed.join(' ')]);
      assert.deepEqual(errors, []);
    } finally {
      local.dispose();
    }
  });

  test('tablets (1024x768, 768x1024): Play, the chords, the grid and the roll on screen, 44 px targets', async () => {
    for (const [width, height] of [[1024, 768], [768, 1024]]) {
      await page.setViewportSize({ width, height });
      await page.evaluate(() => scrollTo(0, 0));
      await page.waitForTimeout(200);
      await assertOnScreen(page, ['button.play', 'select.model', '.chords-input', '.chords-preset', '.play-chords', '.chord-strip', '.current', '.grid'], width, height);
      const small = await explorer(page, `
        const out = [];
        for (const c of el.shadowRoot.querySelectorAll('.chords-row input, .chords-row select')) {
          const target = c.type === 'checkbox' ? c.closest('label') : c;
          const r = target.getBoundingClientRect();
          if (r.width < 44 || r.height < 44) out.push(\`\${c.className} \${Math.round(r.width)}x\${Math.round(r.height)}\`);
        }
        return out;`);
      assert.deepEqual(small, [], `${width}x${height}: targets under 44 px`);
      // The chord names and the roll's top do not overlap (the names never cover notes).
      const [strip, roll] = await Promise.all(['.chord-strip', '.current'].map((p) => page.locator(`musicvae-explorer ${p}`).boundingBox()));
      assert.ok(strip.y + strip.height <= roll.y + 0.5, `${width}x${height}: names over the roll`);
      await page.screenshot({ path: path.join(OUT, `chords-tablet-${width}x${height}.png`) });
    }
    // A phone: the row wraps, nothing runs off the side.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    const overflow = await explorer(page, `return [...el.shadowRoot.querySelectorAll('.chords-row > *')]
      .map((c) => [c.className, Math.round(c.getBoundingClientRect().right)]).filter(([, right]) => right > innerWidth);`);
    assert.deepEqual(overflow, [], '390x844: off the side');
    await page.screenshot({ path: path.join(OUT, 'chords-phone-390x844.png') });
    await page.setViewportSize({ width: 1024, height: 768 });
    assert.deepEqual(errors, []);
  });
});
