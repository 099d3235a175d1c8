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

export const TEMPLATE = `
<div class="app" part="app">
  <div class="bar">
    <label>Model <select class="model" aria-describedby="model-desc"></select></label>
    <label class="offline-choice" hidden><input class="keep-offline" type="checkbox"> <span class="offline-text">Available offline</span></label>
    <span class="grow" id="model-desc"></span>
  </div>
  <p class="status" role="status" aria-live="polite"></p>
  <p class="error" role="alert"></p>
  <div class="layout">
    <section class="grid-panel" aria-label="Interpolation grid">
      <div class="bar">
        <label>Grid <select class="grid-size">
          <option value="3">3 × 3</option><option value="5">5 × 5</option><option value="7">7 × 7</option><option value="9">9 × 9</option>
        </select></label>
        <fieldset class="interp"><legend>Interpolation</legend>
          <label><input type="radio" name="interp" value="linear"> Linear</label>
          <label><input type="radio" name="interp" value="slerp"> Slerp</label>
        </fieldset>
      </div>
      <div class="grid" aria-busy="true" aria-label="Interpolations: arrow keys move, Enter plays"></div>
      <ol class="corners" aria-label="Corners"></ol>
      <input class="file" type="file" accept=".mid,.midi,audio/midi,audio/x-midi" hidden>
      <p class="hint encode-hint">Drop a .mid file on a corner (or anywhere on the grid) to start from your own music.</p>
    </section>
    <section class="side" aria-label="Latent pad and playback">
      <div class="pad"><canvas role="slider" tabindex="0" aria-label="Latent pad" aria-valuemin="0" aria-valuemax="100"
        aria-valuenow="50"></canvas></div>
      <div class="roll-box current"><canvas aria-hidden="true"></canvas><div class="playhead"></div></div>
      <p class="current-desc" aria-live="off"></p>
      <div class="row">
        <label>Temperature <input class="temperature" type="range" min="0" max="1.5" step="0.05"></label>
        <output class="temperature-out"></output>
      </div>
      <div class="row">
        <label>Seed <input class="seed" type="number" min="0" max="4294967295" step="1" inputmode="numeric"></label>
        <button class="resample" type="button" title="New random corners (new seed)">Resample</button>
        <button class="similar" type="button" title="New corners around the current sequence">Similar to this</button>
      </div>
      <div class="row">
        <label>Similarity <input class="similarity" type="range" min="0" max="1" step="0.05" value="0.75"></label>
        <output class="similarity-out">0.75</output>
      </div>
      <div class="row transport">
        <button class="play primary" type="button" aria-pressed="false">▶ Play</button>
        <label><input class="loop" type="checkbox" checked> Loop</label>
        <label>Tempo <input class="tempo" type="range" min="40" max="240" step="1"></label>
        <output class="tempo-out"></output>
      </div>
      <div class="row">
        <label>Output <select class="output"><option value="synth">Built-in synth</option></select></label>
        <button class="midi" type="button">MIDI devices</button>
      </div>
      <p class="midi-msg" role="status"></p>
      <div class="row">
        <button class="export" type="button">Export .mid</button>
        <button class="export-grid" type="button" title="Every cell, one after another, in one file">Export grid .mid</button>
      </div>
    </section>
  </div>
</div>`;
