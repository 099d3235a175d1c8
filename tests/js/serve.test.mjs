// web/serve.mjs, the explorer's static server, on 127.0.0.1 only: files are streamed (a server
// process's memory stays flat under 200 concurrent downloads of a large file), only regular files
// are served (a FIFO in the folder does not block it), and nothing that resolves outside the folder
// after symlinks (a link to /etc/shadow) is served.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

import { ROOT, tmpdir } from './wasm_helpers.mjs';
import { serve } from '../../web/serve.mjs';

const BIG = 4 * 1024 * 1024;

/** GET (or another method) on 127.0.0.1; resolves {status, headers, body} or rejects after `timeout` ms. */
function request(base, p, { method = 'GET', headers = {}, timeout = 5000, keep = true } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const req = http.request({ host: '127.0.0.1', port: u.port, path: p, method, headers, agent: false }, (res) => {
      const chunks = [];
      let bytes = 0;
      res.on('data', (d) => {
        bytes += d.length;
        if (keep) chunks.push(d);
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), bytes }));
      res.on('error', reject);
    });
    req.setTimeout(timeout, () => req.destroy(new Error(`${p}: no answer in ${timeout} ms`)));
    req.on('error', reject);
    req.end();
  });
}

let dir, root, outside, big;
before(() => {
  dir = tmpdir('mvae-serve-');
  root = path.join(dir, 'site');
  outside = path.join(dir, 'private');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(root, 'sub/index.html'), 'sub');
  fs.writeFileSync(path.join(root, 'empty.json'), '');
  big = crypto.randomBytes(BIG);
  fs.writeFileSync(path.join(root, 'model.mvae'), big);
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'secret.txt'));
  fs.symlinkSync(outside, path.join(root, 'private'));
  fs.symlinkSync('/etc/shadow', path.join(root, 'shadow'));
  fs.symlinkSync('index.html', path.join(root, 'alias.html'));
});

describe('what is served', () => {
  let srv;
  before(async () => { srv = await serve(root); });
  after(() => srv.close());

  test('regular files, streamed whole; HEAD, 304, index of a folder, empty files', async () => {
    const r = await request(srv.url, '/model.mvae');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(BIG));
    assert.ok(r.body.equals(big));
    const head = await request(srv.url, '/model.mvae', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(BIG));
    assert.equal(head.bytes, 0);
    assert.equal((await request(srv.url, '/model.mvae', { headers: { 'if-none-match': r.headers.etag } })).status, 304);
    assert.equal((await request(srv.url, '/sub/')).body.toString(), 'sub');
    assert.equal((await request(srv.url, '/alias.html')).status, 200, 'a link that stays inside is fine');
    const empty = await request(srv.url, '/empty.json');
    assert.equal(empty.status, 200);
    assert.equal(empty.body.length, 0);
  });

  test('nothing that resolves outside the folder: links to /etc/shadow, to a file or folder outside', async () => {
    for (const p of ['/shadow', '/secret.txt', '/private/secret.txt', '/private/', '/../private/secret.txt', '/%2e%2e/private/secret.txt']) {
      const r = await request(srv.url, p);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body.toString(), /secret|root:/, p);
    }
    assert.equal((await request(srv.url, '/index.html%00.png')).status, 400);
  });

  test('a FIFO in the folder is refused at once and does not block other requests', async (t) => {
    if (spawnSync('mkfifo', [path.join(root, 'pipe.mid')]).status !== 0) return t.skip('no mkfifo');
    const [fifo, index] = await Promise.all([request(srv.url, '/pipe.mid', { timeout: 3000 }), request(srv.url, '/index.html')]);
    assert.equal(fifo.status, 404);
    assert.equal(index.status, 200);
    fs.mkdirSync(path.join(root, 'dir.mid'));
    assert.equal((await request(srv.url, '/dir.mid')).status, 404, 'a folder without index.html');
  });
});

describe('memory under load (a server process on 127.0.0.1)', () => {
  let child, url;
  before(async () => {
    child = spawn(process.execPath, [path.join(ROOT, 'web/serve.mjs'), '--no-build', '--dir', root, '--port', '0', '--host', '127.0.0.1'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    url = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`the server exited (${code}): ${out}`)));
    });
  });
  after(() => {
    if (child.exitCode === null) child.kill();
  });
  const memory = () => {
    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)[1]);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  };

  test('200 concurrent downloads of a 4 MB file, 3 rounds: peak RSS grows by far less than one copy each', { skip: !fs.existsSync('/proc/self/status') && 'no /proc' }, async (t) => {
    for (let i = 0; i < 5; i++) await request(url, '/model.mvae', { keep: false });
    const start = memory();
    for (let round = 0; round < 3; round++) {
      const all = await Promise.all(Array.from({ length: 200 }, () => request(url, '/model.mvae', { keep: false, timeout: 120000 })));
      assert.ok(all.every((r) => r.status === 200 && r.bytes === BIG));
    }
    const end = memory();
    t.diagnostic(`server RSS ${start.rss.toFixed(0)} MB before, peak ${end.peak.toFixed(0)} MB, ${end.rss.toFixed(0)} MB after ` +
      `(200 whole-file copies would be ${(200 * BIG / 2 ** 20).toFixed(0)} MB)`);
    assert.ok(end.peak - start.rss < 100, `peak RSS grew by ${(end.peak - start.rss).toFixed(0)} MB`);
  });
});

// Cross-origin isolation (the engine's pthreads build): COOP/COEP on every answer (files, 404s,
// routes), CORP so that an isolated page elsewhere may embed the files; none with isolate: false.
describe('cross-origin isolation headers', () => {
  const ISOLATED = {
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
    'cross-origin-resource-policy': 'cross-origin',
  };
  const pick = (headers) => Object.fromEntries(Object.keys(ISOLATED).filter((k) => k in headers).map((k) => [k, headers[k]]));

  test('on every answer by default', async () => {
    const srv = await serve(root, { routes: { '/r.json': { body: '{}', type: 'application/json' } } });
    try {
      for (const p of ['/', '/model.mvae', '/missing', '/r.json']) {
        const r = await request(srv.url, p, { method: p === '/' ? 'HEAD' : 'GET' });
        assert.deepEqual(pick(r.headers), ISOLATED, p);
        assert.equal(r.headers['access-control-allow-origin'], '*');
      }
    } finally {
      await srv.close();
    }
  });

  test('none with isolate: false', async () => {
    const srv = await serve(root, { isolate: false });
    try {
      const r = await request(srv.url, '/');
      assert.equal(r.status, 200);
      assert.deepEqual(pick(r.headers), {});
    } finally {
      await srv.close();
    }
  });
});
