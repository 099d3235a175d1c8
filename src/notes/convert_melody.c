/* convert_melody.c: note validation (shared by every converter) and the melody converter, following
 * magenta.js's MelodyConverter, Melody.fromNoteSequence and Melody.toNoteSequence. */
#include "notes/convert.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

mvae_status mvae_convert_fail(mvae_convert_error *error, mvae_status status, const char *message,
                              int index, int value) {
  if (error) {
    error->message = message;
    error->index = index;
    error->value = value;
  }
  return status;
}

void mvae_convert_clear_error(mvae_convert_error *error) {
  if (error) {
    error->message = "";
    error->index = -1;
    error->value = 0;
  }
}

mvae_status mvae_check_note_buffers(const int32_t *tokens, int num_steps, const mvae_note *notes,
                                    int max_notes, const int *n_notes, int sizes_ok,
                                    const char *size_message, mvae_convert_error *error) {
  mvae_convert_clear_error(error);
  if (!tokens || !n_notes || (max_notes > 0 && !notes))
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "NULL buffer", -1, 0);
  if (!mvae_num_steps_ok(num_steps) || max_notes < 0 || !sizes_ok)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, size_message, -1, num_steps);
  return MVAE_OK;
}

mvae_status mvae_notes_counted(int count, int max_notes, int *n_notes, mvae_convert_error *error) {
  *n_notes = count;
  if (count > max_notes)
    return mvae_convert_fail(error, MVAE_ERR_BUFFER_TOO_SMALL, "too many notes for the buffer", -1,
                             count);
  return MVAE_OK;
}

/* ---- Notes ---------------------------------------------------------------------------------- */

mvae_status mvae_check_note_list(const void *notes, int n_notes, mvae_convert_error *error) {
  if (n_notes < 0)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "negative note count", -1, n_notes);
  if (n_notes > 0 && !notes)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "notes is NULL", -1, n_notes);
  return MVAE_OK;
}

mvae_status mvae_check_pitch_velocity(int pitch, int velocity, int index,
                                      mvae_convert_error *error) {
  if (pitch < 0 || pitch > 127)
    return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "pitch outside 0..127", index, pitch);
  if (velocity < 0 || velocity > 127)
    return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "velocity outside 0..127", index, velocity);
  return MVAE_OK;
}

mvae_status mvae_check_notes(const mvae_note *notes, int n_notes, mvae_convert_error *error) {
  mvae_convert_clear_error(error);
  mvae_status status = mvae_check_note_list(notes, n_notes, error);
  if (status != MVAE_OK)
    return status;
  for (int i = 0; i < n_notes; i++) {
    const mvae_note *note = &notes[i];
    status = mvae_check_pitch_velocity(note->pitch, note->velocity, i, error);
    if (status != MVAE_OK)
      return status;
    if (note->start_step < 0)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "negative start_step", i,
                               note->start_step);
    if (note->end_step <= note->start_step)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "end_step not after start_step", i,
                               note->end_step);
    if (note->program < 0 || note->program > 127)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "program outside 0..127", i,
                               note->program);
    if (note->is_drum != 0 && note->is_drum != 1)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "is_drum not 0 or 1", i, note->is_drum);
    if (note->instrument < 0)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "negative instrument", i,
                               note->instrument);
  }
  return MVAE_OK;
}

mvae_status mvae_check_conversion(const mvae_note *notes, int n_notes, const void *out,
                                  const char *null_message, int num_steps,
                                  mvae_convert_error *error) {
  mvae_status status = mvae_check_notes(notes, n_notes, error);
  if (status != MVAE_OK)
    return status;
  if (!out)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, null_message, -1, 0);
  if (!mvae_num_steps_ok(num_steps))
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "num_steps outside 1..2^24", -1,
                             num_steps);
  return MVAE_OK;
}

int mvae_note_is_selected(const mvae_note *note, mvae_note_selection selection) {
  switch (selection) {
  case MVAE_SELECT_ALL:
    return 1;
  case MVAE_SELECT_TRIO_MELODY:
    return !note->is_drum && note->program >= MVAE_TRIO_MELODY_PROGRAM_MIN &&
           note->program <= MVAE_TRIO_MELODY_PROGRAM_MAX;
  case MVAE_SELECT_TRIO_BASS:
    return !note->is_drum && note->program >= MVAE_TRIO_BASS_PROGRAM_MIN &&
           note->program <= MVAE_TRIO_BASS_PROGRAM_MAX;
  case MVAE_SELECT_DRUMS:
    return note->is_drum != 0;
  }
  return 0;
}

/* ---- Melody --------------------------------------------------------------------------------- */

int mvae_melody_depth(int min_pitch, int max_pitch) {
  if (min_pitch < 0 || max_pitch > 127 || min_pitch > max_pitch)
    return 0;
  return mvs_melody_depth(max_pitch - min_pitch + 1);
}

typedef struct melody_candidate {
  int32_t start_step, end_step, pitch;
  int input_index;
} melody_candidate;

/* Start step ascending, then pitch descending (magenta.js's comparator), then input order: JS's
 * sort is stable, so of two notes with equal start and pitch the first one given is kept. The order
 * is total, so qsort's lack of stability does not matter. */
static int compare_candidates(const void *a_ptr, const void *b_ptr) {
  const melody_candidate *a = a_ptr, *b = b_ptr;
  if (a->start_step != b->start_step)
    return a->start_step < b->start_step ? -1 : 1;
  if (a->pitch != b->pitch)
    return a->pitch > b->pitch ? -1 : 1;
  return a->input_index < b->input_index ? -1 : (a->input_index > b->input_index);
}

mvae_status mvae_melody_from_notes(const mvae_note *notes, int n_notes,
                                   mvae_note_selection selection, int num_steps, int min_pitch,
                                   int max_pitch, int32_t *events, mvae_convert_error *error) {
  mvae_status status =
      mvae_check_conversion(notes, n_notes, events, "events is NULL", num_steps, error);
  if (status != MVAE_OK)
    return status;
  if (mvae_melody_depth(min_pitch, max_pitch) == 0)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "bad pitch range", -1, min_pitch);

  for (int t = 0; t < num_steps; t++)
    events[t] = MVAE_MELODY_NO_EVENT;
  int n_selected = 0;
  for (int i = 0; i < n_notes; i++)
    n_selected += mvae_note_is_selected(&notes[i], selection);
  if (n_selected == 0)
    return MVAE_OK;

  melody_candidate *sorted = malloc((size_t)n_selected * sizeof *sorted);
  if (!sorted)
    return mvae_convert_fail(error, MVAE_ERR_OUT_OF_MEMORY, "no memory to sort notes", -1,
                             n_selected);
  int n_sorted = 0;
  for (int i = 0; i < n_notes; i++) {
    if (!mvae_note_is_selected(&notes[i], selection))
      continue;
    melody_candidate candidate = {notes[i].start_step, notes[i].end_step, notes[i].pitch, i};
    sorted[n_sorted++] = candidate;
  }
  qsort(sorted, (size_t)n_sorted, sizeof *sorted, compare_candidates);

  int32_t last_start = -1;
  mvae_status result = MVAE_OK;
  for (int k = 0; k < n_sorted; k++) {
    const melody_candidate *note = &sorted[k];
    /* ignorePolyphony: a lower note starting with a kept one is dropped before any range check. */
    if (note->start_step == last_start)
      continue;
    /* magenta.js throws for a kept note out of range, wherever it starts; so do we. */
    if (note->pitch < min_pitch || note->pitch > max_pitch) {
      result = mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "pitch outside the model's range",
                                 note->input_index, note->pitch);
      break;
    }
    /* Int32Array writes past the end are ignored: notes past num_steps are truncated. */
    if (note->start_step < num_steps)
      events[note->start_step] = note->pitch - min_pitch + MVAE_MELODY_FIRST_PITCH;
    if (note->end_step < num_steps)
      events[note->end_step] = MVAE_MELODY_NOTE_OFF;
    last_start = note->start_step;
  }
  free(sorted);
  return result;
}

mvae_status mvae_events_to_one_hot(const int32_t *events, int num_steps, int depth, int row_stride,
                                   float *out, mvae_convert_error *error) {
  mvae_convert_clear_error(error);
  if (!events || !out)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "NULL buffer", -1, 0);
  if (!mvae_num_steps_ok(num_steps) || depth < 1 || row_stride < depth)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "bad size", -1, num_steps);
  for (int t = 0; t < num_steps; t++)
    if (events[t] < 0 || events[t] >= depth)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "event outside 0..depth-1", t, events[t]);
  for (int t = 0; t < num_steps; t++) {
    float *row = out + (size_t)t * (size_t)row_stride;
    for (int k = 0; k < depth; k++)
      row[k] = 0.0f;
    row[events[t]] = 1.0f;
  }
  return MVAE_OK;
}

mvae_status mvae_events_to_notes(const int32_t *events, int num_steps, int min_pitch, int max_pitch,
                                 int program, int instrument, mvae_note *notes, int max_notes,
                                 int *n_notes, mvae_convert_error *error) {
  int depth = mvae_melody_depth(min_pitch, max_pitch);
  mvae_status status = mvae_check_note_buffers(events, num_steps, notes, max_notes, n_notes,
                                               depth != 0, "bad size or pitch range", error);
  if (status != MVAE_OK)
    return status;
  if (program < 0 || program > 127 || instrument < 0)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "bad program or instrument", -1,
                             program);
  *n_notes = 0;
  for (int t = 0; t < num_steps; t++)
    if (events[t] < 0 || events[t] >= depth)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "melody token outside 0..depth-1", t,
                               events[t]);

  int count = 0;
  int sounding_pitch = -1, sounding_start = 0;
  for (int t = 0; t <= num_steps; t++) {
    /* The end of the sequence closes a sounding note like a note-off does. */
    int event = t < num_steps ? events[t] : MVAE_MELODY_NOTE_OFF;
    if (event == MVAE_MELODY_NO_EVENT)
      continue;
    if (sounding_pitch >= 0) {
      if (count < max_notes) {
        mvae_note note = {sounding_pitch, MVAE_DECODED_VELOCITY, sounding_start, t, program, 0,
                          instrument};
        notes[count] = note;
      }
      count++;
      sounding_pitch = -1;
    }
    if (event >= MVAE_MELODY_FIRST_PITCH) {
      sounding_pitch = event - MVAE_MELODY_FIRST_PITCH + min_pitch;
      sounding_start = t;
    }
  }
  return mvae_notes_counted(count, max_notes, n_notes, error);
}

mvae_status mvae_check_melody_input(const float *input, int num_steps, int min_pitch, int max_pitch,
                                    mvae_convert_error *error) {
  if (!input)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "input is NULL", -1, 0);
  if (!mvae_num_steps_ok(num_steps) || mvae_melody_depth(min_pitch, max_pitch) == 0)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "bad size or pitch range", -1,
                             num_steps);
  return MVAE_OK;
}

int32_t *mvae_melody_events_for_input(const mvae_note *notes, int n_notes, int num_steps,
                                      int min_pitch, int max_pitch, const float *input,
                                      mvae_status *status, mvae_convert_error *error) {
  *status = mvae_check_melody_input(input, num_steps, min_pitch, max_pitch, error);
  if (*status != MVAE_OK)
    return NULL;
  int32_t *events = malloc((size_t)num_steps * sizeof *events);
  if (!events) {
    *status =
        mvae_convert_fail(error, MVAE_ERR_OUT_OF_MEMORY, "no memory for events", -1, num_steps);
    return NULL;
  }
  *status = mvae_melody_from_notes(notes, n_notes, MVAE_SELECT_ALL, num_steps, min_pitch, max_pitch,
                                   events, error);
  if (*status != MVAE_OK) {
    free(events);
    return NULL;
  }
  return events;
}

mvae_status mvae_melody_notes_to_input(const mvae_note *notes, int n_notes, int num_steps,
                                       int min_pitch, int max_pitch, float *input,
                                       mvae_convert_error *error) {
  mvae_convert_clear_error(error);
  mvae_status status;
  int32_t *events = mvae_melody_events_for_input(notes, n_notes, num_steps, min_pitch, max_pitch,
                                                 input, &status, error);
  if (!events)
    return status;
  int depth = mvae_melody_depth(min_pitch, max_pitch);
  status = mvae_events_to_one_hot(events, num_steps, depth, depth, input, error);
  free(events);
  return status;
}
