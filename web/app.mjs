// The explorer page (index.html): query parameters to the element, the service worker (offline),
// "Install app", update and offline notices.
performance.mark('mvae-app-start');
const params = new URLSearchParams(location.search);
const explorer = document.querySelector('musicvae-explorer');
const status = document.getElementById('app-status');

// ?model=ID&seed=7&grid=7&temperature=0.3&qpm=100&interpolation=slerp&corners=7.0,7.1,123.0,7.3
// (&chords=C,G,Am,F for a chord model)
// pass through to the element; ?models=FILE.json picks another model list (same origin only: a page
// link must not make it load code-adjacent data from elsewhere).
const SHARED_KEYS = ['model', 'seed', 'grid', 'temperature', 'qpm', 'interpolation', 'corners', 'chords'];
for (const key of SHARED_KEYS) {
  if (params.has(key)) explorer.setAttribute(key, params.get(key));
}

// The address bar follows what is on screen (model, seed, grid, temperature, path, the corners that
// came from seeds), so a copied link makes the same grid; other parameters (?models, ?nosw) stay.
explorer.addEventListener('statechange', (e) => {
  const state = e.detail;
  const next = new URLSearchParams(location.search);
  const set = (key, value) => (value === null || value === undefined ? next.delete(key) : next.set(key, String(value)));
  set('model', state.model);
  set('seed', state.seed);
  set('grid', state.grid);
  set('temperature', state.temperature);
  set('interpolation', state.interpolation === 'slerp' ? 'slerp' : null);
  set('corners', state.corners);
  set('chords', state.chords);
  const url = `${location.pathname}?${next.toString().replace(/%2C/g, ',')}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, '', url);
});
if (params.has('models')) {
  const url = new URL(params.get('models'), location.href);
  if (url.origin === location.origin) explorer.setAttribute('models', url.href);
}
// ?checkpoints=URL: where Magenta's hosted models are fetched from instead of magenta.js's host (a
// mirror, or a test's local server); models.mjs takes only an http(s) URL.
if (params.has('checkpoints')) explorer.setAttribute('checkpoint-host', params.get('checkpoints'));
// Start the model's Worker (engine, model download) while the rest of the page's modules load; the
// element then shares it (one Worker per model file) instead of starting it after them.
const early = import('./src/models.mjs').then(async ({ loadManifest, findModel, acquireModel }) => {
  const manifest = await loadManifest(explorer.getAttribute('models') || undefined,
    { checkpointHost: explorer.getAttribute('checkpoint-host') || undefined });
  return acquireModel(findModel(manifest, explorer.getAttribute('model')).url);
}).catch(() => null); // the element reports any error itself
await import('./embed.js');
performance.mark('mvae-elements-defined');
early.then(async (held) => {
  if (!held) return;
  await explorer.ready;
  held.release();
});

// ---- offline: the service worker --------------------------------------------------------------

function say(text) {
  status.textContent = text;
}

function showOnline() {
  if (!navigator.onLine) say('Offline: running from the app cache.');
  else if (status.textContent.startsWith('Offline')) say('');
}
addEventListener('online', showOnline);
addEventListener('offline', showOnline);
showOnline();

if ('serviceWorker' in navigator && window.isSecureContext && !params.has('nosw')) {
  const hadController = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // A new version took over: offer a reload rather than interrupting the music.
    if (hadController) document.getElementById('reload').hidden = false;
  });
  document.getElementById('reload').addEventListener('click', () => location.reload());
  // Registered once the first grid is drawn: the default model is then in the HTTP cache, so the
  // worker's precache revalidates it (a 304) instead of downloading it a second time. (At the
  // latest after 20 s, so that a page whose model fails still gets its offline copy.)
  const firstGrid = Promise.race([explorer.ready, new Promise((resolve) => setTimeout(resolve, 20000))]);
  firstGrid.then(() => navigator.serviceWorker.register('sw.js')).then(async (registration) => {
    await navigator.serviceWorker.ready;
    if (!hadController && navigator.onLine) say('Ready to work offline.');
    document.documentElement.dataset.offlineReady = 'true';
    // Look for a new version now and then while the page stays open.
    setInterval(() => registration.update().catch(() => {}), 60 * 60 * 1000);
  }).catch((e) => {
    say(`Offline use is not available: ${e.message}`);
  });
}

// ---- "Install app" (Chromium browsers; Safari: Share > Add to Home Screen) --------------------

let installPrompt = null;
const install = document.getElementById('install');
addEventListener('beforeinstallprompt', (e) => {
  e.preventDefault();
  installPrompt = e;
  install.hidden = false;
});
install.addEventListener('click', async () => {
  if (!installPrompt) return;
  installPrompt.prompt();
  await installPrompt.userChoice.catch(() => null);
  installPrompt = null;
  install.hidden = true;
});
addEventListener('appinstalled', () => {
  install.hidden = true;
  say('Installed: open MusicVAE from your apps.');
});
