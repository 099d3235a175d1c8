// Chord progressions for a chord-conditioned model, in the page's words: the text a teacher types
// ("C G Am F"), the ready-made progressions, and the accompaniment the page plays and exports
// (block chords from the engine's reading of each symbol: MusicVAE.chordProgressionInfo). Which
// symbols are chords, and how they spread over the steps, is the engine's (src/notes/chords.c);
// nothing here parses a symbol.

/** Ready-made progressions (in C, four chords: over a 2-bar model each lasts half a bar). */
export const PRESETS = [
  { name: 'Pop: I–V–vi–IV', chords: ['C', 'G', 'Am', 'F'] },
  { name: 'Fifties: I–vi–IV–V', chords: ['C', 'Am', 'F', 'G'] },
  { name: 'Jazz: ii–V–I', chords: ['Dm7', 'G7', 'Cmaj7', 'Cmaj7'] },
  { name: 'Blues start: I–IV–I–I', chords: ['C7', 'F7', 'C7', 'C7'] },
  { name: 'Blues turnaround: V–IV–I–V', chords: ['G7', 'F7', 'C7', 'G7'] },
  { name: 'Minor: i–VI–III–VII', chords: ['Am', 'F', 'C', 'G'] },
  { name: 'One chord: C', chords: ['C'] },
];

/** The most chords a progression box takes (more would not be heard: one step each at most). */
export const MAX_CHORDS = 16;

/**
 * The chord symbols of typed text: split at spaces, commas and bar lines ("C G Am F", "C,G,Am,F",
 * "| C G | Am F |"). Throws, in plain words, when there are none or too many; the symbols
 * themselves are the engine's to judge.
 */
export function splitChords(text) {
  const chords = String(text ?? '').split(/[\s,|]+/).filter(Boolean);
  if (!chords.length) throw new Error('Type at least one chord, for example C G Am F.');
  if (chords.length > MAX_CHORDS) throw new Error(`At most ${MAX_CHORDS} chords, please (there are ${chords.length}).`);
  return chords;
}

/** A progression as the link and the box show it: "C G Am F" (link: "C,G,Am,F"). */
export const chordsText = (chords, separator = ' ') => chords.join(separator);

/**
 * The progression's spans: [{chord, symbol, start, end}] in steps, one per run of steps that play
 * the same chord symbol ("Cmaj7 Cmaj7" is one chord held; info: chordProgressionInfo's result).
 */
export function chordSpans(info) {
  const spans = [];
  info.stepChord.forEach((chord, step) => {
    const last = spans.at(-1);
    if (last && info.chords[last.chord].symbol === info.chords[chord].symbol) last.end = step + 1;
    else spans.push({ chord, symbol: info.chords[chord].symbol, start: step, end: step + 1 });
  });
  return spans;
}

// The accompaniment's instrument: its own part (so a MIDI file gets it as a track of its own) on
// General MIDI's Electric Piano 1 (soft; the built-in synth's keys voice, synth.mjs).
export const CHORD_INSTRUMENT = 1;
export const CHORD_PROGRAM = 4;
const CHORD_VELOCITY = 50;
const BASS_OCTAVE = 36; // C2: the root below
const CHORD_OCTAVE = 48; // C3: the chord's pitch classes upward from its root

/**
 * Block chords for a progression: each span holds its chord's pitch classes stacked upward from
 * the root (from C3), with the root an octave lower; no notes where a span is "N.C.".
 */
export function chordNotes(info) {
  const notes = [];
  for (const span of chordSpans(info)) {
    const chord = info.chords[span.chord];
    if (chord.noChord) continue;
    const pitches = [BASS_OCTAVE + chord.root,
      ...chord.pitchClasses.map((pc) => CHORD_OCTAVE + chord.root + ((pc - chord.root + 12) % 12)).sort((a, b) => a - b)];
    for (const pitch of pitches) {
      notes.push({
        pitch, velocity: CHORD_VELOCITY, instrument: CHORD_INSTRUMENT, program: CHORD_PROGRAM, isDrum: false,
        quantizedStartStep: span.start, quantizedEndStep: span.end,
      });
    }
  }
  return notes;
}

/** `seq` with the accompaniment's notes added (a new sequence; seq itself is kept as it is). */
export function withChords(seq, notes) {
  if (!seq || !notes || !notes.length) return seq;
  return { ...seq, notes: [...seq.notes, ...notes] };
}

/** A MIDI track's name for the accompaniment's notes (sequencesToMidiBytes's trackName option). */
export const chordTrackName = (note) => (note.instrument === CHORD_INSTRUMENT && note.program === CHORD_PROGRAM ? 'Chords' : undefined);

/** How the chords fall on the bars, in words: "2 chords a bar", "1 chord a bar", "each 2 bars". */
export function spreadWords(count, numSteps, stepsPerBar) {
  const bars = numSteps / stepsPerBar;
  const perBar = count / bars;
  if (Number.isInteger(perBar)) return `${perBar} chord${perBar > 1 ? 's' : ''} a bar`;
  if (Number.isInteger(bars / count)) return `each ${bars / count} bars`;
  return `${count} chords over ${bars} bars`;
}
