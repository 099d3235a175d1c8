// The engine's drum map on the page: which drum class (0 kick .. 8 ride) a MIDI pitch plays, and the
// class names. The map lives in the engine (src/notes/convert_drums.c) and arrives with a model's info
// (MusicVAE.info.drumMap, through the Worker); drawing (roll.mjs) and sound (synth.mjs) read it here.
// It is the same for every model, so the first model's copy serves them all.

let map = null;

/** Takes the engine's drum map from a model's info (models.mjs does, for each model it loads). */
export function useDrumMap(info) {
  if (info && info.drumMap && Array.isArray(info.drumMap.classOfPitch)) map = info.drumMap;
}

/** The drum class of a MIDI pitch, or -1 (none, or no model loaded yet). */
export function drumClass(pitch) {
  return map && pitch >= 0 && pitch < 128 ? map.classOfPitch[pitch] : -1;
}

/** The number of drum classes (the rows of a drum lane). */
export function drumClassCount() {
  return map ? map.classNames.length : 0;
}

/** The name of drum class c ('kick', 'snare', 'closed hi-hat' ...), or ''. */
export function drumClassName(c) {
  return map && map.classNames[c] ? map.classNames[c] : '';
}
