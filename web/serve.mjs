// A small static file server for the explorer (node:http, no packages): `node web/serve.mjs` builds
// the site (web/build.mjs) and serves web/dist/ on http://127.0.0.1:8080/.
//
//   node web/serve.mjs [--port 8080] [--host 127.0.0.1] [--dir DIR] [--no-build] [--no-isolation]
//
// --host 0.0.0.0 lets a tablet on the same network open it (http://<this machine's address>:8080/;
// browsers only allow service workers and Web MIDI on https:// or localhost, so offline use and MIDI
// need https there). Any static host serves web/dist/ as well; this one exists so that running the
// app needs nothing but Node. Its answers make the page cross-origin isolated (COOP/COEP, see
// ISOLATION_HEADERS), so the engine runs its pthreads build; --no-isolation leaves the headers out.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.css': 'text/css; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.mid': 'audio/midi',
  '.mvae': 'application/octet-stream',
};

/**
 * Headers of every answer: the page is cross-origin isolated (SharedArrayBuffer, so the engine's
 * pthreads build runs; web/sw.js adds the same to what it answers). require-corp lets the page load
 * only same-origin files, CORS fetches (the hosted checkpoints: storage.googleapis.com sends
 * Access-Control-Allow-Origin) and files that allow it: Cross-Origin-Resource-Policy says this site's
 * files may be loaded anywhere (a cross-origin isolated page that embeds the explorer).
 */
export const ISOLATION_HEADERS = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'cross-origin',
});

/**
 * The file a URL path names, or null: under `realRoot` after every symlink is resolved (a link that
 * leads out of the folder names nothing), a folder's index.html for a folder.
 */
async function resolveFile(realRoot, pathname) {
  let file = path.join(realRoot, path.normalize(pathname));
  try {
    file = await fs.promises.realpath(file);
    if ((await fs.promises.stat(file)).isDirectory()) file = await fs.promises.realpath(path.join(file, 'index.html'));
  } catch {
    return null;
  }
  return file === realRoot || file.startsWith(realRoot + path.sep) ? file : null;
}

/**
 * Opens a regular file without blocking (O_NONBLOCK: a FIFO does not wait for a writer) and checks
 * what it is from the open descriptor: {handle, stat}, or null for anything but a regular file.
 */
async function openRegular(file) {
  let handle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const stat = await handle.stat();
    if (stat.isFile()) return { handle, stat };
  } catch {
    // missing, unreadable: as not found
  }
  if (handle) await handle.close().catch(() => {});
  return null;
}

/**
 * An http.Server for the files under `root`. `routes` maps extra URL paths to {file} or
 * {body, type, headers} (the tests serve test-only files this way); onResponse({status, path, bytes})
 * hears of every response (bytes: its body's). Every response allows cross-origin use
 * (embedding from other sites), carries ISOLATION_HEADERS unless `isolate` is false, and is
 * revalidated (no-cache + ETag), so a new build shows at once.
 * Files are streamed (memory stays flat however many requests run at once); only regular files
 * that are under `root` once symlinks are resolved are served.
 */
export function createStaticServer(root, { routes = {}, log = null, onResponse = null, isolate = true } = {}) {
  const common = { 'Access-Control-Allow-Origin': '*', ...(isolate ? ISOLATION_HEADERS : {}) };
  let realRoot;
  try {
    realRoot = fs.realpathSync(path.resolve(root));
  } catch (e) {
    throw new Error(`cannot serve ${root}: ${e.code === 'ENOENT' ? 'no such folder' : e.message}`);
  }
  return http.createServer(async (req, res) => {
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { ...common, ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
      if (log) log(`${status} ${req.method} ${req.url}`);
      if (onResponse) onResponse({ status, path: req.url, bytes: req.method === 'HEAD' || body === undefined ? 0 : Buffer.byteLength(body) });
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed', { Allow: 'GET, HEAD' });
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      return send(400, 'bad request');
    }
    if (pathname.includes('\0')) return send(400, 'bad request');
    const route = routes[pathname];
    if (route && route.body !== undefined) {
      return send(200, route.body, { 'Content-Type': route.type || 'application/octet-stream', 'Cache-Control': 'no-cache', ...route.headers });
    }
    const file = route && route.file ? route.file : await resolveFile(realRoot, pathname);
    const opened = file && (await openRegular(file));
    if (!opened) return send(404, 'not found', { 'Content-Type': 'text/plain' });
    const { handle, stat } = opened;
    const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    const headers = {
      'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
      'Cache-Control': 'no-cache',
      ETag: etag,
      'X-Content-Type-Options': 'nosniff',
    };
    if (path.basename(file) === 'sw.js') headers['Service-Worker-Allowed'] = '/';
    const fresh = req.headers['if-none-match'] === etag;
    if (fresh || req.method === 'HEAD' || stat.size === 0) {
      await handle.close();
      return send(fresh ? 304 : 200, fresh ? undefined : '', fresh ? headers : { ...headers, 'Content-Length': stat.size });
    }
    res.writeHead(200, { ...common, ...headers, 'Content-Length': stat.size });
    // The size read at open, no more (the file may grow); the stream closes the file when it ends
    // or fails, and a client that goes away stops it.
    pipeline(handle.createReadStream({ start: 0, end: stat.size - 1, highWaterMark: 16 * 1024 }), res, () => {});
    if (log) log(`200 ${req.method} ${req.url}`);
    if (onResponse) onResponse({ status: 200, path: req.url, bytes: stat.size });
  });
}

/** Starts a server; resolves to {server, url, close()}. */
export async function serve(root, { port = 0, host = '127.0.0.1', routes, log, onResponse, isolate = true } = {}) {
  const server = createStaticServer(root, { routes, log, onResponse, isolate });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${address.port}/`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  if (args.includes('--help') || args.includes('-h')) {
    console.log('usage: node web/serve.mjs [--port 8080] [--host 127.0.0.1] [--dir web/dist] [--no-build] [--no-isolation]');
    process.exit(0);
  }
  const web = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.resolve(option('--dir', path.join(web, 'dist')));
  if (!args.includes('--no-build')) {
    const { buildSite } = await import('./build.mjs');
    try {
      buildSite({ out: dir });
    } catch (e) {
      console.error(`web/build: ${e.message}`);
      process.exit(1);
    }
  }
  const port = Number(option('--port', process.env.PORT || 8080));
  const host = option('--host', process.env.HOST || '127.0.0.1');
  try {
    const { url } = await serve(dir, { port, host, log: args.includes('--verbose') ? console.log : null, isolate: !args.includes('--no-isolation') });
    console.log(`MusicVAE explorer: ${url}  (Ctrl+C stops)`);
    if (host === '0.0.0.0' || host === '::') {
      // For a tablet or phone on the same network (no offline use or MIDI there: not https).
      const { networkInterfaces } = await import('node:os');
      const addresses = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal);
      for (const a of addresses) console.log(`  on the network: http://${a.address}:${new URL(url).port}/`);
    }
  } catch (e) {
    console.error(e.code ? `cannot listen on ${host}:${port}: ${e.message}${e.code === 'EADDRINUSE' ? ' (try --port 8081)' : ''}` : e.message);
    process.exit(1);
  }
}
