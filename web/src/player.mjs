// <musicvae-player>: a small embeddable player: one generated sequence as a piano roll (drum grid,
// trio lanes), Play/Stop, "New" (another sample) and .mid export.
// Attributes: model (id from the manifest, or an .mvae URL), models (manifest URL), seed,
// temperature, qpm, loop ("false" plays once).
import { DEFAULT_MANIFEST, acquireModel, findModel, loadManifest } from './models.mjs';
import { randomSeed } from './latent.mjs';
import { describeSequence, drawRoll, fitCanvas, lanesFor, pitchRanges, rollTheme } from './roll.mjs';
import { BASE_CSS, PLAYER_CSS } from './style.mjs';
import { Transport, synthOutput } from './transport.mjs';

export class MusicVAEPlayer extends HTMLElement {
  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${BASE_CSS}${PLAYER_CSS}</style>
      <div class="player" part="player">
        <div class="row"><span class="title">MusicVAE</span>
          <button class="play primary" type="button" aria-pressed="false" disabled>▶ Play</button>
          <button class="new" type="button" disabled>New</button>
          <button class="export" type="button" disabled>.mid</button></div>
        <div class="roll-box"><canvas role="img" aria-label="Loading…"></canvas><div class="playhead"></div></div>
        <p class="status" role="status" aria-live="polite"></p>
        <p class="error" role="alert"></p>
      </div>`;
    const $ = (s) => root.querySelector(s);
    this.$ = { title: $('.title'), play: $('.play'), new: $('.new'), export: $('.export'), box: $('.roll-box'),
      canvas: $('canvas'), playhead: $('.playhead'), status: $('.status'), error: $('.error') };
    this.transport = new Transport();
    this.sequence = null;
    this.$.play.addEventListener('click', () => (this.transport.playing ? this.stop() : this.play()));
    this.$.new.addEventListener('click', () => this.resample());
    this.$.export.addEventListener('click', () => this.exportMidi());
    this.transport.addEventListener('statechange', () => {
      const playing = this.transport.playing;
      this.$.play.textContent = playing ? '■ Stop' : '▶ Play';
      this.$.play.setAttribute('aria-pressed', String(playing));
      this.$.box.classList.toggle('playing', playing);
    });
  }

  get qpm() {
    const q = Number.parseFloat(this.getAttribute('qpm'));
    return Number.isFinite(q) && q >= 20 && q <= 300 ? q : 120;
  }

  get temperature() {
    const t = Number.parseFloat(this.getAttribute('temperature'));
    return Number.isFinite(t) && t >= 0 ? Math.min(t, 1.5) : 0.5;
  }

  async connectedCallback() {
    this._resize = new ResizeObserver(() => this._draw());
    this._resize.observe(this.$.box);
    if (this.model) return;
    if (this._starting) return;
    this._starting = true;
    try {
      const manifest = await loadManifest(this.getAttribute('models') || DEFAULT_MANIFEST,
        { checkpointHost: this.getAttribute('checkpoint-host') || undefined }).catch((e) => {
        // A model URL works without the manifest.
        if (!this.getAttribute('model')) throw e;
        return { default: null, models: [] };
      });
      const entry = findModel(manifest, this.getAttribute('model'));
      this.entry = entry;
      this.$.title.textContent = entry.name;
      this.$.status.textContent = `Loading ${entry.name}…`;
      const { model, release } = await acquireModel(entry.url);
      this.model = model;
      this._release = release;
      this.info = model.info;
      this.lanes = lanesFor(this.info);
      const seed = Number.parseInt(this.getAttribute('seed'), 10);
      const given = Number.isFinite(seed) && seed >= 0 ? seed : undefined;
      await this.resample(this.seed ?? given);
    } catch (e) {
      this.$.status.textContent = '';
      this.$.error.textContent = `Cannot load the model: ${e.message}`;
    } finally {
      this._starting = false;
    }
  }

  disconnectedCallback() {
    this.transport.stop();
    if (this._resize) this._resize.disconnect();
    // Removed for good (not just moved): end the model's Worker if no other element uses it.
    queueMicrotask(() => {
      if (this.isConnected || !this._release) return;
      this._release();
      this._release = null;
      this.model = null;
    });
  }

  /** Another sample (seeded, or a random seed). */
  async resample(seed = randomSeed()) {
    if (!this.model) return;
    this.seed = seed >>> 0;
    let seq;
    try {
      [seq] = await this.model.sample(1, this.temperature, this.seed);
    } catch (e) {
      this.$.error.textContent = `Sampling failed: ${e.message}`;
      return;
    }
    this.sequence = seq;
    this.transport.sequence = seq;
    for (const b of [this.$.play, this.$.new, this.$.export]) b.disabled = false;
    this.$.canvas.setAttribute('aria-label', describeSequence(seq, this.lanes));
    this.$.status.textContent = `Seed ${this.seed}`;
    this._draw();
    this.dispatchEvent(new CustomEvent('sequencechange', { detail: { sequence: seq, seed: this.seed } }));
  }

  _draw() {
    if (!this.sequence) return;
    fitCanvas(this.$.canvas);
    drawRoll(this.$.canvas, this.sequence, { info: this.info, lanes: this.lanes,
      ranges: pitchRanges([this.sequence], this.lanes, this.info), theme: rollTheme(this), labels: true });
  }

  play() {
    if (!this.sequence) return;
    this.transport.qpm = this.qpm;
    this.transport.loop = this.getAttribute('loop') !== 'false';
    if (!this.transport.playing) {
      const synth = synthOutput();
      this.transport.outputs = synth ? [synth] : [];
      this.transport.start();
    }
    const frame = () => {
      const pos = this.transport.position();
      if (!this.transport.playing) return;
      if (pos) this.$.playhead.style.transform = `translateX(${(pos.step / pos.numSteps) * this.$.box.clientWidth}px)`;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  stop() {
    this.transport.stop();
  }

  async exportMidi() {
    if (!this.sequence) return;
    const { sequencesToMidiBytes, download } = await import('./midifile.mjs');
    download(sequencesToMidiBytes([this.sequence], { qpm: this.qpm }), `${this.entry.id}-seed${this.seed}.mid`);
  }
}

if (!customElements.get('musicvae-player')) customElements.define('musicvae-player', MusicVAEPlayer);
