// The explorer's decoding and drawing (a part of <musicvae-explorer>, explorer.mjs): the grid's
// latent vectors (the engine's interpolation), each cell decoded and drawn (grid.mjs, roll.mjs), the
// pad's point decoded as it moves (latest point first, never a queue), the playing roll. A mixin:
// its methods run on the element.
import { cornerAt } from './explorer_template.mjs';
import { describeSequence, drawRoll, fitCanvas, pitchRanges, rollTheme } from './roll.mjs';

export const DecodingMixin = (Base) => class extends Base {
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
    return [this.temperature, { seed: this._seed || 0, ...this._modelControls() }];
  }

  // The whole grid is one batched decode: cell i is row i of the batch, and every row samples from
  // its own random stream (the seed's row i), so a cell's music does not depend on what else is
  // decoded, and the pad on cell i plays exactly that cell ({firstRow: i}, _padLoop).
  async _decodeCells(gen) {
    const [temperature, args] = this._decodeOptions();
    const t0 = performance.now();
    const n = this.cols;
    const decoded = await this._model.decode(this.cells.map((cell) => cell.z), temperature, args);
    if (gen !== this._gen) return;
    this.cells.forEach((cell, i) => {
      const corner = this.grid.cornerOf(cell);
      const original = corner >= 0 && this.corners[corner].original;
      this.grid.setSequence(i, original || decoded[i], this.lanes);
    });
    const padDone = this._decodePad();
    this._drawCells();
    await padDone;
    if (gen !== this._gen) return;
    this._setBusy(false);
    const ms = performance.now() - t0;
    this._status(`${n} × ${n} grid decoded in ${Math.round(ms)} ms. Tap a square, or drag on the mixing pad, to listen.`);
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
        const cellIndex = this.cells.findIndex((c) => c.z && c.u === u && c.v === v);
        const cell = cellIndex >= 0 ? this.cells[cellIndex] : null;
        const [temperature, args] = this._decodeOptions();
        let seq, z;
        try {
          z = cell ? cell.z : await this._model.latentAt(this.corners.map((c) => c.z), u, v, { method: this.method });
          // On cell i, row i of the grid's batch (the same music); elsewhere row 0.
          seq = original || (await this._model.decode([z], temperature, { ...args, firstRow: Math.max(cellIndex, 0) }))[0];
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
};
