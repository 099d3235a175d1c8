// magenta.js's hosted MusicVAE checkpoints in the explorer's picker (the "magenta" block of
// models.json, read by models.mjs): how each is labelled, whether it is on this device, the download's
// progress, "Remove from this device". The files themselves are fetched, converted and kept (Cache
// API) by wasm_api/checkpoint.mjs in the model's Worker; this module only looks at and empties that
// cache, through checkpoint.mjs's own functions.
const checkpoints = () => import('../wasm_api/checkpoint.mjs');

const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/** 'on-device' (loads offline), 'download' (needs the network once) or 'offline' (needs it, and there is none). */
export async function hostedState(entry) {
  let complete = false;
  try {
    complete = (await (await checkpoints()).cachedCheckpoint(entry.url)).complete;
  } catch {
    // no Cache API here (an insecure page): always from the network
  }
  if (complete) return 'on-device';
  return globalThis.navigator && navigator.onLine === false ? 'offline' : 'download';
}

/** The picker's words for a hosted model in `state` (hostedState). */
export function hostedLabel(entry, state) {
  const what = state === 'on-device' ? 'on this device'
    : state === 'offline' ? 'needs the network'
      : entry.bytes ? `downloads ${megabytes(entry.bytes)}` : 'downloads once';
  return `${entry.name} — Magenta's model, ${what}`;
}

/** Removes a hosted model's files from this device; it then downloads again when chosen. */
export async function removeHosted(entry) {
  await (await checkpoints()).removeCachedCheckpoint(entry.url);
}

/**
 * The explorer's methods for hosted models (mixed into MusicVAEExplorer): the picker's labels, the
 * download line, the remove button. Parts: this.$.model, .download, .downloadBar, .downloadText,
 * .hostedRow, .hostedText, .removeHosted.
 */
export const HostedMixin = (Base) => class extends Base {
  // Relabels the picker's hosted options (on this device, downloads N MB, needs the network); an
  // option that cannot load now (offline, not on the device) is disabled.
  async _labelHosted() {
    if (!this.manifest) return;
    const options = [...this.$.model.querySelectorAll('option[data-hosted]')];
    await Promise.all(options.map(async (option) => {
      const entry = this.manifest.models.find((m) => m.id === option.value);
      if (!entry) return;
      const state = await hostedState(entry);
      option.textContent = hostedLabel(entry, state);
      option.dataset.state = state;
      option.disabled = state === 'offline' && entry !== this.entry;
    }));
    this._showHosted();
  }

  // In "More settings", for the chosen hosted model once it is on this device: its size and the
  // remove button (not in the top row, which must stay one line on a tablet).
  _showHosted() {
    const entry = this.entry;
    const option = entry && this.$.model.querySelector(`option[data-hosted][value="${CSS.escape(entry.id)}"]`);
    const kept = !!(option && option.dataset.state === 'on-device');
    this.$.hostedRow.hidden = !kept;
    if (kept) {
      const size = entry.bytes ? ` (${megabytes(entry.bytes)})` : '';
      this.$.hostedText.textContent = `${entry.name}, Magenta's model, is on this device${size}: it works offline.`;
    }
  }

  _downloadProgress(entry, loaded, total) {
    if (this.entry !== entry) return;
    const $ = this.$;
    $.download.hidden = false;
    $.downloadBar.max = Math.max(total, 1);
    $.downloadBar.value = loaded;
    $.downloadText.textContent = loaded < total
      ? `Downloading ${entry.name} (Magenta's model): ${megabytes(loaded)} of ${megabytes(total)}`
      : `Downloaded ${megabytes(total)}: getting ${entry.name} ready…`;
    this.dispatchEvent(new CustomEvent('modelprogress', { detail: { model: entry, loaded, total } }));
  }

  _downloadDone() {
    this.$.download.hidden = true;
    this._labelHosted();
    // Ask the browser to keep what was downloaded (it may otherwise evict it when space runs low).
    globalThis.navigator?.storage?.persist?.().catch(() => {});
  }

  async _removeHosted() {
    const entry = this.entry;
    if (!entry || !entry.hosted) return;
    this.$.removeHosted.disabled = true;
    let done = false;
    try {
      await removeHosted(entry);
      done = true;
    } catch (e) {
      this._error(`Cannot remove ${entry.name}: ${e.message}`);
    }
    this.$.removeHosted.disabled = false;
    await this._labelHosted();
    if (done) this._status(`${entry.name} (Magenta's model) is removed from this device: it downloads again when chosen.`);
  }

  _bindHosted() {
    this.$.removeHosted.addEventListener('click', () => this._removeHosted());
    this._relabelHosted = () => this._labelHosted();
  }

  // The network coming and going changes what can load (called on connect / disconnect).
  _watchNetwork(on) {
    for (const type of ['online', 'offline']) {
      if (on) addEventListener(type, this._relabelHosted);
      else removeEventListener(type, this._relabelHosted);
    }
  }
};
