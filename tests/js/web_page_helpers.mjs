// What the explorer's browser tests (web_*.test.mjs) share: why a suite cannot run here, reaching
// the <musicvae-explorer> element, a page without Web MIDI, and the tablet layout checks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ROOT } from './wasm_helpers.mjs';
import { CHROMIUM, playwrightChromium } from '../../web/tools/browser.mjs';

/** Why a browser suite cannot run on this machine, or false when it can. */
export async function browserSkip() {
  if (!CHROMIUM) return 'no Chromium installed (apt-get install chromium)';
  if (!(await playwrightChromium()).chromium) return 'playwright-core is not installed (npm ci)';
  if (!fs.existsSync(path.join(ROOT, 'wasm_api/dist/musicvae_wasm.wasm'))) return 'the WASM engine is not built (bash wasm_api/build.sh)';
  return false;
}

/** Runs fn, a function body, in the page with `el` the explorer element and `arg` as given. */
export const explorer = (page, fn, arg) => page.evaluate(
  // eslint-disable-next-line no-new-func
  ({ body, arg }) => new Function('el', 'arg', body)(document.querySelector('musicvae-explorer'), arg),
  { body: fn, arg });

/** An init script: the browser has no Web MIDI. */
export function noMidi() {
  delete Navigator.prototype.requestMIDIAccess;
}

/** Collects the page's console errors and uncaught exceptions in errors. */
export function watchErrors(page, errors) {
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
}

/** A page in a new browser context (Playwright's contextOptions) without Web MIDI, its errors
 * going to errors: { context, page }. */
export async function openPage(browser, errors, contextOptions) {
  const context = await browser.newContext(contextOptions);
  await context.addInitScript(noMidi);
  const page = await context.newPage();
  watchErrors(page, errors);
  return { context, page };
}

/** openPage on a light-scheme touch tablet of width x height. */
export const tabletPage = (browser, errors, { width = 1024, height = 768 } = {}) =>
  openPage(browser, errors, { viewport: { width, height }, hasTouch: true, colorScheme: 'light' });

/** Asserts that each of the explorer's parts (selectors) lies wholly in the width x height view. */
export async function assertOnScreen(page, parts, width, height) {
  for (const part of parts) {
    const b = await page.locator(`musicvae-explorer ${part}`).boundingBox();
    assert.ok(b && b.y >= 0 && b.x >= 0 && b.y + b.height <= height && b.x + b.width <= width,
      `${width}x${height}: ${part} at ${JSON.stringify(b)} is not on screen`);
  }
}

/** The shown controls one can touch that are under 44 x 44 CSS pixels (a checkbox or radio button
 * measured by its label), as "name WxH". */
export const smallTargets = (page) => explorer(page, `
  const out = [];
  for (const c of el.shadowRoot.querySelectorAll('button, select, input, summary')) {
    if (c.type === 'file' || c.closest('[hidden]')) continue;
    const target = (c.type === 'checkbox' || c.type === 'radio') ? c.closest('label') : c;
    const r = target.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.width < 44 || r.height < 44) out.push(\`\${c.className || c.tagName} \${Math.round(r.width)}x\${Math.round(r.height)}\`);
  }
  return out;`);
