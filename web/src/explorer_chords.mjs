// The explorer's chords (a part of <musicvae-explorer>, explorer.mjs), for a model whose file says
// it is chord-conditioned (info.chordEncoding): the "Chords" box and its ready-made progressions,
// the chord names above the playing roll, the soft accompaniment ("Play chords"), the chord track
// of an exported file, the progression in the link and in undo, and a dropped file's own chords
// (inferred from its accompaniment by the engine: MusicVAE.inferChordProgression). Every decode,
// encode and "More like this" takes the progression (_modelControls). The engine checks each progression
// (MusicVAE.chordProgressionInfo: the parser decode() uses): a bad symbol shows the parser's message
// by the box, and nothing else changes. A mixin: its methods run on the element.
import { PRESETS, chordNotes, chordSpans, chordTrackName, chordsText, spreadWords, splitChords, withChords } from './chords.mjs';

export const CHORDS_TEMPLATE = `
  <div class="chords-row" hidden>
    <label class="field">Chords <input class="chords-input" type="text" spellcheck="false" autocomplete="off" autocapitalize="off"
      enterkeyhint="done" aria-describedby="chords-msg"></label>
    <select class="chords-preset" aria-label="Ready-made chords"></select>
    <label class="check"><input class="play-chords" type="checkbox" checked> Play chords</label>
    <span class="chords-msg" id="chords-msg" role="status" aria-live="polite"></span>
  </div>
  <div class="chord-strip" hidden aria-hidden="true"><div class="chord-names"></div></div>`;

export const CHORDS_CSS = `
.chords-row { display: flex; align-items: center; gap: 0.2rem 0.7rem; margin: 0.2rem 0 0; }
.chords-preset { width: 10rem; flex: none; }
.chords-row .check { flex: none; }
.chords-row[hidden], .chord-strip[hidden] { display: none; }
.chords-input { width: 11rem; min-height: 44px; font: inherit; padding: 0 0.5rem; box-sizing: border-box;
  border: 1px solid var(--mv-border); border-radius: 0.4rem; background: var(--mv-bg, transparent); color: inherit; }
.chords-input[aria-invalid="true"] { border-color: var(--mv-error); outline: 1px solid var(--mv-error); }
.chords-msg { flex: 1 1 6rem; font-size: 0.85em; line-height: 1.15; color: var(--mv-muted); min-width: 0; max-height: 44px; overflow: hidden; }
.chords-msg.bad { color: var(--mv-error); font-weight: 600; }
.chord-strip { height: 1.3rem; position: relative; font-size: 0.85em; font-weight: 600; }
.chord-names { position: absolute; top: 0; bottom: 0; right: 0; }
.chord-names span { position: absolute; top: 0; white-space: nowrap; padding-left: 0.25rem; border-left: 2px solid var(--mv-accent); }
/* A phone: the row wraps (the message under the box) rather than running off the screen. */
@container (max-width: 600px) { .chords-row { flex-wrap: wrap; } .chords-msg { flex-basis: 100%; } }
/* The chords' row and names above the roll: the grid leaves room for them. */
.app.has-chords { --mv-grid-room: 23.5rem; }
@media (max-aspect-ratio: 1/1) { .app.has-chords { --mv-grid-room: 31rem; } }`;

const sameChords = (a, b) => !!a && !!b && a.length === b.length && a.every((c, i) => c === b[i]);

export const ChordsMixin = (Base) => class extends Base {
  /** The progression every decode, encode and "More like this" uses (null: not a chord model). */
  get chordProgression() {
    return this._chords ? this._chords.slice() : null;
  }

  // What a model with controls needs on every decode and encode: the chord model, its progression.
  _modelControls() {
    if (!this.info || !this.info.chordEncoding || !this._chords) return {};
    return { chordProgression: this._chords.slice() };
  }

  _bindChords() {
    const root = this.shadowRoot;
    const $ = (s) => root.querySelector(s);
    this.$chords = {
      row: $('.chords-row'), input: $('.chords-input'), preset: $('.chords-preset'), play: $('.play-chords'),
      msg: $('.chords-msg'), strip: $('.chord-strip'), names: $('.chord-names'),
    };
    const c = this.$chords;
    c.preset.append(new Option('Ready-made…', ''));
    for (const p of PRESETS) c.preset.append(new Option(`${p.name} (${chordsText(p.chords)})`, chordsText(p.chords, ',')));
    c.preset.addEventListener('change', () => {
      if (!c.preset.value) return;
      c.input.value = chordsText(c.preset.value.split(','));
      this.setAttribute('chords', c.preset.value);
      c.preset.value = '';
    });
    // (Leaving the box fires "change" too: only a progression other than the one playing is new.)
    const entered = () => {
      const text = c.input.value.trim();
      if (this._chords && text === chordsText(this._chords)) this._chordMessage('');
      else this.setAttribute('chords', text);
    };
    c.input.addEventListener('change', entered);
    c.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        if (c.input.value.trim() === this.getAttribute('chords')) this._applyChords(c.input.value);
        else entered();
      }
    });
    c.play.addEventListener('change', () => {
      if (this.current) this.transport.sequence = this._playedSequence(this.current.seq);
    });
  }

  // A new model: its progression is the page's (the chords attribute) when the engine takes it,
  // else the model's own (its models.json entry), else C. Before the model's first decode.
  async _chordsForModel() {
    const c = this.$chords;
    this._chords = null;
    this._chordInfo = null;
    this._chordNotes = [];
    const chordModel = !!(this.info && this.info.chordEncoding);
    c.row.hidden = !chordModel;
    c.strip.hidden = !chordModel;
    this.$.app.classList.toggle('has-chords', chordModel);
    if (!chordModel) return;
    const model = this._model;
    const fallback = (this.entry && this.entry.chords) || ['C'];
    let message = '';
    let chords = fallback;
    let info = null;
    const asked = this.getAttribute('chords');
    if (asked) {
      try {
        chords = splitChords(asked);
        info = await model.chordProgressionInfo(chords);
      } catch (e) {
        message = e.message;
        chords = fallback;
      }
    }
    if (!info) {
      try {
        info = await model.chordProgressionInfo(chords);
      } catch (e) {
        // (a models.json entry's chords the engine refuses: C, and the message by the box)
        message = e.message;
        chords = ['C'];
        info = await model.chordProgressionInfo(chords);
      }
    }
    if (model !== this._model) return;
    this._setChords(chords, info);
    c.input.value = message && asked ? asked : chordsText(chords);
    this._chordMessage(message);
  }

  // The chords attribute changed (the box, a preset, a link): checked by the engine, then every
  // cell decoded again over them (the corners stay; this is one step of undo).
  async _applyChords(text) {
    if (!this._model || !this._chords || this._reflectingChords) return;
    const model = this._model;
    let chords, info;
    try {
      chords = splitChords(text);
      info = await model.chordProgressionInfo(chords);
    } catch (e) {
      if (model === this._model) this._chordMessage(e.message);
      return;
    }
    if (model !== this._model) return;
    this.$chords.input.value = chordsText(chords);
    this._chordMessage('');
    if (sameChords(chords, this._chords)) return;
    this._remember();
    this._setChords(chords, info);
    await this._redecode();
  }

  _setChords(chords, info) {
    this._chords = chords.slice();
    this._chordInfo = info;
    this._chordNotes = chordNotes(info);
    this._drawChordNames();
    // The attribute says what plays (after an undo, or a link's bad progression, too).
    const text = chordsText(chords, ',');
    if (this.getAttribute('chords') !== text) {
      this._reflectingChords = true;
      this.setAttribute('chords', text);
      this._reflectingChords = false;
    }
  }

  // By the box: the engine's message for a bad progression (the box marked), else how it spreads.
  _chordMessage(message) {
    const c = this.$chords;
    c.input.setAttribute('aria-invalid', String(!!message));
    c.msg.classList.toggle('bad', !!message);
    c.msg.textContent = message || (this._chords && this.info
      ? spreadWords(this._chords.length, this.info.numSteps, this.info.stepsPerBar) : '');
    if (message) this.dispatchEvent(new CustomEvent('chordserror', { detail: { message } }));
  }

  // The chord names above the playing roll, each where its chord starts (after the roll's axis).
  _drawChordNames() {
    const c = this.$chords;
    if (!c || !this._chordInfo) return;
    const numSteps = this._chordInfo.stepChord.length;
    c.names.style.left = `${Number(this.$.currentCanvas.dataset.gutter) || 0}px`;
    c.names.textContent = '';
    for (const span of chordSpans(this._chordInfo)) {
      const name = document.createElement('span');
      name.textContent = span.symbol;
      name.style.left = `${(100 * span.start) / numSteps}%`;
      c.names.append(name);
    }
  }

  /** What the transport plays for `seq`: with the chords when "Play chords" is on. */
  _playedSequence(seq) {
    return this._chords && this.$chords.play.checked ? withChords(seq, this._chordNotes) : seq;
  }

  /** What an exported file holds for `seq`: the melody, and the chords as a track of their own. */
  _exportedSequence(seq) {
    return this._chords ? withChords(seq, this._chordNotes) : seq;
  }

  get _exportTrackName() {
    return this._chords ? chordTrackName : undefined;
  }

  _setCurrent(current) {
    super._setCurrent(current);
    this.transport.sequence = this._playedSequence(current.seq);
  }

  _drawCurrent() {
    super._drawCurrent();
    this._drawChordNames();
  }

  // A dropped file's chords: its accompaniment's (the engine's inference, half a bar each, as the
  // model's training data was labelled), or null (not a chord model). A file without accompaniment
  // in the window keeps the progression playing ({kept: true}).
  async _chordsOfFile(input) {
    if (!this._chords || !input.accompaniment) return null;
    const model = this._model;
    const chords = await model.inferChordProgression(input.accompaniment);
    if (chords.every((c) => c === 'N.C.')) return { kept: true, chords: this._chords.slice() };
    return { chords, info: await model.chordProgressionInfo(chords) };
  }

  // After the file's corner is remembered for undo: its chords become the grid's.
  _useFileChords(fileChords) {
    if (fileChords.kept) return;
    this._setChords(fileChords.chords, fileChords.info);
    this.$chords.input.value = chordsText(fileChords.chords);
    this._chordMessage('');
  }

  _fileChordsWords(fileChords) {
    if (!fileChords) return '';
    return fileChords.kept ? `, over ${chordsText(this._chords)} (it has no accompaniment there)`
      : `, over its own chords ${chordsText(fileChords.chords)}`;
  }

  // Undo and redo take the chords back too; a link holds them ("C,G,Am,F").
  _snapshot() {
    return { ...super._snapshot(), chords: this._chords, chordInfo: this._chordInfo };
  }

  async _restore(state) {
    if (state && state.chords && this._chords) {
      this._setChords(state.chords, state.chordInfo);
      this.$chords.input.value = chordsText(state.chords);
      this._chordMessage('');
    }
    return super._restore(state);
  }

  get shareState() {
    return { ...super.shareState, chords: this._chords ? chordsText(this._chords, ',') : null };
  }
};
