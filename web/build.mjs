// Builds the explorer as a static site: `node web/build.mjs [--out DIR]` (default web/dist/). The
// site is web/ as it is in the repo (web/wasm_api and web/models are links to the repo's folders, the
// icons are committed), so the build only copies and hashes: the page
// and its modules, the WebAssembly engine and JS API from wasm_api/ (build them first: bash
// wasm_api/build.sh), the models listed in web/models.json that exist, and the service worker with
// its precache list (the app and the default model) and a version hash of every file.
// Both engine builds are packed: the pthreads one (what the page runs, cross-origin isolated by
// web/serve.mjs or the service worker) is precached; the single-thread fallback is kept when fetched.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(WEB, '..');

// What the browser needs from wasm_api/ (not the CLI or the benchmarks).
export const WASM_API_FILES = ['index.mjs', 'musicvae.mjs', 'worker_client.mjs', 'worker.js', 'protocol.mjs', 'sequences.mjs',
  'errors.mjs', 'midi.mjs', 'smf.mjs', 'tensor.mjs', 'checkpoint.mjs', 'checkpoint_families.mjs', 'model_file.mjs', 'schema.mjs', 'mm.mjs',
  'midime.mjs', 'groove.mjs',
  'dist/musicvae_wasm.mjs', 'dist/musicvae_wasm.wasm',
  'dist/musicvae_wasm_threads.mjs', 'dist/musicvae_wasm_threads.wasm', 'dist/musicvae_wasm_threads.worker.js'];
// The single-thread engine: only where the page is not cross-origin isolated (not precached).
export const FALLBACK_FILES = ['wasm_api/dist/musicvae_wasm.mjs', 'wasm_api/dist/musicvae_wasm.wasm'];
const APP_FILES = ['index.html', 'app.mjs', 'embed.js', 'manifest.webmanifest'];
const APP_DIRS = ['src', 'icons'];

function copy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

function listFiles(dir, base = dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? listFiles(p, base) : [path.relative(base, p).split(path.sep).join('/')];
  });
}

/**
 * Builds the site into `out`. Models of web/models.json whose file is missing are left out with a
 * warning. Returns {out, version, files, bytes, models}.
 */
export function buildSite({ out = path.join(WEB, 'dist'), quiet = false } = {}) {
  const log = quiet ? () => {} : (...a) => console.log(...a);
  for (const f of WASM_API_FILES) {
    if (!fs.existsSync(path.join(ROOT, 'wasm_api', f))) {
      throw new Error(`wasm_api/${f} is missing: build the engine first (bash wasm_api/build.sh, or bash scripts/build.sh)`);
    }
  }
  out = path.resolve(out);
  // Only ever empty an earlier build (or an empty / new folder).
  const earlier = fs.existsSync(out) && fs.readdirSync(out).length > 0 && !fs.existsSync(path.join(out, 'sw.js'));
  if (out === WEB || out === ROOT || earlier) throw new Error(`refusing to overwrite ${out}: not an earlier build`);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });

  for (const f of APP_FILES) copy(path.join(WEB, f), path.join(out, f));
  for (const dir of APP_DIRS) {
    for (const f of listFiles(path.join(WEB, dir))) copy(path.join(WEB, dir, f), path.join(out, dir, f));
  }
  for (const f of WASM_API_FILES) copy(path.join(ROOT, 'wasm_api', f), path.join(out, 'wasm_api', f));

  // The model list, with the models that exist; the files keep their paths (models/...).
  const manifest = JSON.parse(fs.readFileSync(path.join(WEB, 'models.json'), 'utf8'));
  const models = manifest.models.filter((m) => {
    const file = path.resolve(WEB, m.file);
    if (!fs.existsSync(file)) {
      console.warn(`web/build: ${m.file} (model ${m.id}) does not exist: left out of the model list`);
      return false;
    }
    if (path.relative(path.join(WEB, 'models'), file).startsWith('..')) throw new Error(`model file ${m.file} is not in web/models/`);
    copy(file, path.join(out, path.relative(WEB, file)));
    // A model's attribute vectors (training/attribute_vectors.py), for the explorer's sliders.
    if (m.attributes) copy(path.resolve(WEB, m.attributes), path.join(out, path.relative(WEB, path.resolve(WEB, m.attributes))));
    return true;
  });
  if (!models.length) throw new Error('no model of web/models.json exists');
  const defaultId = models.some((m) => m.id === manifest.default) ? manifest.default : models[0].id;
  // Each model's size in bytes, for the page ("Available offline (5.0 MB)").
  const sized = models.map((m) => ({ ...m, bytes: fs.statSync(path.resolve(WEB, m.file)).size }));
  // magenta.js's hosted checkpoints (the "magenta" block) pass through: the page downloads them when chosen.
  const hosted = manifest.magenta ? `,\n  "magenta": ${JSON.stringify(manifest.magenta)}` : '';
  fs.writeFileSync(path.join(out, 'models.json'),
    `{\n  "default": ${JSON.stringify(defaultId)},\n  "models": [\n${sized.map((m) => `    ${JSON.stringify(m)}`).join(',\n')}\n  ]${hosted}\n}\n`);

  // The service worker: the app and the default model are precached (a first visit downloads only
  // those); the other models when chosen, kept offline on request. The version is a hash of every file.
  const files = listFiles(out).sort();
  const defaultFile = path.relative(WEB, path.resolve(WEB, models.find((m) => m.id === defaultId).file)).split(path.sep).join('/');
  const otherModels = new Set(models.map((m) => path.relative(WEB, path.resolve(WEB, m.file)).split(path.sep).join('/')).filter((f) => f !== defaultFile));
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  for (const f of files) {
    const data = fs.readFileSync(path.join(out, f));
    bytes += data.length;
    hash.update(f).update('\0').update(data).update('\0');
  }
  const version = hash.digest('hex').slice(0, 16);
  const precache = ['./', ...files.filter((f) => !f.endsWith('LICENSE.md') && !otherModels.has(f) && !FALLBACK_FILES.includes(f))];
  const precacheBytes = precache.slice(1).reduce((sum, f) => sum + fs.statSync(path.join(out, f)).size, 0);
  const sw = fs.readFileSync(path.join(WEB, 'sw.js'), 'utf8')
    .replace("'__VERSION__'", JSON.stringify(version))
    .replace('__PRECACHE__', `[\n  ${precache.map((f) => JSON.stringify(f)).join(',\n  ')},\n]`)
    .replace('__RUNTIME__', JSON.stringify(FALLBACK_FILES));
  fs.writeFileSync(path.join(out, 'sw.js'), sw);
  log(`web/build: ${files.length + 1} files, ${(bytes / 1e6).toFixed(2)} MB (precached: ${(precacheBytes / 1e6).toFixed(2)} MB), version ${version} -> ${path.relative(process.cwd(), out) || '.'}`);
  return { out, version, files: [...files, 'sw.js'], bytes, precache, precacheBytes, models: models.map((m) => m.id) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  try {
    buildSite({ out: i > 0 ? process.argv[i + 1] : undefined });
  } catch (e) {
    console.error(`web/build: ${e.message}`);
    process.exit(1);
  }
}
