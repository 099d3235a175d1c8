// The model manifest (web/models.json) and the shared MusicVAEWorker per model: one Worker per model
// file, whatever number of elements on the page use it.
import { MusicVAEWorker } from '../wasm_api/index.mjs';
import { useDrumMap } from './drums.mjs';

/** The manifest bundled beside the app. */
export const DEFAULT_MANIFEST = new URL('../models.json', import.meta.url).href;

const KINDS = ['melody', 'drums', 'trio', 'groove']; // (groove: a GrooVAE model, explorer_groove.mjs)

/**
 * The manifest at `url`: {default, models: [{id, name, description, kind, url, bytes, chords, hosted}]}, with
 * each model's `file` resolved against the manifest's URL, then magenta.js's hosted checkpoints of its
 * "magenta" block ({host, models: [{id, checkpoint, name, description, kind, megabytes}]}: `hosted`
 * true, `url` the checkpoint folder under the host, or under `checkpointHost` when given: a test's
 * local server, a mirror). Throws an Error saying what is wrong.
 */
export async function loadManifest(url = DEFAULT_MANIFEST, { checkpointHost } = {}) {
  let data;
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    data = await response.json();
  } catch (e) {
    throw new Error(`cannot read the model list ${url}: ${e.message}`);
  }
  const list = Array.isArray(data) ? data : data && data.models;
  if (!Array.isArray(list) || !list.length) throw new Error(`the model list ${url} has no models`);
  const models = list.map((m, i) => {
    if (!m || typeof m.file !== 'string') throw new Error(`model ${i} of ${url} has no "file"`);
    const id = m.id || m.file.replace(/^.*\//, '').replace(/\..*$/, '');
    return {
      id,
      name: m.name || id,
      description: m.description || '',
      kind: KINDS.includes(m.kind) ? m.kind : 'melody',
      url: new URL(m.file, url).href,
      bytes: Number.isSafeInteger(m.bytes) && m.bytes > 0 ? m.bytes : null,
      chords: chordsOf(m),
      hosted: false,
      // Its attribute vectors (explorer_attributes.mjs), when the list names them.
      attributes: typeof m.attributes === 'string' ? new URL(m.attributes, url).href : null,
    };
  });
  models.push(...hostedModels(data && data.magenta, checkpointHost, url));
  const fallback = models.find((m) => m.id === data.default && !m.hosted) || models[0];
  return { default: fallback.id, models };
}

// A chord-conditioned model's chords (["C", "G", "Am", "F"]: spread over its length), or null.
const chordsOf = (m) => (Array.isArray(m.chords) && m.chords.length && m.chords.every((c) => typeof c === 'string') ? m.chords.slice() : null);

// The "magenta" block of a manifest: magenta.js's hosted checkpoints, as entries. `host` (the block's,
// or the override) must be an http(s) URL; each checkpoint is a folder path under it.
function hostedModels(block, override, manifestUrl) {
  if (!block || !Array.isArray(block.models)) return [];
  const given = override || block.host;
  let host;
  try {
    host = new URL(String(given).replace(/\/*$/, '/'), globalThis.location ? location.href : undefined);
  } catch {
    throw new Error(`the checkpoint host ${given} of ${manifestUrl} is not a URL`);
  }
  if (!/^https?:$/.test(host.protocol)) throw new Error(`the checkpoint host ${host.href} is not an http(s) URL`);
  return block.models.map((m, i) => {
    if (!m || typeof m.id !== 'string' || typeof m.checkpoint !== 'string' || /^[a-z]+:|^\/|\.\./i.test(m.checkpoint)) {
      throw new Error(`hosted model ${i} of ${manifestUrl} needs an "id" and a "checkpoint" path under the host`);
    }
    const megabytes = Number.isFinite(m.megabytes) && m.megabytes > 0 ? m.megabytes : null;
    return {
      id: m.id,
      name: m.name || m.id,
      description: m.description || '',
      kind: KINDS.includes(m.kind) ? m.kind : 'melody',
      url: new URL(m.checkpoint.replace(/\/+$/, ''), host).href,
      bytes: megabytes && Math.round(megabytes * 1e6),
      chords: chordsOf(m),
      hosted: true,
    };
  });
}

/**
 * The manifest entry for `spec`: a model id from the manifest, or else the URL of an .mvae file
 * (relative to the page), which gets an entry of its own.
 */
export function findModel(manifest, spec) {
  if (!spec) return manifest.models.find((m) => m.id === manifest.default);
  const byId = manifest.models.find((m) => m.id === spec);
  if (byId) return byId;
  const url = new URL(spec, globalThis.location ? location.href : undefined).href;
  const byUrl = manifest.models.find((m) => m.url === url);
  if (byUrl) return byUrl;
  const id = url.replace(/^.*\//, '').replace(/\..*$/, '') || 'model';
  const entry = { id, name: id, description: url, kind: 'melody', url };
  manifest.models.push(entry);
  return entry;
}

// The Worker script must be same-origin with the page. When this app is embedded from another
// origin, a tiny same-origin blob: module imports the real one (CORS applies to that import).
// {worker, failure(), stopWatching()}: failure() says why the Worker did not start, when it did
// not (browsers report only a bare Event: no message, no reason).
function startWorker() {
  const url = new URL('../wasm_api/worker.js', import.meta.url);
  const crossOrigin = globalThis.location && url.origin !== location.origin;
  const violations = [];
  const onViolation = (e) => violations.push(`${e.effectiveDirective || e.violatedDirective} (blocked ${e.blockedURI || 'a script'})`);
  globalThis.document?.addEventListener('securitypolicyviolation', onViolation);
  let worker;
  if (crossOrigin) {
    const blob = new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' });
    worker = new Worker(URL.createObjectURL(blob), { type: 'module' });
  } else {
    worker = new Worker(url, { type: 'module' });
  }
  let bareError = false;
  worker.addEventListener('error', (e) => { if (!e.message) bareError = true; });
  const needed = `worker-src 'self' blob: ${url.origin}, script-src and connect-src ${url.origin}, and 'wasm-unsafe-eval'`;
  return {
    worker,
    stopWatching: () => globalThis.document?.removeEventListener('securitypolicyviolation', onViolation),
    failure: () => {
      if (violations.length) {
        return `the page's Content-Security-Policy blocked the model's Worker: ${violations.join(', ')}. It needs ${needed} (web/README.md, Embedding)`;
      }
      if (!bareError) return null;
      return `the browser could not start the model's Worker (${url.href}): its script did not load or run. ` +
        `Check that the file is served (as text/javascript), and that a Content-Security-Policy of the page allows ${needed} (web/README.md, Embedding)`;
    },
  };
}

const pool = new Map();

/**
 * A shared, initialized MusicVAEWorker for a model URL: {model, release()}. The Worker ends when the
 * last user releases it. onProgress(loaded, total): a checkpoint's download, in bytes (every user of
 * the shared Worker hears it, from the latest figure on).
 */
export async function acquireModel(url, { onProgress } = {}) {
  let entry = pool.get(url);
  if (!entry) {
    // MIDI files are parsed in the Worker (wasm_api/midi.mjs, its default MIDI module).
    const started = startWorker();
    const listeners = new Set();
    const progress = (loaded, total) => {
      entry.progress = [loaded, total];
      for (const fn of listeners) fn(loaded, total);
    };
    const model = new MusicVAEWorker(url, { worker: started.worker, onProgress: progress });
    const ready = model.initialize().then(() => useDrumMap(model.info), async (e) => {
      // The Worker's error events come with the rejection: a moment for them, then the reason in words.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const why = started.failure();
      throw why ? Object.assign(new Error(why), { code: e.code }) : e;
    }).finally(started.stopWatching);
    entry = { model, users: 0, ready, listeners, progress: null };
    pool.set(url, entry);
    entry.ready.catch(() => {
      if (pool.get(url) === entry) pool.delete(url);
      model.dispose();
    });
  }
  entry.users++;
  if (typeof onProgress === 'function') {
    entry.listeners.add(onProgress);
    if (entry.progress) onProgress(...entry.progress);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    entry.listeners.delete(onProgress);
    entry.users--;
    if (entry.users === 0) {
      if (pool.get(url) === entry) pool.delete(url);
      entry.model.dispose();
    }
  };
  try {
    await entry.ready;
  } catch (e) {
    release();
    throw e;
  }
  entry.listeners.delete(onProgress);
  return { model: entry.model, release };
}
