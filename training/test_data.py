"""Tests of training/data.py on tiny MIDI files written here with mido, against values worked out
by hand.  Run from the repo root: /usr/bin/python3 -m unittest training.test_data

At ticks_per_beat = 96 a step (a sixteenth) is 24 ticks and a bar 384 ticks.  Melody class of
MIDI pitch p is p - 19 (class 2 = pitch 21)."""

import hashlib
import io
import os
import random
import shutil
import tempfile
import unittest

import mido
import numpy as np

from training import data, engine

TPB = 96
STEP = TPB // 4
BAR = 16 * STEP


def write_midi(path, tracks, midi_type=1):
    """tracks: lists of (absolute tick, mido message); written with delta times."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mid = mido.MidiFile(type=midi_type, ticks_per_beat=TPB)
    for events in tracks:
        tr = mido.MidiTrack()
        last = 0
        for tick, msg in sorted(events, key=lambda e: e[0]):  # stable: same-tick order kept
            tr.append(msg.copy(time=tick - last))
            last = tick
        mid.tracks.append(tr)
    mid.save(path)
    return path


def on(tick, pitch, channel=0, velocity=100):
    return (tick, mido.Message('note_on', note=pitch, velocity=velocity, channel=channel))


def off(tick, pitch, channel=0):
    return (tick, mido.Message('note_off', note=pitch, velocity=0, channel=channel))


def note(start_tick, end_tick, pitch, channel=0):
    return [on(start_tick, pitch, channel), off(end_tick, pitch, channel)]


def meta(tick, kind, **kw):
    return (tick, mido.MetaMessage(kind, **kw))


def program(tick, prog, channel):
    return (tick, mido.Message('program_change', program=prog, channel=channel))


def bars_of_quarters(first_bar, pitches_per_bar, channel=0):
    """Quarter notes, legato, four per bar, starting at first_bar."""
    events = []
    for b, pitches in enumerate(pitches_per_bar):
        for k, p in enumerate(pitches):
            t = (first_bar + b) * BAR + k * 4 * STEP
            events += note(t, t + 4 * STEP, p, channel)
    return events


# The hand-made file of test_conversion: tempo change, overlaps, polyphony, velocity-0 note-off,
# drums of several pitches.
CONDUCTOR = [meta(0, 'set_tempo', tempo=500000), meta(0, 'time_signature', numerator=4, denominator=4),
             meta(300, 'set_tempo', tempo=300000)]  # tempo change: steps are counted in beats
MELODY = [program(0, 0, 0)] + (
    note(0, 96, 60)                                  # steps [0, 4)
    + [on(96, 64), on(144, 64, velocity=0)]          # [4, 6): note-on velocity 0 ends it
    + note(192, 288, 67) + note(192, 240, 72)        # same onset: 72 (higher) kept, 67 dropped
    + note(288, 384, 62) + note(312, 360, 65)        # 62 [12, 16) cut at 13 where 65 starts
    + [on(384, 60), on(420, 60), off(432, 60), off(480, 60)]  # same pitch overlapping, FIFO:
                                                     # [16, 18) and [18, 20); 420/24 = 17.5 -> 18
    + note(480, 576, 70) + note(528, 600, 55)        # a later lower onset cuts 70 at 22; 70's
                                                     # own note-off at 24 still ends 55 (magenta.js)
    + note(700, 705, 77))                            # 29.17 -> 29, 29.375 -> 29: one step kept
# MIDI pitch -> class: 60:41 64:45 72:53 62:43 65:46 70:51 55:36 77:58
EXPECTED_MELODY = np.zeros(32, np.int16)
for step, cls in {0: 41, 4: 45, 6: 1, 8: 53, 10: 1, 12: 43, 13: 46, 15: 1, 16: 41, 18: 41,
                  20: 51, 22: 36, 24: 1, 25: 1, 29: 58, 30: 1}.items():
    EXPECTED_MELODY[step] = cls
EXPECTED_MELODY_NOTES = [(0, 4, 60), (4, 6, 64), (8, 10, 72), (8, 12, 67), (12, 16, 62), (13, 15, 65),
                         (16, 18, 60), (18, 20, 60), (20, 24, 70), (22, 25, 55), (29, 30, 77)]


def drum_hits():
    hits = [(0, 36), (0, 42), (96, 38), (96, 46), (100, 42), (192, 51), (192, 22), (288, 45),
            (288, 48), (384, 49), (384, 43), (480, 35), (490, 36)]
    events = []
    for i, (t, p) in enumerate(hits):
        events.append(on(t, p, channel=9))
        # Half the note-offs as note-on velocity 0, as many drum files do.
        events.append(on(t + 12, p, channel=9, velocity=0) if i % 2 else off(t + 12, p, channel=9))
    return events


# Tokens: kick 1, snare 2, closed hh 4, open hh 8, low tom 16, mid tom 32, high tom 64, crash 128,
# ride 256.  Step 0: 36 kick + 42 hh = 5.  Step 4: 38 snare + 46 open hh + 42 (tick 100 -> 4.17)
# = 14.  Step 8: 51 ride = 256 (22 has no class in magenta.js's map).  Step 12: 45 low + 48 mid
# = 48.  Step 16: 49 crash + 43 (high tom in magenta.js's map) = 192.  Step 20: 35 and 36 (tick
# 490 -> 20.4) are both kick: a class hit twice counts once = 1.
EXPECTED_DRUMS = np.zeros(32, np.int16)
for step, tok in {0: 5, 4: 14, 8: 256, 12: 48, 16: 192, 20: 1}.items():
    EXPECTED_DRUMS[step] = tok


class TempDataTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='mvae_data_test_')
        self.data = os.path.join(self.dir, 'shared', 'data')
        self.cache = os.path.join(self.dir, 'cache')

    def tearDown(self):
        shutil.rmtree(self.dir)

    def path(self, rel):
        return os.path.join(self.data, rel)

    def all_windows(self, kind, bars):
        """Windows and sources of every split, checking that a file lands in its hash split."""
        ws, srcs = [], []
        for split in data.SPLITS:
            w = data.load_windows(kind, bars, split, shared_dir=self.data, cache_dir=self.cache)
            s = data.window_sources(kind, bars, split, shared_dir=self.data, cache_dir=self.cache)
            self.assertEqual(w.dtype, np.int16)
            self.assertEqual(w.shape[1:], (data.KINDS[kind], bars * 16))
            self.assertEqual(len(w), len(s))
            if kind != 'drums':
                for src in s:
                    self.assertEqual(data.hash_split(src), split)
            ws.append(w)
            srcs.extend(s.tolist())
        return np.concatenate(ws), srcs


class TestConversion(TempDataTest):
    def test_type1_melody_and_drums(self):
        f = write_midi(self.path('x.mid'), [CONDUCTOR, MELODY, drum_hits()])
        midi = data.read_midi(f)
        mel = sorted((n.start, n.end, n.pitch) for n in midi.notes if n.channel == 0)
        self.assertEqual(mel, EXPECTED_MELODY_NOTES)
        ev = data.melody_classes(data.melody_events(mel))
        np.testing.assert_array_equal(ev, EXPECTED_MELODY)
        drums = [(n.start, n.pitch) for n in midi.notes if n.channel == 9]
        np.testing.assert_array_equal(data.drum_events(drums), EXPECTED_DRUMS)

    def test_type0_gives_the_same_notes(self):
        f = write_midi(self.path('x.mid'), [CONDUCTOR, MELODY, drum_hits()])
        merged = mido.MidiFile(type=0, ticks_per_beat=TPB)
        merged.tracks.append(mido.merge_tracks(mido.MidiFile(f).tracks))
        merged.save(self.path('x0.mid'))
        a, b = data.read_midi(f), data.read_midi(self.path('x0.mid'))
        key = lambda m: sorted((n.start, n.end, n.pitch, n.channel, n.program) for n in m.notes)
        self.assertEqual(key(a), key(b))
        self.assertEqual(b.time_signatures, [(0, 4, 4)])

    def test_rounding_is_half_up_in_beats(self):
        self.assertEqual([data.tick_to_step(t, 96) for t in (0, 11, 12, 35, 36, 420)], [0, 0, 1, 1, 2, 18])
        self.assertEqual(data.tick_to_step(240, 480), 2)  # an eighth at 480 ticks per beat

    def test_program_is_taken_at_the_onset(self):
        f = write_midi(self.path('p.mid'), [[program(0, 33, 1)] + note(0, 96, 40, 1) +
                                            [program(96, 5, 1)] + note(96, 192, 40, 1)])
        self.assertEqual([n.program for n in data.read_midi(f).notes], [33, 5])

    def test_four_four_spans(self):
        self.assertEqual(data.four_four_spans([], 100), [(0, 100)])
        self.assertEqual(data.four_four_spans([(0, 4, 4), (64, 3, 4), (112, 4, 4)], 200), [(0, 64), (112, 200)])
        self.assertEqual(data.four_four_spans([(0, 6, 8)], 200), [])
        self.assertEqual(data.four_four_spans([(0, 4, 4), (64, 4, 4)], 200), [(0, 200)])


class TestSplit(unittest.TestCase):
    def test_fixed_rule(self):
        # sha1('pop909/001/001.mid') starts af7be3e6 = 2944132070, mod 100 = 70 -> train;
        # 'pop909/002/002.mid' 15381ab1 -> 85 -> valid; 'nottingham/melody/jigs1.mid' 8f11e7fe -> 90 -> test.
        self.assertEqual(data.hash_split('pop909/001/001.mid'), 'train')
        self.assertEqual(data.hash_split('pop909/002/002.mid'), 'valid')
        self.assertEqual(data.hash_split('nottingham/melody/jigs1.mid'), 'test')

    def test_proportions(self):
        splits = [data.hash_split('pop909/%03d/%03d.mid' % (i, i)) for i in range(1, 910)]
        for name, share in (('train', 0.8), ('valid', 0.1), ('test', 0.1)):
            self.assertAlmostEqual(splits.count(name) / len(splits), share, delta=0.04)


class TestMalformed(TempDataTest):
    def test_skipped_and_counted(self):
        good = write_midi(self.path('nottingham/melody/good.mid'),
                          [bars_of_quarters(0, [[60, 62, 64, 65], [67, 69, 71, 72]])])
        rng = random.Random(0)
        with open(self.path('nottingham/melody/random.mid'), 'wb') as f:
            f.write(bytes(rng.randrange(256) for _ in range(300)))
        with open(good, 'rb') as f:
            head = f.read()
        with open(self.path('nottingham/melody/truncated.mid'), 'wb') as f:
            f.write(head[:len(head) // 2])
        for bad in ('random.mid', 'truncated.mid'):
            with self.assertRaises(Exception):
                data.read_midi(self.path('nottingham/melody/' + bad))
        with self.assertLogs('training.data', level='WARNING') as logs:
            parsed = data.parse_kind('melody', shared_dir=self.data, cache_dir=self.cache)
        self.assertIn('skipped 2', logs.output[0])
        status = dict(zip(parsed['paths'].tolist(), parsed['status'].tolist()))
        self.assertEqual(status['nottingham/melody/good.mid'], 'ok')
        self.assertTrue(status['nottingham/melody/random.mid'].startswith('skipped'))
        self.assertTrue(status['nottingham/melody/truncated.mid'].startswith('skipped'))
        w, src = self.all_windows('melody', 2)
        self.assertEqual(set(src), {'nottingham/melody/good.mid'})
        out = io.StringIO()
        data.print_stats(shared_dir=self.data, cache_dir=self.cache, out=out)
        self.assertIn('2 skipped as unreadable', out.getvalue())


class TestHostileData(TempDataTest):
    """Issue 17: any file name, any CSV row and oversized files are skipped and counted."""

    def test_file_name_that_is_not_utf8(self):
        good = bars_of_quarters(0, [[60, 62, 64, 65], [67, 69, 71, 72]])
        write_midi(self.path('nottingham/melody/good.mid'), [good])
        raw_dir = os.fsencode(self.path('nottingham/melody'))
        write_midi(os.fsdecode(os.path.join(raw_dir, b'caf\xe9.mid')), [good])  # Latin-1 name
        w, src = self.all_windows('melody', 2)
        self.assertEqual(len(src), 2)  # one 2-bar window per file, none lost
        self.assertIn('nottingham/melody/caf\udce9.mid', src)
        # UTF-8 names hash as before: the bucket of the name's UTF-8 bytes
        bucket = int(hashlib.sha1('pop909/é/1.mid'.encode('utf-8')).hexdigest()[:8], 16) % 100
        self.assertEqual(data.hash_split('pop909/é/1.mid'),
                         'train' if bucket < 80 else 'valid' if bucket < 90 else 'test')
        out = io.StringIO()
        data.print_stats(shared_dir=self.data, cache_dir=self.cache, out=out)  # prints, no error

    def test_bad_info_csv_rows(self):
        hits = [on(0, 36, 9), off(12, 36, 9)]
        write_midi(self.path('groove/d1/a.mid'), [hits])
        with open(self.path('groove/info.csv'), 'w') as f:
            f.write('drummer,session,id,style,bpm,beat_type,time_signature,midi_filename,audio_filename,duration,split\n'
                    'd1,d1/s,d1/s/1,rock,120,beat,4-4,d1/a.mid,,8.0,train\n'
                    'd1,d1/s,d1/s/2,rock,120,beat,4-4,d1/a.mid,,8.0,foo\n'   # unknown split
                    'd1,d1/s,d1/s/3\n'                                        # short row
                    'd1,d1/s,d1/s/4,rock,120,beat,4-4,,,8.0,train\n')         # no file
        with self.assertLogs('training.data', level='WARNING') as logs:
            files = data.list_files('drums', self.data)
        self.assertEqual(files, [('groove/d1/a.mid', 'train')])
        self.assertIn('skipped 2 bad row(s)', logs.output[0])  # the short row is not 4-4

    def test_oversized_file_is_skipped(self):
        path = write_midi(self.path('nottingham/melody/big.mid'),
                          [bars_of_quarters(0, [[60, 62, 64, 65], [67, 69, 71, 72]])])
        with open(path, 'ab') as f:
            f.truncate(data.MAX_MIDI_BYTES + 1)
        with self.assertRaisesRegex(ValueError, 'limit'):
            data.read_midi(path)
        with self.assertLogs('training.data', level='WARNING'):
            parsed = data.parse_kind('melody', shared_dir=self.data, cache_dir=self.cache)
        self.assertTrue(parsed['status'][0].startswith('skipped'))


class TestWindows(TempDataTest):
    def test_melody_gap_rule_and_counts(self):
        # Bars 0-3 and 6-8 hold quarter notes, bars 4-5 are silent; the last note-off falls on
        # step 144, so the sequence is 10 bars.  2-bar windows start at bars 0..8:
        #   0, 1, 2 ok; 3 holds steps 64..79 silent (16 >= 1 bar) -> out; 4 has no note;
        #   5 holds 80..95 silent -> out; 6, 7 ok; 8 holds 144..159 silent -> out.  5 windows.
        # 3-bar windows start at 0..7: 0, 1 and 6 ok -> 3.  16 bars do not fit in 10 -> 0.
        first = [[48 + 4 * b + k for k in range(4)] for b in range(4)]
        second = [[72 + 4 * b + k for k in range(4)] for b in range(3)]
        write_midi(self.path('nottingham/melody/gaps.mid'),
                   [[meta(0, 'time_signature', numerator=4, denominator=4)]
                    + bars_of_quarters(0, first) + bars_of_quarters(6, second)])
        w2, src = self.all_windows('melody', 2)
        self.assertEqual(len(w2), 5)
        self.assertEqual(set(src), {'nottingham/melody/gaps.mid'})
        # Window 0: bar 0 pitches 48..51 (classes 29..32), bar 1 52..55 (33..36), one per beat.
        expected = np.zeros(32, np.int16)
        expected[::4] = np.arange(29, 37)
        np.testing.assert_array_equal(w2[0, 0], expected)
        self.assertEqual(len(self.all_windows('melody', 3)[0]), 3)
        self.assertEqual(len(self.all_windows('melody', 16)[0]), 0)

    def test_identical_windows_of_a_file_kept_once(self):
        # Four equal bars: 2-bar windows at bars 0, 1, 2 are equal (kept once); the one at bar 3
        # holds the silent bar after the last note-off.
        write_midi(self.path('nottingham/melody/repeat.mid'), [bars_of_quarters(0, [[60, 62, 64, 65]] * 4)])
        self.assertEqual(len(self.all_windows('melody', 2)[0]), 1)

    def test_out_of_range_pitch_drops_the_window(self):
        # Bar 0 holds pitch 110 (> 108); bars 1-2 are fine; bar 3 has only the note-off.
        write_midi(self.path('nottingham/melody/high.mid'),
                   [bars_of_quarters(0, [[110, 72, 74, 76], [60, 62, 64, 65], [67, 69, 71, 72]])])
        w, _ = self.all_windows('melody', 2)
        self.assertEqual(len(w), 1)
        self.assertEqual(w[0, 0, 0], 60 - 19)

    def test_non_four_four_parts_are_dropped(self):
        # 2 bars of 4/4, then 3/4 from step 32 on: only the 4/4 stretch gives windows; it ends
        # on step 32, so its padded third bar holds only the note-off -> 1 window.  Starting in
        # 6/8 instead leaves no 4/4 at all.
        events = [meta(0, 'time_signature', numerator=4, denominator=4),
                  meta(2 * BAR, 'time_signature', numerator=3, denominator=4)]
        events += bars_of_quarters(0, [[60, 62, 64, 65], [67, 69, 71, 72], [74, 76, 77, 79], [81, 83, 84, 86]])
        write_midi(self.path('nottingham/melody/mixed.mid'), [events])
        w, _ = self.all_windows('melody', 2)
        self.assertEqual(len(w), 1)
        self.assertEqual(w[0, 0, 16], 67 - 19)
        write_midi(self.path('nottingham/melody/mixed.mid'),
                   [[meta(0, 'time_signature', numerator=6, denominator=8)] + events[2:]])
        shutil.rmtree(self.cache)
        self.assertEqual(len(self.all_windows('melody', 2)[0]), 0)

    def test_pop909_uses_the_melody_track_only(self):
        mel = [meta(0, 'track_name', name='MELODY')] + bars_of_quarters(0, [[60, 62, 64, 65], [67, 69, 71, 72]])
        piano = [meta(0, 'track_name', name='PIANO')] + bars_of_quarters(0, [[84, 86, 88, 89], [91, 93, 95, 96]], 2)
        write_midi(self.path('pop909/001/001.mid'), [[meta(0, 'set_tempo', tempo=600000)], mel, piano])
        w, src = self.all_windows('melody', 2)
        self.assertEqual(src, ['pop909/001/001.mid'])
        np.testing.assert_array_equal(w[0, 0, ::4], [p - 19 for p in (60, 62, 64, 65, 67, 69, 71, 72)])

    def test_drums_use_info_csv(self):
        # Hits in bars 0 and 4 only -> 2-bar windows at bars 0 and 3 have hits, 1 and 2 do not.
        hits = [on(0, 36, 9), off(12, 36, 9), on(4 * BAR, 38, 9), off(4 * BAR + 12, 38, 9)]
        write_midi(self.path('groove/d1/a_4-4.mid'), [hits])
        write_midi(self.path('groove/d1/b_3-4.mid'), [hits])
        with open(self.path('groove/info.csv'), 'w') as f:
            f.write('drummer,session,id,style,bpm,beat_type,time_signature,midi_filename,audio_filename,duration,split\n'
                    'd1,d1/s,d1/s/1,rock,120,beat,4-4,d1/a_4-4.mid,,8.0,validation\n'
                    'd1,d1/s,d1/s/2,rock,120,beat,3-4,d1/b_3-4.mid,,8.0,train\n')
        w = data.load_windows('drums', 2, 'valid', shared_dir=self.data, cache_dir=self.cache)
        self.assertEqual(len(w), 2)
        self.assertEqual(w[0, 0, 0], 1)
        self.assertEqual(w[1, 0, 16], 2)
        self.assertEqual(len(data.load_windows('drums', 2, 'train', shared_dir=self.data, cache_dir=self.cache)), 0)
        self.assertEqual(data.window_sources('drums', 2, 'valid', shared_dir=self.data, cache_dir=self.cache).tolist(),
                         ['groove/d1/a_4-4.mid'] * 2)

    def test_trio(self):
        # Lead (program 0) plays every beat, a pad (program 5) one note a bar, bass (program 33)
        # two notes a bar, drums a kick every beat; 4 bars, last note-off on step 64 -> 5 bars.
        lead = [program(0, 0, 0)] + bars_of_quarters(0, [[72 + b, 74 + b, 76 + b, 77 + b] for b in range(4)], 0)
        pad = [program(0, 5, 1)] + sum((note(b * BAR, (b + 1) * BAR, 60, 1) for b in range(4)), [])
        bass = [program(0, 33, 2)] + sum((note(b * BAR, b * BAR + 8 * STEP, 36 + b, 2) +
                                          note(b * BAR + 8 * STEP, (b + 1) * BAR, 43, 2) for b in range(4)), [])
        kick = sum((note(t * 4 * STEP, t * 4 * STEP + 12, 36, 9) for t in range(16)), [])
        write_midi(self.path('freedoom/musics/t.mid'), [lead, pad, bass, kick])
        write_midi(self.path('freedoom/musics/nobass.mid'), [lead, pad, kick])
        # 2-bar windows at bars 0..3: each part has onsets and no 2-bar silence -> 4.
        w, src = self.all_windows('trio', 2)
        self.assertEqual(len(w), 4)
        self.assertEqual(set(src), {'freedoom/musics/t.mid'})
        order = np.argsort([int(x[0, 0]) for x in w])  # windows sorted by their first lead pitch
        first = w[order[0]]
        np.testing.assert_array_equal(first[0, ::4], [c - 19 for c in (72, 74, 76, 77, 73, 75, 77, 78)])
        np.testing.assert_array_equal(first[1, [0, 8, 16, 24]], [36 - 19, 43 - 19, 37 - 19, 43 - 19])
        np.testing.assert_array_equal(first[2, ::4], [1] * 8)
        self.assertEqual(int(first[2].sum()), 8)
        parsed = data.parse_kind('trio', shared_dir=self.data, cache_dir=self.cache)
        status = dict(zip(parsed['paths'].tolist(), parsed['status'].tolist()))
        self.assertEqual(status['freedoom/musics/nobass.mid'], 'unused')

    def test_cache_is_reused(self):
        write_midi(self.path('nottingham/melody/a.mid'), [bars_of_quarters(0, [[60, 62, 64, 65], [67, 69, 71, 72]])])
        w1, _ = self.all_windows('melody', 2)
        names = sorted(os.listdir(self.cache))
        self.assertTrue(any(n.startswith('melody_2bar_train_%s_' % data.VERSION) for n in names), names)
        os.remove(self.path('nottingham/melody/a.mid'))  # now only the cache can answer
        w2, _ = self.all_windows('melody', 2)
        np.testing.assert_array_equal(w1, w2)


class TestTranspose(unittest.TestCase):
    def test_transpose(self):
        ev = np.array([41, 0, 0, 1, 45, 0], np.int16)  # C4, E4
        np.testing.assert_array_equal(data.transpose_melody(ev, 2), [43, 0, 0, 1, 47, 0])
        np.testing.assert_array_equal(data.transpose_melody(ev, -39), [2, 0, 0, 1, 6, 0])  # C4 -> A0 = 21
        self.assertIsNone(data.transpose_melody(ev, -40))  # below pitch 21
        self.assertIsNone(data.transpose_melody(np.array([91, 1]), 1))  # 108 + 1
        self.assertEqual(data.transpose_melody(ev, 2).dtype, np.int16)
        np.testing.assert_array_equal(ev, [41, 0, 0, 1, 45, 0])  # input untouched
        np.testing.assert_array_equal(data.transpose_melody([0, 1, 0], 7), [0, 1, 0])  # no pitches

    def test_constants(self):
        self.assertEqual((data.MELODY_CLASSES, data.DRUM_CLASSES, data.STEPS_PER_BAR), (90, 512, 16))
        self.assertEqual((data.MIN_PITCH, data.MAX_PITCH), (21, 108))
        # magenta.js's DEFAULT_DRUM_PITCH_CLASSES, through the engine (the one home of the map)
        self.assertEqual([engine.drum_class_pitch(c) for c in range(9)], [36, 38, 42, 46, 45, 48, 50, 49, 51])
        self.assertEqual(engine.drum_class_of_pitch(43), 6)  # magenta.js map: high tom (not low tom)


if __name__ == '__main__':
    unittest.main()


SHARED_DATA = data.resolve_data_dir()
MODELS = os.path.join(data.repo_root(), 'models')


@unittest.skipUnless(os.path.isdir(os.path.join(SHARED_DATA, 'pop909')), 'needs ../shared/data')
class TestWindowsAreEngineInputs(unittest.TestCase):
    """Issue 16: what the trainer trains on is what the engine feeds the encoder at inference.
    For every melodic window of the real data, the notes it was cut from (those starting inside
    it), handed to a model of that length through the engine's public mvae_notes_to_input, give
    exactly the window's events."""

    def check(self, kind, bars, model_file):
        parsed = data.parse_kind(kind)
        notes_of = lambda t: parsed['notes'][parsed['trk_note_off'][t]:parsed['trk_note_off'][t + 1]]
        roles = [data.MEL, data.BASS] if kind == 'trio' else [data.MEL]
        with engine.Engine(os.path.join(MODELS, model_file)) as eng:
            depth = data.MELODY_CLASSES
            checked = 0
            for split in data.SPLITS:
                w = data.load_windows(kind, bars, split)
                origins = data.window_origins(kind, bars, split)
                for i in range(len(w)):
                    start, records = origins[i, 0], []
                    for track, role in enumerate(roles):
                        nt = notes_of(origins[i, 1 + track])
                        nt = nt[(nt[:, 0] >= start) & (nt[:, 0] < start + w.shape[2])]
                        for s, e, p in nt - np.array([start, start, 0]):
                            # trio: melody and bass as the programs TrioConverter sorts by
                            records.append((p, 100, s, e, 32 * (role == data.BASS), 0, track))
                    x = eng.notes_to_input(np.array(records, engine.NOTE_DTYPE))
                    for track in range(len(roles)):
                        got = x[:, track * depth:(track + 1) * depth].argmax(1)
                        if not np.array_equal(got, w[i, track]):
                            self.fail(f'{kind} {bars}-bar {split} window {i} track {track}: '
                                      f'{w[i, track].tolist()} != engine {got.tolist()}')
                    checked += 1
        return checked

    def test_melody_windows(self):
        self.assertGreater(self.check('melody', 2, 'mel_2bar_small.q8.mvae'), 40000)
        self.assertGreater(self.check('melody', 16, 'hierdec_mel_16bar_small.q8.mvae'), 30000)

    def test_trio_windows(self):
        self.assertGreater(self.check('trio', 16, 'hierdec_trio_16bar_small.q8.mvae'), 1000)
