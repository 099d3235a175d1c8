/* notes_api.c: mvae_notes_to_input and mvae_tokens_to_notes, the public note-sequence calls, on top
 * of the model-independent converters in convert.h. Only the public mvae_model_info is used to
 * learn the model's converter, so this file does not depend on the model's internals. */
#include "api/errors.h"
#include "musicvae.h"
#include "notes/convert.h"

#include <stdint.h>

/* The sizes the converters need, checked against what the model says its tensors are. */
static mvae_status converter_info(mvae_model *model, mvae_info *info) {
  mvae_status status = mvae_model_info(model, info);
  if (status != MVAE_OK)
    return status;
  if (!mvae_num_steps_ok(info->num_steps))
    return mvae_fail(model, MVAE_ERR_UNSUPPORTED, "num_steps %d outside 1..%d", info->num_steps,
                     MVAE_CONVERT_MAX_STEPS);
  int melody_depth = mvae_melody_depth(info->min_pitch, info->max_pitch);
  switch (info->converter) {
  case MVAE_CONVERTER_MELODY:
    if (melody_depth == 0 || info->input_depth != melody_depth || info->num_tracks != 1 ||
        info->output_depths[0] != melody_depth)
      return mvae_fail(model, MVAE_ERR_UNSUPPORTED,
                       "melody converter: pitch range %d..%d does not match input depth %d, "
                       "output depth %d",
                       info->min_pitch, info->max_pitch, info->input_depth, info->output_depths[0]);
    return MVAE_OK;
  case MVAE_CONVERTER_DRUMS: {
    int input_depth = info->drums_roll_input ? MVAE_DRUM_ROLL_WIDTH : MVAE_DRUM_LABELS;
    if (info->input_depth != input_depth || info->num_tracks != 1 ||
        info->output_depths[0] != MVAE_DRUM_LABELS)
      return mvae_fail(model, MVAE_ERR_UNSUPPORTED,
                       "drums converter: input depth %d (expected %d), output depth %d "
                       "(expected %d)",
                       info->input_depth, input_depth, info->output_depths[0], MVAE_DRUM_LABELS);
    return MVAE_OK;
  }
  case MVAE_CONVERTER_TRIO:
    if (melody_depth == 0 ||
        info->input_depth != mvae_trio_input_depth(info->min_pitch, info->max_pitch) ||
        info->num_tracks != 3 || info->output_depths[0] != melody_depth ||
        info->output_depths[1] != melody_depth || info->output_depths[2] != MVAE_DRUM_LABELS)
      return mvae_fail(model, MVAE_ERR_UNSUPPORTED,
                       "trio converter: pitch range %d..%d does not match input depth %d",
                       info->min_pitch, info->max_pitch, info->input_depth);
    return MVAE_OK;
  }
  return mvae_fail(model, MVAE_ERR_UNSUPPORTED, "unknown converter type %d", (int)info->converter);
}

/* Turns a converter error into the model's last error. */
static mvae_status convert_failure(mvae_model *model, mvae_status status,
                                   const mvae_convert_error *error, const char *what) {
  if (error->index >= 0)
    return mvae_fail(model, status, "%s %d: %s (%d)", what, error->index, error->message,
                     error->value);
  return mvae_fail(model, status, "%s (%d)", error->message, error->value);
}

mvae_status mvae_notes_to_input(mvae_model *model, const mvae_note *notes, int n_notes,
                                float *input) {
  if (!model)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_clear_error(model);
  if (!input)
    return mvae_fail(model, MVAE_ERR_INVALID_ARGUMENT, "input is NULL");
  if (n_notes < 0 || n_notes > MVAE_MAX_INPUT_NOTES || (n_notes > 0 && !notes))
    return mvae_fail(model, MVAE_ERR_INVALID_ARGUMENT, "bad notes (%d notes at %p; at most %d)",
                     n_notes, (const void *)notes, MVAE_MAX_INPUT_NOTES);
  mvae_info info;
  mvae_status status = converter_info(model, &info);
  if (status != MVAE_OK)
    return status;

  mvae_convert_error error = {"", -1, 0};
  switch (info.converter) {
  case MVAE_CONVERTER_MELODY:
    status = mvae_melody_notes_to_input(notes, n_notes, info.num_steps, info.min_pitch,
                                        info.max_pitch, input, &error);
    break;
  case MVAE_CONVERTER_DRUMS:
    /* The encoding Magenta trains on (and our trainer uses), not magenta.js's off-by-one roll and
     * summed labels: see mvae_drum_encoding. */
    status = mvae_drums_notes_to_input(notes, n_notes, info.num_steps, info.drums_roll_input,
                                       MVAE_DRUMS_CLEAN, input, &error);
    break;
  case MVAE_CONVERTER_TRIO:
    status = mvae_trio_notes_to_input(notes, n_notes, info.num_steps, info.min_pitch,
                                      info.max_pitch, MVAE_DRUMS_CLEAN, input, &error);
    break;
  }
  if (status != MVAE_OK)
    return convert_failure(model, status, &error, "note");
  return MVAE_OK;
}

mvae_status mvae_tokens_to_notes(mvae_model *model, const int32_t *tokens, mvae_note *notes,
                                 int max_notes, int *n_notes) {
  if (!model)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_clear_error(model);
  if (!tokens || !n_notes || max_notes < 0 || (max_notes > 0 && !notes))
    return mvae_fail(model, MVAE_ERR_INVALID_ARGUMENT, "bad buffers (max_notes %d)", max_notes);
  *n_notes = 0;
  mvae_info info;
  mvae_status status = converter_info(model, &info);
  if (status != MVAE_OK)
    return status;

  mvae_convert_error error = {"", -1, 0};
  switch (info.converter) {
  case MVAE_CONVERTER_MELODY:
    status = mvae_events_to_notes(tokens, info.num_steps, info.min_pitch, info.max_pitch, 0, 0,
                                  notes, max_notes, n_notes, &error);
    break;
  case MVAE_CONVERTER_DRUMS:
    status =
        mvae_drum_labels_to_notes(tokens, info.num_steps, 0, notes, max_notes, n_notes, &error);
    break;
  case MVAE_CONVERTER_TRIO:
    status = mvae_trio_tokens_to_notes(tokens, info.num_steps, info.min_pitch, info.max_pitch,
                                       notes, max_notes, n_notes, &error);
    break;
  }
  if (status == MVAE_ERR_BUFFER_TOO_SMALL)
    return mvae_fail(model, status, "%d notes do not fit in %d", *n_notes, max_notes);
  if (status != MVAE_OK)
    return convert_failure(model, status, &error, "token");
  return MVAE_OK;
}
