/* notes_api.c: mvae_notes_to_input and mvae_tokens_to_notes, the public note-sequence calls, on top
 * of the model-independent converters in convert.h, and the one check of a model's shapes against
 * its converter (made once, at load). Only the public mvae_info is used to learn the model's
 * converter, so this file does not depend on the model's internals. */
#include "api/errors.h"
#include "musicvae.h"
#include "notes/convert.h"
#include "notes/convert_multitrack.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* A multitrack model: one core decoder over num_segments tracks, whose input and output rows are
 * the event one-hots. */
static mvae_status multitrack_check(const mvae_info *info, char *err, size_t err_size) {
  mvae_multitrack_params p = mvae_multitrack_params_of(info);
  int depth = mvae_multitrack_depth(&p);
  if (depth == 0)
    return mvae_format_error(err, err_size, MVAE_ERR_BAD_MODEL,
                             "multitrack converter: bad parameters (%d steps in %d segments of at "
                             "least 2, total_steps %d, %d velocity bins, pitches %d..%d)",
                             info->num_steps, info->num_segments, info->total_steps,
                             info->velocity_bins, info->min_pitch, info->max_pitch);
  if (!info->hierarchical || info->num_tracks != 1)
    return mvae_format_error(err, err_size, MVAE_ERR_BAD_MODEL,
                             "multitrack converter: needs a hierarchical decoder with one core "
                             "decoder (the model has %s, %d track(s))",
                             info->hierarchical ? "a hierarchical decoder" : "a flat decoder",
                             info->num_tracks);
  if (info->output_depths[0] != depth || info->input_depth != depth)
    return mvae_format_error(err, err_size, MVAE_ERR_BAD_MODEL,
                             "multitrack converter: output depth %d and input_depth %d, expected "
                             "%d",
                             info->output_depths[0], info->input_depth, depth);
  return MVAE_OK;
}

mvae_status mvae_converter_check(const mvae_info *info, char *err, size_t err_size) {
  static const char *const names[] = {"melody",        "drums",        "trio",        "multitrack",
                                      "melody_rhythm", "melody_shape", "trio_rhythm", "groove"};
  if ((unsigned)info->converter > MVAE_CONVERTER_GROOVE)
    return mvae_format_error(err, err_size, MVAE_ERR_UNSUPPORTED, "unknown converter type %d",
                             (int)info->converter);
  const char *name = names[info->converter];
  if (!mvae_num_steps_ok(info->num_steps))
    return mvae_format_error(err, err_size, MVAE_ERR_UNSUPPORTED, "num_steps %d outside 1..%d",
                             info->num_steps, MVAE_CONVERT_MAX_STEPS);
  if (info->converter == MVAE_CONVERTER_MULTITRACK)
    return multitrack_check(info, err, err_size);
  int melody = mvae_melody_depth(info->min_pitch, info->max_pitch);
  int pitched = info->converter != MVAE_CONVERTER_DRUMS && info->converter != MVAE_CONVERTER_GROOVE;
  if (melody == 0 && pitched)
    return mvae_format_error(err, err_size, MVAE_ERR_BAD_MODEL,
                             "%s converter: no pitch range %d..%d", name, info->min_pitch,
                             info->max_pitch);
  /* Each converter's track depths and input width, as its encoding defines them. */
  int tracks = 1, depths[3] = {melody, 0, 0}, input = melody;
  if (info->converter == MVAE_CONVERTER_DRUMS) {
    depths[0] = MVAE_DRUM_LABELS;
    input = info->drums_roll_input ? MVAE_DRUM_ROLL_WIDTH : MVAE_DRUM_LABELS;
  } else if (info->converter == MVAE_CONVERTER_TRIO) {
    tracks = 3;
    depths[1] = melody;
    depths[2] = MVAE_DRUM_LABELS;
    input = mvae_trio_input_depth(info->min_pitch, info->max_pitch);
  } else if (info->converter == MVAE_CONVERTER_MELODY_RHYTHM) {
    depths[0] = 2; /* one onset bit */
    input = 1;
  } else if (info->converter == MVAE_CONVERTER_MELODY_SHAPE) {
    depths[0] = input = MVAE_SHAPE_DEPTH;
  } else if (info->converter == MVAE_CONVERTER_TRIO_RHYTHM) {
    tracks = MVAE_TRIO_RHYTHM_TRACKS;
    depths[0] = depths[1] = depths[2] = 2;
    input = MVAE_TRIO_RHYTHM_TRACKS;
  } else if (info->converter == MVAE_CONVERTER_GROOVE) {
    depths[0] = input = MVAE_GROOVE_DEPTH; /* [hits | velocities | offsets] in and out */
  }
  /* Onset tokens are bits: only a boolean output layer makes them (a categorical one over 2
   * classes would mean something else). */
  int rhythm = info->converter == MVAE_CONVERTER_MELODY_RHYTHM ||
               info->converter == MVAE_CONVERTER_TRIO_RHYTHM;
  if (rhythm != (info->output_layer == MVAE_OUTPUT_BOOLEAN))
    return mvae_format_error(err, err_size, MVAE_ERR_BAD_MODEL,
                             rhythm ? "%s converter: onsets need a boolean output layer"
                                    : "%s converter: a boolean output layer is only for rhythm "
                                      "models",
                             name);
  if (info->num_tracks != tracks)
    return mvae_format_error(err, err_size, MVAE_ERR_BAD_MODEL,
                             "converter '%s' needs %d output track(s), the model has %d", name,
                             tracks, info->num_tracks);
  for (int t = 0; t < tracks; t++)
    if (info->output_depths[t] != depths[t])
      return mvae_format_error(err, err_size, MVAE_ERR_BAD_MODEL,
                               "%s converter: output depth %d of track %d, expected %d (pitches "
                               "%d..%d)",
                               name, info->output_depths[t], t, depths[t], info->min_pitch,
                               info->max_pitch);
  if (info->input_depth != input)
    return mvae_format_error(err, err_size, MVAE_ERR_BAD_MODEL,
                             "%s converter: input_depth %d, expected %d", name, info->input_depth,
                             input);
  return MVAE_OK;
}

/* The GrooVAE calls refuse other models: their converters have no velocities or offsets. */
static mvae_status require_groove(mvae_model *model, const mvae_info *info, const char *call) {
  if (info->converter != MVAE_CONVERTER_GROOVE)
    return mvae_fail(model, MVAE_ERR_UNSUPPORTED, "%s: this is not a GrooVAE model (converter %d)",
                     call, (int)info->converter);
  return MVAE_OK;
}

/* What every notes -> input call checks first, the model's last error cleared; fills *info (its
 * converter fields were checked at load, mvae_converter_check). groove_call: NULL, or the name of
 * a call only a GrooVAE model takes. */
static mvae_status check_input_call(mvae_model *model, const void *notes, int n_notes,
                                    const float *input, mvae_info *info, const char *groove_call) {
  if (!model)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_clear_error(model);
  if (!input)
    return mvae_fail(model, MVAE_ERR_INVALID_ARGUMENT, "input is NULL");
  if (n_notes < 0 || n_notes > MVAE_MAX_INPUT_NOTES || (n_notes > 0 && !notes))
    return mvae_fail(model, MVAE_ERR_INVALID_ARGUMENT, "bad notes (%d notes at %p; at most %d)",
                     n_notes, (const void *)notes, MVAE_MAX_INPUT_NOTES);
  mvae_model_info(model, info);
  return groove_call ? require_groove(model, info, groove_call) : MVAE_OK;
}

/* Turns a converter error into the model's last error. */
static mvae_status convert_failure(mvae_model *model, mvae_status status,
                                   const mvae_convert_error *error, const char *what) {
  if (error->index >= 0)
    return mvae_fail(model, status, "%s %d: %s (%d)", what, error->index, error->message,
                     error->value);
  return mvae_fail(model, status, "%s (%d)", error->message, error->value);
}

/* What every call writing notes (or hits) checks first, the model's last error cleared;
 * *n_out = 0 when they pass; then as check_input_call. */
static mvae_status check_output_call(mvae_model *model, const void *in, const void *out,
                                     int max_out, int *n_out, const char *items, mvae_info *info,
                                     const char *groove_call) {
  if (!model)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_clear_error(model);
  if (!in || !n_out || max_out < 0 || (max_out > 0 && !out))
    return mvae_fail(model, MVAE_ERR_INVALID_ARGUMENT, "bad buffers (max_%s %d)", items, max_out);
  *n_out = 0;
  mvae_model_info(model, info);
  return groove_call ? require_groove(model, info, groove_call) : MVAE_OK;
}

/* The converter's status of such a call as the model's: a buffer too small says how many
 * items it needed; another failure names the offending token (or step). */
static mvae_status output_status(mvae_model *model, mvae_status status,
                                 const mvae_convert_error *error, int needed, int max_out,
                                 const char *items, const char *what) {
  if (status == MVAE_ERR_BUFFER_TOO_SMALL)
    return mvae_fail(model, status, "%d %s do not fit in %d", needed, items, max_out);
  return status == MVAE_OK ? MVAE_OK : convert_failure(model, status, error, what);
}

static mvae_groove_options groove_options(const mvae_info *info) {
  return (mvae_groove_options){info->num_steps, info->steps_per_quarter, info->groove_humanize,
                               info->groove_tapify};
}

/* Quantized notes without times into a GrooVAE input: offsets 0, as magenta.js gives notes without
 * a startTime (the tempo then does not matter). */
static mvae_status groove_input_from_plain_notes(const mvae_info *info, const mvae_note *notes,
                                                 int n_notes, float *input,
                                                 mvae_convert_error *error) {
  mvae_status status = mvae_check_notes(notes, n_notes, error);
  if (status != MVAE_OK)
    return status;
  mvae_groove_note *timed = malloc(sizeof *timed * (size_t)(n_notes > 0 ? n_notes : 1));
  if (!timed)
    return mvae_convert_fail(error, MVAE_ERR_OUT_OF_MEMORY, "out of memory for the notes", -1,
                             n_notes);
  for (int i = 0; i < n_notes; i++)
    timed[i] = (mvae_groove_note){notes[i].pitch, notes[i].velocity, notes[i].start_step, NAN};
  mvae_groove_options options = groove_options(info);
  status = mvae_groove_input_from_notes(timed, n_notes, &options, 120.0, input, error);
  free(timed);
  return status;
}

mvae_status mvae_notes_to_input(mvae_model *model, const mvae_note *notes, int n_notes,
                                float *input) {
  return mvae_notes_to_input_timed(model, notes, n_notes, NULL, input);
}

/* A multitrack input: the tokens, then their one-hot rows (scratch freed). */
static mvae_status multitrack_notes_to_input(const mvae_info *info, const mvae_note *notes,
                                             int n_notes, const mvae_sequence_timing *timing,
                                             float *input, mvae_convert_error *error) {
  mvae_multitrack_params p = mvae_multitrack_params_of(info);
  int32_t *tokens = malloc(sizeof(int32_t) * (size_t)info->num_steps);
  if (!tokens)
    return mvae_convert_fail(error, MVAE_ERR_OUT_OF_MEMORY, "no memory for the tokens", -1, 0);
  mvae_status status = mvae_multitrack_notes_to_tokens(notes, n_notes, timing, &p, tokens, error);
  if (status == MVAE_OK)
    status = mvae_multitrack_tokens_to_input(tokens, &p, info->input_depth, input, error);
  free(tokens);
  return status;
}

/* The converters whose input needs only the melody's sizes: their calls are alike. */
typedef mvae_status (*melody_input_fn)(const mvae_note *notes, int n_notes, int num_steps,
                                       int min_pitch, int max_pitch, float *input,
                                       mvae_convert_error *error);
static melody_input_fn melody_input_converter(mvae_converter converter) {
  if (converter == MVAE_CONVERTER_MELODY_RHYTHM)
    return mvae_melody_rhythm_notes_to_input;
  if (converter == MVAE_CONVERTER_MELODY_SHAPE)
    return mvae_melody_shape_notes_to_input;
  return mvae_melody_notes_to_input;
}

mvae_status mvae_notes_to_input_timed(mvae_model *model, const mvae_note *notes, int n_notes,
                                      const mvae_sequence_timing *timing, float *input) {
  mvae_info info;
  mvae_status status = check_input_call(model, notes, n_notes, input, &info, NULL);
  if (status != MVAE_OK)
    return status;
  mvae_convert_error error = {"", -1, 0};
  switch (info.converter) {
  case MVAE_CONVERTER_MELODY:
  case MVAE_CONVERTER_MELODY_RHYTHM:
  case MVAE_CONVERTER_MELODY_SHAPE:
    status = melody_input_converter(info.converter)(notes, n_notes, info.num_steps, info.min_pitch,
                                                    info.max_pitch, input, &error);
    break;
  case MVAE_CONVERTER_DRUMS:
    /* The model's drum encoding: magenta.js's for its checkpoints, Magenta's (which our trainer
     * uses) for models trained here; see mvae_drum_encoding. */
    status = mvae_drums_notes_to_input(notes, n_notes, info.num_steps, info.drums_roll_input,
                                       info.drum_encoding, input, &error);
    break;
  case MVAE_CONVERTER_TRIO:
  case MVAE_CONVERTER_TRIO_RHYTHM:
    status = (info.converter == MVAE_CONVERTER_TRIO ? mvae_trio_notes_to_input
                                                    : mvae_trio_rhythm_notes_to_input)(
        notes, n_notes, info.num_steps, info.min_pitch, info.max_pitch, info.drum_encoding, input,
        &error);
    break;
  case MVAE_CONVERTER_MULTITRACK:
    status = multitrack_notes_to_input(&info, notes, n_notes, timing, input, &error);
    break;
  case MVAE_CONVERTER_GROOVE:
    status = groove_input_from_plain_notes(&info, notes, n_notes, input, &error);
    break;
  }
  if (status != MVAE_OK)
    return convert_failure(model, status, &error, "note");
  return MVAE_OK;
}

mvae_status mvae_tokens_to_notes(mvae_model *model, const int32_t *tokens, mvae_note *notes,
                                 int max_notes, int *n_notes) {
  mvae_info info;
  mvae_status status =
      check_output_call(model, tokens, notes, max_notes, n_notes, "notes", &info, NULL);
  if (status != MVAE_OK)
    return status;
  mvae_convert_error error = {"", -1, 0};
  switch (info.converter) {
  case MVAE_CONVERTER_MELODY:
    status = mvae_events_to_notes(tokens, info.num_steps, info.min_pitch, info.max_pitch, 0, 0,
                                  notes, max_notes, n_notes, &error);
    break;
  case MVAE_CONVERTER_DRUMS:
  case MVAE_CONVERTER_GROOVE: /* a GrooVAE's tokens are the hit sets: plain drum notes */
    status =
        mvae_drum_labels_to_notes(tokens, info.num_steps, 0, notes, max_notes, n_notes, &error);
    break;
  case MVAE_CONVERTER_TRIO:
    status = mvae_trio_tokens_to_notes(tokens, info.num_steps, info.min_pitch, info.max_pitch,
                                       notes, max_notes, n_notes, &error);
    break;
  case MVAE_CONVERTER_MULTITRACK: {
    mvae_multitrack_params p = mvae_multitrack_params_of(&info);
    status = mvae_multitrack_tokens_to_notes(tokens, &p, notes, max_notes, n_notes, &error);
    break;
  }
  case MVAE_CONVERTER_MELODY_RHYTHM:
    status = mvae_melody_rhythm_tokens_to_notes(tokens, info.num_steps, notes, max_notes, n_notes,
                                                &error);
    break;
  case MVAE_CONVERTER_MELODY_SHAPE:
    status = mvae_melody_shape_tokens_to_notes(tokens, info.num_steps, info.min_pitch,
                                               info.max_pitch, notes, max_notes, n_notes, &error);
    break;
  case MVAE_CONVERTER_TRIO_RHYTHM:
    status =
        mvae_trio_rhythm_tokens_to_notes(tokens, info.num_steps, notes, max_notes, n_notes, &error);
    break;
  }
  return output_status(model, status, &error, *n_notes, max_notes, "notes", "token");
}

mvae_status mvae_groove_to_input(mvae_model *model, const mvae_groove_note *notes, int n_notes,
                                 double qpm, float *input) {
  mvae_info info;
  mvae_status status = check_input_call(model, notes, n_notes, input, &info, "groove to input");
  if (status != MVAE_OK)
    return status;
  mvae_convert_error error = {"", -1, 0};
  mvae_groove_options options = groove_options(&info);
  status = mvae_groove_input_from_notes(notes, n_notes, &options, qpm, input, &error);
  return status == MVAE_OK ? MVAE_OK : convert_failure(model, status, &error, "note");
}

mvae_status mvae_groove_to_notes(mvae_model *model, const float *values, mvae_groove_hit *hits,
                                 int max_hits, int *n_hits) {
  mvae_info info;
  mvae_status status =
      check_output_call(model, values, hits, max_hits, n_hits, "hits", &info, "groove to notes");
  if (status != MVAE_OK)
    return status;
  mvae_convert_error error = {"", -1, 0};
  status = mvae_groove_hits_from_values(values, info.num_steps, hits, max_hits, n_hits, &error);
  return output_status(model, status, &error, *n_hits, max_hits, "hits", "step");
}
