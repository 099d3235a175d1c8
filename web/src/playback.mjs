// The explorer's playback controls: Play / Stop, the output picker (the built-in synth and/or a Web
// MIDI port, "MIDI devices" to look for them), and the playheads that follow the transport
// (transport.mjs) on the current roll and on the selected grid cell.
import { midiOutput, midiOutputs, midiSupported, requestMidi, MIDI_MESSAGES } from './midiout.mjs';
import { audioContext, synthOutput } from './transport.mjs';

export class PlaybackControls {
  /**
   * @param $ the element's parts: play, output, midi, midiMsg, current, currentCanvas, currentPlayhead
   * @param transport the element's Transport
   * @param grid the element's ExplorerGrid (its selected cell shows a playhead)
   */
  constructor($, transport, grid) {
    this.$ = $;
    this.transport = transport;
    this.grid = grid;
    this._midiPorts = [];
    this._raf = 0;
    transport.addEventListener('statechange', () => this._onState());
    $.output.addEventListener('change', () => this.changeOutput());
    $.midi.addEventListener('click', () => this.findMidi());
  }

  /** The outputs the picker names. */
  outputs() {
    const value = this.$.output.value;
    const out = [];
    if (value === 'synth' || value.startsWith('both:')) {
      const s = synthOutput();
      if (s) out.push(s);
    }
    if (value !== 'synth') {
      const id = value.replace(/^(midi|both):/, '');
      const port = this._midiPorts.find((p) => p.id === id);
      const ctx = audioContext();
      if (port && ctx) out.push(midiOutput(port.port, ctx));
    }
    return out;
  }

  /** Starts the transport on the picked outputs (throws what the audio system throws). */
  start() {
    if (!this.transport.playing) {
      this.transport.outputs = this.outputs();
      this.transport.start();
    }
    this._animate();
  }

  _onState() {
    const playing = this.transport.playing;
    this.$.play.textContent = playing ? '■ Stop' : '▶ Play';
    this.$.play.setAttribute('aria-pressed', String(playing));
    if (!playing) {
      for (const cell of this.grid.cells) cell.box.classList.remove('playing');
      this.$.current.classList.remove('playing');
    }
  }

  _animate() {
    if (this._raf) return;
    const frame = () => {
      this._raf = 0;
      const pos = this.transport.position();
      if (!this.transport.playing) {
        this.grid.showPlayhead(null);
        return;
      }
      const f = pos ? pos.step / pos.numSteps : null;
      if (pos) {
        this.$.current.classList.add('playing');
        // After the note-name axis (drawRoll's gutter).
        const gutter = Number(this.$.currentCanvas.dataset.gutter) || 0;
        this.$.currentPlayhead.style.transform = `translateX(${gutter + f * (this.$.current.clientWidth - gutter)}px)`;
      }
      this.grid.showPlayhead(f);
      this._raf = requestAnimationFrame(frame);
    };
    this._raf = requestAnimationFrame(frame);
  }

  /** Asks for Web MIDI access and lists the output ports in the picker (the first one chosen). */
  async findMidi() {
    const msg = this.$.midiMsg;
    msg.classList.remove('warn');
    if (!midiSupported()) {
      msg.textContent = MIDI_MESSAGES.unsupported;
      msg.classList.add('warn');
      return;
    }
    msg.textContent = 'Asking for MIDI access…';
    let access;
    try {
      access = await requestMidi();
    } catch (e) {
      msg.textContent = e.message;
      msg.classList.add('warn');
      return;
    }
    const refresh = () => {
      this._midiPorts = midiOutputs(access);
      const sel = this.$.output;
      const keep = sel.value;
      sel.textContent = '';
      sel.append(new Option('Built-in synth', 'synth'));
      for (const p of this._midiPorts) {
        sel.append(new Option(`MIDI: ${p.name}`, `midi:${p.id}`));
        sel.append(new Option(`MIDI: ${p.name} + synth`, `both:${p.id}`));
      }
      sel.value = [...sel.options].some((o) => o.value === keep) ? keep : 'synth';
      if (!this._midiPorts.length) {
        msg.textContent = MIDI_MESSAGES.none;
        msg.classList.add('warn');
      } else {
        msg.classList.remove('warn');
        msg.textContent = `${this._midiPorts.length} MIDI output${this._midiPorts.length > 1 ? 's' : ''} found: pick one under “Output”.`;
      }
    };
    refresh();
    if (!this._midiListening) {
      this._midiListening = true;
      access.addEventListener?.('statechange', refresh);
    }
    if (this._midiPorts.length && this.$.output.value === 'synth') {
      this.$.output.value = `midi:${this._midiPorts[0].id}`;
      this.changeOutput();
    }
  }

  /** Switches a playing transport to the picked outputs (silencing the old ones). */
  changeOutput() {
    if (this.transport.playing) {
      for (const o of this.transport.outputs) o.allOff();
      this.transport.outputs = this.outputs();
    }
  }
}
