// web/ served as it is in the repo, without web/build.mjs (issue 16): a tiny static server rooted at
// the repository (its own, so it depends on nothing of web/serve.mjs) serves /web/, and the explorer
// loads in headless Chromium with no console error and no failed request, decodes its grid, and
// encodes a dropped MIDI file (parsed in the Worker). Also: every import of the page's modules
// resolves to a file of the repo, and web/build.mjs's output is a copy of those files.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { ROOT } from './wasm_helpers.mjs';
import { CHROMIUM, launchChromium, playwrightChromium } from '../../web/tools/browser.mjs';

const built = fs.existsSync(path.join(ROOT, 'wasm_api/dist/musicvae_wasm.wasm'));
const browserSkip = !CHROMIUM ? 'no Chromium installed (apt-get install chromium)'
  : !(await playwrightChromium()).chromium ? 'playwright-core is not installed (npm ci)'
    : !built ? 'the WASM engine is not built (bash wasm_api/build.sh)' : false;

const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.json': 'application/json',
  '.wasm': 'application/wasm', '.png': 'image/png', '.webmanifest': 'application/manifest+json' };

/** Files under `root` (links followed, nothing that resolves outside it), for GET only. */
function repoServer(root, requests) {
  const real = fs.realpathSync(root);
  return http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = path.join(real, pathname);
    try {
      if (fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
      file = fs.realpathSync(file);
      if (!file.startsWith(real + path.sep)) throw new Error('outside');
      const body = fs.readFileSync(file);
      requests.push([200, pathname]);
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      requests.push([404, pathname]);
      res.writeHead(404);
      res.end();
    }
  });
}

// The static imports of a module's text: `import ... from '...'`, `export ... from '...'`, `import('...')`.
const specifiers = (text) => [...text.matchAll(/(?:import|export)\s[^'"`;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|import\s+'([^']+)'/g)]
  .map((m) => m[1] || m[2] || m[3]);

test('every import of web/ resolves to a file of the repo as it is (no build step)', () => {
  const seen = new Set();
  const visit = (file) => {
    const real = fs.realpathSync(file);
    if (seen.has(real)) return;
    seen.add(real);
    for (const s of specifiers(fs.readFileSync(file, 'utf8'))) {
      if (s.startsWith('node:')) continue; // Node-only branches of wasm_api
      assert.ok(s.startsWith('./') || s.startsWith('../'), `${path.relative(ROOT, file)} imports the bare specifier ${s}`);
      if (s.includes('/dist/')) continue; // the compiled engine (bash wasm_api/build.sh)
      const target = path.join(path.dirname(file), s);
      assert.ok(fs.existsSync(target), `${path.relative(ROOT, file)} imports ${s}, which is not in the repo`);
      visit(target);
    }
  };
  for (const f of ['web/app.mjs', 'web/embed.js', 'wasm_api/worker.js']) visit(path.join(ROOT, f));
  assert.ok(seen.size > 15, `${seen.size} modules`);
  // The page's modulepreload links name existing files, and every module the page loads up front.
  const html = fs.readFileSync(path.join(ROOT, 'web/index.html'), 'utf8');
  const preload = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]);
  const upFront = [...fs.readdirSync(path.join(ROOT, 'web/src')).filter((f) => f.endsWith('.mjs') && f !== 'midifile.mjs').map((f) => `src/${f}`),
    ...fs.readdirSync(path.join(ROOT, 'wasm_api')).filter((f) => ['index.mjs', 'musicvae.mjs', 'worker_client.mjs', 'protocol.mjs', 'sequences.mjs', 'errors.mjs'].includes(f)).map((f) => `wasm_api/${f}`),
    'embed.js'];
  assert.deepEqual([...preload].sort(), upFront.sort());
  for (const f of preload) assert.ok(fs.existsSync(path.join(ROOT, 'web', f)), f);
});

test('the committed icons are what web/tools/icons.mjs makes', async () => {
  const { writeIcons } = await import('../../web/tools/icons.mjs');
  const dir = fs.mkdtempSync(path.join(ROOT, 'build/icons-'));
  try {
    for (const f of writeIcons(dir)) {
      assert.ok(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(path.join(ROOT, 'web/icons', f))),
        `web/icons/${f} is stale: node web/tools/icons.mjs web/icons`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('the explorer from the unbuilt repo, in headless Chromium', { skip: browserSkip, timeout: 120000 }, () => {
  let server, browser, url;
  const requests = [];
  before(async () => {
    server = repoServer(ROOT, requests);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${server.address().port}/web/`;
    browser = await launchChromium();
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await new Promise((resolve) => server.close(resolve));
  });

  test('loads without errors, decodes its grid, encodes a dropped MIDI file', async () => {
    const page = await browser.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    await page.goto(`${url}?seed=7&nosw`);
    await page.waitForFunction(() => {
      const el = document.querySelector('musicvae-explorer');
      return !!(el && el.sequences && el.sequences.length === 25 && el.sequences.every(Boolean));
    }, null, { timeout: 60000 });
    // A MIDI file written by an independent writer (@tonejs/midi, in Node), encoded into corner B.
    const { Midi } = (await import('@tonejs/midi')).default;
    const midi = new Midi();
    const track = midi.addTrack();
    [60, 62, 64, 65, 67, 65, 64, 62].forEach((p, i) => track.addNote({ midi: p, ticks: i * midi.header.ppq, durationTicks: midi.header.ppq }));
    await page.evaluate(async (bytes) => {
      await document.querySelector('musicvae-explorer').loadMidi(new Uint8Array(bytes), 1);
    }, Array.from(midi.toArray()));
    const status = await page.evaluate(() => document.querySelector('musicvae-explorer').shadowRoot.querySelector('.status').textContent);
    assert.match(status, /Encoded .* into corner B/);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests.filter(([code]) => code !== 200), [], 'every request found its file');
    assert.ok(requests.some(([, p]) => p === '/web/wasm_api/dist/musicvae_wasm.wasm'));
    await page.close();
  });
});
