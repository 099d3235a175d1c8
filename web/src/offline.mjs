// Models kept for offline use. The service worker (sw.js) precaches the app and the default model;
// any other model is downloaded when chosen, and kept on this device only when the user asks
// ("Available offline"). Kept models live in the Cache Storage cache MODELS_CACHE, which sw.js
// answers from; the list of kept model URLs is in localStorage, so that after an update (a new
// service worker empties the cache) the page downloads them again.
const MODELS_CACHE = 'musicvae-explorer-models';
const KEPT_KEY = 'musicvae-explorer-offline-models';

/** Whether this page can keep files offline (Cache Storage and a service worker: secure origins). */
export function offlineSupported() {
  return !!(globalThis.caches && globalThis.isSecureContext && globalThis.navigator?.serviceWorker);
}

function keptList() {
  try {
    const list = JSON.parse(localStorage.getItem(KEPT_KEY) || '[]');
    return Array.isArray(list) ? list.filter((u) => typeof u === 'string') : [];
  } catch {
    return [];
  }
}

function saveKept(list) {
  try {
    localStorage.setItem(KEPT_KEY, JSON.stringify([...new Set(list)]));
  } catch {
    // storage refused (private mode): the choice lasts this visit
  }
}

/** Whether the model file at `url` is on this device (precached, or kept). */
export async function isAvailableOffline(url) {
  if (!offlineSupported()) return false;
  return !!(await caches.match(url));
}

/** Keeps the model at `url` for offline use (downloads it into the cache) or lets it go. */
export async function keepOffline(url, keep) {
  const list = keptList().filter((u) => u !== url);
  const cache = await caches.open(MODELS_CACHE);
  if (keep) {
    const response = await fetch(url, { cache: 'no-cache' });
    if (!response.ok) throw new Error(`cannot download ${url}: HTTP ${response.status}`);
    await cache.put(url, response);
    list.push(url);
  } else {
    await cache.delete(url);
  }
  saveKept(list);
}

/** Downloads again the kept models that are not in the cache (after an update emptied it). */
export async function restoreKept() {
  if (!offlineSupported() || !navigator.onLine) return;
  const cache = await caches.open(MODELS_CACHE);
  for (const url of keptList()) {
    if (await cache.match(url)) continue;
    try {
      const response = await fetch(url, { cache: 'no-cache' });
      if (response.ok) await cache.put(url, response);
    } catch {
      // offline again: next visit
    }
  }
}
