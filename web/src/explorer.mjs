// <musicvae-explorer>: the latent-space explorer. Four corner sequences (random samples or the
// user's MIDI files, encoded), a grid of interpolations between them, a 2-D pad to move through the
// square they span and hear the result, playback through the built-in synth or Web MIDI, and .mid
// export. Inference runs in a Web Worker (MusicVAEWorker), so the page and the audio never wait.
//
// This element holds the model, the corners and what is decoded where; its parts draw and listen:
// grid.mjs (the cells), pad.mjs (the pad), corners.mjs (the corner list, dropped files),
// playback.mjs (Play, outputs, playheads), explorer_template.mjs (the markup).
//
// Attributes: model (id from the manifest, or an .mvae URL), models (manifest URL), grid (3..9),
// temperature, seed, qpm, interpolation ('linear' | 'slerp'), corners (a link's "7.0,7.1,123.0,7.3",
// share.mjs). See web/README.md for the properties, methods and events.
import { CornerList, acceptDroppedFiles } from './corners.mjs';
import { CORNER_NAMES, CORNER_UV, TEMPLATE, cornerAt } from './explorer_template.mjs';
import { ExplorerGrid } from './grid.mjs';
import { randomSeed } from './latent.mjs';
import { DEFAULT_MANIFEST, acquireModel, findModel, loadManifest } from './models.mjs';
import { isAvailableOffline, keepOffline, offlineSupported, restoreKept } from './offline.mjs';
import { LatentPad } from './pad.mjs';
import { CornerHistory, cornersAreSeeds, cornersSpec, parseCornersSpec } from './share.mjs';
import { PlaybackControls } from './playback.mjs';
import { describeSequence, drawRoll, fitCanvas, lanesFor, pitchRanges, rollTheme } from './roll.mjs';
import { BASE_CSS, EXPLORER_CSS } from './style.mjs';
import { renderSequence } from './synth.mjs';
import { Transport } from './transport.mjs';

function clampInt(value, lo, hi, fallback) {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) ? Math.min(Math.max(n, lo), hi) : fallback;
}

function clampNum(value, lo, hi, fallback) {
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? Math.min(Math.max(n, lo), hi) : fallback;
}

export class MusicVAEExplorer extends HTMLElement {
  static get observedAttributes() {
    return ['model', 'grid', 'temperature', 'seed', 'qpm', 'interpolation'];  // (corners: read at start)
  }

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${BASE_CSS}${EXPLORER_CSS}</style>${TEMPLATE}`;
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
  }

  disconnectedCallback() {
    this.transport.stop();
    if (this._resizeObserver) this._resizeObserver.disconnect();
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
      this.manifest = await loadManifest(this.getAttribute('models') || DEFAULT_MANIFEST);
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
    for (const m of this.manifest.models) {
      const option = document.createElement('option');
      option.value = m.id;
      option.textContent = m.name;
      sel.append(option);
    }
    sel.disabled = this.manifest.models.length < 2;
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
    let acquired;
    try {
      acquired = await acquireModel(entry.url);
    } catch (e) {
      if (gen !== this._gen) return;
      this._error(`Cannot load the model ${entry.name}: ${e.message}`);
      this._status('');
      return;
    }
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
    const controlled = offlineSupported() && navigator.serviceWorker.controller && entry &&
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

  // ---- corners --------------------------------------------------------------------------------
  // Each corner is {z, label, title, source, original?}: source {seed, index} (from a seed, goes in
  // the link), {file: {name, bytes, bar, bars}} (a MIDI file) or {similar} (More like this).

  /** New random corners (all four) from `seed` (a random one if none); redraws the grid. */
  async resample(seed) {
    if (!this._model) return;
    const next = seed === undefined || seed === null ? randomSeed() : seed >>> 0;
    const gen = ++this._gen;
    this._status('Sampling…');
    try {
      const z = await this._model.sampleLatents(4, next);
      if (gen !== this._gen) return;
      this._remember();
      this._seed = next;
      this.$.seed.value = String(this._seed);
      this.corners = z.map((zk, k) => this._seedCorner(zk, next, k));
      await this._cornersChanged();
    } catch (e) {
      if (gen === this._gen) this._error(`Sampling failed: ${e.message}`);
    }
  }

  _seedCorner(z, seed, index) {
    return { z, label: 'random sample', title: `random sample ${index + 1} of seed ${seed}`, source: { seed, index } };
  }

  /** Corners from a link's spec ("7.0,7.1,123.0,7.3"; '-' for one not from a seed: the seed's own). */
  async _cornersFromSpec(spec) {
    const base = this._seed ?? this.seed ?? randomSeed();
    this._seed = base >>> 0;
    this.$.seed.value = String(this._seed);
    const wanted = spec.map((s, k) => s || { seed: this._seed, index: k });
    const z = await Promise.all(wanted.map(({ seed, index }) => this._model.sampleLatents(index + 1, seed).then((zs) => zs[index])));
    this.corners = z.map((zk, k) => this._seedCorner(zk, wanted[k].seed, wanted[k].index));
    await this._cornersChanged();
  }

  /** A new random sequence for corner k only. */
  async randomCorner(k) {
    if (!this._model || !this.corners.length) return;
    const seed = randomSeed();
    try {
      const z = await this._model.sampleLatents(1, seed);
      this._remember();
      this.corners[k] = this._seedCorner(z[0], seed, 0);
      await this._cornersChanged();
    } catch (e) {
      this._error(`Sampling failed: ${e.message}`);
    }
  }

  /** New corners around the current point: it becomes corner A, B-D are `similar` variations. */
  async similarToCurrent() {
    if (!this._model || !this.current) return;
    const similarity = clampNum(this.$.similarity.value, 0, 1, 0.75);
    const base = this.current;
    try {
      const { z: variations } = await this._model.similarTokens(base.z, 3, similarity, 0, { seed: randomSeed() });
      this._remember();
      const origin = base.original
        ? { original: base.original, label: base.label, source: base.source }
        : { label: 'what was playing', source: { similar: true } };
      this.corners = [{ z: base.z, ...origin },
        ...variations.map((z) => ({ z, label: `like it (likeness ${similarity.toFixed(2)})`, source: { similar: true } }))];
      this._uv = [0, 0];
      this.grid.selected = 0;
      await this._cornersChanged();
      this._status(`New corners around the music you had (likeness ${similarity.toFixed(2)}).`);
    } catch (e) {
      this._error(`“More like this” failed: ${e.message}`);
    }
  }

  // ---- undo / redo, the link -------------------------------------------------------------------

  _snapshot() {
    return { corners: this.corners.slice(), seed: this._seed, uv: this._uv.slice() };
  }

  _remember() {
    if (this.corners.length === 4) this._history.remember(this._snapshot());
    this._syncHistoryButtons();
  }

  /** Back to the corners before the last New / More like this / file / Resample (false: none). */
  async undo() {
    return this._restore(this._history.undo(this._snapshot()));
  }

  async redo() {
    return this._restore(this._history.redo(this._snapshot()));
  }

  async _restore(state) {
    this._syncHistoryButtons();
    if (!state || !this._model) return false;
    this.corners = state.corners;
    this._seed = state.seed;
    this.$.seed.value = String(this._seed);
    this._uv = state.uv;
    await this._cornersChanged();
    return true;
  }

  _syncHistoryButtons() {
    this.$.undo.disabled = !this._history.past.length;
    this.$.redo.disabled = !this._history.future.length;
  }

  async _cornersChanged() {
    this.cornerList.update(this.corners, this.info);
    this._syncHistoryButtons();
    await this._recomputeGrid();
  }

  /**
   * What a link holds to make this grid again: {model, seed, grid, temperature, interpolation,
   * corners} (corners: the link text, null when they are the seed's own four; corners from a file
   * or "More like this" cannot be linked and come back as the seed's).
   */
  get shareState() {
    return {
      model: this.entry ? this.entry.id : null,
      seed: this._seed ?? null,
      grid: this.cols,
      temperature: this.temperature,
      interpolation: this.method,
      corners: this.corners.length === 4 && !cornersAreSeeds(this.corners, this._seed) ? cornersSpec(this.corners) : null,
      unlinked: this.corners.filter((c) => !c.source || !Number.isInteger(c.source.seed)).length,
    };
  }

  _announceState() {
    this.dispatchEvent(new CustomEvent('statechange', { detail: this.shareState }));
  }

  // ---- MIDI files -----------------------------------------------------------------------------

  /**
   * Encodes a MIDI file (File, Blob, ArrayBuffer or bytes) into corner k, from options.bar (0-based;
   * default: the first bar where it plays). With a decoder-only model it says clearly that this
   * model cannot encode yet.
   */
  async loadMidi(file, k = 0, { bar, name: givenName } = {}) {
    if (!this._model) return;
    const name = givenName || (file && file.name ? file.name : 'the MIDI file');
    this._error('');
    this._status(`Reading ${name}…`);
    let input, bytes, bars;
    try {
      bytes = file instanceof Blob ? new Uint8Array(await file.arrayBuffer())
        : ArrayBuffer.isView(file) ? new Uint8Array(file.buffer, file.byteOffset, file.byteLength) : new Uint8Array(file);
      // Parsed in the model's Worker: a large file does not freeze the page.
      input = await this._model.midi('midiToModelInput', bytes, this.info, bar === undefined ? {} : { bar });
      // Its bars up to the last that a note starts in (where the corner may start).
      const whole = await this._model.midi('midiToQuantizedSequence', bytes, this.info.stepsPerQuarter || 4);
      const lastStart = whole.notes.reduce((m, n) => Math.max(m, n.quantizedStartStep), 0);
      bars = Math.floor(lastStart / (this.info.stepsPerBar || 16)) + 1;
    } catch (e) {
      this._status('');
      this._error(`Cannot use ${name}: ${e.message}.`);
      return;
    }
    let z;
    try {
      this._status(`Encoding ${name}…`);
      // Refined: mu, then gradient steps on z through the decoder, so that melodies unlike the
      // encoder's training data come back as they are (a fixed step count: same file, same z).
      [z] = await this._model.encode([input.sequence], { refine: true });
    } catch (e) {
      this._status('');
      if (e.code === 'NO_ENCODER') {
        this._error(`This model (${this.entry.name}) cannot encode yet: it has no trained encoder, so it ` +
          `cannot start from ${name}. Random corners, the pad, “More like this” and “New corners” still work.`);
      } else {
        this._error(`Cannot encode ${name}: ${e.message}`);
      }
      this.dispatchEvent(new CustomEvent('encodeerror', { detail: { code: e.code, message: e.message } }));
      return;
    }
    this._remember();
    const tracks = input.description.replace(/^bars? [\d–]+ of /, '');
    this.corners[k] = {
      z, label: `${name} — ${tracks}, ${input.description.match(/^bars? [\d–]+/)[0]}`, original: input.sequence,
      source: { file: { name, bytes, bar: input.bar, bars } },
    };
    this._uv = CORNER_UV[k].slice();
    await this._cornersChanged();
    this._status(`Encoded ${input.description} from ${name} into corner ${CORNER_NAMES[k]}.`);
    this.dispatchEvent(new CustomEvent('encoded', { detail: { corner: k, file: name, description: input.description } }));
  }

  /** Corner k's file again, from another bar. */
  _chooseBar(k, bar) {
    const c = this.corners[k];
    if (!c || !c.source || !c.source.file) return;
    this.loadMidi(c.source.file.bytes, k, { bar, name: c.source.file.name });
  }

  // ---- the grid -------------------------------------------------------------------------------

  _layoutGrid() {
    this.grid.layout(this.cols, this._uv);
    this._recomputeGrid();
  }

  /** Interpolates the corners over the grid and decodes every cell (and the pad's point). */
  async _recomputeGrid() {
    if (!this._model || this.corners.length !== 4) return;
    const n = this.cols;
    if (this.cells.length !== n * n) this.grid.layout(n, this._uv);
    const gen = ++this._gen;
    this._setBusy(true);
    this._status('Interpolating…');
    try {
      const zs = await this._model.interpolateLatents(this.corners.map((c) => c.z), [n, n], { method: this.method });
      if (gen !== this._gen) return;
      this.grid.setLatents(zs);
      await this._decodeCells(gen);
    } catch (e) {
      if (gen === this._gen) this._error(`Interpolation failed: ${e.message}`);
    }
  }

  /** Decodes every cell again (the temperature changed). */
  async _redecode() {
    if (!this._model || !this.cells.length || !this.cells[0].z) return;
    const gen = ++this._gen;
    this._setBusy(true);
    try {
      await this._decodeCells(gen);
    } catch (e) {
      if (gen === this._gen) this._error(`Decoding failed: ${e.message}`);
    }
  }

  _decodeOptions() {
    return [this.temperature, { seed: this._seed || 0 }];
  }

  // Each point is decoded on its own with the same seed, so a point's music does not depend on
  // what else is decoded: the pad on a cell's position plays exactly that cell.
  async _decodeCells(gen) {
    const [temperature, args] = this._decodeOptions();
    const t0 = performance.now();
    const n = this.cols;
    const pending = this.cells.map(async (cell, i) => {
      const corner = this.grid.cornerOf(cell);
      const original = corner >= 0 && this.corners[corner].original;
      const seq = original || (await this._model.decode([cell.z], temperature, args))[0];
      if (gen !== this._gen) return;
      this.grid.setSequence(i, seq, this.lanes);
      // Drawn at once, each cell in its own pitch range.
      if (this._theme) this.grid.drawCell(cell, this._roll());
    });
    const padDone = this._decodePad();
    await Promise.all(pending);
    if (gen !== this._gen) return;
    this._drawCells();
    await padDone;
    if (gen !== this._gen) return;
    this._setBusy(false);
    const ms = performance.now() - t0;
    this._status(`${n} × ${n} grid decoded in ${Math.round(ms)} ms. Click a cell or drag on the pad to listen.`);
    if (this.timings.gridMs === undefined) {
      this.timings.gridMs = performance.now();
      this.timings.firstGridDecodeMs = ms;
      this._readyResolve();
    }
    this.dispatchEvent(new CustomEvent('gridchange', { detail: { sequences: this.sequences, decodeMs: ms } }));
    this._announceState();
  }

  // What the grid's cells are drawn with (each in its own pitch range: grid.mjs).
  _roll() {
    return { info: this.info, lanes: this.lanes, theme: this._theme };
  }

  _drawCells() {
    if (!this.info) return;
    this._theme = rollTheme(this);
    this.grid.draw(this._roll());
    this._drawCurrent();
    this._drawPad();
  }

  _scheduleRedraw() {
    if (this._redrawPending) return;
    this._redrawPending = true;
    requestAnimationFrame(() => {
      this._redrawPending = false;
      this._drawCells();
    });
  }

  /** Selects cell i: the pad moves there and it plays (toggle: a second press on it stops). */
  selectCell(i, { toggle = false, play = true } = {}) {
    const cell = this.cells[i];
    if (!cell || !cell.seq) return;
    if (toggle && this.grid.selected === i && this.transport.playing) {
      this.stop();
      return;
    }
    this.grid.focusable(i);
    this._uv = [cell.u, cell.v];
    const corner = this.grid.cornerOf(cell);
    const original = corner >= 0 ? this.corners[corner].original : null;
    this._setCurrent({ seq: cell.seq, z: cell.z, u: cell.u, v: cell.v, original, label: original ? this.corners[corner].label : null });
    this.grid.select(i);
    if (play) this.play();
  }

  // ---- the pad --------------------------------------------------------------------------------

  /** Moves the pad's point to (u, v) in 0..1 and decodes the sequence there. */
  moveTo(u, v) {
    this._uv = [Math.min(Math.max(u, 0), 1), Math.min(Math.max(v, 0), 1)];
    this.grid.select(this.grid.indexAt(...this._uv));
    this._drawPad();
    this._decodePad();
  }

  // Decodes the pad's point; while a decode runs, later moves only leave a request, so a fast drag
  // decodes the latest point as soon as the worker is free rather than every point on the way.
  _decodePad() {
    this._padWanted = true;
    if (!this._padBusy) this._padBusy = this._padLoop();
    return this._padBusy;
  }

  async _padLoop() {
    await null; // _padBusy is set before the loop runs (a corner's original needs no decode)
    try {
      while (this._padWanted && this._model && this.corners.length === 4) {
        this._padWanted = false;
        const gen = this._gen;
        const [u, v] = this._uv;
        const cornerIndex = cornerAt(u, v);
        const original = cornerIndex >= 0 ? this.corners[cornerIndex].original : null;
        // On a cell, the cell's own latent vector (the engine's grid); elsewhere the engine's blend.
        const cell = this.cells.find((c) => c.z && c.u === u && c.v === v);
        const [temperature, args] = this._decodeOptions();
        let seq, z;
        try {
          z = cell ? cell.z : await this._model.latentAt(this.corners.map((c) => c.z), u, v, { method: this.method });
          seq = original || (await this._model.decode([z], temperature, args))[0];
        } catch (e) {
          if (gen === this._gen) this._error(`Decoding failed: ${e.message}`);
          continue;
        }
        // Stale (new corners, model or temperature meanwhile): whoever changed them asks again.
        if (gen !== this._gen) continue;
        this._setCurrent({ seq, z, u, v, original, label: original ? this.corners[cornerIndex].label : null });
      }
    } finally {
      this._padBusy = null;
    }
  }

  _setCurrent(current) {
    this.current = current;
    this.transport.sequence = current.seq;
    for (const b of [this.$.export, this.$.similar]) b.disabled = false;
    this._drawCurrent();
    this._drawPad();
    const pct = (x) => Math.round(x * 100);
    this.pad.describe(current.u, current.v);
    this.$.currentDesc.textContent = `Pad ${pct(current.u)}% across, ${pct(current.v)}% down — ${describeSequence(current.seq, this.lanes)}`;
    this.dispatchEvent(new CustomEvent('sequencechange', { detail: { sequence: current.seq, u: current.u, v: current.v } }));
  }

  _drawCurrent() {
    if (!this.info || !this._theme) return;
    fitCanvas(this.$.currentCanvas);
    const ranges = pitchRanges([this.currentSequence], this.lanes, this.info);
    drawRoll(this.$.currentCanvas, this.currentSequence, { info: this.info, lanes: this.lanes, ranges, theme: this._theme, labels: true });
  }

  _drawPad() {
    this.pad.draw(this._uv, this.cells, (this._theme || rollTheme(this)).background);
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
    return renderSequence(this.current.seq, { qpm: this.transport.qpm, loops });
  }

  // ---- export ---------------------------------------------------------------------------------

  /** .mid bytes of the current sequence ('current') or of the whole grid ('grid'). */
  async midiBytes(which = 'current') {
    const { sequencesToMidiBytes } = await import('./midifile.mjs');
    const seqs = which === 'grid' ? this.sequences.filter(Boolean) : [this.currentSequence].filter(Boolean);
    return sequencesToMidiBytes(seqs, { qpm: this.transport.qpm, name: `MusicVAE ${this.entry ? this.entry.name : ''}`.trim() });
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
      if (!(e.ctrlKey || e.metaKey) || e.composedPath()[0]?.type === 'number') return;
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
