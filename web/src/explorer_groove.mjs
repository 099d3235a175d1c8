// The explorer's grooves (a part of <musicvae-explorer>, explorer.mjs), for a GrooVAE model (the
// engine's GrooveConverter: info.converter 'groove'). Its decodes carry each hit's velocity and
// timing (groove.mjs makes them playable); the grid and the pad work as for any drum model, and:
//  - a humanize model (info.grooveHumanize): "Humanize" encodes a drum pattern (the built-in beat, a
//    corner's, or a dropped .mid file) and decodes it: the engine drops its velocities and timing
//    as magenta.js does, the model plays it back as a drummer would;
//  - a tap model (info.grooveTapify): the Tap pad (touch, click or the space bar) records the
//    model's length of taps after a one-bar count-in, and the model turns them into drums.
// The result is the current sequence: Play loops it, "Save .mid" saves it. A mixin: its methods run
// on the element.
import { CORNER_NAMES } from './explorer_template.mjs';
import { playableGroove, simpleBeat, tapSequence, timedGroove } from './groove.mjs';
import { describeSequence } from './roll.mjs';
import { audioContext, synthOutput } from './transport.mjs';

export const GROOVE_TEMPLATE = `
  <div class="groove-row" hidden>
    <span class="humanize-part">
      <label class="field">Beat <select class="groove-beat"></select></label>
      <button class="humanize primary" type="button">Humanize</button>
    </span>
    <button class="tap-pad" type="button" aria-describedby="groove-msg">Tap here</button>
    <span class="groove-msg" id="groove-msg" role="status" aria-live="polite"></span>
  </div>`;

export const GROOVE_CSS = `
.groove-row { display: flex; align-items: center; gap: 0.3rem 0.7rem; margin: 0.2rem 0 0; flex-wrap: wrap; }
.groove-row[hidden], .groove-row [hidden] { display: none; }
.humanize-part { display: inline-flex; gap: 0.5rem; align-items: center; }
.groove-beat { max-width: 14rem; }
.tap-pad { min-height: 64px; min-width: 12rem; font-size: 1.2em; font-weight: 600; touch-action: manipulation;
  user-select: none; -webkit-user-select: none; }
.tap-pad.recording { background: var(--mv-accent); color: var(--mv-accent-fg); border-color: var(--mv-accent); }
.groove-msg { flex: 1 1 10rem; font-size: 0.9em; color: var(--mv-muted); min-width: 0; }
.app.has-groove { --mv-grid-room: 23.5rem; }
@media (max-aspect-ratio: 1/1) { .app.has-groove { --mv-grid-room: 31rem; } }`;

// A groove model's Worker model, its decodes made playable (the rest passes through).
function playableModel(model, stepsPerQuarter) {
  return new Proxy(model, {
    get(target, key) {
      if (key === 'decode') {
        return async (...args) => (await target.decode(...args)).map((s) => playableGroove(s, stepsPerQuarter));
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const COUNT_IN_CLICK = { pitch: 37, velocity: 100, isDrum: true }; // a side stick
const TAP_SOUND = { pitch: 42, velocity: 90, isDrum: true };

export const GrooveMixin = (Base) => class extends Base {
  /** 'humanize', 'tap' or null (not a groove model). */
  get grooveKind() {
    const info = this.info;
    if (!info || info.converter !== 'groove') return null;
    return info.grooveTapify ? 'tap' : 'humanize';
  }

  _bindGroove() {
    const root = this.shadowRoot;
    root.querySelector('.error').insertAdjacentHTML('afterend', GROOVE_TEMPLATE);
    const $ = (s) => root.querySelector(s);
    this.$groove = { row: $('.groove-row'), humanizePart: $('.humanize-part'), beat: $('.groove-beat'), humanize: $('.humanize'), tap: $('.tap-pad'), msg: $('.groove-msg') };
    const g = this.$groove;
    g.humanize.addEventListener('click', () => this.humanizeChoice());
    g.tap.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      this._tap(e.timeStamp);
    });
    g.tap.addEventListener('keydown', (e) => {
      if (e.key !== ' ' && e.key !== 'Enter') return;
      e.preventDefault();
      if (!e.repeat) this._tap(e.timeStamp);
    });
    // The space bar taps anywhere on the page, but not on a control (a box, another button, the
    // mixing pad: the space bar is theirs). Listened to while the element is in the page
    // (_watchSpaceBar, from connectedCallback / disconnectedCallback).
    this._onPageKey = (e) => {
      const target = e.composedPath()[0];
      if (e.key !== ' ' || !this.isConnected || this.grooveKind !== 'tap' || target === g.tap ||
        (target && target.closest && target.closest('button, input, select, textarea, [tabindex], [contenteditable]'))) return;
      e.preventDefault();
      if (!e.repeat) this._tap(e.timeStamp);
    };
  }

  _watchSpaceBar(on) {
    if (!this._onPageKey) return;
    if (on) document.addEventListener('keydown', this._onPageKey);
    else document.removeEventListener('keydown', this._onPageKey);
  }

  // A new model: the groove row for a groove model (after the model loads, before its first decode).
  _grooveForModel() {
    const kind = this.grooveKind;
    const g = this.$groove;
    this._tapping = null;
    this.grooveInput = null;
    g.row.hidden = !kind;
    this.$.app.classList.toggle('has-groove', !!kind);
    g.msg.textContent = '';
    if (!kind) return;
    this._model = playableModel(this._model, this.info.stepsPerQuarter);
    g.humanizePart.hidden = kind !== 'humanize';
    g.tap.hidden = kind !== 'tap';
    g.tap.textContent = 'Tap here';
    g.beat.textContent = '';
    if (kind === 'humanize') {
      g.beat.append(new Option('A simple rock beat', 'simple'));
      CORNER_NAMES.forEach((name, k) => g.beat.append(new Option(`Corner ${name}'s drums`, `corner-${k}`)));
      g.msg.textContent = 'Choose a beat and press Humanize, or drop a drum .mid file, to hear it played by a drummer.';
    } else {
      const bars = this.info.numSteps / this.info.stepsPerBar;
      g.msg.textContent = `Press Tap (or the space bar): after 4 clicks, tap a rhythm for ${bars} bars and hear it as drums.`;
    }
  }

  /** Humanizes the beat chosen in the box (the built-in one or a corner's). */
  humanizeChoice() {
    const choice = this.$groove.beat.value;
    if (choice === 'simple') return this.humanize(this.simpleBeat, 'The simple rock beat');
    const k = Number(choice.replace('corner-', ''));
    const cell = this.cells.find((c) => this.grid.cornerOf(c) === k);
    const seq = (this.corners[k] && this.corners[k].original) || (cell && cell.seq);
    if (!seq) return undefined;
    return this.humanize(seq, `Corner ${CORNER_NAMES[k]}'s drums`);
  }

  /** The built-in beat, the model's length. */
  get simpleBeat() {
    return simpleBeat(this.info.numSteps, this.info.stepsPerQuarter, this.info.stepsPerBar);
  }

  /** A drum pattern (NoteSequence) through a humanize model: what a drummer would play. */
  humanize(sequence, label = 'Your beat') {
    return this._grooveDecode(sequence, `${label}, humanized`, 'Humanizing');
  }

  /** Taps (seconds from the first beat, at `qpm`) through a tap model: the drums they suggest. */
  drumsFromTaps(times, qpm = this.transport.qpm) {
    const seconds = (this.info.numSteps / this.info.stepsPerQuarter) * (60 / qpm);
    const seq = tapSequence(times, qpm, seconds, this.info.stepsPerQuarter);
    if (!seq.notes.length) {
      this.$groove.msg.textContent = 'No taps heard. Press Tap and tap along after the 4 clicks.';
      return Promise.resolve(null);
    }
    return this._grooveDecode(seq, `Your ${seq.notes.length} taps, as drums`, 'Turning your taps into drums');
  }

  // Encodes `sequence` (the engine's converter does the humanize or tapify) and decodes it at the
  // page's surprise and seed; the result becomes the current sequence and plays.
  async _grooveDecode(sequence, label, doing) {
    const model = this._model, gen = this._gen;
    if (!model) return null;
    this._error('');
    this.$groove.msg.textContent = `${doing}…`;
    let z, seq;
    try {
      [z] = await model.encode([sequence]);
      const [temperature, args] = this._decodeOptions();
      [seq] = await model.decode([z], temperature, args);
    } catch (e) {
      if (gen === this._gen) {
        this.$groove.msg.textContent = '';
        this._error(`${doing} failed: ${e.message}`);
      }
      return null;
    }
    if (gen !== this._gen) return null;
    this.grooveInput = sequence;
    this._setCurrent({ seq, z, u: this._uv[0], v: this._uv[1], original: null, label });
    const hits = seq.notes.length;
    this.$.currentDesc.textContent = `${label} — ${describeSequence(seq, this.lanes)}`;
    this.$groove.msg.textContent = `${label}: ${hits} hits, each with its own loudness and timing. Play to hear it, “Save .mid” to keep it.`;
    this.dispatchEvent(new CustomEvent('groovechange', { detail: { input: sequence, sequence: seq } }));
    this.play();
    return seq;
  }

  // A tap on the pad: the first starts the count-in; during the recording, each is a hit.
  _tap(timeStamp) {
    if (this.grooveKind !== 'tap') return;
    const now = timeStamp > 0 ? timeStamp : performance.now();
    const t = this._tapping;
    if (!t) {
      this._startTapping(now);
      return;
    }
    const out = synthOutput();
    if (out && t.recording) out.play(TAP_SOUND, audioContext().currentTime, 0.05);
    const seconds = (now - t.startMs) / 1000;
    // (a tap up to half a step early for the first beat counts as on it)
    if (seconds >= -t.stepSeconds / 2 && seconds < t.seconds) t.times.push(Math.max(seconds, 0));
  }

  _startTapping(nowMs) {
    const qpm = this.transport.qpm;
    const beat = 60 / qpm;
    const beatsPerBar = this.info.stepsPerBar / this.info.stepsPerQuarter;
    const seconds = (this.info.numSteps / this.info.stepsPerQuarter) * beat;
    const countIn = beatsPerBar * beat;
    const lead = 0.1; // the first click, a moment after the press
    this.stop();
    const g = this.$groove;
    const t = { qpm, seconds, stepSeconds: beat / this.info.stepsPerQuarter, times: [], startMs: nowMs + (lead + countIn) * 1000, recording: false };
    this._tapping = t;
    // The clicks: the count-in, louder, then softer on every beat of the recording.
    const ctx = audioContext(), out = synthOutput();
    if (ctx && out) {
      const at = ctx.currentTime + lead;
      for (let i = 0; i < beatsPerBar + seconds / beat; i++) {
        out.play({ ...COUNT_IN_CLICK, velocity: i < beatsPerBar ? 110 : 45 }, at + i * beat, 0.05);
      }
    }
    g.tap.classList.add('recording');
    g.tap.textContent = 'Get ready…';
    g.msg.textContent = `4 clicks, then tap for ${seconds / countIn} bars.`;
    const timers = [];
    timers.push(setTimeout(() => {
      if (this._tapping !== t) return;
      t.recording = true;
      g.tap.textContent = 'Tap!';
    }, (lead + countIn) * 1000 - 30));
    timers.push(setTimeout(() => {
      if (this._tapping !== t) return;
      this._tapping = null;
      g.tap.classList.remove('recording');
      g.tap.textContent = 'Tap here';
      this.tappedTimes = t.times.slice();
      this.drumsFromTaps(t.times, qpm);
    }, (lead + countIn + seconds) * 1000 + 50));
    t.timers = timers;
  }

  /** What a saved file holds for `seq`: a groove's hits at their own times. */
  _exportedSequence(seq) {
    const timed = this.grooveKind && seq && seq.quantizationInfo ? timedGroove(seq, this.transport.qpm) : seq;
    return super._exportedSequence(timed);
  }

  // A groove model encodes a file as magenta.js does (the engine refines only categorical models).
  _fileEncodeArgs() {
    return this.grooveKind ? undefined : super._fileEncodeArgs();
  }

  // A drum file dropped on a humanize model: into its corner as for any model, and humanized.
  async loadMidi(file, k = 0, options = {}) {
    const before = this.corners[k];
    await super.loadMidi(file, k, options);
    const corner = this.corners[k];
    if (this.grooveKind === 'humanize' && corner && corner !== before && corner.original && corner.source && corner.source.file) {
      await this.humanize(corner.original, corner.source.file.name);
    }
  }
};
