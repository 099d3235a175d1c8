// The explorer's markup (its shadow DOM) and the corners' names, colours and places, shared by the
// element (explorer.mjs) and its parts (grid.mjs, pad.mjs).

export const CORNER_NAMES = ['A', 'B', 'C', 'D'];
export const CORNER_COLORS = ['#ea580c', '#2563eb', '#16a34a', '#9333ea'];
// Corner k's position (u, v): A top-left, B bottom-left, C top-right, D bottom-right.
export const CORNER_UV = [[0, 0], [0, 1], [1, 0], [1, 1]];

/** The index of the corner at (u, v), or -1. */
export function cornerAt(u, v) {
  return CORNER_UV.findIndex(([cu, cv]) => cu === u && cv === v);
}

import { CHORDS_TEMPLATE } from './explorer_chords.mjs';

export const TEMPLATE = `
<div class="app" part="app">
  <div class="top">
    <button class="play primary" type="button" aria-pressed="false">▶ Play</button>
    <label class="field">Music <select class="model" aria-describedby="model-desc"></select></label>
    <label class="check offline-choice" hidden><input class="keep-offline" type="checkbox"> <span class="offline-text">Available offline</span></label>
    <label class="check"><input class="loop" type="checkbox" checked> Loop</label>
    <label class="field">Speed <input class="tempo" type="range" min="40" max="240" step="1"><output class="tempo-out"></output></label>
  </div>
  <p class="model-desc" id="model-desc"></p>
  <p class="status" role="status" aria-live="polite"></p>
  <p class="download" hidden><progress max="1" value="0" aria-label="Download"></progress> <span class="download-text"></span></p>
  <p class="error" role="alert"></p>${CHORDS_TEMPLATE}
  <div class="roll-box current"><canvas aria-hidden="true"></canvas><div class="playhead"></div></div>
  <p class="current-desc" aria-live="off"></p>
  <div class="layout">
    <section class="grid-panel" aria-label="The music between the four corners">
      <div class="grid" aria-busy="true" aria-label="The music between the corners: arrow keys move, Enter plays"></div>
    </section>
    <section class="side" aria-label="Mix and corners">
      <div class="pad"><canvas role="slider" tabindex="0" aria-label="Mixing pad: drag to blend the four corners" aria-valuemin="0" aria-valuemax="100"
        aria-valuenow="50"></canvas></div>
      <div class="row actions">
        <button class="resample" type="button" title="Four new random corners">New corners</button>
        <button class="similar" type="button" title="New corners that sound like what is playing">More like this</button>
        <button class="export" type="button">Save .mid</button>
        <button class="undo" type="button" disabled title="Back to the corners before (Ctrl+Z)">↶ Undo</button>
        <button class="redo" type="button" disabled title="Forward again (Ctrl+Shift+Z)">↷ Redo</button>
      </div>
      <ol class="corners" aria-label="Corners"></ol>
      <input class="file" type="file" accept=".mid,.midi,audio/midi,audio/x-midi" hidden>
      <p class="hint encode-hint">Drop a .mid file on a corner (or anywhere on the grid) to start from your own music.</p>
      <details class="advanced">
        <summary>More settings</summary>
        <div class="row">
          <label class="field">Grid <select class="grid-size">
            <option value="3">3 × 3</option><option value="5">5 × 5</option><option value="7">7 × 7</option><option value="9">9 × 9</option>
          </select></label>
        </div>
        <fieldset class="interp"><legend>Path between corners</legend>
          <label class="check"><input type="radio" name="interp" value="linear"> Straight</label>
          <label class="check"><input type="radio" name="interp" value="slerp"> Curved</label>
        </fieldset>
        <div class="row">
          <label class="field">Surprise <input class="temperature" type="range" min="0" max="1.5" step="0.05"
            aria-describedby="surprise-help"></label>
          <output class="temperature-out"></output>
        </div>
        <p class="hint" id="surprise-help">0: always the most likely note. Higher: more surprising notes.</p>
        <div class="row">
          <label class="field">Likeness <input class="similarity" type="range" min="0" max="1" step="0.05" value="0.75"
            aria-describedby="likeness-help"></label>
          <output class="similarity-out">0.75</output>
        </div>
        <p class="hint" id="likeness-help">How close “More like this” stays to what is playing (1: the same).</p>
        <div class="row">
          <label class="field">Seed <input class="seed" type="number" min="0" max="4294967295" step="1" inputmode="numeric"
            enterkeyhint="go"></label>
        </div>
        <p class="hint">The same seed gives the same random corners on every device.</p>
        <div class="row">
          <label class="field">Sound <select class="output"><option value="synth">Built-in synth</option></select></label>
          <button class="midi" type="button">MIDI devices</button>
        </div>
        <p class="midi-msg" role="status"></p>
        <div class="row">
          <button class="export-grid" type="button" title="Every cell, one after another, in one file">Save the whole grid .mid</button>
        </div>
        <div class="row hosted-row" hidden>
          <span class="hosted-text"></span>
          <button class="remove-hosted" type="button">Remove from this device</button>
        </div>
        <p class="hint model-tech"></p>
      </details>
    </section>
  </div>
</div>`;
