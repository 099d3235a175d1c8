// "Make it yours" and the attribute sliders of the explorer (web/src/explorer_midime.mjs,
// explorer_attributes.mjs) in headless Chromium at tablet size (1024x768, touch): the sliders under
// the pad move the selected square's music the way they say (more notes / fewer, higher /
// lower); "Make it yours" appears only once a melody was dropped, trains MidiMe in the model's Worker
// with progress, fills the four corners with "more like yours" samples (undo brings the old ones
// back), with no console errors. Screenshots go to build/web-test/screenshots/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ROOT } from './wasm_helpers.mjs';
import { browserSkip, watchErrors } from './web_page_helpers.mjs';
import { buildSite } from '../../web/build.mjs';
import { serve } from '../../web/serve.mjs';
import { launchChromium } from '../../web/tools/browser.mjs';

const OUT = path.join(ROOT, 'build/web-midime-test');
const SHOTS = path.join(ROOT, 'build/web-test/screenshots');

const skip = await browserSkip();

/** A 4-bar lead melody (an independent writer, @tonejs/midi). */
async function melodyMidi() {
  const { Midi } = (await import('@tonejs/midi')).default;
  const midi = new Midi();
  midi.header.setTempo(120);
  const lead = midi.addTrack();
  lead.name = 'Lead';
  const eighth = midi.header.ppq / 2;
  const tune = [67, 69, 71, 72, 74, 72, 71, 69, 67, 71, 74, 79, 77, 76, 74, 72, 71, 72, 74, 76, 77, 76, 74, 71, 72, 74, 72, 71, 69, 71, 67, 67];
  tune.forEach((p, i) => lead.addNote({ midi: p, ticks: i * eighth, durationTicks: eighth }));
  return Buffer.from(midi.toArray());
}

const explorer = (page, fn, arg) => page.evaluate(
  // An async function body, run on the element.
  ({ body, arg }) => new (Object.getPrototypeOf(async () => {}).constructor)('el', 'arg', body)(document.querySelector('musicvae-explorer'), arg),
  { body: fn, arg });

describe('"Make it yours" and attribute sliders in headless Chromium (tablet)', { skip, timeout: 240000 }, () => {
  let browser, server, page;
  const errors = [];

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    buildSite({ out: path.join(OUT, 'site'), quiet: true });
    server = await serve(path.join(OUT, 'site'));
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true, colorScheme: 'light' });
    page = await context.newPage();
    watchErrors(page, errors);
    await page.goto(`${server.url}?seed=7`);
    await page.waitForFunction(() => {
      const el = document.querySelector('musicvae-explorer');
      return el && el.timings && el.timings.gridMs !== undefined && el.currentSequence;
    }, null, { timeout: 30000 });
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.close();
  });

  test('attribute sliders beside the grid: more notes and higher pitches where they say', async () => {
    await page.waitForFunction(() => {
      const panel = document.querySelector('musicvae-explorer').shadowRoot.querySelector('.attributes');
      return panel && !panel.hidden;
    }, null, { timeout: 10000 });
    const r = await explorer(page, `
      const root = el.shadowRoot, rect = (s) => root.querySelector(s).getBoundingClientRect();
      const sliders = [...root.querySelectorAll('.attributes input[type=range]')].map((i) => i.dataset.attribute);
      const measure = async (name, k) => {
        await el.setAttributeOffset(name, k);
        const notes = el.currentSequence.notes;
        const seq = el.cells[el.grid.selected].seq;
        return { count: notes.length, mean: notes.reduce((s, n) => s + n.pitch, 0) / Math.max(notes.length, 1), same: seq === el.currentSequence };
      };
      const fewer = await measure('density', -2), more = await measure('density', 2);
      await el.setAttributeOffset('density', 0);
      const lower = await measure('pitch', -2), higher = await measure('pitch', 2);
      const below = rect('.attributes').top >= rect('.pad').bottom;
      const tall = [...root.querySelectorAll('.attributes input')].every((i) => i.getBoundingClientRect().height >= 44);
      root.querySelector('.attributes-reset').click();
      return { sliders, fewer, more, lower, higher, below, tall, offsets: el.attributeOffsets };`);
    assert.deepEqual(r.sliders, ['density', 'pitch', 'range', 'syncopation']);
    assert.ok(r.more.count > r.fewer.count, `density: ${r.fewer.count} notes at -2, ${r.more.count} at +2`);
    assert.ok(r.higher.mean > r.lower.mean, `pitch: mean ${r.lower.mean} at -2, ${r.higher.mean} at +2`);
    assert.ok(r.more.same, 'the selected square shows what plays');
    assert.ok(r.below, 'the sliders sit under the pad');
    assert.ok(r.tall, 'slider touch targets are 44 px tall');
    assert.deepEqual(Object.values(r.offsets), [0, 0, 0, 0]);
    await explorer(page, 'await el.setAttributeOffset("density", 2);');
    await page.screenshot({ path: path.join(SHOTS, 'attributes-1024x768.png') });
    await explorer(page, 'el.shadowRoot.querySelector(".attributes-reset").click();');
    assert.deepEqual(errors, []);
  });

  test('"Make it yours": hidden until a melody is dropped, then trains in the Worker and fills the corners', async () => {
    const hidden = await explorer(page, 'const p = el.shadowRoot.querySelector(".midime"); return !p || p.hidden;');
    assert.ok(hidden, 'no "Make it yours" before a drop');
    await page.evaluate((bytes) => {
      const el = document.querySelector('musicvae-explorer');
      return el.loadMidi(new File([new Uint8Array(bytes)], 'my-tune.mid', { type: 'audio/midi' }), 0);
    }, Array.from(await melodyMidi()));
    const before = await explorer(page, `
      const p = el.shadowRoot.querySelector('.midime');
      return { hidden: p.hidden, help: p.querySelector('.midime-help').textContent, labels: el.corners.map((c) => c.label) };`);
    assert.equal(before.hidden, false);
    assert.match(before.help, /my-tune\.mid/);
    // Progress as it trains: the status line and the progress bar, watched from the page.
    await explorer(page, `
      window.__progress = [];
      const root = el.shadowRoot, bar = root.querySelector('.midime-progress');
      new MutationObserver(() => window.__progress.push([root.querySelector('.status').textContent, bar.value]))
        .observe(root.querySelector('.status'), { childList: true, characterData: true, subtree: true });
      window.__trained = new Promise((resolve) => el.addEventListener('midimetrained', (e) => resolve(e.detail), { once: true }));`);
    await page.tap('musicvae-explorer .midime-train');
    const detail = await page.evaluate(() => window.__trained);
    await page.waitForFunction(() => /like yours/.test(document.querySelector('musicvae-explorer').shadowRoot.querySelector('.status').textContent), null, { timeout: 30000 });
    const after = await explorer(page, `
      return { corners: el.corners.map((c) => ({ label: c.label, mine: !!(c.source && c.source.mine), z: c.z.length })),
        decoded: el.sequences.filter(Boolean).length, cells: el.cells.length, progress: window.__progress,
        more: !el.shadowRoot.querySelector('.midime-more').hidden };`);
    console.log(`# Make it yours: ${detail.windows} bars of the dropped file, trained in ${Math.round(detail.ms)} ms`);
    assert.ok(detail.windows >= 2, `${detail.windows} windows`);
    assert.equal(after.corners.length, 4);
    assert.ok(after.corners.every((c) => c.mine && c.z === 256 && c.label === 'like yours'));
    assert.equal(after.decoded, after.cells);
    const learning = after.progress.filter(([text]) => /Learning your style/.test(text));
    assert.ok(learning.length >= 2, 'progress was shown while training');
    assert.ok(learning.some(([, v]) => v > 0 && v < 1), 'the progress bar moved');
    assert.ok(after.more, '"More like mine" is offered after training');
    await page.screenshot({ path: path.join(SHOTS, 'make-it-yours-1024x768.png') });
    // "More like mine" again: four other corners; Undo: the ones before.
    const again = await explorer(page, `
      const first = el.corners.map((c) => Array.from(c.z.slice(0, 4)));
      await el.moreLikeMine();
      const second = el.corners.map((c) => Array.from(c.z.slice(0, 4)));
      await el.undo();
      return { differ: JSON.stringify(first) !== JSON.stringify(second), back: JSON.stringify(el.corners.map((c) => Array.from(c.z.slice(0, 4)))) === JSON.stringify(first) };`);
    assert.ok(again.differ, '"More like mine" gives new corners');
    assert.ok(again.back, 'undo brings the corners back');
    assert.deepEqual(errors, []);
  });
});
