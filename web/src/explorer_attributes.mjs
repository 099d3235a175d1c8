// Attribute sliders (a part of <musicvae-explorer>, explorer.mjs): the paper's attribute vectors
// (models/<model>.attributes.json, made by training/attribute_vectors.py; the manifest's
// "attributes" names the file) move the selected square's music towards more or fewer notes, higher
// or lower, a wider or narrower range, more or less off the beat: its z plus the sum of slider value
// x vector, decoded as that square is (its row of the grid's batch). A mixin: its methods run on the
// element; its sliders are made when a model with vectors loads, under the pad's buttons (beside the
// grid, so that the tablet layout keeps the grid, the roll and Play on one screen).

// Plain words for each attribute of the engine (mvae_attribute_name), low end and high end.
const WORDS = {
  density: ['Fewer notes', 'More notes'],
  pitch: ['Lower', 'Higher'],
  range: ['Narrower', 'Wider'],
  syncopation: ['On the beat', 'Off the beat'],
};
export const SLIDER_LIMIT = 3;

const CSS = `
  .attributes { margin: 0.25rem 0; }
  .attributes-title { font-size: 1rem; margin: 0.25rem 0; }
  .attribute-sliders { display: grid; gap: 0; }
  .attribute { display: flex; align-items: center; gap: 0.5rem; font-size: 0.85rem; }
  .attribute input { flex: 1; min-height: 44px; }
  .attr-low, .attr-high { width: 5.5rem; }
  .attr-low { text-align: right; }`;

export const AttributesMixin = (Base) => class extends Base {
  constructor() {
    super();
    // Each model its own vectors (the element announces a model once it is loaded).
    this.addEventListener('modelchange', (e) => this._loadAttributeVectors(e.detail.model));
  }

  async _loadAttributeVectors(entry) {
    this._attrVectors = null;
    this._attrPanel().hidden = true;
    if (!entry || !entry.attributes) return;
    try {
      const response = await fetch(entry.attributes);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const doc = await response.json();
      if (this.entry !== entry) return;
      this._attrVectors = doc.attributes.filter((a) => WORDS[a.name] && Array.isArray(a.vector));
      this._buildSliders();
      this._syncAttributes();
    } catch (e) {
      this._error(`Cannot read the attribute vectors of ${entry.name}: ${e.message}`);
    }
  }

  _attrPanel() {
    if (this.$.attributes) return this.$.attributes;
    const panel = document.createElement('section');
    panel.className = 'attributes';
    panel.setAttribute('aria-label', 'Change the selected square');
    panel.hidden = true;
    panel.innerHTML = `<style>${CSS}</style><h3 class="attributes-title">Change the selected square</h3>` +
      '<div class="attribute-sliders"></div><button class="attributes-reset" type="button">Reset</button>';
    this.$.resample.parentElement.after(panel);
    this.$.attributes = panel;
    panel.querySelector('.attributes-reset').addEventListener('click', () => this._resetAttributes(true));
    return panel;
  }

  _buildSliders() {
    const box = this._attrPanel().querySelector('.attribute-sliders');
    box.textContent = '';
    this._attrInputs = {};
    for (const a of this._attrVectors) {
      const [low, high] = WORDS[a.name];
      const label = document.createElement('label');
      label.className = 'field attribute';
      label.innerHTML = `<span class="attr-low"></span><input type="range" min="${-SLIDER_LIMIT}" max="${SLIDER_LIMIT}" step="0.5" value="0"><span class="attr-high"></span>`;
      label.querySelector('.attr-low').textContent = low;
      label.querySelector('.attr-high').textContent = high;
      const input = label.querySelector('input');
      input.dataset.attribute = a.name;
      input.setAttribute('aria-label', `${low} or ${high.toLowerCase()}`);
      input.addEventListener('input', () => this._applyAttributes());
      this._attrInputs[a.name] = input;
      box.append(label);
    }
  }

  _syncAttributes() {
    const panel = this._attrPanel();
    panel.hidden = !this._attrVectors || this.grid.selected < 0 || !this.cells[this.grid.selected]?.seq;
  }

  /** The sliders' values by attribute name. */
  get attributeOffsets() {
    return Object.fromEntries(Object.entries(this._attrInputs || {}).map(([n, input]) => [n, Number(input.value)]));
  }

  /** Sets attribute `name`'s slider to `value` and decodes the selected square again. */
  async setAttributeOffset(name, value) {
    const input = this._attrInputs && this._attrInputs[name];
    if (!input) throw new Error(`no attribute slider ${name}`);
    input.value = String(value);
    return this._applyAttributes();
  }

  // The selected square's z moved by the sliders, decoded (the latest values win while one runs).
  _applyAttributes() {
    this._attrWanted = true;
    if (!this._attrBusy) this._attrBusy = this._attrLoop().finally(() => { this._attrBusy = null; });
    return this._attrBusy;
  }

  async _attrLoop() {
    while (this._attrWanted && this._model && this._attrVectors) {
      this._attrWanted = false;
      const i = this.grid.selected, cell = this.cells[i];
      if (!cell || !cell.z) return;
      if (!this._attrBase || this._attrBase.index !== i) this._attrBase = { index: i, seq: cell.seq };
      const offsets = this.attributeOffsets;
      const z = Float32Array.from(cell.z);
      for (const a of this._attrVectors) {
        const k = offsets[a.name] || 0;
        if (k) for (let d = 0; d < z.length; d++) z[d] += k * a.vector[d];
      }
      const gen = this._gen;
      const [temperature, args] = this._decodeOptions();
      const [seq] = await this._model.decode([z], temperature, { ...args, firstRow: i });
      if (gen !== this._gen || this.grid.selected !== i) continue;
      this.grid.setSequence(i, seq, this.lanes);
      this._drawCells();
      this._setCurrent({ seq, z, u: cell.u, v: cell.v, original: null, label: null });
      this.dispatchEvent(new CustomEvent('attributechange', { detail: { offsets, sequence: seq } }));
    }
  }

  // Sliders to 0; the square they changed gets its own music back (redraw: when it is still shown).
  _resetAttributes(redecode = false) {
    for (const input of Object.values(this._attrInputs || {})) input.value = '0';
    const base = this._attrBase;
    this._attrBase = null;
    if (base && redecode && this.cells[base.index]) {
      this.grid.setSequence(base.index, base.seq, this.lanes);
      this._drawCells();
    }
  }

  selectCell(i, options) {
    if (this._attrBase && this._attrBase.index !== i) this._resetAttributes(true);
    super.selectCell(i, options);
    this._syncAttributes();
  }

  moveTo(u, v) {
    super.moveTo(u, v);
    if (this._attrBase && this._attrBase.index !== this.grid.selected) this._resetAttributes(true);
    this._syncAttributes();
  }

  async _recomputeGrid() {
    this._resetAttributes(false);
    await super._recomputeGrid();
    this._syncAttributes();
  }
};
