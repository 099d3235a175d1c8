// Takes the README's screenshot of the explorer: `node web/tools/screenshot.mjs [OUT.png]` (default
// web/screenshot.png). Builds the site, serves it on 127.0.0.1, opens it in headless Chromium with
// a fixed seed, plays the middle cell and shoots the page (a PNG under 200 KB).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSite } from '../build.mjs';
import { serve } from '../serve.mjs';
import { launchChromium } from './browser.mjs';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.resolve(process.argv[2] || path.join(WEB, 'screenshot.png'));
const site = buildSite({ out: path.join(WEB, '..', 'build/web-screenshot'), quiet: true });
const server = await serve(site.out);
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 1180, height: 760 }, colorScheme: 'light', deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(`${server.url}?seed=2018&nosw`);
  await page.waitForFunction(() => {
    const el = document.querySelector('musicvae-explorer');
    return el && el.timings.gridMs !== undefined && el.currentSequence;
  });
  // The middle cell, playing (playheads on it and on the large roll).
  await page.locator('musicvae-explorer .cell[data-index="12"]').click();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: out });
  const size = fs.statSync(out).size;
  console.log(`${path.relative(process.cwd(), out)}: ${(size / 1024).toFixed(0)} KB`);
  if (size > 200 * 1024) {
    console.error('larger than 200 KB');
    process.exitCode = 1;
  }
} finally {
  await browser.close();
  await server.close();
}
