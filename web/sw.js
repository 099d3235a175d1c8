// The explorer's service worker (hand-written; web/build.mjs fills in VERSION and PRECACHE). It
// precaches everything the app needs (page, JS, the WebAssembly engine, the bundled models, icons)
// into a cache named after VERSION, a hash of those files' contents, and answers from it first, so
// that after one visit the app starts with the network off. A new build has a new VERSION: the
// browser sees a changed sw.js, installs it (downloading the new files while the old version keeps
// working), then it takes over and deletes the old cache.
const VERSION = '__VERSION__';
const PRECACHE = __PRECACHE__;
const PREFIX = 'musicvae-explorer-';
const CACHE = PREFIX + VERSION;
const PRECACHED = new Set(PRECACHE.map((path) => new URL(path, self.registration.scope).href));

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // cache: 'reload' skips the HTTP cache, so the files match this version.
    await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const navigate = request.mode === 'navigate';
  const precached = navigate || PRECACHED.has(url.origin + url.pathname);
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // The app's own files: from the cache (pages without their query: ?seed=7 is the same page).
    if (precached) {
      const cached = await cache.match(request, { ignoreSearch: navigate });
      if (cached) return cached;
    }
    try {
      const response = await fetch(request);
      // Models and model lists added at run time: from the network, kept for offline use.
      if (response.ok && !precached && /\.(mvae|json)$/.test(url.pathname)) cache.put(request, response.clone());
      return response;
    } catch (e) {
      const cached = await cache.match(request);
      if (cached) return cached;
      if (navigate) {
        const page = await cache.match(new URL('index.html', self.registration.scope).href);
        if (page) return page;
      }
      return Response.error();
    }
  })());
});
