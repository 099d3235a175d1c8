/* convert_groove.c: GrooVAE's converter, following magenta.js's GrooveConverter (toTensor and
 * toNoteSequence, music/src/core/data.ts): per step and drum class a hit, a velocity and an offset.
 * The drum map is the drum models' (mvae_drum_class_of_pitch). */
#include "notes/convert.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static mvae_status check_groove_notes(const mvae_groove_note *notes, int n_notes,
                                      mvae_convert_error *error) {
  mvae_status status = mvae_check_note_list(notes, n_notes, error);
  if (status != MVAE_OK)
    return status;
  for (int i = 0; i < n_notes; i++) {
    const mvae_groove_note *note = &notes[i];
    status = mvae_check_pitch_velocity(note->pitch, note->velocity, i, error);
    if (status != MVAE_OK)
      return status;
    if (isinf(note->start_time))
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "start time is infinite", i, 0);
  }
  return MVAE_OK;
}

mvae_status mvae_groove_input_from_notes(const mvae_groove_note *notes, int n_notes,
                                         const mvae_groove_options *options, double qpm,
                                         float *input, mvae_convert_error *error) {
  mvae_convert_clear_error(error);
  if (!options || !input)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "NULL buffer", -1, 0);
  int num_steps = options->num_steps;
  if (!mvae_num_steps_ok(num_steps) || options->steps_per_quarter < 1)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "bad num_steps or steps_per_quarter",
                             -1, num_steps);
  if (!(qpm > 0.0) || !isfinite(qpm))
    return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "tempo (qpm) is not a positive number", -1,
                             0);
  mvae_status status = check_groove_notes(notes, n_notes, error);
  if (status != MVAE_OK)
    return status;

  /* The note each (step, class) keeps: the first of the loudest, as magenta.js's stepNotes map. */
  size_t cells = (size_t)num_steps * MVAE_DRUM_CLASSES;
  int32_t *kept = malloc(sizeof *kept * cells);
  if (!kept)
    return mvae_convert_fail(error, MVAE_ERR_OUT_OF_MEMORY, "out of memory for the steps", -1,
                             num_steps);
  for (size_t k = 0; k < cells; k++)
    kept[k] = -1;
  for (int i = 0; i < n_notes; i++) {
    const mvae_groove_note *note = &notes[i];
    int drum_class =
        options->tapify ? MVAE_GROOVE_TAPIFY_CLASS : mvae_drum_class_of_pitch(note->pitch);
    if (drum_class < 0)
      continue; /* an unmapped pitch: magenta.js skips it before looking at its step */
    if (note->step < 0 || note->step >= num_steps) {
      free(kept);
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT,
                               "drum note outside the model's steps (magenta.js: the model does "
                               "not support sequences with more steps)",
                               i, note->step);
    }
    int32_t *cell = &kept[(size_t)note->step * MVAE_DRUM_CLASSES + drum_class];
    if (*cell < 0 || notes[*cell].velocity < note->velocity)
      *cell = i;
  }

  /* magenta.js computes in double and stores the tensor's float32 values. */
  double step_length = (60.0 / qpm) / options->steps_per_quarter;
  for (int s = 0; s < num_steps; s++) {
    float *row = input + (size_t)s * MVAE_GROOVE_DEPTH;
    for (int c = 0; c < MVAE_DRUM_CLASSES; c++) {
      int32_t i = kept[(size_t)s * MVAE_DRUM_CLASSES + c];
      const mvae_groove_note *note = i >= 0 ? &notes[i] : NULL;
      float velocity = 0.0f, offset = 0.0f;
      if (note && !options->humanize && !options->tapify)
        velocity = (float)(note->velocity / 127.0);
      /* A note without a start time has offset 0; else 2 (step time - start) / step length. */
      if (note && !options->humanize && !isnan(note->start_time))
        offset = (float)(2.0 * (s * step_length - note->start_time) / step_length);
      row[c] = note ? 1.0f : 0.0f;
      row[MVAE_DRUM_CLASSES + c] = velocity;
      row[2 * MVAE_DRUM_CLASSES + c] = offset;
    }
  }
  free(kept);
  return MVAE_OK;
}

static double clip(double v, double lo, double hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

mvae_status mvae_groove_hits_from_values(const float *values, int num_steps, mvae_groove_hit *hits,
                                         int max_hits, int *n_hits, mvae_convert_error *error) {
  mvae_convert_clear_error(error);
  if (!values || !n_hits || max_hits < 0 || (max_hits > 0 && !hits))
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "NULL buffer", -1, max_hits);
  *n_hits = 0;
  if (!mvae_num_steps_ok(num_steps))
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "num_steps outside 1..2^24", -1,
                             num_steps);
  for (int s = 0; s < num_steps; s++)
    for (int k = 0; k < MVAE_GROOVE_DEPTH; k++)
      if (!isfinite(values[(size_t)s * MVAE_GROOVE_DEPTH + k]))
        return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "groove value is not finite", s, k);
  int count = 0;
  for (int s = 0; s < num_steps; s++) {
    const float *row = values + (size_t)s * MVAE_GROOVE_DEPTH;
    for (int c = 0; c < MVAE_DRUM_CLASSES; c++) {
      if (!(row[c] > 0.5f))
        continue;
      if (count < max_hits) {
        /* Math.round(v * 127) (exact here: v * 127 fits a double) clipped to 0..127. */
        double velocity = clip(floor((double)row[MVAE_DRUM_CLASSES + c] * 127.0 + 0.5), 0, 127);
        double offset = clip((double)row[2 * MVAE_DRUM_CLASSES + c] / 2.0, -0.5, 0.5);
        hits[count] =
            (mvae_groove_hit){mvae_drum_class_pitch(c), (int32_t)velocity, s, (double)s - offset};
      }
      count++;
    }
  }
  *n_hits = count;
  if (count > max_hits)
    return mvae_convert_fail(error, MVAE_ERR_BUFFER_TOO_SMALL, "too many hits", -1, count);
  return MVAE_OK;
}
