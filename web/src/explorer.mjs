// <musicvae-explorer>: the latent-space explorer. Four corner sequences (random samples or the
// user's MIDI files, encoded), a grid of interpolations between them, a 2-D pad to move through the
// square they span and hear the result, playback through the built-in synth or Web MIDI, and .mid
// export. Inference runs in a Web Worker (MusicVAEWorker), so the page and the audio never wait.
//
// This element holds the model, the corners and what is decoded where. Its methods are in these
// files: this one (attributes, start-up, models, offline, playback, export, the controls),
// explorer_corners.mjs (where the corners come from, undo, the link), explorer_decode.mjs (the
// grid's and the pad's decoding and drawing), explorer_chords.mjs (a chord model's progression),
// explorer_midime.mjs ("Make it yours": MidiMe on the user's files), explorer_attributes.mjs (the
// attribute sliders of the selected square) and explorer_groove.mjs (a GrooVAE model's Humanize and
// Tap). Its parts draw and listen: grid.mjs (the cells),
// pad.mjs (the pad), corners.mjs (the corner list, dropped files), playback.mjs (Play, outputs,
// playheads), explorer_template.mjs (the markup).
//
// Attributes: model (id from the manifest, or an .mvae URL), models (manifest URL), grid (3..9),
// temperature, seed, qpm, interpolation ('linear' | 'slerp'), corners (a link's "7.0,7.1,123.0,7.3",
// share.mjs), chords (a chord model's progression: "C G Am F"). See web/README.md for the properties, methods and events.
import { ChordsMixin, CHORDS_CSS } from './explorer_chords.mjs';
import { GrooveMixin, GROOVE_CSS } from './explorer_groove.mjs';
import { CornerList, acceptDroppedFiles } from './corners.mjs';
import { AttributesMixin } from './explorer_attributes.mjs';
import { CornersMixin, clampNum } from './explorer_corners.mjs';
import { DecodingMixin } from './explorer_decode.mjs';
import { MidiMeMixin } from './explorer_midime.mjs';
import { TEMPLATE } from './explorer_template.mjs';
import { ExplorerGrid } from './grid.mjs';
import { HostedMixin, hostedLabel } from './hosted.mjs';
import { DEFAULT_MANIFEST, acquireModel, findModel, loadManifest } from './models.mjs';
import { isAvailableOffline, keepOffline, offlineSupported, restoreKept } from './offline.mjs';
import { LatentPad } from './pad.mjs';
import { CornerHistory, cornersAreSeeds, parseCornersSpec } from './share.mjs';
import { PlaybackControls } from './playback.mjs';
import { lanesFor, rollTheme } from './roll.mjs';
import { BASE_CSS, EXPLORER_CSS } from './style.mjs';
import { renderSequence } from './synth.mjs';
import { Transport } from './transport.mjs';

function clampInt(value, lo, hi, fallback) {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) ? Math.min(Math.max(n, lo), hi) : fallback;
}

export class MusicVAEExplorer extends GrooveMixin(ChordsMixin(AttributesMixin(MidiMeMixin(HostedMixin(DecodingMixin(CornersMixin(HTMLElement))))))) {
  static get observedAttributes() {
    return ['model', 'grid', 'temperature', 'seed', 'qpm', 'interpolation', 'chords'];  // (corners: read at start)
  }

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${BASE_CSS}${EXPLORER_CSS}${CHORDS_CSS}${GROOVE_CSS}</style>${TEMPLATE}`;
    const $ = (s) => root.querySelector(s);
    this.$ = {
      app: $('.app'), model: $('.model'), modelDesc: $('#model-desc'), offlineChoice: $('.offline-choice'),
      keepOffline: $('.keep-offline'), offlineText: $('.offline-text'), modelTech: $('.model-tech'), gridSize: $('.grid-size'),
      interp: [...root.querySelectorAll('input[name=interp]')], grid: $('.grid'), corners: $('.corners'),
      file: $('.file'), encodeHint: $('.encode-hint'), padBox: $('.pad'), pad: $('.pad canvas'),
      current: $('.current'), currentCanvas: $('.current canvas'), currentPlayhead: $('.current .playhead'),
      currentDesc: $('.current-desc'), temperature: $('.temperature'), temperatureOut: $('.temperature-out'),
      seed: $('.seed'), resample: $('.resample'), similar: $('.similar'), similarity: $('.similarity'),
      similarityOut: $('.similarity-out'), play: $('.play'), loop: $('.loop'), tempo: $('.tempo'),
      tempoOut: $('.tempo-out'), output: $('.output'), midi: $('.midi'), midiMsg: $('.midi-msg'),
      export: $('.export'), exportGrid: $('.export-grid'), status: $('.status'), error: $('.error'),
      undo: $('.undo'), redo: $('.redo'),
      download: $('.download'), downloadBar: $('.download progress'), downloadText: $('.download-text'), removeHosted: $('.remove-hosted'),
      hostedRow: $('.hosted-row'), hostedText: $('.hosted-text'),
    };
    this.manifest = null;
    this.entry = null;
    this.info = null;
    this.lanes = lanesFor(null);
    this.corners = []; // [{z, label, source, original?}] x 4
    this._history = new CornerHistory();
    this.current = null; // {seq, z, u, v}
    this._uv = [0, 0];
    this._gen = 0;
    this._model = null;
    this._release = null;
    this.timings = {};
    this.transport = new Transport();
    this._readyResolve = null;
    this.ready = new Promise((resolve) => { this._readyResolve = resolve; });
    const parts = this.$;
    this.grid = new ExplorerGrid(parts.grid, { onSelect: (i) => this.selectCell(i, { toggle: true }) });
    this.pad = new LatentPad(parts.pad, {
      point: () => this._uv,
      cols: () => this.cols,
      enabled: () => this.corners.length > 0,
      onMove: (u, v) => this.moveTo(u, v),
      onPress: () => this.play(),
      onTogglePlay: () => (this.transport.playing ? this.stop() : this.play()),
    });
    this.playback = new PlaybackControls(parts, this.transport, this.grid);
    this.cornerList = new CornerList(parts.corners, parts.file, {
      onNew: (k) => this.randomCorner(k),
      onFile: (file, k) => this.loadMidi(file, k),
      onBar: (k, bar) => this._chooseBar(k, bar),
    });
    acceptDroppedFiles(this, parts.app, (file, k) => this.loadMidi(file, k));
    this._bindControls();
    this._bindHosted();
    this._bindChords();
    this._bindGroove();
    this.grid.layout(this.cols, this._uv);
  }

  // ---- attributes -----------------------------------------------------------------------------

  get cols() {
    return clampInt(this.getAttribute('grid'), 2, 9, 5);
  }

  get temperature() {
    return clampNum(this.getAttribute('temperature'), 0, 1.5, 0.5);
  }

  set temperature(t) {
    this.setAttribute('temperature', String(t));
  }

  get seed() {
    const s = clampNum(this.getAttribute('seed'), 0, 4294967295, NaN);
    return Number.isFinite(s) ? Math.floor(s) : null;
  }

  get method() {
    return this.getAttribute('interpolation') === 'slerp' ? 'slerp' : 'linear';
  }

  get qpm() {
    return clampNum(this.getAttribute('qpm'), 20, 300, 120);
  }

  /** The grid's cells, row by row: [{u, v, z, seq, ...}]. */
  get cells() {
    return this.grid.cells;
  }

  /** The grid's sequences, row by row (null where not decoded yet). */
  get sequences() {
    return this.cells.map((c) => c.seq);
  }

  /** The sequence at the pad's point (the one playing). */
  get currentSequence() {
    return this.current ? this.current.seq : null;
  }

  connectedCallback() {
    this._syncControls();
    if (!this._booted) {
      this._booted = true;
      this._boot();
    } else if (this._detached) {
      // Back in the page after a removal: the model again (random corners come back from the seed).
      this._detached = false;
      if (this.entry) this._selectModel(this.entry.id);
    }
    this._resizeObserver = new ResizeObserver(() => this._scheduleRedraw());
    this._resizeObserver.observe(this.$.grid);
    this._resizeObserver.observe(this.$.padBox);
    this._resizeObserver.observe(this.$.current);
    this._watchNetwork(true);
    this._watchSpaceBar(true);
  }

  disconnectedCallback() {
    this.transport.stop();
    if (this._resizeObserver) this._resizeObserver.disconnect();
    this._watchNetwork(false);
    this._watchSpaceBar(false);
    // Removed for good (not just moved): end the model's Worker if no other element uses it.
    queueMicrotask(() => {
      if (this.isConnected || !this._release) return;
      this._gen++;
      this._release();
      this._release = null;
      this._model = null;
      this._detached = true;
    });
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (!this._booted || oldValue === newValue) return;
    this._syncControls();
    if (name === 'model') this._selectModel(newValue);
    else if (name === 'grid') this._layoutGrid();
    else if (name === 'interpolation') this._recomputeGrid();
    else if (name === 'temperature') this._redecode();
    else if (name === 'seed' && this.seed !== null && this.seed !== this._seed) this.resample(this.seed);
    else if (name === 'qpm') this.transport.qpm = this.qpm;
    else if (name === 'chords') this._applyChords(newValue);
  }

  _syncControls() {
    const $ = this.$;
    $.gridSize.value = String(this.cols);
    if (!$.gridSize.value) $.gridSize.value = '5';
    $.interp.forEach((r) => { r.checked = r.value === this.method; });
    $.temperature.value = String(this.temperature);
    $.temperatureOut.textContent = this.temperature.toFixed(2);
    $.tempo.value = String(this.qpm);
    $.tempoOut.textContent = `${Math.round(this.qpm)} BPM`;
    this.transport.qpm = this.qpm;
  }

  // ---- messages -------------------------------------------------------------------------------

  _status(text) {
    this.$.status.textContent = text;
  }

  _error(text) {
    this.$.error.textContent = text || '';
    if (text) this.dispatchEvent(new CustomEvent('error', { detail: { message: text } }));
  }

  // ---- start-up and models --------------------------------------------------------------------

  async _boot() {
    const t0 = performance.now();
    this.timings.bootStart = t0;
    this._status('Loading the model list…');
    try {
      this.manifest = await loadManifest(this.getAttribute('models') || DEFAULT_MANIFEST,
        { checkpointHost: this.getAttribute('checkpoint-host') || undefined });
    } catch (e) {
      this._error(e.message);
      this._status('');
      return;
    }
    this._fillModelPicker();
    // A link's corners (?corners=7.0,7.1,123.0,7.3), for the first model.
    this._linkCorners = parseCornersSpec(this.getAttribute('corners'));
    await this._selectModel(this.getAttribute('model'));
    this.timings.bootMs = performance.now() - t0;
  }

  _fillModelPicker() {
    const sel = this.$.model;
    sel.textContent = '';
    // The bundled models, then magenta.js's hosted ones in a group of their own (hosted.mjs labels them).
    let group = null;
    for (const m of this.manifest.models) {
      const option = document.createElement('option');
      option.value = m.id;
      option.textContent = m.hosted ? hostedLabel(m, 'download') : m.name;
      if (m.hosted) {
        option.dataset.hosted = '';
        if (!group) {
          group = document.createElement('optgroup');
          group.label = "Magenta's models: download once, then on this device";
          sel.append(group);
        }
        group.append(option);
      } else {
        sel.append(option);
      }
    }
    sel.disabled = this.manifest.models.length < 2;
    // Looking into the cache (and loading the converter's module for it) waits for the first grid.
    this.ready.then(() => this._labelHosted());
  }

  async _selectModel(spec) {
    if (!this.manifest) return;
    const entry = findModel(this.manifest, spec);
    if (![...this.$.model.options].some((o) => o.value === entry.id)) this._fillModelPicker();
    this.$.model.value = entry.id;
    if (this.entry && this.entry.url === entry.url && this._model) return;
    this.entry = entry;
    this.$.modelDesc.textContent = entry.description;
    this._showOffline();
    const gen = ++this._gen;
    this.transport.stop();
    if (this._release) this._release();
    this._release = null;
    this._model = null;
    this.info = null;
    this._setBusy(true);
    this._error('');
    this._status(`Loading ${entry.name}…`);
    this._showHosted();
    let acquired;
    try {
      acquired = await acquireModel(entry.url, entry.hosted ? { onProgress: (loaded, total) => this._downloadProgress(entry, loaded, total) } : {});
    } catch (e) {
      if (gen !== this._gen) return;
      this.$.download.hidden = true;
      this._labelHosted();
      const offline = entry.hosted && navigator.onLine === false ? ' (it needs the network the first time)' : '';
      this._error(`Cannot load the model ${entry.name}${offline}: ${e.message}`);
      this._status('');
      return;
    }
    if (entry.hosted && gen === this._gen) this._downloadDone();
    if (gen !== this._gen) {
      acquired.release();
      return;
    }
    this._model = acquired.model;
    this._release = acquired.release;
    if (this.timings.modelReady === undefined) this.timings.modelReady = performance.now();
    this.info = this._model.info;
    this.lanes = lanesFor(this.info);
    this._theme = rollTheme(this);
    const seconds = (this.info.numSteps / this.info.stepsPerQuarter) * (60 / this.qpm);
    this.$.modelDesc.textContent = entry.description || entry.name;
    // The technical facts, for those who want them (in "More settings").
    this.$.modelTech.textContent = `About this model: ${this.info.numSteps / this.info.stepsPerBar} bars of ` +
      `${this.info.stepsPerBar} steps, ${this.info.zSize} numbers per point (its latent space), ` +
      `${this.info.hasEncoder ? 'reads MIDI files (it has an encoder)' : 'cannot read MIDI files (no encoder)'}.`;
    this.$.encodeHint.textContent = this.info.hasEncoder
      ? 'Drop a .mid file on a corner (or anywhere on the grid), or use “Load .mid…”, to start from your own music.'
      : 'This model cannot start from your MIDI files yet (it has no trained encoder). Corners are random samples.';
    this.dispatchEvent(new CustomEvent('modelchange', { detail: { model: entry, info: this.info, seconds } }));
    // Another model's corners mean nothing to this one: no undo across models.
    this.corners = [];
    this._history.clear();
    await this._chordsForModel();
    if (gen !== this._gen) return;
    this._grooveForModel();
    const linked = this._linkCorners;
    this._linkCorners = null;
    if (linked) await this._cornersFromSpec(linked);
    else await this.resample(this._seed ?? this.seed ?? undefined);
  }

  // ---- offline ---------------------------------------------------------------------------------

  // "Available offline" for the chosen model: the default one is built in (precached by the
  // service worker); any other is kept on this device only when asked. Shown where this page's own
  // service worker runs (not when embedded in another site, whose storage it would fill).
  async _showOffline() {
    const $ = this.$, entry = this.entry;
    // (Magenta's hosted models are kept by their Worker as they download: hosted.mjs.)
    const controlled = offlineSupported() && navigator.serviceWorker.controller && entry && !entry.hosted &&
      new URL(entry.url).origin === location.origin;
    $.offlineChoice.hidden = !controlled;
    if (!controlled) {
      if (offlineSupported() && !this._waitingForController) {
        this._waitingForController = true;
        navigator.serviceWorker.addEventListener('controllerchange', () => this._showOffline());
      }
      return;
    }
    if (!this._restored) {
      this._restored = true;
      restoreKept();
    }
    const size = entry.bytes ? ` (${(entry.bytes / 1e6).toFixed(1)} MB)` : '';
    const builtIn = entry.id === this.manifest.default;
    $.keepOffline.disabled = builtIn;
    $.offlineText.textContent = builtIn ? 'Available offline (built in)' : `Available offline${size}`;
    $.keepOffline.checked = builtIn || (await isAvailableOffline(entry.url));
  }

  async _keepOffline(keep) {
    const entry = this.entry;
    if (!entry) return;
    this.$.keepOffline.disabled = true;
    this._status(keep ? `Saving ${entry.name} on this device…` : `Removing ${entry.name} from this device…`);
    try {
      await keepOffline(entry.url, keep);
      this._status(keep ? `${entry.name} is available offline.` : `${entry.name} will need the network next time.`);
    } catch (e) {
      this._error(`Cannot keep ${entry.name} offline: ${e.message}`);
    }
    if (this.entry === entry) this._showOffline();
  }

  _setBusy(busy) {
    this.$.grid.setAttribute('aria-busy', String(busy));
    for (const b of [this.$.resample, this.$.similar, this.$.export, this.$.exportGrid]) b.disabled = busy && !this.current;
  }

  // ---- playback -------------------------------------------------------------------------------

  /** Starts looping the current sequence (on a user gesture, the first time: browsers require it). */
  play() {
    if (!this.current) return;
    try {
      this.playback.start();
    } catch (e) {
      this._error(`Cannot play: ${e.message}`);
    }
  }

  stop() {
    this.transport.stop();
  }

  /** The current sequence through the built-in synth, rendered offline: an AudioBuffer. */
  renderAudio({ loops = 1 } = {}) {
    if (!this.current) throw new Error('nothing decoded yet');
    return renderSequence(this._playedSequence(this.current.seq), { qpm: this.transport.qpm, loops });
  }

  // ---- export ---------------------------------------------------------------------------------

  /** .mid bytes of the current sequence ('current') or of the whole grid ('grid'). */
  async midiBytes(which = 'current') {
    const { sequencesToMidiBytes } = await import('./midifile.mjs');
    const seqs = which === 'grid' ? this.sequences.filter(Boolean) : [this.currentSequence].filter(Boolean);
    return sequencesToMidiBytes(seqs.map((s) => this._exportedSequence(s)),
      { qpm: this.transport.qpm, name: `MusicVAE ${this.entry ? this.entry.name : ''}`.trim(), trackName: this._exportTrackName });
  }

  async exportMidi(which = 'current') {
    try {
      const { download } = await import('./midifile.mjs');
      const bytes = await this.midiBytes(which);
      const id = this.entry ? this.entry.id : 'musicvae';
      const where = which === 'grid' ? `grid${this.cols}x${this.cols}`
        : this.grid.selected >= 0 ? `cell-r${this.cells[this.grid.selected].row + 1}c${this.cells[this.grid.selected].col + 1}`
          : `pad-${Math.round(this._uv[0] * 100)}-${Math.round(this._uv[1] * 100)}`;
      download(bytes, `${id}-seed${this._seed}-${where}.mid`);
      this._status(`Exported ${which === 'grid' ? 'the grid' : 'the current sequence'} as a MIDI file.`);
    } catch (e) {
      this._error(`Export failed: ${e.message}`);
    }
  }

  _bindControls() {
    const $ = this.$;
    $.model.addEventListener('change', () => this.setAttribute('model', $.model.value));
    $.keepOffline.addEventListener('change', () => this._keepOffline($.keepOffline.checked));
    $.gridSize.addEventListener('change', () => {
      this._uv = [0, 0];
      this.setAttribute('grid', $.gridSize.value);
    });
    $.interp.forEach((r) => r.addEventListener('change', () => { if (r.checked) this.setAttribute('interpolation', r.value); }));
    $.temperature.addEventListener('input', () => { $.temperatureOut.textContent = Number($.temperature.value).toFixed(2); });
    $.temperature.addEventListener('change', () => this.setAttribute('temperature', $.temperature.value));
    // A seed typed in (Enter, or leaving the box): its four corners, unless they are what is shown.
    const seedEntered = () => {
      const s = clampNum($.seed.value, 0, 4294967295, NaN);
      if (!Number.isFinite(s)) return;
      if (Math.floor(s) !== this._seed || !cornersAreSeeds(this.corners, this._seed)) this.resample(Math.floor(s));
    };
    $.seed.addEventListener('change', seedEntered);
    $.seed.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        seedEntered();
      }
    });
    $.undo.addEventListener('click', () => this.undo());
    $.redo.addEventListener('click', () => this.redo());
    // Ctrl+Z / Ctrl+Shift+Z (Cmd on a Mac), Ctrl+Y: undo and redo the corners (not in text boxes).
    this.addEventListener('keydown', (e) => {
      if (!(e.ctrlKey || e.metaKey) || ['number', 'text'].includes(e.composedPath()[0]?.type)) return;
      const key = e.key.toLowerCase();
      if (key === 'z' || key === 'y') {
        e.preventDefault();
        if (key === 'y' || e.shiftKey) this.redo();
        else this.undo();
      }
    });
    $.resample.addEventListener('click', () => this.resample());
    $.similar.addEventListener('click', () => this.similarToCurrent());
    $.similarity.addEventListener('input', () => { $.similarityOut.textContent = Number($.similarity.value).toFixed(2); });
    $.play.addEventListener('click', () => (this.transport.playing ? this.stop() : this.play()));
    $.loop.addEventListener('change', () => { this.transport.loop = $.loop.checked; });
    $.tempo.addEventListener('input', () => {
      this.transport.qpm = Number($.tempo.value);
      $.tempoOut.textContent = `${$.tempo.value} BPM`;
    });
    $.tempo.addEventListener('change', () => this.setAttribute('qpm', $.tempo.value));
    $.export.addEventListener('click', () => this.exportMidi('current'));
    $.exportGrid.addEventListener('click', () => this.exportMidi('grid'));
  }
}

if (!customElements.get('musicvae-explorer')) customElements.define('musicvae-explorer', MusicVAEExplorer);
