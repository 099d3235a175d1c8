// The trio's track roles (which part is melody, bass, drums) in wasm_api/midi.mjs, the page's and
// the CLI's MIDI module, against the trainer's rule (training/data.py, run by
// tests/js/web_trio_roles.py): on every 16-bar window the trainer keeps in each of Freedoom's 112
// files, the same melody and bass instrument (file track, channel, program). Freedoom's d_dm01.mid
// (the file whose slap bass used to land in the melody lane) keeps its bass as bass.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

import { ROOT, SHARED } from './wasm_helpers.mjs';
import { midiToModelInput } from '../../wasm_api/midi.mjs';

const FREEDOOM = path.join(SHARED, 'data/freedoom/musics');
const LIB = path.join(ROOT, 'build/libmusicvae.so');
const TRIO_16 = { converter: 'trio', numSteps: 256, stepsPerBar: 16, stepsPerQuarter: 4, minPitch: 21, maxPitch: 108 };
const hasTorchless = spawnSync('/usr/bin/python3', ['-c', 'import mido, numpy'], { encoding: 'utf8' }).status === 0;
const skip = !fs.existsSync(FREEDOOM) ? `no Freedoom MIDI at ${FREEDOOM}`
  : !fs.existsSync(LIB) ? 'the native library is not built (bash scripts/build.sh)'
    : !hasTorchless ? 'python3 with mido and numpy is needed (the trainer\'s reference)' : false;

const key = (p) => (p ? [p.fileTrack, p.channel, p.program] : null);

describe('trio roles: the page and CLI take the tracks the trainer takes', { skip, timeout: 600000 }, () => {
  test('every trainer window of Freedoom (16 bars): the same melody and bass instrument', () => {
    const files = fs.readdirSync(FREEDOOM).filter((f) => /\.midi?$/i.test(f)).sort().map((f) => path.join(FREEDOOM, f));
    assert.equal(files.length, 112);
    const r = spawnSync('/usr/bin/python3', ['tests/js/web_trio_roles.py', '16', ...files],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PYTHONPATH: ROOT }, maxBuffer: 256 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const reference = r.stdout.trim().split('\n').map((line) => JSON.parse(line));
    let windows = 0, filesWithWindows = 0;
    const mismatches = [];
    for (const ref of reference) {
      if (ref.error || !ref.windows.length) continue;
      filesWithWindows++;
      const bytes = fs.readFileSync(ref.file);
      for (const w of ref.windows) {
        // Bars counted from the file's start: only windows inside a 4/4 stretch that starts there
        // (the trainer pads a stretch to whole bars, so its last windows may run past its end).
        const span = ref.spans.find(([a]) => a === w.spanStart);
        if (w.spanStart !== 0 || (w.bar + 16) * 16 > span[1]) continue;
        windows++;
        const got = midiToModelInput(bytes, TRIO_16, { bar: w.bar });
        const role = (name) => key(got.parts.find((p) => p.role === name));
        const same = JSON.stringify([role('melody'), role('bass')]) === JSON.stringify([w.melody, w.bass]);
        if (!same) mismatches.push(`${path.basename(ref.file)} bar ${w.bar}: trainer ${JSON.stringify([w.melody, w.bass])}, page ${JSON.stringify([role('melody'), role('bass')])}`);
      }
      // The page's default window is the first one the trainer keeps.
      const first = ref.windows.filter((w) => w.spanStart === 0).map((w) => w.bar)[0];
      if (first !== undefined && ref.spans.length === 1) {
        const bar = midiToModelInput(bytes, TRIO_16).bar;
        if (bar !== first) mismatches.push(`${path.basename(ref.file)}: first trainer window at bar ${first}, page's default bar ${bar}`);
      }
    }
    console.log(`# ${windows} trainer windows in ${filesWithWindows} Freedoom files: ${windows - mismatches.length} the same, ${mismatches.length} differ`);
    assert.ok(windows > 1000, `${windows} windows compared`);
    assert.deepEqual(mismatches.slice(0, 20), []);
  });

  test('d_dm01.mid: its slap bass (program 36) is the bass, not the melody', () => {
    const got = midiToModelInput(fs.readFileSync(path.join(FREEDOOM, 'd_dm01.mid')), TRIO_16);
    const bass = got.parts.find((p) => p.role === 'bass');
    const melody = got.parts.find((p) => p.role === 'melody');
    assert.ok(bass && bass.program >= 32 && bass.program <= 39, JSON.stringify(got.parts));
    assert.ok(melody && melody.program < 32, JSON.stringify(got.parts));
    assert.ok(got.sequence.notes.some((n) => n.instrument === 1), 'the bass lane has notes');
  });
});
