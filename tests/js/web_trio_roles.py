"""The trainer's trio role assignment (training/data.py), as the reference for the page's and the
CLI's (wasm_api/midi.mjs pickTrioParts): for each MIDI file given, every 16-bar window the trainer
keeps and the instrument it takes for melody, bass and drums there. Prints JSON lines
{file, spans, windows: [{bar, melody: [track, channel, program], bass: [...]}]}.

Usage: /usr/bin/python3 tests/js/web_trio_roles.py BARS FILE...   (run from the repository root)
"""
import json
import sys
from collections import defaultdict

from training import data


def instrument_keys(midi, span):
    """The (track, channel, program) of each pitched trio candidate, in _trio_sequences' order."""
    keys = set()
    for n in data._span_notes(midi.notes, span):
        if n.channel != data.DRUM_CHANNEL and (n.program in data.MELODY_PROGRAMS or n.program in data.BASS_PROGRAMS):
            keys.add((n.track, n.channel, n.program))
    return sorted(keys)


def main():
    bars = int(sys.argv[1])
    for path in sys.argv[2:]:
        try:
            midi = data.read_midi(path)
        except Exception as e:  # as the trainer: a bad file is skipped
            print(json.dumps({'file': path, 'error': str(e)}))
            continue
        spans = data.four_four_spans(midi.time_signatures, midi.end_step)
        seqs = data._trio_sequences(midi)
        out = []
        si = 0  # _trio_sequences keeps a span only when it has drums, melody and bass candidates
        for span in spans:
            keys = instrument_keys(midi, span)
            sn = data._span_notes(midi.notes, span)
            has_drums = any(n.channel == data.DRUM_CHANNEL for n in sn)
            roles = {data.MEL if k[2] in data.MELODY_PROGRAMS else data.BASS for k in keys}
            if not (has_drums and data.MEL in roles and data.BASS in roles):
                continue
            tracks = seqs[si]
            si += 1
            windows, starts, ids = data._sequence_windows('trio', [(r, ev, nt, t) for t, (r, ev, nt) in enumerate(tracks)], bars)
            for start, row in zip(starts.tolist(), ids.tolist()):
                out.append({'bar': (span[0] + start) // data.STEPS_PER_BAR, 'spanStart': span[0],
                            'melody': list(keys[row[0]]), 'bass': list(keys[row[1]])})
        print(json.dumps({'file': path, 'spans': spans, 'windows': out}))


if __name__ == '__main__':
    main()
