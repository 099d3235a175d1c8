/* convert_rhythm_shape.c: the converters of magenta.js's rhythm and shape models, following its
 * MelodyRhythmConverter and MelodyShapeConverter (a MelodyRhythm / MelodyShape control of the
 * melody, music/src/core/melodies.ts) and TrioRhythmConverter (core/data.ts). Their encoder input
 * is a feature of the music, not the music; what they decode is drawn as placeholder notes, as
 * magenta.js draws it. */
#include "notes/convert.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static int is_onset(int32_t event) {
  return event >= MVAE_MELODY_FIRST_PITCH;
}

mvae_status mvae_melody_shape_from_events(const int32_t *events, int num_steps, float *shape,
                                          mvae_convert_error *error) {
  mvae_convert_clear_error(error);
  if (!events || !shape)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "NULL buffer", -1, 0);
  if (!mvae_num_steps_ok(num_steps))
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "num_steps outside 1..2^24", -1,
                             num_steps);
  const int width = MVAE_SHAPE_DEPTH;
  for (size_t k = 0; k < (size_t)num_steps * (size_t)width; k++)
    shape[k] = 0.0f;
  /* The steps after each onset up to and including the next one get the next onset's direction;
   * the first onset's row is still empty when the second comes, and then the direction runs from
   * step 0 (magenta.js's `last = -1`). */
  int last = -1, last_event = 0, onsets = 0;
  for (int t = 0; t < num_steps; t++) {
    if (!is_onset(events[t]))
      continue;
    if (onsets > 0) {
      int from = onsets == 1 ? -1 : last;
      int dir = events[t] < last_event   ? MVAE_SHAPE_DOWN
                : events[t] > last_event ? MVAE_SHAPE_UP
                                         : MVAE_SHAPE_SAME;
      for (int s = t; s > from; s--)
        shape[(size_t)s * width + (size_t)dir] = 1.0f;
    }
    last = t;
    last_event = events[t];
    onsets++;
  }
  if (last == num_steps - 1)
    return MVAE_OK; /* (one onset, on the last step: every row stays empty, as in magenta.js) */
  if (onsets < 2) { /* no direction anywhere: "same" at every step */
    for (int t = 0; t < num_steps; t++)
      shape[(size_t)t * width + MVAE_SHAPE_SAME] = 1.0f;
    return MVAE_OK;
  }
  for (int t = last + 1; t < num_steps; t++) /* after the last onset: its direction goes on */
    for (int k = 0; k < width; k++)
      shape[(size_t)t * width + (size_t)k] = shape[(size_t)last * width + (size_t)k];
  return MVAE_OK;
}

/* The rhythm of a melody: 1 at each onset. */
static mvae_status rhythm_from_events(const int32_t *events, int num_steps, float *rhythm,
                                      mvae_convert_error *error) {
  (void)error;
  for (int t = 0; t < num_steps; t++)
    rhythm[t] = is_onset(events[t]) ? 1.0f : 0.0f;
  return MVAE_OK;
}

/* feature(melody events of all the notes) -> input. */
static mvae_status melody_feature_input(const mvae_note *notes, int n_notes, int num_steps,
                                        int min_pitch, int max_pitch, float *input,
                                        mvae_status (*feature)(const int32_t *, int, float *,
                                                               mvae_convert_error *),
                                        mvae_convert_error *error) {
  mvae_status status;
  int32_t *events = mvae_melody_events_for_input(notes, n_notes, num_steps, min_pitch, max_pitch,
                                                 input, &status, error);
  if (!events)
    return status;
  status = feature(events, num_steps, input, error);
  free(events);
  return status;
}

mvae_status mvae_melody_rhythm_notes_to_input(const mvae_note *notes, int n_notes, int num_steps,
                                              int min_pitch, int max_pitch, float *input,
                                              mvae_convert_error *error) {
  return melody_feature_input(notes, n_notes, num_steps, min_pitch, max_pitch, input,
                              rhythm_from_events, error);
}

mvae_status mvae_melody_shape_notes_to_input(const mvae_note *notes, int n_notes, int num_steps,
                                             int min_pitch, int max_pitch, float *input,
                                             mvae_convert_error *error) {
  return melody_feature_input(notes, n_notes, num_steps, min_pitch, max_pitch, input,
                              mvae_melody_shape_from_events, error);
}

mvae_status mvae_trio_rhythm_notes_to_input(const mvae_note *notes, int n_notes, int num_steps,
                                            int min_pitch, int max_pitch,
                                            mvae_drum_encoding encoding, float *input,
                                            mvae_convert_error *error) {
  mvae_trio_tracks tracks;
  mvae_status status = mvae_trio_tracks_from_notes(notes, n_notes, num_steps, min_pitch, max_pitch,
                                                   encoding, input, &tracks, error);
  if (status != MVAE_OK)
    return status;
  const int32_t *melody = tracks.melody, *bass = tracks.bass, *drums = tracks.drums;
  /* Per step magenta.js's argmax tests: melody and bass onsets (class > 1), any drum hit (class >
   * 0; a one-hot row left all zero by a summed label has its argmax at 0). */
  for (int t = 0; t < num_steps; t++) {
    float *row = input + (size_t)t * MVAE_TRIO_RHYTHM_TRACKS;
    row[0] = is_onset(melody[t]) ? 1.0f : 0.0f;
    row[1] = is_onset(bass[t]) ? 1.0f : 0.0f;
    row[2] = drums[t] > 0 && drums[t] < MVAE_DRUM_LABELS ? 1.0f : 0.0f;
  }
  mvae_trio_tracks_free(&tracks);
  return MVAE_OK;
}

/* Checks tokens[count] against 0..limit-1 (error index: the token's position). */
static mvae_status check_tokens(const int32_t *tokens, int count, int limit, const char *what,
                                mvae_convert_error *error) {
  for (int i = 0; i < count; i++)
    if (tokens[i] < 0 || tokens[i] >= limit)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, what, i, tokens[i]);
  return MVAE_OK;
}

/* Appends a one-step note at step t if it fits; counts it either way. */
static void put_step_note(mvae_note *notes, int max_notes, int *count, int pitch, int t,
                          int program, int is_drum, int instrument) {
  if (*count < max_notes) {
    mvae_note note = {pitch, MVAE_DECODED_VELOCITY, t, t + 1, program, is_drum, instrument};
    notes[*count] = note;
  }
  (*count)++;
}

mvae_status mvae_melody_rhythm_tokens_to_notes(const int32_t *tokens, int num_steps,
                                               mvae_note *notes, int max_notes, int *n_notes,
                                               mvae_convert_error *error) {
  mvae_status status =
      mvae_check_note_buffers(tokens, num_steps, notes, max_notes, n_notes, 1, "bad size", error);
  if (status != MVAE_OK)
    return status;
  *n_notes = 0;
  status = check_tokens(tokens, num_steps, 2, "rhythm token outside 0..1", error);
  if (status != MVAE_OK)
    return status;
  int count = 0;
  for (int t = 0; t < num_steps; t++)
    if (tokens[t])
      put_step_note(notes, max_notes, &count, MVAE_RHYTHM_ONSET_PITCH, t, 0, 1, 0);
  return mvae_notes_counted(count, max_notes, n_notes, error);
}

mvae_status mvae_melody_shape_tokens_to_notes(const int32_t *tokens, int num_steps, int min_pitch,
                                              int max_pitch, mvae_note *notes, int max_notes,
                                              int *n_notes, mvae_convert_error *error) {
  mvae_status status =
      mvae_check_note_buffers(tokens, num_steps, notes, max_notes, n_notes, 1, "bad size", error);
  if (status != MVAE_OK)
    return status;
  if (mvae_melody_depth(min_pitch, max_pitch) == 0)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "bad pitch range", -1, min_pitch);
  *n_notes = 0;
  status = check_tokens(tokens, num_steps, MVAE_SHAPE_DEPTH, "shape token outside 0..2", error);
  if (status != MVAE_OK)
    return status;
  /* A note at every step, from the middle of the range (Math.round: halves up), one step down or
   * up as the shape says, held inside the range. */
  int pitch = (min_pitch + max_pitch + 1) / 2, count = 0;
  for (int t = 0; t < num_steps; t++) {
    if (tokens[t] == MVAE_SHAPE_DOWN && pitch > min_pitch)
      pitch--;
    else if (tokens[t] == MVAE_SHAPE_UP && pitch < max_pitch)
      pitch++;
    put_step_note(notes, max_notes, &count, pitch, t, 0, 0, 0);
  }
  return mvae_notes_counted(count, max_notes, n_notes, error);
}

mvae_status mvae_trio_rhythm_tokens_to_notes(const int32_t *tokens, int num_steps, mvae_note *notes,
                                             int max_notes, int *n_notes,
                                             mvae_convert_error *error) {
  mvae_status status =
      mvae_check_note_buffers(tokens, num_steps, notes, max_notes, n_notes, 1, "bad size", error);
  if (status != MVAE_OK)
    return status;
  *n_notes = 0;
  status = check_tokens(tokens, MVAE_TRIO_RHYTHM_TRACKS * num_steps, 2,
                        "trio rhythm token outside 0..1", error);
  if (status != MVAE_OK)
    return status;
  /* Step by step: the melody's (pitch 72), the bass's (36, program 32), the drums' (38). */
  static const int pitches[MVAE_TRIO_RHYTHM_TRACKS] = {
      MVAE_TRIO_RHYTHM_MELODY_PITCH, MVAE_TRIO_RHYTHM_BASS_PITCH, MVAE_RHYTHM_ONSET_PITCH};
  static const int programs[MVAE_TRIO_RHYTHM_TRACKS] = {MVAE_TRIO_MELODY_PROGRAM,
                                                        MVAE_TRIO_BASS_PROGRAM, 0};
  static const int instruments[MVAE_TRIO_RHYTHM_TRACKS] = {
      MVAE_TRIO_MELODY_INSTRUMENT, MVAE_TRIO_BASS_INSTRUMENT, MVAE_TRIO_DRUMS_INSTRUMENT};
  int count = 0;
  for (int t = 0; t < num_steps; t++)
    for (int k = 0; k < MVAE_TRIO_RHYTHM_TRACKS; k++)
      if (tokens[(size_t)k * (size_t)num_steps + (size_t)t])
        put_step_note(notes, max_notes, &count, pitches[k], t, programs[k], k == 2, instruments[k]);
  return mvae_notes_counted(count, max_notes, n_notes, error);
}
