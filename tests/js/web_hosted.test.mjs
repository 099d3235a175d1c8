// Magenta's hosted models in the explorer (headless Chromium): the picker offers every checkpoint of
// web/models.json's "magenta" block beside the bundled models. Nothing here can reach magenta.js's
// host, so a second local server (another origin, with CORS, as storage.googleapis.com sends it)
// serves random-weight checkpoints in magenta.js's format under the same paths, and the page is
// pointed at it with ?checkpoints=. Through it: the labels (download size), a pick (the download's
// progress, the conversion in the Worker: it decodes what Node decodes from the same folder), Play,
// a reload with the network off (the service worker, the Cache API), the tablet layout rules, and
// "Remove from this device". Screenshots go to build/web-test/hosted/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { MusicVAE } from '../../wasm_api/index.mjs';
import { ROOT, tmpdir } from './wasm_helpers.mjs';
import { assertOnScreen, browserSkip, explorer, smallTargets, tabletPage } from './web_page_helpers.mjs';
import { serveDirectory, writeCheckpoint } from './checkpoint_helpers.mjs';
import { buildSite } from '../../web/build.mjs';
import { serve } from '../../web/serve.mjs';
import { launchChromium } from '../../web/tools/browser.mjs';

const OUT = path.join(ROOT, 'build/web-test/hosted');
const SITE = path.join(OUT, 'site');
const HOSTED = JSON.parse(fs.readFileSync(path.join(ROOT, 'web/models.json'), 'utf8')).magenta.models;

// The test checkpoint served under each hosted path: a family of checkpoint_helpers with the
// structure and weight format of Magenta's (its sizes small; config overrides where the length
// differs). A hosted model without one here fails the test: each needs its stand-in.
const STAND_INS = {
  'music_vae/mel_2bar_small': { family: 'flat_mel', quantization: 'float32' },
  'music_vae/mel_4bar_small_q2': { family: 'hier_mel', quantization: 'uint16' },
  'music_vae/mel_16bar_small_q2': { family: 'hier_mel', quantization: 'uint16', args: { numSteps: 256, numSegments: 16 } },
  'music_vae/mel_chords': { family: 'chords_mel', quantization: 'uint16' },
  'music_vae/trio_4bar': { family: 'trio', quantization: 'uint8' },
  'music_vae/drums_2bar_lokl_small': { family: 'drums', quantization: 'float32' },
  'music_vae/drums_2bar_hikl_small': { family: 'drums', quantization: 'float32' },
  // (the NADE output layer's parity with magenta.js is families_magenta.test.mjs's)
  'music_vae/drums_2bar_nade_9_q2': { family: 'drums', quantization: 'uint16' },
  // (GrooVAE: the explorer's Humanize and Tap are web_groove.test.mjs's)
  'music_vae/groovae_2bar_humanize': { family: 'groove_humanize', quantization: 'float32' },
  'groovae/tap2drum_2bar': { family: 'groove_tap', quantization: 'uint8', args: { numSteps: 32 } },
};

// Words a tablet user should not meet (checkpoint ids, formats, libraries), in what the page shows.
const JARGON = [/checkpoint/i, /\bq[12]\b|_q\d/i, /lokl|hikl|nade/i, /quantiz/i, /tfjs|magenta\.js/i];

const skip = await browserSkip();

async function waitGrid(page, timeout = 20000) {
  await page.waitForFunction(() => {
    const el = document.querySelector('musicvae-explorer');
    return el && el.timings && el.timings.gridMs !== undefined && el.currentSequence;
  }, null, { timeout });
}

// Switches the picker to `id` and waits for that model's grid.
async function pick(page, id) {
  await explorer(page, 'window.__grids = 0; el.addEventListener("gridchange", () => { window.__grids++; }, { once: true });');
  await page.locator('musicvae-explorer select.model').selectOption(id);
  await page.waitForFunction(() => window.__grids > 0, null, { timeout: 60000 });
}

// Waits until the picker's option for `id` reads `text` (it is relabelled once the cache is looked at).
const waitLabel = (page, id, text) => page.waitForFunction(([id, text]) =>
  document.querySelector('musicvae-explorer').shadowRoot.querySelector(`option[value="${id}"]`).textContent === text, [id, text]);

const optionText = (page, id) => explorer(page, 'const o = el.shadowRoot.querySelector(`option[value="${arg}"]`); return { text: o.textContent, disabled: o.disabled, group: o.parentElement.tagName };', id);

describe('Magenta\'s hosted models in the explorer (headless Chromium, a local stand-in host)', { skip, timeout: 300000 }, () => {
  let browser, site, host, context, page;
  const dirs = {};
  const errors = [];

  before(async () => {
    fs.rmSync(OUT, { recursive: true, force: true });
    fs.mkdirSync(OUT, { recursive: true });
    buildSite({ out: SITE, quiet: true });
    const root = tmpdir('mvae-hosted-');
    for (const m of HOSTED) {
      const stand = STAND_INS[m.checkpoint];
      assert.ok(stand, `no test checkpoint for the hosted model ${m.id} (${m.checkpoint}): add one to STAND_INS`);
      const written = writeCheckpoint(stand.family, { quantization: stand.quantization, seed: 3, root: tmpdir('mvae-hosted-one-') });
      const dir = path.join(root, m.checkpoint);
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      fs.cpSync(written, dir, { recursive: true });
      if (stand.args) {
        const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
        Object.assign(config.dataConverter.args, stand.args);
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
      }
      dirs[m.id] = dir;
    }
    host = await serveDirectory(root, { cors: true });
    site = await serve(SITE);
    browser = await launchChromium();
    ({ context, page } = await tabletPage(browser, errors));
  });

  after(async () => {
    if (browser) await browser.close();
    if (site) await site.close();
    if (host) host.server.close();
  });

  test('the picker lists every hosted model beside the bundled ones, with its download size; nothing is fetched before a pick', async () => {
    await page.goto(`${site.url}?seed=3&checkpoints=${encodeURIComponent(`${host.base}/`)}`);
    await waitGrid(page);
    await page.waitForFunction(() => navigator.serviceWorker.controller && document.documentElement.dataset.offlineReady === 'true', null, { timeout: 30000 });
    for (const m of HOSTED) {
      await page.waitForFunction((id) => document.querySelector('musicvae-explorer').shadowRoot.querySelector(`option[value="${id}"]`).dataset.state, m.id);
      const o = await optionText(page, m.id);
      assert.equal(o.text, `${m.name} — Magenta's model, downloads ${m.megabytes.toFixed(1)} MB`);
      assert.equal(o.group, 'OPTGROUP');
      assert.equal(o.disabled, false);
    }
    assert.deepEqual(host.requests, []);
    // Every hosted model's name and description in plain words (the page shows the chosen one's).
    for (const m of HOSTED) for (const jargon of JARGON) assert.doesNotMatch(`${m.name} ${m.description}`, jargon, m.id);
    assert.equal(await page.locator('musicvae-explorer .hosted-row').isHidden(), true);
  });

  test('a pick downloads the checkpoint with progress, converts it in the Worker (the decodes of Node), plays', async () => {
    const m = HOSTED.find((e) => e.checkpoint === 'music_vae/mel_16bar_small_q2');
    await explorer(page, 'window.__progress = []; el.addEventListener("modelprogress", (e) => window.__progress.push([e.detail.loaded, e.detail.total, e.detail.model.id]));');
    // The download line, while it shows.
    await explorer(page, `window.__lines = []; new MutationObserver(() => { const d = el.shadowRoot.querySelector('.download');
      if (!d.hidden) window.__lines.push(d.textContent.trim()); }).observe(el.shadowRoot.querySelector('.download'), { subtree: true, childList: true, characterData: true, attributes: true });`);
    await pick(page, m.id);
    const dir = dirs[m.id];
    const files = fs.readdirSync(dir);
    const shardBytes = files.filter((f) => f.startsWith('group')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    const progress = await page.evaluate(() => window.__progress);
    assert.ok(progress.length >= 2, JSON.stringify(progress));
    assert.deepEqual(progress.at(-1), [shardBytes, shardBytes, m.id]);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i][0] >= progress[i - 1][0], 'progress goes forward');
    const lines = await page.evaluate(() => window.__lines);
    assert.ok(lines.some((l) => /^Downloading Melody, 16 bars \(Magenta's model\): \d+\.\d MB of \d+\.\d MB$/.test(l)), JSON.stringify(lines));
    // Every file once, from the stand-in host's paths.
    assert.deepEqual([...host.requests].sort(), files.map((f) => `/${m.checkpoint}/${f}`).sort());
    const r = await explorer(page, `return { id: el.entry.id, steps: el.info.numSteps, kind: el.info.converter, cells: el.sequences.length,
      decoded: el.sequences.filter((s) => s && s.totalQuantizedSteps === el.info.numSteps).length,
      error: el.shadowRoot.querySelector('.error').textContent, downloadHidden: el.shadowRoot.querySelector('.download').hidden };`);
    assert.deepEqual(r, { id: m.id, steps: 256, kind: 'melody', cells: 25, decoded: 25, error: '', downloadHidden: true });
    // Converted in the page's Worker, it decodes what Node decodes from the folder itself.
    const z = Array.from({ length: 8 }, (_, d) => Math.cos(3 * d) * 1.2);
    const node = new MusicVAE(dir);
    const [want] = await node.decode([z], 0);
    node.dispose();
    const got = await explorer(page, 'return el._model.decode([arg], 0).then(([s]) => s.notes);', z);
    const notes = (list) => list.map((n) => [n.pitch, n.quantizedStartStep, n.quantizedEndStep]);
    assert.ok(want.notes.length > 0);
    assert.deepEqual(notes(got), notes(want.notes));
    // Kept: labelled as on this device, with the way to remove it.
    await waitLabel(page, m.id, "Melody, 16 bars — Magenta's model, on this device");
    await page.waitForFunction(() => !document.querySelector('musicvae-explorer').shadowRoot.querySelector('.hosted-row').hidden);
    assert.equal(await page.locator('musicvae-explorer .hosted-text').textContent(), "Melody, 16 bars, Magenta's model, is on this device (23.5 MB): it works offline.");
    await page.locator('musicvae-explorer button.play').tap();
    await page.waitForFunction(() => document.querySelector('musicvae-explorer').transport.playing);
    await page.locator('musicvae-explorer button.play').tap();
    assert.deepEqual(errors, []);
  });

  test('with the network off and the host gone, a reload starts the app and the hosted model from this device', async () => {
    const m = HOSTED.find((e) => e.checkpoint === 'music_vae/mel_16bar_small_q2');
    assert.match(page.url(), new RegExp(`model=${m.id}`), 'the address bar names the model');
    const before = host.requests.length;
    host.down = true;
    await context.setOffline(true);
    await page.reload();
    await waitGrid(page);
    const r = await explorer(page, 'return { id: el.entry.id, steps: el.info.numSteps, decoded: el.sequences.filter(Boolean).length, error: el.shadowRoot.querySelector(".error").textContent, online: navigator.onLine };');
    assert.deepEqual(r, { id: m.id, steps: 256, decoded: 25, error: '', online: false });
    assert.equal(host.requests.length, before, 'nothing asked of the host');
    await waitLabel(page, m.id, "Melody, 16 bars — Magenta's model, on this device");
    // The others cannot load now: they say so and cannot be picked.
    const other = HOSTED.find((e) => e.id !== m.id);
    await waitLabel(page, other.id, `${other.name} — Magenta's model, needs the network`);
    assert.deepEqual(await optionText(page, other.id), { text: `${other.name} — Magenta's model, needs the network`, disabled: true, group: 'OPTGROUP' });
    await page.screenshot({ path: path.join(OUT, 'hosted-offline.png') });
  });

  test('tablets (1024x768, 768x1024): with a hosted model, Play, the grid and the roll on screen, 44 px targets, plain words', async () => {
    for (const [width, height] of [[1024, 768], [768, 1024]]) {
      await page.setViewportSize({ width, height });
      await explorer(page, 'el.shadowRoot.querySelector(".advanced").open = false;');
      await page.evaluate(() => scrollTo(0, 0));  // (earlier taps scrolled the page)
      await assertOnScreen(page, ['button.play', 'select.model', '.grid', '.current'], width, height);
      await page.screenshot({ path: path.join(OUT, `hosted-tablet-${width}x${height}.png`) });
      // "More settings" holds the remove button; every control there and above is 44 x 44 px or more.
      await page.locator('musicvae-explorer .advanced summary').tap();
      assert.equal(await page.locator('musicvae-explorer .remove-hosted').isVisible(), true);
      const small = await smallTargets(page);
      assert.deepEqual(small, [], `${width}x${height}: targets under 44 px`);
      const words = await explorer(page, 'return el.shadowRoot.querySelector(".app").innerText + " " + [...el.shadowRoot.querySelectorAll("option, optgroup")].map((o) => o.label || o.textContent).join(" ");');
      for (const jargon of JARGON) {
        assert.doesNotMatch(words, jargon, `${width}x${height}: "${words.match(jargon)?.[0]}" is shown`);
      }
    }
    await page.setViewportSize({ width: 1024, height: 768 });
  });

  test('"Remove from this device" empties its cache: it then downloads again, and offline it cannot be picked', async () => {
    const m = HOSTED.find((e) => e.checkpoint === 'music_vae/mel_16bar_small_q2');
    await context.setOffline(false);
    host.down = false;
    await explorer(page, 'el.shadowRoot.querySelector(".advanced").open = true;');
    await page.locator('musicvae-explorer .remove-hosted').tap();
    await page.waitForFunction(() => /removed from this device/.test(document.querySelector('musicvae-explorer').shadowRoot.querySelector('.status').textContent));
    const left = await page.evaluate(async (base) => (await (await caches.open('musicvae-checkpoints-v1')).keys()).filter((r) => r.url.startsWith(base)).length, `${host.base}/${m.checkpoint}/`);
    assert.equal(left, 0);
    await waitLabel(page, m.id, `${m.name} — Magenta's model, downloads ${m.megabytes.toFixed(1)} MB`);
    assert.equal(await page.locator('musicvae-explorer .hosted-row').isHidden(), true);
    // A download cut short (its config and manifest kept, no shard) is not "on this device".
    const dir = dirs[m.id];
    const kept = Object.fromEntries(['config.json', 'weights_manifest.json'].map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
    const partial = await page.evaluate(async ([base, kept]) => {
      const cache = await caches.open('musicvae-checkpoints-v1');
      for (const [f, text] of Object.entries(kept)) await cache.put(`${base}/${f}`, new Response(text));
      const { cachedCheckpoint } = await import('/wasm_api/checkpoint.mjs');
      const seen = await cachedCheckpoint(base);
      await cache.delete(`${base}/config.json`);
      await cache.delete(`${base}/weights_manifest.json`);
      return seen;
    }, [`${host.base}/${m.checkpoint}`, kept]);
    assert.equal(partial.complete, false);
    assert.equal(partial.bytes, fs.readdirSync(dir).filter((f) => f.startsWith('group')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0));
    // The model in use keeps playing; offline, it is one that needs the network again.
    await context.setOffline(true);
    await page.waitForFunction((id) => /needs the network/.test(document.querySelector('musicvae-explorer').shadowRoot.querySelector(`option[value="${id}"]`).textContent), m.id);
    await context.setOffline(false);
    assert.deepEqual(errors, []);
  });

  test('every hosted model of web/models.json downloads, converts and decodes its grid', async () => {
    for (const m of HOSTED) {
      await pick(page, m.id);
      const r = await explorer(page, `return { kind: el.info.converter, cells: el.sequences.length,
        decoded: el.sequences.filter((s) => s && s.totalQuantizedSteps === el.info.numSteps).length,
        error: el.shadowRoot.querySelector('.error').textContent };`);
      console.log(`# ${m.id}: ${r.kind}, ${r.decoded}/${r.cells} cells decoded`);
      assert.equal(r.kind, m.kind);
      assert.equal(r.error, '');
      assert.equal(r.decoded, r.cells);
      if (m.chords) {
        // A chord model plays over its entry's chords: the first square is what Node decodes from the
        // folder with those chords (row 0 of the seed); "More like this" keeps them too.
        const cell = await explorer(page, 'return { z: Array.from(el.cells[0].z), seed: el._seed, temperature: el.temperature, notes: el.sequences[0].notes };');
        const node = new MusicVAE(dirs[m.id]);
        const [want] = await node.decode([cell.z], cell.temperature, { seed: cell.seed, chordProgression: m.chords });
        node.dispose();
        const notes = (list) => list.map((n) => [n.pitch, n.quantizedStartStep, n.quantizedEndStep]);
        assert.deepEqual(notes(cell.notes), notes(want.notes));
        await explorer(page, 'window.__grids = 0; el.addEventListener("gridchange", () => { window.__grids++; }, { once: true });');
        await page.locator('musicvae-explorer .similar').tap();
        await page.waitForFunction(() => window.__grids > 0, null, { timeout: 30000 });
        assert.equal(await explorer(page, 'return el.shadowRoot.querySelector(".error").textContent;'), '');
        // A MIDI file (what is playing, saved) encodes into a corner with the chords.
        await explorer(page, 'return el.midiBytes("current").then((bytes) => el.loadMidi(new File([bytes], "tune.mid"), 1));');
        await page.waitForFunction(() => /Encoded .* from tune\.mid into corner B/.test(document.querySelector('musicvae-explorer').shadowRoot.querySelector('.status').textContent));
        assert.equal(await explorer(page, 'return el.shadowRoot.querySelector(".error").textContent;'), '');
      }
      await waitLabel(page, m.id, `${m.name} — Magenta's model, on this device`);
    }
    assert.deepEqual(errors, []);
  });
});
