/* convert_multitrack.h: magenta.js's MultitrackConverter (music/src/core/data.ts, with Performance
 * of music/src/core/performance.ts): a sequence of several instruments as num_segments tracks of
 * performance events, one token per event, each track its own segment of L = num_steps /
 * num_segments tokens.
 *
 * Tokens, with P = max_pitch - min_pitch + 1 pitches, S = total_steps, V = velocity_bins:
 *   [0, P)                 note-on of min_pitch + k
 *   [P, 2P)                note-off of min_pitch + k - P
 *   [2P, 2P + S)           time shift of k - 2P + 1 steps
 *   [2P + S, 2P + S + V)   velocity change to bin k - 2P - S + 1
 *   E + p, p in 0..127     program select p (E = 2P + S + V, magenta.js's performanceEventDepth)
 *   E + 128                drums
 *   E + 129                end of the track (depth E + 130)
 * A track's segment is [program select, events..., end], then rows of zeros (token -1 here): at
 * most L - 2 events. A segment of a missing track is [end] and zeros.
 *
 * Like convert.h: no state, the caller's buffers, mvae_convert_error for what went wrong. */
#ifndef MVAE_CONVERT_MULTITRACK_H
#define MVAE_CONVERT_MULTITRACK_H

#include "notes/convert.h"

#include <stdint.h>

/* A padding step of a segment (an all-zero input row). */
#define MVAE_MULTITRACK_PAD (-1)
#define MVAE_MULTITRACK_PROGRAMS MVS_MULTITRACK_PROGRAMS /* 128 programs + drums (schema.json) */
/* magenta.js's Performance.fromNoteSequence sorts the tracks with V8's sort and a comparator that
 * is not a consistent order (several drum tracks); V8 sorts fewer than 64 items by binary
 * insertion, which this converter reproduces. More instruments are refused. */
#define MVAE_MULTITRACK_MAX_INSTRUMENTS 63

typedef struct mvae_multitrack_params {
  int num_steps, num_segments; /* num_segments tracks of num_steps / num_segments tokens */
  int total_steps;             /* steps of a sequence, and the longest time shift */
  int velocity_bins;           /* 0: no velocity events */
  int min_pitch, max_pitch;
} mvae_multitrack_params;

/* A multitrack model's parameters (from its mvae_info). */
mvae_multitrack_params mvae_multitrack_params_of(const mvae_info *info);

/* The token depth E + 130, or 0 if the parameters are out of range (segments of at least 2 steps,
 * total_steps 1..MVAE_CONVERT_MAX_STEPS, velocity bins 0..127 whose top bin's velocity is at most
 * 127, 0 <= min_pitch <= max_pitch <= 127). */
int mvae_multitrack_depth(const mvae_multitrack_params *p);
int mvae_multitrack_end_token(const mvae_multitrack_params *p);

/* Notes -> tokens[num_steps] (MVAE_MULTITRACK_PAD past each segment's end), as
 * MultitrackConverter.toTensor: notes outside the pitch range are dropped; one track per instrument
 * (in order of first appearance), its notes ordered by start time then pitch (timing NULL or
 * without start times: by pitch, as notes without startTime), cut to the timing's
 * total_quantized_steps (-1 or NULL timing: none) and to total_steps; tracks sorted (non-drum by
 * program, drums last) and cut to num_segments, then each to L - 2 events. Notes are checked with
 * mvae_check_notes first; allocates scratch (freed). */
mvae_status mvae_multitrack_notes_to_tokens(const mvae_note *notes, int n_notes,
                                            const mvae_sequence_timing *timing,
                                            const mvae_multitrack_params *p, int32_t *tokens,
                                            mvae_convert_error *error);

/* tokens[num_steps] -> one-hot rows out[t * row_stride .. + depth) (all zeros for a pad). */
mvae_status mvae_multitrack_tokens_to_input(const int32_t *tokens, const mvae_multitrack_params *p,
                                            int row_stride, float *out, mvae_convert_error *error);

/* The encoder's segment lengths of one input float[num_steps][row_stride] (depth columns read), as
 * magenta.js's getSegmentLengths: segment u's length is 1 + the offset of its first row that is
 * exactly the end token's one-hot. A segment without one is MVAE_ERR_BAD_INPUT. */
mvae_status mvae_multitrack_segment_lengths(const float *input, int row_stride,
                                            const mvae_multitrack_params *p, int *lengths,
                                            mvae_convert_error *error);

/* Decoded tokens[num_steps] (each 0..depth-1) -> notes, as MultitrackConverter.toNoteSequence:
 * segment u is instrument u; its tokens up to the first end token; the first program token gives
 * program and is_drum (drums: program 0); the events, cut or padded to total_steps, make notes
 * (a note-off ends the earliest open note of its pitch; notes still open end at total_steps;
 * empty notes are dropped), velocities from the velocity events (MVAE_DECODED_VELOCITY before the
 * first). Same buffer rules as mvae_events_to_notes. */
mvae_status mvae_multitrack_tokens_to_notes(const int32_t *tokens, const mvae_multitrack_params *p,
                                            mvae_note *notes, int max_notes, int *n_notes,
                                            mvae_convert_error *error);

#endif /* MVAE_CONVERT_MULTITRACK_H */
