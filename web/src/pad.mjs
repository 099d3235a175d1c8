// The explorer's latent pad: a square canvas spanning the four corners (their colours blended), the
// grid's cells as dots, and the point being played. Pointer (mouse, pen, touch) and keyboard move the
// point; what is decoded there is the element's business (explorer.mjs, through onMove).
import { CORNER_COLORS, CORNER_NAMES, CORNER_UV } from './explorer_template.mjs';
import { fitCanvas } from './roll.mjs';

// The pad's square is drawn PAD_INSET CSS pixels in from each edge (room for the point and the
// corner labels).
const PAD_INSET = 12;

export class LatentPad {
  /**
   * @param canvas the pad's canvas
   * @param options {point(): [u, v] now, cols(): the grid's side, enabled(): whether there is music to
   *   move through, onMove(u, v), onPress() (a pointer went down), onTogglePlay() (Space, Enter)}
   */
  constructor(canvas, options) {
    this.canvas = canvas;
    this.options = options;
    this._dragging = null;
    this._image = null;
    this._bind();
  }

  // A pointer maps to 0..1, clamped, and snaps onto a grid cell when close.
  pointOf(event) {
    const r = this.canvas.getBoundingClientRect();
    const inset = Math.min(PAD_INSET, r.width / 4);
    const u = (event.clientX - r.left - inset) / Math.max(r.width - 2 * inset, 1);
    const v = (event.clientY - r.top - inset) / Math.max(r.height - 2 * inset, 1);
    const snap = (x) => {
      const n = this.options.cols() - 1;
      const nearest = Math.round(Math.min(Math.max(x, 0), 1) * n) / n;
      return Math.abs(nearest - x) < 0.02 ? nearest : Math.min(Math.max(x, 0), 1);
    };
    return [snap(u), snap(v)];
  }

  _bind() {
    const pad = this.canvas;
    const { onMove } = this.options;
    pad.addEventListener('pointerdown', (e) => {
      if (!this.options.enabled()) return;
      e.preventDefault();
      pad.focus();
      pad.setPointerCapture(e.pointerId);
      this._dragging = e.pointerId;
      onMove(...this.pointOf(e));
      this.options.onPress();
    });
    pad.addEventListener('pointermove', (e) => {
      if (this._dragging !== e.pointerId) return;
      onMove(...this.pointOf(e));
    });
    const end = (e) => {
      if (this._dragging === e.pointerId) this._dragging = null;
    };
    pad.addEventListener('pointerup', end);
    pad.addEventListener('pointercancel', end);
    pad.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? 1 / Math.max(this.options.cols() - 1, 1) : 0.05;
      const [u, v] = this.options.point();
      const moves = { ArrowLeft: [u - step, v], ArrowRight: [u + step, v], ArrowUp: [u, v - step], ArrowDown: [u, v + step], Home: [0, 0], End: [1, 1] };
      if (moves[e.key]) {
        e.preventDefault();
        onMove(...moves[e.key]);
      } else if (e.key === ' ' || e.key === 'Enter') {
        e.preventDefault();
        this.options.onTogglePlay();
      }
    });
  }

  /** The point's position for assistive technology. */
  describe(u, v) {
    const pct = (x) => Math.round(x * 100);
    this.canvas.setAttribute('aria-valuenow', String(pct(u)));
    this.canvas.setAttribute('aria-valuetext', `across ${pct(u)}%, down ${pct(v)}%`);
  }

  /** Draws the pad: corners, the cells (positions {u, v}) as dots, the point [u, v]. */
  draw([u, v], cells, background) {
    const canvas = this.canvas;
    fitCanvas(canvas);
    const g = canvas.getContext('2d');
    const W = canvas.width, H = canvas.height;
    g.clearRect(0, 0, W, H);
    g.fillStyle = background;
    g.fillRect(0, 0, W, H);
    // The corners' colours blended bilinearly: a 2 x 2 image scaled up with smoothing.
    if (!this._image) {
      const img = document.createElement('canvas');
      img.width = 2;
      img.height = 2;
      const ig = img.getContext('2d');
      CORNER_UV.forEach(([cu, cv], k) => {
        ig.fillStyle = CORNER_COLORS[k];
        ig.fillRect(cu, cv, 1, 1);
      });
      this._image = img;
    }
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = 'high';
    g.globalAlpha = 0.55;
    g.drawImage(this._image, 0.5, 0.5, 1, 1, 0, 0, W, H);
    g.globalAlpha = 1;
    const dpr = W / Math.max(canvas.clientWidth, 1);
    const inset = Math.min(PAD_INSET, canvas.clientWidth / 4) * dpr;
    g.fillStyle = 'rgba(255,255,255,0.8)';
    for (const cell of cells) {
      g.beginPath();
      g.arc(cell.u * (W - 2 * inset) + inset, cell.v * (H - 2 * inset) + inset, 3 * dpr, 0, 2 * Math.PI);
      g.fill();
    }
    g.font = `600 ${13 * dpr}px system-ui, sans-serif`;
    g.textBaseline = 'middle';
    g.textAlign = 'center';
    CORNER_UV.forEach(([cu, cv], k) => {
      g.fillStyle = CORNER_COLORS[k];
      const x = cu ? W - inset : inset, y = cv ? H - inset : inset;
      g.beginPath();
      g.arc(x, y, 10 * dpr, 0, 2 * Math.PI);
      g.fill();
      g.fillStyle = '#fff';
      g.fillText(CORNER_NAMES[k], x, y + dpr);
    });
    const x = u * (W - 2 * inset) + inset, y = v * (H - 2 * inset) + inset;
    g.lineWidth = 3 * dpr;
    g.strokeStyle = '#fff';
    g.fillStyle = '#1f1b16';
    g.beginPath();
    g.arc(x, y, 9 * dpr, 0, 2 * Math.PI);
    g.fill();
    g.stroke();
  }
}
