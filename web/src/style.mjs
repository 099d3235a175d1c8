// The elements' styles (inside their shadow roots, so an embedding page's CSS does not leak in). Custom
// properties on the element (--mv-accent, --mv-bg, --mv-fg, --mv-roll-*, --mv-note-*) restyle them.
export const BASE_CSS = `
:host {
  --mv-accent: #b45309;
  --mv-accent-fg: #fff;
  --mv-bg: #fffdf9;
  --mv-panel: #f6f2ea;
  --mv-fg: #1f1b16;
  --mv-muted: #6b6257;
  --mv-border: #d9d1c4;
  --mv-focus: #2563eb;
  --mv-error: #b91c1c;
  --mv-roll-bg: #fffdf9;
  --mv-roll-beat: #ebe5da;
  --mv-roll-bar: #bcb3a5;
  --mv-roll-black-key: #f4efe6;
  --mv-roll-separator: #8f877a;
  --mv-note-1: #c2410c;
  --mv-note-2: #1d4ed8;
  --mv-note-3: #15803d;
  display: block;
  container-type: inline-size;
  color: var(--mv-fg);
  background: var(--mv-bg);
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  -webkit-tap-highlight-color: transparent;
}
@media (prefers-color-scheme: dark) {
  :host {
    --mv-accent: #f59e0b;
    --mv-accent-fg: #1b1408;
    --mv-bg: #17140f;
    --mv-panel: #221e17;
    --mv-fg: #f3eee6;
    --mv-muted: #b1a797;
    --mv-border: #4a4236;
    --mv-focus: #60a5fa;
    --mv-error: #f87171;
    --mv-roll-bg: #1d1913;
    --mv-roll-beat: #2c271f;
    --mv-roll-bar: #4f473b;
    --mv-roll-black-key: #221e17;
    --mv-roll-separator: #8c8272;
    --mv-note-1: #fb923c;
    --mv-note-2: #60a5fa;
    --mv-note-3: #4ade80;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
button, select, input { font: inherit; color: inherit; }
/* Touch targets at least 44 CSS pixels (WCAG 2.5.5). */
button {
  min-height: 44px;
  min-width: 44px;
  padding: 0.35rem 0.8rem;
  border: 1px solid var(--mv-border);
  border-radius: 0.5rem;
  background: var(--mv-panel);
  cursor: pointer;
  touch-action: manipulation;
}
button:hover:not(:disabled) { border-color: var(--mv-accent); }
button:disabled { opacity: 0.5; cursor: default; }
button.primary { background: var(--mv-accent); color: var(--mv-accent-fg); border-color: var(--mv-accent); font-weight: 600; }
select, input[type=number] {
  min-height: 44px;
  max-width: 100%;
  padding: 0.3rem 0.5rem;
  border: 1px solid var(--mv-border);
  border-radius: 0.5rem;
  background: var(--mv-bg);
}
input[type=range] { accent-color: var(--mv-accent); min-height: 44px; vertical-align: middle; }
input[type=checkbox], input[type=radio] { accent-color: var(--mv-accent); width: 1.3rem; height: 1.3rem; vertical-align: middle; }
:focus { outline: none; }
:focus-visible { outline: 3px solid var(--mv-focus); outline-offset: 2px; }
label { white-space: nowrap; }
output { font-variant-numeric: tabular-nums; display: inline-block; min-width: 2.6em; }
.status { min-height: 1.4em; margin: 0.4rem 0; color: var(--mv-muted); }
.error { margin: 0.4rem 0; color: var(--mv-error); font-weight: 600; }
.error:empty { display: none; }
.roll-box { position: relative; overflow: hidden; }
.roll-box canvas { display: block; width: 100%; height: 100%; }
.playhead {
  position: absolute; top: 0; bottom: 0; left: 0; width: 2px;
  background: var(--mv-accent); pointer-events: none; display: none;
  will-change: transform;
}
.playing .playhead { display: block; }
`;

export const EXPLORER_CSS = `
.app { padding: 0.6rem; }
.top { display: flex; flex-wrap: wrap; gap: 0.4rem 0.9rem; align-items: center; }
.top .play { min-width: 7.5rem; font-size: 1.05em; }
.field { display: inline-flex; gap: 0.45rem; align-items: center; min-height: 44px; min-width: 0; max-width: 100%; }
.field select { min-width: 0; flex: 1 1 auto; }
.check { display: inline-flex; gap: 0.45rem; align-items: center; min-height: 44px; padding: 0 0.2rem; cursor: pointer; }
.model-desc { margin: 0.2rem 0 0; color: var(--mv-muted); font-size: 0.9em; }
.model-desc:empty { display: none; }
.status { margin: 0.2rem 0; min-height: 1.3em; font-size: 0.9em; }
/* A long hosted label ("Melody, 16 bars — Magenta's model, downloads 23.5 MB") must not push the top row apart. */
.model { max-width: 16rem; }
.download { display: flex; flex-wrap: wrap; gap: 0.2rem 0.6rem; align-items: center; margin: 0.2rem 0; font-size: 0.9em; }
.download progress { width: min(16rem, 100%); height: 0.8rem; accent-color: var(--mv-accent); }
.current { height: 7rem; border: 1px solid var(--mv-border); border-radius: 0.5rem; }
.current-desc { margin: 0.2rem 0 0.4rem; font-size: 0.85em; color: var(--mv-muted); min-height: 1.3em; }
.layout { display: grid; grid-template-columns: minmax(0, 3fr) minmax(16rem, 2fr); gap: 0.8rem; align-items: start; }
@container (max-width: 820px) { .layout { grid-template-columns: minmax(0, 1fr); } }
fieldset { border: 0; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0 0.6rem; align-items: center; }
legend { float: left; margin-right: 0.4rem; padding: 0; }
.grid-panel { min-width: 0; }
/* The grid is as wide as its column, and never taller than the screen leaves room for (with the
   controls and the playing roll above it): a tablet sees grid, roll and Play together. */
.grid {
  display: grid; gap: 4px; padding: 4px; margin: 0 auto;
  width: min(100%, calc((100svh - var(--mv-grid-room, 19rem)) * 4 / 3));
  background: var(--mv-panel); border: 1px solid var(--mv-border); border-radius: 0.6rem;
  touch-action: manipulation;
}
.cell {
  position: relative; padding: 0; min-height: 0; border-radius: 0.3rem;
  border: 2px solid transparent; background: var(--mv-roll-bg); aspect-ratio: 4 / 3; overflow: hidden;
}
.cell .roll-box { position: absolute; inset: 0 0 4px 0; }
.cell.pending canvas { opacity: 0.35; }
.cell.selected { border-color: var(--mv-accent); }
.cell.drop-target, .corner.drop-target { outline: 3px dashed var(--mv-accent); outline-offset: -3px; }
.badge {
  font: 600 0.75rem/1 system-ui, sans-serif; color: #fff; padding: 0.2rem 0.35rem; border-radius: 0.25rem;
}
/* A corner cell keeps a strip for its badge (top for A and C, bottom for B and D): never over notes. */
.cell .badge { position: absolute; top: 2px; left: 2px; z-index: 1; pointer-events: none; }
.cell[data-corner="0"] .roll-box, .cell[data-corner="2"] .roll-box { top: 22px; }
.cell[data-corner="1"] .roll-box, .cell[data-corner="3"] .roll-box { bottom: 27px; }
.cell[data-corner="1"] .badge, .cell[data-corner="3"] .badge { top: auto; bottom: 6px; }
.cell[data-corner="2"] .badge, .cell[data-corner="3"] .badge { left: auto; right: 2px; }
/* A 2 x 2 list laid out as the corners sit on the grid: A, B down the left; C, D down the right. */
.corners { list-style: none; padding: 0; margin: 0.5rem 0 0; display: grid; grid-template-columns: repeat(2, minmax(0, 1fr));
  grid-template-rows: auto auto; grid-auto-flow: column; gap: 0.4rem; }
.corner {
  display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem;
  padding: 0.35rem; border: 1px solid var(--mv-border); border-radius: 0.5rem; background: var(--mv-panel); min-width: 0;
}
.corner .src { flex: 1 1 100%; min-width: 0; font-size: 0.85em; overflow-wrap: anywhere; }
.corner button { padding: 0.2rem 0.55rem; font-size: 0.9em; }
.hint { color: var(--mv-muted); font-size: 0.85em; margin: 0.3rem 0 0; }
.side { display: flex; flex-direction: column; gap: 0.5rem; min-width: 0; }
.pad {
  position: relative; width: 100%; max-width: min(24rem, calc(100svh - 22rem)); min-width: 12rem; aspect-ratio: 1; align-self: center;
  border-radius: 0.6rem; border: 1px solid var(--mv-border); overflow: hidden;
  touch-action: none; cursor: crosshair; user-select: none; -webkit-user-select: none;
}
.pad canvas { display: block; width: 100%; height: 100%; }
.row { display: flex; flex-wrap: wrap; gap: 0.4rem 0.7rem; align-items: center; }
.row input[type=range], .field input[type=range] { width: 8rem; }
.row input[type=number] { width: 9.5rem; }
.advanced { border: 1px solid var(--mv-border); border-radius: 0.5rem; padding: 0 0.6rem; }
.advanced[open] { padding-bottom: 0.6rem; }
.advanced summary { min-height: 44px; display: flex; align-items: center; cursor: pointer; font-weight: 600; }
.advanced > * + * { margin-top: 0.4rem; }
.midi-msg { font-size: 0.85em; color: var(--mv-muted); margin: 0; }
.midi-msg:empty { display: none; }
.midi-msg.warn { color: var(--mv-error); }
.dropping .grid { outline: 3px dashed var(--mv-accent); outline-offset: 2px; }
@media (prefers-reduced-motion: reduce) { .playhead { transition: none; } }
`;

export const PLAYER_CSS = `
.player { display: flex; flex-direction: column; gap: 0.4rem; padding: 0.5rem; border: 1px solid var(--mv-border); border-radius: 0.6rem; background: var(--mv-panel); }
.player .roll-box { height: 6rem; border-radius: 0.4rem; background: var(--mv-roll-bg); }
.player .row { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; }
.player .title { font-weight: 600; font-size: 0.9em; flex: 1 1 auto; }
`;
