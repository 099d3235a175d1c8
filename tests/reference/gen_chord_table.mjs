// Writes src/notes/chord_table.h: every chord type of tonal 2.2's dictionary (the chord library
// magenta.js 1.23 reads chord symbols with), with its pitch classes above the root and its triad
// quality as magenta.js's ChordSymbols.quality decides it.
//   node tests/reference/gen_chord_table.mjs        (tests/js/chords_magenta.test.mjs checks the
//                                                     committed header is what this writes)
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Chord, Note, Distance } = require('tonal');
const { chord: dictionary } = require('tonal-dictionary');

// magenta.js's CHORD_QUALITY_INTERVALS (music/src/core/chords.ts): major, minor, augmented,
// diminished; a type containing exactly one of these interval sets has that quality, else Other.
const QUALITY_INTERVALS = [['1P', '3M', '5P'], ['1P', '3m', '5P'], ['1P', '3M', '5A'], ['1P', '3m', '5d']];

export function chordTableText() {
  const rows = dictionary.names(true).slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((name) => {
    const intervals = Chord.props(name).intervals;
    let mask = 0;
    for (const ivl of intervals) mask |= 1 << Note.chroma(Distance.transpose('C', ivl));
    const matches = QUALITY_INTERVALS.map((set) => set.every((i) => intervals.includes(i)));
    const quality = matches.indexOf(true) >= 0 && matches.indexOf(true) === matches.lastIndexOf(true)
      ? matches.indexOf(true) : 4;
    return `    {${JSON.stringify(name)}, 0x${mask.toString(16).padStart(3, '0')}, ${quality}},`;
  });
  return [
    '/* chord_table.h: written by tests/reference/gen_chord_table.mjs from tonal 2.2\'s chord dictionary',
    ' * (the one magenta.js 1.23 reads chord symbols with); do not edit. Sorted by name (strcmp).',
    ' * Each type: its pitch classes above a C root (bit p = pitch class p) and its quality',
    ' * (0 major, 1 minor, 2 augmented, 3 diminished, 4 other), as magenta.js\'s ChordSymbols. */',
    '#ifndef MVAE_CHORD_TABLE_H',
    '#define MVAE_CHORD_TABLE_H',
    '',
    'typedef struct mvae_chord_type {',
    '  const char *name;',
    '  int pitches;',
    '  int quality;',
    '} mvae_chord_type;',
    '',
    '/* clang-format off */',
    'static const mvae_chord_type MVAE_CHORD_TYPES[] = {',
    ...rows,
    '};',
    '/* clang-format on */',
    '',
    '#endif',
    '',
  ].join('\n');
}

const OUT = new URL('../../src/notes/chord_table.h', import.meta.url);
if (import.meta.url === `file://${process.argv[1]}`) {
  fs.writeFileSync(OUT, chordTableText());
  console.log(`wrote ${OUT.pathname}`);
}
