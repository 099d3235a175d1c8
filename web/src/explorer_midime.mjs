// "Make it yours" (a part of <musicvae-explorer>, explorer.mjs): once the user has dropped a melody,
// a small VAE over the model's latent space (magenta.js's MidiMe, wasm_api/midime.mjs) learns from
// the 2-bar windows of every file they dropped, in the model's Worker, and the grid's corners
// become "more like yours": its samples, decoded by the model. A mixin: its methods run on the
// element; its panel is made on first use, under the corner list.
import { randomSeed } from './latent.mjs';

/** Adam steps on all the windows at once (one per epoch, as magenta.js's MidiMe trains). */
export const MIDIME_EPOCHS = 150;
/** The most 2-bar windows taken from one file. */
export const MIDIME_BARS_PER_FILE = 16;

const PANEL = `
  <h3 class="midime-title">Make it yours</h3>
  <p class="hint midime-help"></p>
  <div class="row actions">
    <button class="midime-train" type="button">Make it yours</button>
    <button class="midime-more" type="button" hidden title="Four new corners like your music">More like mine</button>
  </div>
  <progress class="midime-progress" max="1" value="0" hidden></progress>`;

const CSS = `
  .midime { border-top: 1px solid var(--mv-border, #d4d4d8); margin-top: 0.5rem; padding-top: 0.25rem; }
  .midime-title { font-size: 1rem; margin: 0.25rem 0; }
  .midime-progress { width: 100%; height: 0.75rem; }`;

export const MidiMeMixin = (Base) => class extends Base {
  // The user's files (name -> {name, bytes, bars}), whatever model they were dropped on.
  get _mineFiles() {
    if (!this.__mineFiles) this.__mineFiles = new Map();
    return this.__mineFiles;
  }

  _midimePanel() {
    if (this.$.midime) return this.$.midime;
    const panel = document.createElement('section');
    panel.className = 'midime';
    panel.setAttribute('aria-label', 'Make it yours');
    panel.hidden = true;
    panel.innerHTML = `<style>${CSS}</style>${PANEL}`;
    this.$.encodeHint.after(panel);
    const $ = (s) => panel.querySelector(s);
    Object.assign(this.$, {
      midime: panel, midimeHelp: $('.midime-help'), midimeTrain: $('.midime-train'),
      midimeMore: $('.midime-more'), midimeProgress: $('.midime-progress'),
    });
    this.$.midimeTrain.addEventListener('click', () => this.makeItYours());
    this.$.midimeMore.addEventListener('click', () => this.moreLikeMine());
    return panel;
  }

  async _cornersChanged() {
    for (const c of this.corners) {
      const file = c && c.source && c.source.file;
      if (file && !this._mineFiles.has(file.name)) this._mineFiles.set(file.name, file);
    }
    this._syncMidiMe();
    return super._cornersChanged();
  }

  _syncMidiMe() {
    const panel = this._midimePanel();
    const files = [...this._mineFiles.values()];
    panel.hidden = !files.length || !(this.info && this.info.hasEncoder);
    if (panel.hidden) return;
    const trained = this._midimeModel && this._midimeModel === this._model;
    this.$.midimeMore.hidden = !trained;
    if (!this._midimeBusy) {
      const names = files.map((f) => f.name).join(', ');
      this.$.midimeHelp.textContent = trained
        ? `Learnt from ${names}. “More like mine” fills the corners with new music like it.`
        : `Learns from the music you dropped (${names}) and fills the four corners with more like it.`;
    }
  }

  // The 2-bar windows of every dropped file, as the model's inputs (parsed in the Worker).
  async _mineWindows() {
    const sequences = [];
    for (const file of this._mineFiles.values()) {
      const bars = Math.min(file.bars || 1, MIDIME_BARS_PER_FILE);
      for (let bar = 0; bar < bars; bar++) {
        try {
          const input = await this._model.midi('midiToModelInput', file.bytes, this.info, { bar });
          if (input.sequence.notes.length) sequences.push(input.sequence);
        } catch {
          // a bar with nothing the model can read: skipped
        }
      }
    }
    return sequences;
  }

  /** Trains MidiMe on the dropped files' windows, then fills the corners with its samples. */
  async makeItYours() {
    if (!this._model || this._midimeBusy || !this._mineFiles.size) return;
    const $ = this.$, model = this._model;
    this._midimeBusy = true;
    $.midimeTrain.disabled = true;
    $.midimeProgress.hidden = false;
    $.midimeProgress.value = 0;
    this._error('');
    try {
      this._status('Reading your music…');
      const windows = await this._mineWindows();
      if (!windows.length) throw new Error('the files you dropped have no melody this model can read');
      this._status(`Encoding ${windows.length} bars of your music…`);
      const z = await model.encode(windows, { refine: true });
      const t0 = performance.now();
      await model.midime('train', z, { epochs: MIDIME_EPOCHS, seed: this._seed ?? randomSeed() }, {
        onProgress: (epoch, epochs) => {
          $.midimeProgress.value = epoch / epochs;
          this._status(`Learning your style… ${Math.round((100 * epoch) / epochs)}%`);
        },
      });
      if (model !== this._model) return;
      this._midimeModel = model;
      this.timings.midimeTrainMs = performance.now() - t0;
      this.dispatchEvent(new CustomEvent('midimetrained', { detail: { windows: windows.length, ms: this.timings.midimeTrainMs } }));
      await this.moreLikeMine();
    } catch (e) {
      this._error(`“Make it yours” failed: ${e.message}`);
    } finally {
      this._midimeBusy = false;
      $.midimeTrain.disabled = false;
      $.midimeProgress.hidden = true;
      this._syncMidiMe();
    }
  }

  /** Four new corners from the trained MidiMe (undo brings the old ones back). */
  async moreLikeMine() {
    if (!this._model || this._midimeModel !== this._model) return;
    try {
      const z = await this._model.midime('sample', 4);
      this._remember();
      this.corners = z.map((zk, k) => ({ z: zk, label: 'like yours', title: `more like yours ${k + 1}`, source: { mine: true } }));
      this._uv = [0, 0];
      await this._cornersChanged();
      this._status('The corners are new music like yours. “More like mine” for others; Undo to go back.');
    } catch (e) {
      this._error(`“More like mine” failed: ${e.message}`);
    }
  }
};
