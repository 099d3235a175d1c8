// <musicvae-explorer>: the latent-space explorer. Four corner sequences (random samples or the
// user's MIDI files, encoded), a grid of interpolations between them, a 2-D pad to move through the
// square they span and hear the result, playback through the built-in synth or Web MIDI, and .mid
// export. Inference runs in a Web Worker (MusicVAEWorker), so the page and the audio never wait.
//
// Attributes: model (id from the manifest, or an .mvae URL), models (manifest URL), grid (3..9),
// temperature, seed, qpm, interpolation ('linear' | 'slerp'). See web/README.md for the properties,
// methods and events.
import { fraction, randomSeed } from './latent.mjs';
import { DEFAULT_MANIFEST, acquireModel, findModel, loadManifest } from './models.mjs';
import { describeSequence, drawRoll, fitCanvas, lanesFor, pitchRanges, rollTheme } from './roll.mjs';
import { BASE_CSS, EXPLORER_CSS } from './style.mjs';
import { renderSequence } from './synth.mjs';
import { Transport, audioContext, synthOutput } from './transport.mjs';
import { midiOutput, midiOutputs, midiSupported, requestMidi, MIDI_MESSAGES } from './midiout.mjs';

const CORNER_NAMES = ['A', 'B', 'C', 'D'];
const CORNER_COLORS = ['#ea580c', '#2563eb', '#16a34a', '#9333ea'];
// Corner k's position (u, v): A top-left, B bottom-left, C top-right, D bottom-right.
const CORNER_UV = [[0, 0], [0, 1], [1, 0], [1, 1]];
const PAD_INSET = 12;

const TEMPLATE = `
<div class="app" part="app">
  <div class="bar">
    <label>Model <select class="model" aria-describedby="model-desc"></select></label>
    <span class="grow" id="model-desc"></span>
  </div>
  <p class="status" role="status" aria-live="polite"></p>
  <p class="error" role="alert"></p>
  <div class="layout">
    <section class="grid-panel" aria-label="Interpolation grid">
      <div class="bar">
        <label>Grid <select class="grid-size">
          <option value="3">3 × 3</option><option value="5">5 × 5</option><option value="7">7 × 7</option><option value="9">9 × 9</option>
        </select></label>
        <fieldset class="interp"><legend>Interpolation</legend>
          <label><input type="radio" name="interp" value="linear"> Linear</label>
          <label><input type="radio" name="interp" value="slerp"> Slerp</label>
        </fieldset>
      </div>
      <div class="grid" aria-busy="true" aria-label="Interpolations: arrow keys move, Enter plays"></div>
      <ol class="corners" aria-label="Corners"></ol>
      <input class="file" type="file" accept=".mid,.midi,audio/midi,audio/x-midi" hidden>
      <p class="hint encode-hint">Drop a .mid file on a corner (or anywhere on the grid) to start from your own music.</p>
    </section>
    <section class="side" aria-label="Latent pad and playback">
      <div class="pad"><canvas role="slider" tabindex="0" aria-label="Latent pad" aria-valuemin="0" aria-valuemax="100"
        aria-valuenow="50"></canvas></div>
      <div class="roll-box current"><canvas aria-hidden="true"></canvas><div class="playhead"></div></div>
      <p class="current-desc" aria-live="off"></p>
      <div class="row">
        <label>Temperature <input class="temperature" type="range" min="0" max="1.5" step="0.05"></label>
        <output class="temperature-out"></output>
      </div>
      <div class="row">
        <label>Seed <input class="seed" type="number" min="0" max="4294967295" step="1" inputmode="numeric"></label>
        <button class="resample" type="button" title="New random corners (new seed)">Resample</button>
        <button class="similar" type="button" title="New corners around the current sequence">Similar to this</button>
      </div>
      <div class="row">
        <label>Similarity <input class="similarity" type="range" min="0" max="1" step="0.05" value="0.75"></label>
        <output class="similarity-out">0.75</output>
      </div>
      <div class="row transport">
        <button class="play primary" type="button" aria-pressed="false">▶ Play</button>
        <label><input class="loop" type="checkbox" checked> Loop</label>
        <label>Tempo <input class="tempo" type="range" min="40" max="240" step="1"></label>
        <output class="tempo-out"></output>
      </div>
      <div class="row">
        <label>Output <select class="output"><option value="synth">Built-in synth</option></select></label>
        <button class="midi" type="button">MIDI devices</button>
      </div>
      <p class="midi-msg" role="status"></p>
      <div class="row">
        <button class="export" type="button">Export .mid</button>
        <button class="export-grid" type="button" title="Every cell, one after another, in one file">Export grid .mid</button>
      </div>
    </section>
  </div>
</div>`;

function clampInt(value, lo, hi, fallback) {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) ? Math.min(Math.max(n, lo), hi) : fallback;
}

function clampNum(value, lo, hi, fallback) {
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? Math.min(Math.max(n, lo), hi) : fallback;
}

function mixColor(colors, weights) {
  const rgb = [0, 0, 0];
  colors.forEach((c, k) => {
    for (let i = 0; i < 3; i++) rgb[i] += Number.parseInt(c.slice(1 + 2 * i, 3 + 2 * i), 16) * weights[k];
  });
  return `rgb(${rgb.map((x) => Math.round(x)).join(',')})`;
}

export class MusicVAEExplorer extends HTMLElement {
  static get observedAttributes() {
    return ['model', 'grid', 'temperature', 'seed', 'qpm', 'interpolation'];
  }

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${BASE_CSS}${EXPLORER_CSS}</style>${TEMPLATE}`;
    const $ = (s) => root.querySelector(s);
    this.$ = {
      app: $('.app'), model: $('.model'), modelDesc: $('#model-desc'), gridSize: $('.grid-size'),
      interp: [...root.querySelectorAll('input[name=interp]')], grid: $('.grid'), corners: $('.corners'),
      file: $('.file'), encodeHint: $('.encode-hint'), padBox: $('.pad'), pad: $('.pad canvas'),
      current: $('.current'), currentCanvas: $('.current canvas'), currentPlayhead: $('.current .playhead'),
      currentDesc: $('.current-desc'), temperature: $('.temperature'), temperatureOut: $('.temperature-out'),
      seed: $('.seed'), resample: $('.resample'), similar: $('.similar'), similarity: $('.similarity'),
      similarityOut: $('.similarity-out'), play: $('.play'), loop: $('.loop'), tempo: $('.tempo'),
      tempoOut: $('.tempo-out'), output: $('.output'), midi: $('.midi'), midiMsg: $('.midi-msg'),
      export: $('.export'), exportGrid: $('.export-grid'), status: $('.status'), error: $('.error'),
    };
    this.manifest = null;
    this.entry = null;
    this.info = null;
    this.lanes = lanesFor(null);
    this.corners = []; // [{z, label, original?}] x 4
    this.cells = []; // [{button, canvas, playhead, z, seq}]
    this.current = null; // {seq, z, u, v}
    this._uv = [0, 0];
    this._selected = 0;
    this._gen = 0;
    this._model = null;
    this._release = null;
    this._nextDropCorner = 0;
    this._midiPorts = [];
    this.timings = {};
    this.transport = new Transport();
    this._readyResolve = null;
    this.ready = new Promise((resolve) => { this._readyResolve = resolve; });
    this._buildCorners();
    this._bindControls();
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
    else if (name === 'grid') this._layoutGrid(true);
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
    await this._selectModel(this.getAttribute('model'));
    this.timings.bootMs = performance.now() - t0;
  }

  _fillModelPicker() {
    const sel = this.$.model;
    sel.textContent = '';
    for (const m of this.manifest.models) {
      const option = document.createElement('option');
      option.value = m.id;
      option.textContent = `${m.name} (${m.kind})`;
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
    this._ranges = null;
    const seconds = (this.info.numSteps / this.info.stepsPerQuarter) * (60 / this.qpm);
    this.$.modelDesc.textContent = `${entry.description || entry.name} — ${this.info.numSteps / this.info.stepsPerBar} bars, ` +
      `z ${this.info.zSize}, ${this.info.hasEncoder ? 'encoder' : 'no encoder yet (decoder only)'}`;
    this.$.encodeHint.textContent = this.info.hasEncoder
      ? 'Drop a .mid file on a corner (or anywhere on the grid), or use “Load .mid…”, to start from your own music.'
      : 'This model has no trained encoder yet: it cannot start from your MIDI files. Corners are random samples.';
    this.dispatchEvent(new CustomEvent('modelchange', { detail: { model: entry, info: this.info, seconds } }));
    await this.resample(this._seed ?? this.seed ?? undefined);
  }

  _setBusy(busy) {
    this.$.grid.setAttribute('aria-busy', String(busy));
    for (const b of [this.$.resample, this.$.similar, this.$.export, this.$.exportGrid]) b.disabled = busy && !this.current;
  }

  // ---- corners --------------------------------------------------------------------------------

  _buildCorners() {
    const list = this.$.corners;
    CORNER_NAMES.forEach((name, k) => {
      const li = document.createElement('li');
      li.className = 'corner';
      li.dataset.corner = String(k);
      li.innerHTML = `<span class="badge" style="background:${CORNER_COLORS[k]}">${name}</span>
        <span class="src">…</span>
        <button type="button" class="corner-new" aria-label="New random sequence for corner ${name}">New</button>
        <button type="button" class="corner-load" aria-label="Load a MIDI file into corner ${name}">Load .mid…</button>`;
      li.querySelector('.corner-new').addEventListener('click', () => this.randomCorner(k));
      li.querySelector('.corner-load').addEventListener('click', () => {
        this._fileCorner = k;
        this.$.file.value = '';
        this.$.file.click();
      });
      list.append(li);
    });
    this.$.file.addEventListener('change', () => {
      const file = this.$.file.files && this.$.file.files[0];
      if (file) this.loadMidi(file, this._fileCorner || 0);
    });
  }

  _updateCornerLabels() {
    this.$.corners.querySelectorAll('.corner').forEach((li, k) => {
      const c = this.corners[k];
      const src = li.querySelector('.src');
      src.textContent = c ? c.label : '…';
      src.title = c ? c.title || c.label : '';
    });
  }

  /** New random corners (all four) from `seed` (a random one if none); redraws the grid. */
  async resample(seed) {
    if (!this._model) return;
    this._seed = seed === undefined || seed === null ? randomSeed() : seed >>> 0;
    this.$.seed.value = String(this._seed);
    const gen = ++this._gen;
    this._status('Sampling…');
    try {
      const z = await this._model.sampleLatents(4, this._seed);
      if (gen !== this._gen) return;
      this.corners = z.map((zk, k) => ({ z: zk, label: 'random sample', title: `random sample ${k + 1} of seed ${this._seed}` }));
      this._updateCornerLabels();
      await this._recomputeGrid();
    } catch (e) {
      if (gen === this._gen) this._error(`Sampling failed: ${e.message}`);
    }
  }

  /** A new random sequence for corner k only. */
  async randomCorner(k) {
    if (!this._model || !this.corners.length) return;
    const seed = randomSeed();
    try {
      const z = await this._model.sampleLatents(1, seed);
      this.corners[k] = { z: z[0], label: 'random sample', title: `random sample of seed ${seed}` };
      this._updateCornerLabels();
      await this._recomputeGrid();
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
      const origin = base.original ? { original: base.original, label: base.label } : { label: 'the previous pad point' };
      this.corners = [{ z: base.z, ...origin }, ...variations.map((z) => ({ z, label: `similar (${similarity.toFixed(2)})` }))];
      this._uv = [0, 0];
      this._selected = 0;
      this._updateCornerLabels();
      await this._recomputeGrid();
      this._status(`New corners around the sequence you had (similarity ${similarity.toFixed(2)}).`);
    } catch (e) {
      this._error(`“Similar” failed: ${e.message}`);
    }
  }

  // ---- MIDI files -----------------------------------------------------------------------------

  /**
   * Encodes a MIDI file (File, Blob, ArrayBuffer or bytes) into corner k. With a decoder-only model
   * it says clearly that this model cannot encode yet.
   */
  async loadMidi(file, k = 0) {
    if (!this._model) return;
    const name = file && file.name ? file.name : 'the MIDI file';
    this._error('');
    this._status(`Reading ${name}…`);
    let input;
    try {
      const bytes = file instanceof Blob ? new Uint8Array(await file.arrayBuffer())
        : ArrayBuffer.isView(file) ? new Uint8Array(file.buffer, file.byteOffset, file.byteLength) : new Uint8Array(file);
      // Parsed in the model's Worker: a large file does not freeze the page.
      input = await this._model.midi('midiToModelInput', bytes, this.info);
    } catch (e) {
      this._status('');
      this._error(`Cannot use ${name}: ${e.message}.`);
      return;
    }
    let z;
    try {
      [z] = await this._model.encode([input.sequence]);
    } catch (e) {
      this._status('');
      if (e.code === 'NO_ENCODER') {
        this._error(`This model (${this.entry.name}) cannot encode yet: it has no trained encoder, so it ` +
          `cannot start from ${name}. Random corners, the pad, “Similar” and “Resample” still work.`);
      } else {
        this._error(`Cannot encode ${name}: ${e.message}`);
      }
      this.dispatchEvent(new CustomEvent('encodeerror', { detail: { code: e.code, message: e.message } }));
      return;
    }
    const label = `${name}: ${input.description}`;
    this.corners[k] = { z, label, original: input.sequence };
    this._updateCornerLabels();
    this._uv = CORNER_UV[k].slice();
    await this._recomputeGrid();
    this._status(`Encoded ${input.description} from ${name} into corner ${CORNER_NAMES[k]}.`);
    this.dispatchEvent(new CustomEvent('encoded', { detail: { corner: k, file: name, description: input.description } }));
  }

  // ---- the grid -------------------------------------------------------------------------------

  _layoutGrid(recompute = false) {
    const n = this.cols;
    const grid = this.$.grid;
    grid.textContent = '';
    grid.style.gridTemplateColumns = `repeat(${n}, minmax(0, 1fr))`;
    this.cells = [];
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        const i = r * n + c;
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'cell pending';
        button.tabIndex = -1;
        button.dataset.index = String(i);
        button.setAttribute('aria-label', `row ${r + 1}, column ${c + 1}: decoding`);
        const corner = CORNER_UV.findIndex(([u, v]) => u === fraction(c, n) && v === fraction(r, n));
        if (corner >= 0) {
          button.dataset.corner = String(corner);
          const badge = document.createElement('span');
          badge.className = 'badge';
          badge.style.background = CORNER_COLORS[corner];
          badge.textContent = CORNER_NAMES[corner];
          button.append(badge);
        }
        const box = document.createElement('div');
        box.className = 'roll-box';
        const canvas = document.createElement('canvas');
        const playhead = document.createElement('div');
        playhead.className = 'playhead';
        box.append(canvas, playhead);
        button.append(box);
        button.style.borderTopColor = '';
        button.addEventListener('click', () => this.selectCell(i, { toggle: true }));
        grid.append(button);
        this.cells.push({ button, canvas, playhead, box, row: r, col: c, u: fraction(c, n), v: fraction(r, n), z: null, seq: null });
      }
    }
    const sel = this.cells.findIndex((cell) => cell.u === this._uv[0] && cell.v === this._uv[1]);
    this._selected = sel;
    this._focusable(sel >= 0 ? sel : 0);
    if (recompute) this._recomputeGrid();
  }

  _focusable(i) {
    this.cells.forEach((cell, k) => { cell.button.tabIndex = k === i ? 0 : -1; });
  }

  /** Interpolates the corners over the grid and decodes every cell (and the pad's point). */
  async _recomputeGrid() {
    if (!this._model || this.corners.length !== 4) return;
    const n = this.cols;
    if (this.cells.length !== n * n) this._layoutGrid(false);
    const gen = ++this._gen;
    this._setBusy(true);
    this._status('Interpolating…');
    try {
      const zs = await this._model.interpolateLatents(this.corners.map((c) => c.z), [n, n], { method: this.method });
      if (gen !== this._gen) return;
      this.cells.forEach((cell, i) => {
        cell.z = zs[i];
        cell.seq = null;
        cell.button.classList.add('pending');
      });
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
      const corner = cell.button.dataset.corner;
      const original = corner !== undefined && this.corners[corner].original;
      const seq = original || (await this._model.decode([cell.z], temperature, args))[0];
      if (gen !== this._gen) return;
      cell.seq = seq;
      cell.button.classList.remove('pending');
      this._labelCell(i);
      // Drawn at once (pitch ranges of the previous grid); redrawn when all are in.
      if (this._theme) this._drawCell(cell, this._ranges || pitchRanges([seq], this.lanes, this.info));
    });
    const padDone = this._decodePad();
    await Promise.all(pending);
    if (gen !== this._gen) return;
    this._ranges = pitchRanges([...this.sequences, this.current && this.current.seq], this.lanes, this.info);
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
  }

  _labelCell(i) {
    const cell = this.cells[i];
    const corner = cell.button.dataset.corner;
    const where = corner !== undefined ? `corner ${CORNER_NAMES[corner]}` : `row ${cell.row + 1}, column ${cell.col + 1}`;
    cell.button.setAttribute('aria-label', `${where}: ${describeSequence(cell.seq, this.lanes)}`);
    cell.button.title = `${where[0].toUpperCase()}${where.slice(1)}`;
  }

  _drawCells() {
    if (!this.info) return;
    const theme = rollTheme(this);
    this._theme = theme;
    const ranges = this._ranges || pitchRanges(this.sequences, this.lanes, this.info);
    const n = this.cols;
    for (const cell of this.cells) {
      this._drawCell(cell, ranges);
      cell.button.classList.toggle('selected', this.cells.indexOf(cell) === this._selected);
    }
    this.$.grid.style.gridTemplateColumns = `repeat(${n}, minmax(0, 1fr))`;
    this._drawCurrent();
    this._drawPad();
  }

  _drawCell(cell, ranges) {
    fitCanvas(cell.canvas);
    drawRoll(cell.canvas, cell.seq, { info: this.info, lanes: this.lanes, ranges, theme: this._theme });
    // A tint of the corners' colours, as on the pad, marks where each cell sits.
    const w = [(1 - cell.u) * (1 - cell.v), (1 - cell.u) * cell.v, cell.u * (1 - cell.v), cell.u * cell.v];
    cell.button.style.boxShadow = `inset 0 -4px 0 ${mixColor(CORNER_COLORS, w)}`;
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
    if (toggle && this._selected === i && this.transport.playing) {
      this.stop();
      return;
    }
    this._selected = i;
    this._focusable(i);
    this._uv = [cell.u, cell.v];
    const corner = cell.button.dataset.corner;
    const original = corner !== undefined ? this.corners[corner].original : null;
    this._setCurrent({ seq: cell.seq, z: cell.z, u: cell.u, v: cell.v, original, label: original ? this.corners[corner].label : null });
    this.cells.forEach((c, k) => c.button.classList.toggle('selected', k === i));
    if (play) this.play();
  }

  // ---- the pad --------------------------------------------------------------------------------

  // The pad's square is drawn PAD_INSET CSS pixels in from each edge (room for the point and the
  // corner labels); a pointer there maps to 0..1, clamped, and snaps onto a grid cell when close.
  _padPoint(event) {
    const r = this.$.pad.getBoundingClientRect();
    const inset = Math.min(PAD_INSET, r.width / 4);
    const u = (event.clientX - r.left - inset) / Math.max(r.width - 2 * inset, 1);
    const v = (event.clientY - r.top - inset) / Math.max(r.height - 2 * inset, 1);
    const snap = (x) => {
      const n = this.cols - 1;
      const nearest = Math.round(Math.min(Math.max(x, 0), 1) * n) / n;
      return Math.abs(nearest - x) < 0.02 ? nearest : Math.min(Math.max(x, 0), 1);
    };
    return [snap(u), snap(v)];
  }

  /** Moves the pad's point to (u, v) in 0..1 and decodes the sequence there. */
  moveTo(u, v) {
    this._uv = [Math.min(Math.max(u, 0), 1), Math.min(Math.max(v, 0), 1)];
    const i = this.cells.findIndex((c) => Math.abs(c.u - this._uv[0]) < 1e-9 && Math.abs(c.v - this._uv[1]) < 1e-9);
    this._selected = i;
    this.cells.forEach((c, k) => c.button.classList.toggle('selected', k === i));
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
        const cornerIndex = CORNER_UV.findIndex(([cu, cv]) => cu === u && cv === v);
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
    this.$.pad.setAttribute('aria-valuenow', String(pct(current.u)));
    this.$.pad.setAttribute('aria-valuetext', `across ${pct(current.u)}%, down ${pct(current.v)}%`);
    this.$.currentDesc.textContent = `Pad ${pct(current.u)}% across, ${pct(current.v)}% down — ${describeSequence(current.seq, this.lanes)}`;
    this.dispatchEvent(new CustomEvent('sequencechange', { detail: { sequence: current.seq, u: current.u, v: current.v } }));
  }

  _drawCurrent() {
    if (!this.info || !this._theme) return;
    fitCanvas(this.$.currentCanvas);
    const ranges = this._ranges || pitchRanges([this.currentSequence], this.lanes, this.info);
    drawRoll(this.$.currentCanvas, this.currentSequence, { info: this.info, lanes: this.lanes, ranges, theme: this._theme, labels: true });
  }

  _drawPad() {
    const canvas = this.$.pad;
    fitCanvas(canvas);
    const g = canvas.getContext('2d');
    const W = canvas.width, H = canvas.height;
    g.clearRect(0, 0, W, H);
    g.fillStyle = (this._theme || rollTheme(this)).background;
    g.fillRect(0, 0, W, H);
    // The corners' colours blended bilinearly: a 2 x 2 image scaled up with smoothing.
    if (!this._padImage) {
      const img = document.createElement('canvas');
      img.width = 2;
      img.height = 2;
      const ig = img.getContext('2d');
      CORNER_UV.forEach(([u, v], k) => {
        ig.fillStyle = CORNER_COLORS[k];
        ig.fillRect(u, v, 1, 1);
      });
      this._padImage = img;
    }
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = 'high';
    g.globalAlpha = 0.55;
    g.drawImage(this._padImage, 0.5, 0.5, 1, 1, 0, 0, W, H);
    g.globalAlpha = 1;
    const dpr = W / Math.max(canvas.clientWidth, 1);
    const inset = Math.min(PAD_INSET, canvas.clientWidth / 4) * dpr;
    g.fillStyle = 'rgba(255,255,255,0.8)';
    for (const cell of this.cells) {
      g.beginPath();
      g.arc(cell.u * (W - 2 * inset) + inset, cell.v * (H - 2 * inset) + inset, 3 * dpr, 0, 2 * Math.PI);
      g.fill();
    }
    g.font = `600 ${13 * dpr}px system-ui, sans-serif`;
    g.textBaseline = 'middle';
    g.textAlign = 'center';
    CORNER_UV.forEach(([u, v], k) => {
      g.fillStyle = CORNER_COLORS[k];
      const x = u ? W - inset : inset, y = v ? H - inset : inset;
      g.beginPath();
      g.arc(x, y, 10 * dpr, 0, 2 * Math.PI);
      g.fill();
      g.fillStyle = '#fff';
      g.fillText(CORNER_NAMES[k], x, y + dpr);
    });
    const [u, v] = this._uv;
    const x = u * (W - 2 * inset) + inset, y = v * (H - 2 * inset) + inset;
    g.lineWidth = 3 * dpr;
    g.strokeStyle = '#fff';
    g.fillStyle = '#1f1b16';
    g.beginPath();
    g.arc(x, y, 9 * dpr, 0, 2 * Math.PI);
    g.fill();
    g.stroke();
  }

  // ---- playback -------------------------------------------------------------------------------

  _outputs() {
    const value = this.$.output.value;
    const out = [];
    if (value === 'synth' || value.startsWith('both:')) {
      const s = synthOutput();
      if (s) out.push(s);
    }
    if (value !== 'synth') {
      const id = value.replace(/^(midi|both):/, '');
      const port = this._midiPorts.find((p) => p.id === id);
      const ctx = audioContext();
      if (port && ctx) out.push(midiOutput(port.port, ctx));
    }
    return out;
  }

  /** Starts looping the current sequence (on a user gesture, the first time: browsers require it). */
  play() {
    if (!this.current) return;
    try {
      if (!this.transport.playing) {
        this.transport.outputs = this._outputs();
        this.transport.start();
      }
    } catch (e) {
      this._error(`Cannot play: ${e.message}`);
      return;
    }
    this._animate();
  }

  stop() {
    this.transport.stop();
  }

  _onTransportState() {
    const playing = this.transport.playing;
    this.$.play.textContent = playing ? '■ Stop' : '▶ Play';
    this.$.play.setAttribute('aria-pressed', String(playing));
    if (!playing) {
      for (const cell of this.cells) cell.box.classList.remove('playing');
      this.$.current.classList.remove('playing');
    }
  }

  _animate() {
    if (this._raf) return;
    const frame = () => {
      this._raf = 0;
      const pos = this.transport.position();
      const cell = this.cells[this._selected];
      for (const c of this.cells) if (c !== cell) c.box.classList.remove('playing');
      if (!this.transport.playing) return;
      if (pos) {
        const f = pos.step / pos.numSteps;
        this.$.current.classList.add('playing');
        this.$.currentPlayhead.style.transform = `translateX(${f * this.$.current.clientWidth}px)`;
        if (cell) {
          cell.box.classList.add('playing');
          cell.playhead.style.transform = `translateX(${f * cell.box.clientWidth}px)`;
        }
      }
      this._raf = requestAnimationFrame(frame);
    };
    this._raf = requestAnimationFrame(frame);
  }

  async _findMidi() {
    const msg = this.$.midiMsg;
    msg.classList.remove('warn');
    if (!midiSupported()) {
      msg.textContent = MIDI_MESSAGES.unsupported;
      msg.classList.add('warn');
      return;
    }
    msg.textContent = 'Asking for MIDI access…';
    let access;
    try {
      access = await requestMidi();
    } catch (e) {
      msg.textContent = e.message;
      msg.classList.add('warn');
      return;
    }
    const refresh = () => {
      this._midiPorts = midiOutputs(access);
      const sel = this.$.output;
      const keep = sel.value;
      sel.textContent = '';
      sel.append(new Option('Built-in synth', 'synth'));
      for (const p of this._midiPorts) {
        sel.append(new Option(`MIDI: ${p.name}`, `midi:${p.id}`));
        sel.append(new Option(`MIDI: ${p.name} + synth`, `both:${p.id}`));
      }
      sel.value = [...sel.options].some((o) => o.value === keep) ? keep : 'synth';
      if (!this._midiPorts.length) {
        msg.textContent = MIDI_MESSAGES.none;
        msg.classList.add('warn');
      } else {
        msg.classList.remove('warn');
        msg.textContent = `${this._midiPorts.length} MIDI output${this._midiPorts.length > 1 ? 's' : ''} found: pick one under “Output”.`;
      }
    };
    refresh();
    if (!this._midiListening) {
      this._midiListening = true;
      access.addEventListener?.('statechange', refresh);
    }
    if (this._midiPorts.length && this.$.output.value === 'synth') {
      this.$.output.value = `midi:${this._midiPorts[0].id}`;
      this._changeOutput();
    }
  }

  _changeOutput() {
    if (this.transport.playing) {
      for (const o of this.transport.outputs) o.allOff();
      this.transport.outputs = this._outputs();
    }
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
        : this._selected >= 0 ? `cell-r${this.cells[this._selected].row + 1}c${this.cells[this._selected].col + 1}`
          : `pad-${Math.round(this._uv[0] * 100)}-${Math.round(this._uv[1] * 100)}`;
      download(bytes, `${id}-seed${this._seed}-${where}.mid`);
      this._status(`Exported ${which === 'grid' ? 'the grid' : 'the current sequence'} as a MIDI file.`);
    } catch (e) {
      this._error(`Export failed: ${e.message}`);
    }
  }

  // ---- controls -------------------------------------------------------------------------------

  _bindControls() {
    const $ = this.$;
    this.transport.addEventListener('statechange', () => this._onTransportState());
    $.model.addEventListener('change', () => this.setAttribute('model', $.model.value));
    $.gridSize.addEventListener('change', () => {
      this._uv = [0, 0];
      this.setAttribute('grid', $.gridSize.value);
    });
    $.interp.forEach((r) => r.addEventListener('change', () => { if (r.checked) this.setAttribute('interpolation', r.value); }));
    $.temperature.addEventListener('input', () => { $.temperatureOut.textContent = Number($.temperature.value).toFixed(2); });
    $.temperature.addEventListener('change', () => this.setAttribute('temperature', $.temperature.value));
    $.seed.addEventListener('change', () => {
      const s = clampNum($.seed.value, 0, 4294967295, NaN);
      if (Number.isFinite(s)) this.resample(Math.floor(s));
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
    $.output.addEventListener('change', () => this._changeOutput());
    $.midi.addEventListener('click', () => this._findMidi());
    $.export.addEventListener('click', () => this.exportMidi('current'));
    $.exportGrid.addEventListener('click', () => this.exportMidi('grid'));

    // Grid keyboard: arrow keys move the focus (one tab stop for the whole grid).
    $.grid.addEventListener('keydown', (e) => {
      const i = Number(e.target.dataset && e.target.dataset.index);
      if (!Number.isInteger(i)) return;
      const n = this.cols;
      let j = i;
      if (e.key === 'ArrowRight') j = Math.min(i + 1, n * n - 1);
      else if (e.key === 'ArrowLeft') j = Math.max(i - 1, 0);
      else if (e.key === 'ArrowDown') j = Math.min(i + n, n * n - 1);
      else if (e.key === 'ArrowUp') j = Math.max(i - n, 0);
      else if (e.key === 'Home') j = i - (i % n);
      else if (e.key === 'End') j = i - (i % n) + n - 1;
      else return;
      e.preventDefault();
      this._focusable(j);
      this.cells[j].button.focus();
    });

    // The pad: pointer events (mouse, pen, touch), and the keyboard.
    const pad = $.pad;
    pad.addEventListener('pointerdown', (e) => {
      if (!this.corners.length) return;
      e.preventDefault();
      pad.focus();
      pad.setPointerCapture(e.pointerId);
      this._dragging = e.pointerId;
      this.moveTo(...this._padPoint(e));
      this.play();
    });
    pad.addEventListener('pointermove', (e) => {
      if (this._dragging !== e.pointerId) return;
      this.moveTo(...this._padPoint(e));
    });
    const end = (e) => {
      if (this._dragging === e.pointerId) this._dragging = null;
    };
    pad.addEventListener('pointerup', end);
    pad.addEventListener('pointercancel', end);
    pad.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? 1 / Math.max(this.cols - 1, 1) : 0.05;
      const [u, v] = this._uv;
      const moves = { ArrowLeft: [u - step, v], ArrowRight: [u + step, v], ArrowUp: [u, v - step], ArrowDown: [u, v + step], Home: [0, 0], End: [1, 1] };
      if (moves[e.key]) {
        e.preventDefault();
        this.moveTo(...moves[e.key]);
      } else if (e.key === ' ' || e.key === 'Enter') {
        e.preventDefault();
        if (this.transport.playing) this.stop();
        else this.play();
      }
    });

    // Dropping MIDI files: on a corner (its cell or its row below the grid), else the next corner.
    const cornerOf = (e) => {
      for (const el of e.composedPath()) {
        if (el && el.dataset && el.dataset.corner !== undefined) return Number(el.dataset.corner);
        if (el === this) break;
      }
      return null;
    };
    let lastTarget = null;
    const mark = (target) => {
      if (lastTarget) lastTarget.classList.remove('drop-target');
      lastTarget = target;
      if (target) target.classList.add('drop-target');
    };
    this.addEventListener('dragover', (e) => {
      if (!e.dataTransfer || ![...e.dataTransfer.types].includes('Files')) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      $.app.classList.add('dropping');
      const k = cornerOf(e);
      mark(k === null ? null : e.composedPath().find((el) => el.dataset && el.dataset.corner !== undefined));
    });
    this.addEventListener('dragleave', (e) => {
      if (e.relatedTarget && this.contains(e.relatedTarget)) return;
      $.app.classList.remove('dropping');
      mark(null);
    });
    this.addEventListener('drop', (e) => {
      e.preventDefault();
      $.app.classList.remove('dropping');
      mark(null);
      const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
      if (!file) return;
      let k = cornerOf(e);
      if (k === null) {
        k = this._nextDropCorner;
        this._nextDropCorner = (k + 1) % 4;
      }
      this.loadMidi(file, k);
    });
    this._layoutGrid(false);
  }
}

if (!customElements.get('musicvae-explorer')) customElements.define('musicvae-explorer', MusicVAEExplorer);
