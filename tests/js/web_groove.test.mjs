// The explorer's Humanize and Tap to drums, on Magenta's hosted GrooVAE models (groovae_2bar_humanize
// and tap2drum_2bar: here random-weight checkpoints of their structure, checkpoint_helpers'
// groove_humanize and groove_tap families, from a local stand-in host as in web_hosted.test.mjs).
// In headless Chromium: the humanize model turns the built-in beat and a dropped drum file into
// exactly what Node's MusicVAE decodes from the same checkpoint folder for that input (pitches,
// velocities, start times); the Tap pad, tapped after its count-in, and scripted taps give Node's
// decode of the same tapped sequence; Play plays the result, each hit at its own time and velocity
// (a fake Web MIDI port's timestamps); the saved
// file has the hits at their times; the tablet rules (Play, the pad or the Humanize button and the
// result on screen, 44 px targets, plain words); no console errors. Screenshots go to
// build/web-test/groove/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { MusicVAE } from '../../wasm_api/index.mjs';
import { sequencesToMidiBytes } from '../../wasm_api/midi.mjs';
import { simpleBeat, tapSequence } from '../../web/src/groove.mjs';
import { ROOT, tmpdir } from './wasm_helpers.mjs';
import { serveDirectory, writeCheckpoint } from './checkpoint_helpers.mjs';
import { buildSite } from '../../web/build.mjs';
import { serve } from '../../web/serve.mjs';
import { CHROMIUM, launchChromium, playwrightChromium } from '../../web/tools/browser.mjs';

const OUT = path.join(ROOT, 'build/web-test/groove');
const SITE = path.join(OUT, 'site');
const HOSTED = JSON.parse(fs.readFileSync(path.join(ROOT, 'web/models.json'), 'utf8')).magenta.models;
const HUMANIZE = HOSTED.find((m) => m.checkpoint === 'music_vae/groovae_2bar_humanize');
const TAP = HOSTED.find((m) => m.checkpoint === 'groovae/tap2drum_2bar');
const JARGON = [/checkpoint/i, /quantiz/i, /tfjs|magenta\.js/i, /groovae|tapif|latent|encod|tensor/i];

const skip = !CHROMIUM ? 'no Chromium installed (apt-get install chromium)'
  : !(await playwrightChromium()).chromium ? 'playwright-core is not installed (npm ci)'
    : !fs.existsSync(path.join(ROOT, 'wasm_api/dist/musicvae_wasm.wasm')) ? 'the WASM engine is not built (bash wasm_api/build.sh)'
      : false;

const explorer = (page, fn, arg) => page.evaluate(
  // eslint-disable-next-line no-new-func
  ({ body, arg }) => new Function('el', 'arg', body)(document.querySelector('musicvae-explorer'), arg),
  { body: fn, arg });

async function waitGrid(page) {
  await page.waitForFunction(() => {
    const el = document.querySelector('musicvae-explorer');
    return el && el.timings && el.timings.gridMs !== undefined && el.currentSequence;
  }, null, { timeout: 60000 });
}

// Runs `action` and waits for the groove it makes: {input, sequence, playing}.
async function afterGroove(page, action, what) {
  await explorer(page, 'window.__groove = null; el.addEventListener("groovechange", () => { window.__groove = true; }, { once: true });');
  const t0 = Date.now();
  await action();
  await page.waitForFunction(() => window.__groove || document.querySelector('musicvae-explorer').shadowRoot.querySelector('.error').textContent, null, { timeout: 30000 });
  assert.equal(await explorer(page, 'return el.shadowRoot.querySelector(".error").textContent;'), '');
  if (what) console.log(`# ${what}: ${Date.now() - t0} ms to the played result (printed, not asserted)`);
  return explorer(page, 'return { input: el.grooveInput, sequence: el.currentSequence, playing: el.transport.playing, seed: el._seed, temperature: el.temperature };');
}

// The decode compared: pitch, velocity, start time of every hit (Node's unquantized sequence).
const hits = (seq) => seq.notes.map((n) => [n.pitch, n.velocity, n.startTime]);

describe('Humanize and Tap to drums in the explorer (headless Chromium, GrooVAE from a local stand-in host)', { skip, timeout: 300000 }, () => {
  let browser, site, host, page;
  const node = {};
  const errors = [];

  // What Node's MusicVAE makes of `input` with the page's surprise and seed.
  async function nodeGroove(which, state) {
    const z = await node[which].encode([state.input]);
    const [seq] = await node[which].decode(z, state.temperature, { seed: state.seed });
    return seq;
  }

  before(async () => {
    assert.ok(HUMANIZE && TAP, 'web/models.json offers groovae_2bar_humanize and tap2drum_2bar');
    fs.rmSync(OUT, { recursive: true, force: true });
    fs.mkdirSync(OUT, { recursive: true });
    buildSite({ out: SITE, quiet: true });
    const root = tmpdir('mvae-groove-web-');
    for (const [key, entry, family, quantization] of [['humanize', HUMANIZE, 'groove_humanize', 'float32'], ['tap', TAP, 'groove_tap', 'uint8']]) {
      const dir = path.join(root, entry.checkpoint);
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      fs.cpSync(writeCheckpoint(family, { quantization, seed: 5, root: tmpdir('mvae-groove-one-') }), dir, { recursive: true });
      const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
      config.dataConverter.args.numSteps = 32; // both are 2-bar models
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
      node[key] = new MusicVAE(dir);
    }
    host = await serveDirectory(root, { cors: true });
    site = await serve(SITE);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true, colorScheme: 'light' });
    // A fake Web MIDI port (as web_explorer.test.mjs's): what it is sent, with its timestamps.
    await context.addInitScript(() => {
      window.__midiSent = [];
      const port = { id: 'fake-1', name: 'Fake Synth', manufacturer: 'Test', state: 'connected', type: 'output',
        send(data, ts) { window.__midiSent.push({ data: Array.from(data), ts: ts === undefined ? performance.now() : ts }); } };
      const access = { inputs: new Map(), outputs: new Map([['fake-1', port]]), sysexEnabled: false, addEventListener() {}, removeEventListener() {} };
      Object.defineProperty(Navigator.prototype, 'requestMIDIAccess', { configurable: true, value: async () => access });
    });
    page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  });

  after(async () => {
    for (const m of Object.values(node)) m.dispose();
    if (browser) await browser.close();
    if (site) await site.close();
    if (host) host.server.close();
  });

  const open = async (entry) => {
    await page.goto(`${site.url}?seed=3&model=${entry.id}&checkpoints=${encodeURIComponent(`${host.base}/`)}&nosw`);
    await waitGrid(page);
  };

  // Play, `parts` and the roll on screen at both tablet sizes, the groove row's targets 44 px, its words plain.
  async function tabletRules(parts, name) {
    for (const [width, height] of [[1024, 768], [768, 1024]]) {
      await page.setViewportSize({ width, height });
      await page.evaluate(() => scrollTo(0, 0));
      await page.waitForTimeout(200);
      for (const part of ['button.play', 'select.model', '.current', '.grid', ...parts]) {
        const b = await page.locator(`musicvae-explorer ${part}`).boundingBox();
        assert.ok(b && b.y >= 0 && b.x >= 0 && b.y + b.height <= height && b.x + b.width <= width,
          `${width}x${height}: ${part} at ${JSON.stringify(b)} is not on screen`);
      }
      const small = await explorer(page, `
        return [...el.shadowRoot.querySelectorAll('.groove-row button, .groove-row select')].filter((c) => c.offsetParent)
          .map((c) => [c.className, c.getBoundingClientRect()]).filter(([, r]) => r.width < 44 || r.height < 44).map(([c]) => c);`);
      assert.deepEqual(small, [], `${width}x${height}: targets under 44 px`);
      await page.screenshot({ path: path.join(OUT, `${name}-tablet-${width}x${height}.png`) });
    }
    await page.setViewportSize({ width: 1024, height: 768 });
    const words = await explorer(page, `return [el.shadowRoot.querySelector('.groove-row').innerText,
      el.shadowRoot.querySelector('.model-desc').textContent, el.shadowRoot.querySelector('.current-desc').textContent,
      el.shadowRoot.querySelector('select.model').selectedOptions[0].textContent].join(' | ');`);
    for (const jargon of JARGON) assert.doesNotMatch(words, jargon);
  }

  test('Humanize: the built-in beat and a dropped drum file come back as Node decodes them, and play', async () => {
    await open(HUMANIZE);
    const label = await explorer(page, 'return el.shadowRoot.querySelector("select.model").selectedOptions[0].textContent;');
    assert.match(label, /^Humanize drums, 2 bars — Magenta's model, (downloads 15\.8 MB|on this device)$/);
    assert.equal(await page.locator('musicvae-explorer .tap-pad').isVisible(), false);
    // The grid's cells too are Node's decodes of their latent vectors.
    const grid = await explorer(page, 'return { z: el.cells.map((c) => Array.from(c.z)), seqs: el.sequences, seed: el._seed, t: el.temperature };');
    assert.deepEqual(grid.seqs.map(hits), (await node.humanize.decode(grid.z, grid.t, { seed: grid.seed })).map(hits));

    await page.locator('musicvae-explorer .groove-beat').selectOption('simple');
    const beat = await afterGroove(page, () => page.locator('musicvae-explorer button.humanize').tap(), 'Humanize (stand-in weights)');
    assert.deepEqual(beat.input, simpleBeat(32));
    // (hand-worked: per bar kick on steps 0, 8, 10, snare on 4, 12, hi-hat on the even steps, velocity 80)
    const stepsOf = (pitch) => beat.input.notes.filter((n) => n.pitch === pitch).map((n) => n.quantizedStartStep);
    assert.deepEqual([stepsOf(36), stepsOf(38), stepsOf(42).length], [[0, 8, 10, 16, 24, 26], [4, 12, 20, 28], 16]);
    assert.ok(beat.input.notes.every((n) => n.velocity === 80 && n.isDrum));
    const want = await nodeGroove('humanize', beat);
    assert.ok(want.notes.length > 0);
    assert.deepEqual(hits(beat.sequence), hits(want));
    assert.equal(beat.playing, true, 'Humanize plays its result');
    // Played at each hit's own time (in steps, the same at any tempo) and velocity.
    for (const n of beat.sequence.notes) {
      assert.ok(Math.abs(n.quantizedStartStep + n.offsetSteps - n.startTime / (60 / 120 / 4)) < 1e-9);
    }
    assert.ok(beat.sequence.notes.some((n) => Math.abs(n.offsetSteps) > 0.01), 'some hits are off the grid');
    assert.ok(new Set(beat.sequence.notes.map((n) => n.velocity)).size > 3, 'the velocities vary');
    // The saved file: each hit at its own time (ticks of 220 a quarter at the page's 120 qpm).
    const saved = await explorer(page, 'return el._exportedSequence(el.currentSequence);');
    saved.notes.forEach((n, i) => assert.ok(Math.abs(n.startTime - Math.max(want.notes[i].startTime, 0)) < 1e-9, `saved hit ${i}`));
    assert.ok(await explorer(page, 'return el.midiBytes().then((b) => b.length);') > 100);

    // A drum .mid file, dropped on corner B: in the corner, and humanized.
    const file = Array.from(sequencesToMidiBytes([simpleBeat(32)].map((s) => ({ ...s, notes: s.notes.filter((n) => n.pitch !== 38) })), { qpm: 120 }));
    const dropped = await afterGroove(page, () => explorer(page, 'el.loadMidi(new Uint8Array(arg), 1, { name: "beat.mid" });', file));
    assert.equal(dropped.input.notes.length, simpleBeat(32).notes.length - 4);
    assert.deepEqual(hits(dropped.sequence), hits(await nodeGroove('humanize', dropped)));
    assert.match(await explorer(page, 'return el.shadowRoot.querySelector(".current-desc").textContent;'), /^beat\.mid, humanized — drums: \d+ hits$/);

    // Web MIDI: every hit of the second loop (the first may start while the audio clock starts) at
    // its velocity and its own time, step + offsetSteps, at the page's speed (240 BPM: 62.5 ms a step).
    await page.locator('musicvae-explorer details.advanced summary').click();
    await page.locator('musicvae-explorer button.midi').click();
    await page.waitForFunction(() => document.querySelector('musicvae-explorer').shadowRoot.querySelector('.output').value === 'midi:fake-1');
    const played = await explorer(page, 'el.stop(); el.setAttribute("qpm", "240"); window.__midiSent = []; el.play(); return el.currentSequence;');
    const n = played.notes.length;
    await page.waitForFunction((n) => window.__midiSent.filter((m) => (m.data[0] & 0xf0) === 0x90).length >= 2 * n, n, { timeout: 30000 });
    await explorer(page, 'el.stop();');
    const ons = (await page.evaluate(() => window.__midiSent)).filter((m) => (m.data[0] & 0xf0) === 0x90).slice(n, 2 * n);
    const order = played.notes.map((note, i) => [note, i]).sort((a, b) => a[0].quantizedStartStep - b[0].quantizedStartStep || a[1] - b[1]).map(([note]) => note);
    const residuals = order.map((note, i) => {
      assert.deepEqual(ons[i].data.slice(1), [note.pitch, Math.min(Math.max(note.velocity || 80, 1), 127)], `note-on ${i}`);
      return ons[i].ts - (note.quantizedStartStep + note.offsetSteps) * 62.5;
    });
    assert.ok(Math.max(...residuals) - Math.min(...residuals) < 2, `hits off their times by up to ${Math.max(...residuals) - Math.min(...residuals)} ms`);
    await page.locator('musicvae-explorer details.advanced summary').click();
    await explorer(page, 'el.setAttribute("qpm", "120");');
    await tabletRules(['.groove-beat', 'button.humanize'], 'humanize');
    assert.deepEqual(errors, []);
  });

  test('Tap to drums: the pad (after its count-in) and scripted taps give Node\'s decode of the same tapped sequence', async () => {
    await open(TAP);
    assert.equal(await page.locator('musicvae-explorer .humanize-part').isVisible(), false);
    await explorer(page, 'el.setAttribute("qpm", "240");'); // 1 s a bar: a 1-bar count-in, 2 bars of taps
    // Scripted taps (seconds from the first beat): exactly tapSequence's, decoded as Node does.
    // (1.97 s would round to step 32, past the end: left out, as the converter refuses it)
    const times = [0, 0.25, 0.5, 0.6, 1.0, 1.26, 1.5, 1.75, 1.97];
    const scripted = await afterGroove(page, () => explorer(page, 'el.drumsFromTaps(arg, 240);', times));
    assert.deepEqual(scripted.input, tapSequence(times, 240, 2));
    assert.deepEqual(scripted.input.notes.map((n) => [n.pitch, n.startTime]), times.slice(0, -1).map((t) => [42, t]));
    assert.deepEqual([scripted.input.totalTime, scripted.input.tempos[0].qpm], [2, 240]);
    assert.deepEqual(hits(scripted.sequence), hits(await nodeGroove('tap', scripted)));
    assert.equal(scripted.playing, true);

    // The pad: a touch starts the count-in (a touch during it is no hit), then the space bar taps 6 times.
    const tapped = await afterGroove(page, async () => {
      await page.locator('musicvae-explorer .tap-pad').tap();
      await page.waitForTimeout(300);
      await page.locator('musicvae-explorer .tap-pad').tap();
      await page.waitForFunction(() => document.querySelector('musicvae-explorer').shadowRoot.querySelector('.tap-pad').textContent === 'Tap!');
      await page.locator('musicvae-explorer .groove-msg').click(); // (the space bar anywhere but a button or a box)
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press(' ');
        await page.waitForTimeout(200);
      }
    });
    assert.equal(tapped.input.notes.length, 6);
    assert.deepEqual(tapped.input, tapSequence(await explorer(page, 'return el.tappedTimes;'), 240, 2));
    assert.deepEqual(hits(tapped.sequence), hits(await nodeGroove('tap', tapped)));
    assert.equal(await page.locator('musicvae-explorer .tap-pad').textContent(), 'Tap here');
    await tabletRules(['.tap-pad'], 'tap');
    assert.deepEqual(errors, []);
  });

  // The models trained here (models/groovae_2bar_*.q8.mvae, web/models.json's own "models"):
  // Humanize and Tap work from the site alone, no checkpoint host, as Node decodes the same files.
  const LOCAL = JSON.parse(fs.readFileSync(path.join(ROOT, 'web/models.json'), 'utf8')).models.filter((m) => m.kind === 'groove');
  const localSkip = LOCAL.length !== 2 ? 'web/models.json lists no local groove models'
    : LOCAL.every((m) => fs.existsSync(path.join(ROOT, m.file))) ? false : 'models/groovae_2bar_*.q8.mvae not built (models/retrain.sh)';
  test('Humanize and Tap with the models trained here: from the site alone, as Node decodes the same files', { skip: localSkip }, async () => {
    const outside = [];
    const watch = (r) => { if (!r.url().startsWith(site.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) outside.push(r.url()); };
    page.on('request', watch);
    try {
      for (const entry of LOCAL) {
        const local = new MusicVAE(path.join(ROOT, entry.file));
        try {
          await page.goto(`${site.url}?seed=3&model=${entry.id}&nosw`);
          await waitGrid(page);
          const label = await explorer(page, 'return el.shadowRoot.querySelector("select.model").selectedOptions[0].textContent;');
          assert.equal(label, entry.name, 'a model of our own: no "Magenta\'s model" in its name');
          const kind = await explorer(page, 'return el.grooveKind;');
          assert.equal(kind, /tap/.test(entry.id) ? 'tap' : 'humanize');
          const decodeLike = async (state) => {
            const [seq] = await local.decode(await local.encode([state.input]), state.temperature, { seed: state.seed });
            return seq;
          };
          let state;
          if (kind === 'humanize') {
            await page.locator('musicvae-explorer .groove-beat').selectOption('simple');
            state = await afterGroove(page, () => page.locator('musicvae-explorer button.humanize').tap(), `Humanize (${entry.id})`);
            assert.deepEqual(state.input, simpleBeat(32));
          } else {
            await explorer(page, 'el.setAttribute("qpm", "240");');
            const times = [0, 0.25, 0.5, 0.6, 1.0, 1.26, 1.5, 1.75];
            state = await afterGroove(page, () => explorer(page, 'el.drumsFromTaps(arg, 240);', times), `Tap (${entry.id})`);
            assert.deepEqual(state.input, tapSequence(times, 240, 2));
            await explorer(page, 'el.setAttribute("qpm", "120");');
          }
          const want = await decodeLike(state);
          assert.ok(want.notes.length > 0, `${entry.id} decodes some hits`);
          assert.deepEqual(hits(state.sequence), hits(want));
          assert.equal(state.playing, true);
          await explorer(page, 'el.stop();');
        } finally {
          local.dispose();
        }
      }
    } finally {
      page.off('request', watch);
    }
    assert.deepEqual(outside, [], 'nothing fetched from outside the site');
    assert.deepEqual(errors, []);
  });
});
