// Takes the READMEs' screenshots of the explorer at tablet size, with touch:
// `node web/tools/screenshot.mjs [OUT_DIR]` (default web/) writes screenshot.png (1024 x 768,
// landscape) and screenshot-portrait.png (768 x 1024). Builds the site, serves it on 127.0.0.1,
// opens it in headless Chromium with a fixed seed, plays a cell and shoots the page (PNGs under
// 200 KB each).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSite } from '../build.mjs';
import { serve } from '../serve.mjs';
import { launchChromium } from './browser.mjs';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(process.argv[2] || WEB);
const site = buildSite({ out: path.join(WEB, '..', 'build/web-screenshot'), quiet: true });
const server = await serve(site.out);
const browser = await launchChromium();
try {
  for (const [name, width, height] of [['screenshot.png', 1024, 768], ['screenshot-portrait.png', 768, 1024]]) {
    const context = await browser.newContext({ viewport: { width, height }, hasTouch: true, colorScheme: 'light', deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${server.url}?seed=2018&nosw`);
    await page.waitForFunction(() => {
      const el = document.querySelector('musicvae-explorer');
      return el && el.timings && el.timings.gridMs !== undefined && el.currentSequence;
    });
    // A cell, playing (playheads on it and on the large roll).
    await page.locator('musicvae-explorer .cell[data-index="7"]').tap();
    await page.waitForFunction(() => document.querySelector('musicvae-explorer').shadowRoot.querySelector('.current.playing'));
    await page.waitForTimeout(700); // the playhead some way along (a picture, not a test)
    const out = path.join(outDir, name);
    await page.screenshot({ path: out });
    await context.close();
    const size = fs.statSync(out).size;
    console.log(`${path.relative(process.cwd(), out)}: ${width}x${height}, ${(size / 1024).toFixed(0)} KB`);
    if (size > 200 * 1024) {
      console.error('larger than 200 KB');
      process.exitCode = 1;
    }
  }
} finally {
  await browser.close();
  await server.close();
}
