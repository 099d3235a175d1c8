// The explorer's service worker (hand-written; web/build.mjs fills in VERSION and PRECACHE). It
// precaches what the app needs (page, JS, the WebAssembly engine, the default model, icons) into a
// cache named after VERSION, a hash of the site's files, and answers from it first, so that after
// one visit the app starts with the network off. Other models are downloaded when chosen; those
// the page keeps for offline use (src/offline.mjs) are in MODELS_CACHE and answered from there. A
// new build has a new VERSION: the browser sees a changed sw.js, installs it (downloading the new
// files while the old version keeps working), then it takes over and deletes the old caches (the
// page downloads the models it keeps again, so they match the new version). Every answer of this
// site gets the cross-origin isolation headers (as web/serve.mjs sends them), so that the installed
// app runs the engine's pthreads build on any host; the single-thread build (the fallback where a
// browser does not isolate) is not precached but kept once fetched (RUNTIME).
const VERSION = '__VERSION__';
const PRECACHE = __PRECACHE__;
const PREFIX = 'musicvae-explorer-';
const CACHE = PREFIX + VERSION;
const MODELS_CACHE = 'musicvae-explorer-models';
const RUNTIME = __RUNTIME__;
const PRECACHED = new Set(PRECACHE.map((path) => new URL(path, self.registration.scope).href));
const KEPT_WHEN_FETCHED = new Set(RUNTIME.map((path) => new URL(path, self.registration.scope).href));

// COOP/COEP (web/serve.mjs, ISOLATION_HEADERS) on a same-origin answer; an opaque one as it is.
function isolated(response) {
  if (!response || response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'cross-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'no-cache' revalidates what the HTTP cache holds (the page has just downloaded the
    // default model: a 304, not a second download), so the files match this version.
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'no-cache' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key); // MODELS_CACHE too
    }
    await self.clients.claim();
  })());
});

// The app's page (the scope, or index.html, with any query such as ?seed=7).
const APP_PAGES = new Set([self.registration.scope, new URL('index.html', self.registration.scope).href]);

// What a navigation to a page that is not the app's gets with the network off: a page of its own
// (the app's index.html at another path would find none of its modules and stay blank).
function offlinePage(url) {
  const app = self.registration.scope;
  const esc = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline: MusicVAE</title>
<style>body{font:18px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f1b16;background:#fffdf9}
a{display:inline-block;margin-top:1rem;padding:0.7rem 1.2rem;border-radius:0.5rem;background:#b45309;color:#fff;text-decoration:none;font-weight:600}
@media (prefers-color-scheme:dark){body{color:#f3eee6;background:#17140f}}</style></head>
<body><h1>You are offline</h1><p>This device has no network connection, and <code>${esc(url.pathname)}</code> is not part of the
MusicVAE explorer saved here. The explorer itself works offline.</p><a href="${esc(app)}">Open the explorer</a></body></html>`;
  return new Response(html, { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const navigate = request.mode === 'navigate';
  const appPage = navigate && APP_PAGES.has(url.origin + url.pathname);
  const precached = appPage || PRECACHED.has(url.origin + url.pathname);
  const keep = KEPT_WHEN_FETCHED.has(url.origin + url.pathname);
  event.respondWith((async () => isolated(await answer(request, url, navigate, appPage, precached, keep)))());
});

async function answer(request, url, navigate, appPage, precached, keep) {
  const cache = await caches.open(CACHE);
  // The app's own files: from the cache (pages without their query: ?seed=7 is the same page).
  if (precached || keep) {
    const cached = await cache.match(request, { ignoreSearch: appPage });
    if (cached) return cached;
  }
  // Models kept for offline use (the page's choice).
  if (url.pathname.endsWith('.mvae')) {
    const kept = await (await caches.open(MODELS_CACHE)).match(request);
    if (kept) return kept;
  }
  try {
    const response = await fetch(request);
    // Model lists added at run time (?models=…): from the network, kept for offline use.
    // The single-thread engine, where it runs (RUNTIME): kept for offline use.
    if (response.ok && !precached && (keep || url.pathname.endsWith('.json'))) cache.put(request, response.clone());
    return response;
  } catch (e) {
    const cached = await cache.match(request);
    if (cached) return cached;
    if (navigate) return offlinePage(url);
    return Response.error();
  }
}
