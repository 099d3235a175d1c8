/* attributes.c: the musical attributes of a melody that the attribute vectors (the paper's
 * "attribute vector arithmetic", Roberts et al. 2018, section 5.3) are computed from. This is
 * their one definition: training/attribute_vectors.py measures training windows through it (via
 * training/engine.py) and the JS API and the tests measure decoded samples through it. */
#include "api/errors.h"
#include "musicvae.h"

#include <math.h>
#include <stdint.h>

static const char *const attribute_names[MVAE_ATTR_COUNT] = {"density", "pitch", "range",
                                                             "syncopation"};

const char *mvae_attribute_name(int attribute) {
  return attribute >= 0 && attribute < MVAE_ATTR_COUNT ? attribute_names[attribute] : "";
}

mvae_status mvae_note_attributes(const mvae_note *notes, int n_notes, int num_steps, float *out,
                                 char *err, size_t err_size) {
  if (err && err_size)
    err[0] = '\0';
  if (!out || (!notes && n_notes > 0))
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT,
                             "attributes: the notes or the output is NULL");
  if (n_notes < 0 || n_notes > MVAE_MAX_INPUT_NOTES)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT,
                             "attributes: %d notes (0..%d)", n_notes, MVAE_MAX_INPUT_NOTES);
  if (num_steps < 1 || num_steps > MVAE_MAX_STEPS)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT,
                             "attributes: num_steps %d is not in 1..%d", num_steps, MVAE_MAX_STEPS);
  int count = 0, low = 128, high = -1, offbeat = 0;
  double pitch_sum = 0.0;
  for (int i = 0; i < n_notes; i++) {
    const mvae_note *n = &notes[i];
    if (n->pitch < 0 || n->pitch > 127 || n->start_step < 0)
      return mvae_format_error(err, err_size, MVAE_ERR_BAD_INPUT,
                               "attributes: note %d has pitch %d, start step %d", i, n->pitch,
                               n->start_step);
    if (n->is_drum || n->start_step >= num_steps)
      continue;
    count++;
    pitch_sum += n->pitch;
    low = n->pitch < low ? n->pitch : low;
    high = n->pitch > high ? n->pitch : high;
    offbeat += n->start_step % 4 != 0; /* off the quarter-note beat */
  }
  out[MVAE_ATTR_DENSITY] = (float)((double)count * MVAE_ATTR_STEPS_PER_BAR / num_steps);
  out[MVAE_ATTR_PITCH] = count ? (float)(pitch_sum / count) : NAN;
  out[MVAE_ATTR_RANGE] = count ? (float)(high - low) : NAN;
  out[MVAE_ATTR_SYNCOPATION] = count ? (float)((double)offbeat / count) : NAN;
  return MVAE_OK;
}
