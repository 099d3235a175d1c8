// The explorer's corner list (A-D below the grid: where each corner's music comes from, "New",
// "Load .mid…") and MIDI files arriving into corners: the file picker, and drag and drop onto a
// corner (its grid cell or its row in the list) or anywhere else (the next corner in turn).
import { CORNER_COLORS, CORNER_NAMES } from './explorer_template.mjs';

export class CornerList {
  /**
   * @param list the <ol> of corners
   * @param fileInput the hidden <input type=file>
   * @param options {onNew(k), onFile(file, k), onBar(k, bar) (a file's corner starts at another bar)}
   */
  constructor(list, fileInput, { onNew, onFile, onBar }) {
    this.list = list;
    let fileCorner = 0;
    CORNER_NAMES.forEach((name, k) => {
      const li = document.createElement('li');
      li.className = 'corner';
      li.dataset.corner = String(k);
      li.innerHTML = `<span class="badge" style="background:${CORNER_COLORS[k]}">${name}</span>
        <span class="src">…</span>
        <button type="button" class="corner-new" aria-label="New random sequence for corner ${name}">New</button>
        <button type="button" class="corner-load" aria-label="Load a MIDI file into corner ${name}">Load .mid…</button>
        <label class="field corner-bars" hidden>From <select class="corner-bar" aria-label="Which bars of the file corner ${name} plays"></select></label>`;
      li.querySelector('.corner-bar').addEventListener('change', (e) => onBar(k, Number(e.target.value)));
      li.querySelector('.corner-new').addEventListener('click', () => onNew(k));
      li.querySelector('.corner-load').addEventListener('click', () => {
        fileCorner = k;
        fileInput.value = '';
        fileInput.click();
      });
      list.append(li);
    });
    fileInput.addEventListener('change', () => {
      const file = fileInput.files && fileInput.files[0];
      if (file) onFile(file, fileCorner);
    });
  }

  /**
   * Shows where each corner's music comes from: corners [{label, title?, source?}] (or fewer, "…");
   * a file's corner gets the choice of its bars (info: the model's, for its length in bars).
   */
  update(corners, info) {
    const barsEach = info && info.numSteps && info.stepsPerBar ? info.numSteps / info.stepsPerBar : 2;
    this.list.querySelectorAll('.corner').forEach((li, k) => {
      const c = corners[k];
      const src = li.querySelector('.src');
      src.textContent = c ? c.label : '…';
      src.title = c ? c.title || c.label : '';
      const file = c && c.source && c.source.file;
      const choice = li.querySelector('.corner-bars');
      choice.hidden = !file;
      if (!file) return;
      const select = choice.querySelector('select');
      select.textContent = '';
      // Any bar a note starts in (a window past the file's end is silent there).
      for (let b = 0; b < Math.max(file.bars, file.bar + 1); b++) {
        const text = barsEach > 1 ? `bars ${b + 1}–${b + barsEach}` : `bar ${b + 1}`;
        select.append(new Option(text, String(b), false, b === file.bar));
      }
    });
  }
}

/**
 * Files dropped on `host` (the element) go to onFile(file, k): k is the corner under the drop (an
 * element with data-corner in the event's path), else the next corner in turn. `app` gets the class
 * 'dropping' while a file is over it, the corner under the pointer 'drop-target'.
 */
export function acceptDroppedFiles(host, app, onFile) {
  let nextCorner = 0;
  const cornerElement = (e) => {
    for (const el of e.composedPath()) {
      if (el && el.dataset && el.dataset.corner !== undefined) return el;
      if (el === host) break;
    }
    return null;
  };
  let lastTarget = null;
  const mark = (target) => {
    if (lastTarget) lastTarget.classList.remove('drop-target');
    lastTarget = target;
    if (target) target.classList.add('drop-target');
  };
  host.addEventListener('dragover', (e) => {
    if (!e.dataTransfer || ![...e.dataTransfer.types].includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    app.classList.add('dropping');
    mark(cornerElement(e));
  });
  host.addEventListener('dragleave', (e) => {
    if (e.relatedTarget && host.contains(e.relatedTarget)) return;
    app.classList.remove('dropping');
    mark(null);
  });
  host.addEventListener('drop', (e) => {
    e.preventDefault();
    app.classList.remove('dropping');
    mark(null);
    const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (!file) return;
    const target = cornerElement(e);
    let k;
    if (target) {
      k = Number(target.dataset.corner);
    } else {
      k = nextCorner;
      nextCorner = (k + 1) % 4;
    }
    onFile(file, k);
  });
}
