// The explorer and cross-origin isolation (headless Chromium): web/serve.mjs's COOP/COEP make the
// page isolated from the first visit, so its Worker runs the engine's pthreads build; on a host that
// sends no such headers (serve's isolate: false, as most static hosts) the first visit runs the
// single-thread build, and once the service worker controls the page (it adds the headers to what
// it answers, so the installed app is isolated on any host) the next load runs the pthreads build,
// from the precache.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { ROOT } from './wasm_helpers.mjs';
import { browserSkip, openPage } from './web_page_helpers.mjs';
import { buildSite } from '../../web/build.mjs';
import { serve } from '../../web/serve.mjs';
import { launchChromium } from '../../web/tools/browser.mjs';

const SITE = path.join(ROOT, 'build/web-test/isolation/site');
const skip = await browserSkip();

async function waitGrid(page) {
  await page.waitForFunction(() => {
    const el = document.querySelector('musicvae-explorer');
    return el && el.timings && el.timings.gridMs !== undefined && el.currentSequence;
  }, null, { timeout: 60000 });
}

// Loads the explorer (page.goto or page.reload): {isolated, engine: the .wasm files the page and its
// Workers asked for}. (The default threads are navigator.hardwareConcurrency's: on one core, even an
// isolated page runs the single-thread build.)
async function load(context, page, go) {
  const engine = [];
  const onRequest = (r) => { if (r.url().endsWith('.wasm')) engine.push(new URL(r.url()).pathname); };
  context.on('request', onRequest);
  await go();
  await waitGrid(page);
  context.off('request', onRequest);
  return { isolated: await page.evaluate(() => self.crossOriginIsolated === true), engine };
}

describe('explorer: cross-origin isolation and the engine build', { skip, timeout: 180000 }, () => {
  let browser;
  before(async () => {
    buildSite({ out: SITE, quiet: true });
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
  });

  for (const isolate of [true, false]) {
    test(isolate ? 'web/serve.mjs: isolated at once, the pthreads build' : 'a host without the headers: single-thread first, then isolated by the service worker', async () => {
      const server = await serve(SITE, { isolate });
      const errors = [];
      const { context, page } = await openPage(browser, errors);
      try {
        const first = await load(context, page, () => page.goto(`${server.url}?seed=4`));
        const cores = await page.evaluate(() => navigator.hardwareConcurrency);
        const threaded = cores > 1 ? '/wasm_api/dist/musicvae_wasm_threads.wasm' : '/wasm_api/dist/musicvae_wasm.wasm';
        assert.deepEqual(first, isolate
          ? { isolated: true, engine: [threaded] }
          : { isolated: false, engine: ['/wasm_api/dist/musicvae_wasm.wasm'] });
        await page.waitForFunction(() => navigator.serviceWorker.controller && document.documentElement.dataset.offlineReady === 'true',
          null, { timeout: 30000 });
        const again = await load(context, page, () => page.reload());
        assert.deepEqual(again, { isolated: true, engine: [threaded] });
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
        await server.close();
      }
    });
  }
});
