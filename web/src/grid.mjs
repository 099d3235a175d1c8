// The explorer's grid: n x n cells, each a button with a small piano roll of its sequence, the corner
// cells badged A-D, a tint of the corners' colours marking where each cell sits. One tab stop for the
// whole grid; arrow keys, Home and End move the focus. The cells' latent vectors and sequences are
// set by the element (explorer.mjs), which owns the model.
import { CORNER_COLORS, CORNER_NAMES, cornerAt } from './explorer_template.mjs';
import { fraction } from './latent.mjs';
import { describeSequence, drawRoll, fitCanvas, pitchRanges } from './roll.mjs';

function mixColor(colors, weights) {
  const rgb = [0, 0, 0];
  colors.forEach((c, k) => {
    for (let i = 0; i < 3; i++) rgb[i] += Number.parseInt(c.slice(1 + 2 * i, 3 + 2 * i), 16) * weights[k];
  });
  return `rgb(${rgb.map((x) => Math.round(x)).join(',')})`;
}

export class ExplorerGrid {
  /**
   * @param container the grid element
   * @param onSelect(i) a cell was clicked
   */
  constructor(container, { onSelect }) {
    this.container = container;
    this.onSelect = onSelect;
    /** [{button, canvas, playhead, box, row, col, u, v, z, seq}], row by row. */
    this.cells = [];
    /** The selected cell's index (-1: the pad is between cells). */
    this.selected = 0;
    container.addEventListener('keydown', (e) => this._onKey(e));
  }

  get size() {
    return Math.round(Math.sqrt(this.cells.length));
  }

  /** New n x n cells (no latent vectors yet); the cell at (u, v) is selected, if there is one. */
  layout(n, [u0, v0]) {
    const grid = this.container;
    grid.textContent = '';
    grid.style.gridTemplateColumns = `repeat(${n}, minmax(0, 1fr))`;
    this.cells = [];
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) this.cells.push(this._cell(r, c, n));
    }
    const sel = this.cells.findIndex((cell) => cell.u === u0 && cell.v === v0);
    this.selected = sel;
    this.focusable(sel >= 0 ? sel : 0);
  }

  _cell(r, c, n) {
    const i = r * n + c;
    const u = fraction(c, n), v = fraction(r, n);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'cell pending';
    button.tabIndex = -1;
    button.dataset.index = String(i);
    button.setAttribute('aria-label', `row ${r + 1}, column ${c + 1}: decoding`);
    const corner = cornerAt(u, v);
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
    button.addEventListener('click', () => this.onSelect(i));
    this.container.append(button);
    return { button, canvas, playhead, box, row: r, col: c, u, v, z: null, seq: null };
  }

  /** The corner (0..3) a cell shows, or -1. */
  cornerOf(cell) {
    return cell.button.dataset.corner === undefined ? -1 : Number(cell.button.dataset.corner);
  }

  /** The index of the cell at (u, v) (within 1e-9), or -1. */
  indexAt(u, v) {
    return this.cells.findIndex((c) => Math.abs(c.u - u) < 1e-9 && Math.abs(c.v - v) < 1e-9);
  }

  focusable(i) {
    this.cells.forEach((cell, k) => { cell.button.tabIndex = k === i ? 0 : -1; });
  }

  /** Marks cell i selected (-1: none). */
  select(i) {
    this.selected = i;
    this.cells.forEach((c, k) => c.button.classList.toggle('selected', k === i));
  }

  /** New latent vectors for every cell; their sequences are pending until setSequence. */
  setLatents(zs) {
    this.cells.forEach((cell, i) => {
      cell.z = zs[i];
      cell.seq = null;
      cell.button.classList.add('pending');
    });
  }

  setSequence(i, seq, lanes) {
    const cell = this.cells[i];
    cell.seq = seq;
    cell.button.classList.remove('pending');
    const corner = this.cornerOf(cell);
    const where = corner >= 0 ? `corner ${CORNER_NAMES[corner]}` : `row ${cell.row + 1}, column ${cell.col + 1}`;
    cell.button.setAttribute('aria-label', `${where}: ${describeSequence(seq, lanes)}`);
    cell.button.title = `${where[0].toUpperCase()}${where.slice(1)}`;
  }

  /** Draws every cell. roll: {info, lanes, theme} as drawRoll takes them (each cell its own pitch range). */
  draw(roll) {
    for (const cell of this.cells) {
      this.drawCell(cell, roll);
      cell.button.classList.toggle('selected', this.cells.indexOf(cell) === this.selected);
    }
    this.container.style.gridTemplateColumns = `repeat(${this.size}, minmax(0, 1fr))`;
  }

  drawCell(cell, roll) {
    fitCanvas(cell.canvas);
    // Each cell in its own pitch range: one wide cell does not squash the others.
    drawRoll(cell.canvas, cell.seq, { ...roll, ranges: pitchRanges([cell.seq], roll.lanes, roll.info) });
    // A tint of the corners' colours, as on the pad, marks where each cell sits.
    const w = [(1 - cell.u) * (1 - cell.v), (1 - cell.u) * cell.v, cell.u * (1 - cell.v), cell.u * cell.v];
    cell.button.style.boxShadow = `inset 0 -4px 0 ${mixColor(CORNER_COLORS, w)}`;
  }

  /** Moves the playhead of the selected cell to fraction f of its length; other cells stop showing one. */
  showPlayhead(f) {
    const cell = this.cells[this.selected];
    for (const c of this.cells) if (c !== cell) c.box.classList.remove('playing');
    if (cell && f !== null) {
      cell.box.classList.add('playing');
      cell.playhead.style.transform = `translateX(${f * cell.box.clientWidth}px)`;
    }
  }

  _onKey(e) {
    const i = Number(e.target.dataset && e.target.dataset.index);
    if (!Number.isInteger(i)) return;
    const n = this.size;
    let j = i;
    if (e.key === 'ArrowRight') j = Math.min(i + 1, n * n - 1);
    else if (e.key === 'ArrowLeft') j = Math.max(i - 1, 0);
    else if (e.key === 'ArrowDown') j = Math.min(i + n, n * n - 1);
    else if (e.key === 'ArrowUp') j = Math.max(i - n, 0);
    else if (e.key === 'Home') j = i - (i % n);
    else if (e.key === 'End') j = i - (i % n) + n - 1;
    else return;
    e.preventDefault();
    this.focusable(j);
    this.cells[j].button.focus();
  }
}
