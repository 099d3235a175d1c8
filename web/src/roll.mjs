// Drawing sequences on a canvas, generically from the model's info: a melody as a piano roll, drums
// as a drum grid (a row per drum class of the engine's map, drums.mjs), a trio as three lanes
// (melody, bass, drums).
import { drumClass, drumClassCount, drumClassName } from './drums.mjs';

/**
 * The lanes a model's sequences are drawn in: [{kind: 'melody' | 'drums', label, weight, select(note)}].
 * From info.converter ('melody', 'drums', 'trio', as MusicVAE.info gives it).
 */
export function lanesFor(info) {
  const converter = info && info.converter;
  if (converter === 'drums' || converter === 'groove') return [{ kind: 'drums', label: 'Drums', weight: 1, select: () => true }];
  if (converter === 'trio') {
    return [
      { kind: 'melody', label: 'Melody', weight: 4, select: (n) => !n.isDrum && (n.instrument || 0) === 0 },
      { kind: 'melody', label: 'Bass', weight: 3, select: (n) => !n.isDrum && n.instrument === 1 },
      { kind: 'drums', label: 'Drums', weight: 3, select: (n) => !!n.isDrum },
    ];
  }
  return [{ kind: 'melody', label: 'Melody', weight: 1, select: (n) => !n.isDrum }];
}

/**
 * Pitch ranges [lo, hi] for each melody lane over several sequences, so that cells drawn with them
 * compare at a glance: the notes' range with a margin, at least an octave, inside the model's range.
 */
export function pitchRanges(sequences, lanes, info) {
  const minPitch = info && Number.isInteger(info.minPitch) ? info.minPitch : 0;
  const maxPitch = info && Number.isInteger(info.maxPitch) ? info.maxPitch : 127;
  return lanes.map((lane) => {
    if (lane.kind !== 'melody') return null;
    let lo = Infinity, hi = -Infinity;
    for (const seq of sequences) {
      if (!seq) continue;
      for (const n of seq.notes) {
        if (!lane.select(n)) continue;
        lo = Math.min(lo, n.pitch);
        hi = Math.max(hi, n.pitch);
      }
    }
    if (lo > hi) {
      lo = 60;
      hi = 72;
    }
    lo -= 2;
    hi += 2;
    while (hi - lo < 12) {
      lo -= 1;
      hi += 1;
    }
    // Keep the range inside the model's (and MIDI's) pitches, shifting rather than shrinking it.
    const floor = Math.max(0, minPitch - 2), ceil = Math.min(127, maxPitch + 2);
    if (lo < floor) { hi += floor - lo; lo = floor; }
    if (hi > ceil) { lo -= hi - ceil; hi = ceil; }
    return [Math.max(floor, lo), Math.min(ceil, hi)];
  });
}

/** Colours from the CSS custom properties of `element` (--mv-roll-*), with light defaults. */
export function rollTheme(element) {
  const style = element ? getComputedStyle(element) : null;
  const get = (name, fallback) => {
    const v = style && style.getPropertyValue(name).trim();
    return v || fallback;
  };
  return {
    background: get('--mv-roll-bg', '#fbfaf7'),
    beat: get('--mv-roll-beat', '#e6e2da'),
    bar: get('--mv-roll-bar', '#b9b2a6'),
    blackKey: get('--mv-roll-black-key', '#f1eee8'),
    separator: get('--mv-roll-separator', '#8f877a'),
    notes: [get('--mv-note-1', '#c2410c'), get('--mv-note-2', '#1d4ed8'), get('--mv-note-3', '#15803d')],
  };
}

const BLACK = [false, true, false, true, false, false, true, false, true, false, true, false];

/**
 * Draws `seq` (a quantized NoteSequence, or null for an empty roll) on `canvas` (its pixel size
 * already set). options: {info (numSteps, stepsPerBar, stepsPerQuarter), lanes, ranges (from
 * pitchRanges), theme (from rollTheme), labels (for large rolls: lane names, and a left axis with
 * note names on melody lanes and drum names on drum rows)}. With labels the notes start after the
 * axis: canvas.dataset.gutter is its width in CSS pixels (the playhead starts there).
 */
export function drawRoll(canvas, seq, { info, lanes, ranges, theme, labels = false }) {
  const g = canvas.getContext('2d');
  const W = canvas.width, H = canvas.height;
  const dpr = W / Math.max(canvas.clientWidth || W, 1);
  g.fillStyle = theme.background;
  g.fillRect(0, 0, W, H);
  const numSteps = (seq && seq.totalQuantizedSteps) || info.numSteps || 32;
  const stepsPerQuarter = info.stepsPerQuarter || 4;
  const stepsPerBar = info.stepsPerBar || stepsPerQuarter * 4;
  const hasDrums = lanes.some((l) => l.kind === 'drums');
  const gutterCss = labels ? (hasDrums ? 84 : 38) : 0;
  const X0 = Math.round(gutterCss * dpr);
  canvas.dataset.gutter = String(gutterCss);
  const axis = []; // the labels drawn, lane by lane (canvas.dataset.axis: for tests and debugging)
  const stepW = (W - X0) / numSteps;
  const font = (px) => `${px * dpr}px system-ui, sans-serif`;
  const totalWeight = lanes.reduce((s, l) => s + l.weight, 0);
  let y0 = 0;
  lanes.forEach((lane, li) => {
    const h = (H * lane.weight) / totalWeight;
    const top = Math.round(y0), bottom = Math.round(y0 + h);
    const laneH = bottom - top;
    const color = theme.notes[li % theme.notes.length];
    if (lane.kind === 'melody') {
      const [lo, hi] = ranges[li];
      const rows = hi - lo + 1;
      const rowH = laneH / rows;
      // Black-key rows shaded, as on a piano roll.
      if (rowH >= 2) {
        g.fillStyle = theme.blackKey;
        for (let p = lo; p <= hi; p++) {
          if (BLACK[p % 12]) g.fillRect(X0, top + (hi - p) * rowH, W - X0, rowH);
        }
      }
      drawGridLines(g, numSteps, stepsPerQuarter, stepsPerBar, stepW, X0, top, laneH, theme);
      if (labels) axis.push(...pitchAxis(g, lo, hi, top, rowH, X0, dpr, theme, font));
      canvas.dataset[`range${li}`] = `${lo}-${hi}`;
      g.fillStyle = color;
      // Thin rows (a wide range in a small cell) still get notes one can see.
      const noteH = Math.min(Math.max(rowH, 3 * dpr, laneH / 30), laneH / 4);
      if (seq) {
        for (const n of seq.notes) {
          if (!lane.select(n) || n.pitch < lo || n.pitch > hi) continue;
          const x = X0 + n.quantizedStartStep * stepW;
          const w = Math.max((n.quantizedEndStep - n.quantizedStartStep) * stepW - Math.min(1, stepW * 0.1), 1);
          const y = top + (hi - n.pitch) * rowH + (rowH - noteH) / 2;
          g.fillRect(x, y, w, noteH);
        }
      }
    } else {
      const rows = Math.max(drumClassCount(), 1);
      const rowH = laneH / rows;
      drawGridLines(g, numSteps, stepsPerQuarter, stepsPerBar, stepW, X0, top, laneH, theme);
      if (labels && rowH >= 7 * dpr) {
        // Drum names, kick at the bottom.
        g.fillStyle = theme.separator;
        g.font = font(Math.min(11, (rowH / dpr) * 0.85));
        g.textBaseline = 'middle';
        g.textAlign = 'right';
        for (let c = 0; c < rows; c++) {
          g.fillText(drumClassName(c), X0 - 4 * dpr, top + (rows - 1 - c + 0.5) * rowH);
          axis.push(drumClassName(c));
        }
        g.textAlign = 'left';
      }
      g.fillStyle = color;
      if (seq) {
        for (const n of seq.notes) {
          if (!lane.select(n)) continue;
          const c = drumClass(n.pitch);
          if (c < 0) continue;
          const inset = Math.min(stepW, rowH) * 0.12;
          // A groove's hit (groove.mjs): at its own time, as strong as it is loud.
          const groove = n.offsetSteps !== undefined;
          g.globalAlpha = groove ? 0.3 + (0.7 * Math.min(n.velocity || 0, 127)) / 127 : 1;
          g.fillRect(X0 + (n.quantizedStartStep + (groove ? n.offsetSteps : 0)) * stepW + inset, top + (rows - 1 - c) * rowH + inset,
            Math.max(stepW - 2 * inset, 1), Math.max(rowH - 2 * inset, 1));
        }
        g.globalAlpha = 1;
      }
    }
    if (li > 0) {
      g.fillStyle = theme.separator;
      g.fillRect(0, top, W, Math.max(1, Math.round(H / 200)));
    }
    if (labels && lanes.length > 1 && laneH > 14 * dpr) {
      // The lane's name, on the axis (never over notes).
      g.fillStyle = theme.separator;
      g.font = `600 ${font(Math.min(11, laneH / dpr / 3))}`;
      g.textBaseline = 'top';
      g.fillText(lane.label, 3 * dpr, top + 3 * dpr);
    }
    y0 += h;
  });
  canvas.dataset.axis = axis.join(' | ');
}

// Note names down the left of a melody lane: every C (C4 is middle C), and, when the rows are tall
// enough, every white key; ticks mark the rows named.
function pitchAxis(g, lo, hi, top, rowH, X0, dpr, theme, font) {
  const every = rowH >= 11 * dpr ? 'white' : 'ceg';
  g.fillStyle = theme.separator;
  g.font = font(10);
  g.textBaseline = 'middle';
  g.textAlign = 'right';
  let lastY = Infinity; // labels at least 11 CSS px apart (every C always)
  const names = [];
  for (let p = lo; p <= hi; p++) {
    const k = p % 12;
    const named = k === 0 || (every === 'ceg' && (k === 4 || k === 7)) || (every === 'white' && !BLACK[k]);
    if (!named) continue;
    const y = top + (hi - p + 0.5) * rowH;
    if (k !== 0 && lastY - y < 11 * dpr) continue;
    lastY = y;
    g.fillText(noteName(p).replace('♯', '#'), X0 - 5 * dpr, y);
    g.fillRect(X0 - 3 * dpr, Math.round(y), 3 * dpr, Math.max(1, Math.round(dpr)));
    names.push(noteName(p));
  }
  g.textAlign = 'left';
  g.fillRect(X0 - 1, top, 1, Math.round(rowH * (hi - lo + 1)));
  return names;
}

function drawGridLines(g, numSteps, stepsPerQuarter, stepsPerBar, stepW, x0, top, h, theme) {
  for (let s = 1; s < numSteps; s++) {
    if (s % stepsPerQuarter) continue;
    g.fillStyle = s % stepsPerBar ? theme.beat : theme.bar;
    g.fillRect(Math.round(x0 + s * stepW), top, 1, h);
  }
}

/** Sizes a canvas to its CSS box at the device pixel ratio; true if the size changed. */
export function fitCanvas(canvas) {
  const dpr = Math.min(globalThis.devicePixelRatio || 1, 3);
  const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
  const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
  if (canvas.width === w && canvas.height === h) return false;
  canvas.width = w;
  canvas.height = h;
  return true;
}

/** A short text description of a sequence, for screen readers and titles. */
export function describeSequence(seq, lanes) {
  if (!seq) return 'empty';
  const parts = lanes.map((lane) => {
    const notes = seq.notes.filter(lane.select);
    if (lane.kind === 'drums') return `${lane.label.toLowerCase()}: ${notes.length} hits`;
    if (notes.length === 0) return `${lane.label.toLowerCase()}: silent`;
    const names = notes.slice(0, 6).map((n) => noteName(n.pitch)).join(' ');
    return `${lane.label.toLowerCase()}: ${notes.length} notes (${names}${notes.length > 6 ? ' …' : ''})`;
  });
  return parts.join('; ');
}

const NAMES = ['C', 'C♯', 'D', 'D♯', 'E', 'F', 'F♯', 'G', 'G♯', 'A', 'A♯', 'B'];
export function noteName(pitch) {
  return `${NAMES[pitch % 12]}${Math.floor(pitch / 12) - 1}`;
}
