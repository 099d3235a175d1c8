// The explorer's corners (a part of <musicvae-explorer>, explorer.mjs): where the four corners'
// music comes from (a seed's samples, "New", "More like this", MIDI files, the bars of a file),
// undo / redo of them, and what a link holds (share.mjs). A mixin: its methods run on the element.
import { CORNER_NAMES, CORNER_UV } from './explorer_template.mjs';
import { randomSeed } from './latent.mjs';
import { cornersAreSeeds, cornersSpec } from './share.mjs';

/** A number from an attribute or a control, clamped to [lo, hi] (fallback when not a number). */
export function clampNum(value, lo, hi, fallback) {
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? Math.min(Math.max(n, lo), hi) : fallback;
}

export const CornersMixin = (Base) => class extends Base {
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
      const { z: variations } = await this._model.similarTokens(base.z, 3, similarity, 0, { seed: randomSeed(), ...this._modelControls() });
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
    let z, fileChords;
    try {
      this._status(`Encoding ${name}…`);
      // A chord model hears the file over the chords of its own accompaniment (explorer_chords.mjs).
      fileChords = await this._chordsOfFile(input);
      // Refined: mu, then gradient steps on z through the decoder, so that melodies unlike the
      // encoder's training data come back as they are (a fixed step count: same file, same z).
      // (The engine refines only models without controls; a chord model encodes with its chords.)
      [z] = await this._model.encode([input.sequence], fileChords ? { chordProgression: fileChords.chords } : this._fileEncodeArgs());
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
    if (fileChords) this._useFileChords(fileChords);
    const tracks = input.description.replace(/^bars? [\d–]+ of /, '');
    this.corners[k] = {
      z, label: `${name} — ${tracks}, ${input.description.match(/^bars? [\d–]+/)[0]}`, original: input.sequence,
      source: { file: { name, bytes, bar: input.bar, bars } },
    };
    this._uv = CORNER_UV[k].slice();
    await this._cornersChanged();
    this._status(`Encoded ${input.description} from ${name} into corner ${CORNER_NAMES[k]}${this._fileChordsWords(fileChords)}.`);
    this.dispatchEvent(new CustomEvent('encoded', { detail: { corner: k, file: name, description: input.description } }));
  }

  // A chord model's chords for a file (explorer_chords.mjs); other models: none.
  async _chordsOfFile() {
    return null;
  }

  _useFileChords() {}

  _fileChordsWords() {
    return '';
  }

  // How a file is encoded: refined, or with a model's controls (a GrooVAE model: explorer_groove.mjs).
  _fileEncodeArgs() {
    const controls = this._modelControls();
    return Object.keys(controls).length ? controls : { refine: true };
  }

  /** Corner k's file again, from another bar. */
  _chooseBar(k, bar) {
    const c = this.corners[k];
    if (!c || !c.source || !c.source.file) return;
    this.loadMidi(c.source.file.bytes, k, { bar, name: c.source.file.name });
  }
};
