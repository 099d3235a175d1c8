/* exports.c: the C functions the WebAssembly module exports, on top of the public API
 * (include/musicvae.h). The public calls that take only pointers and numbers are exported as they
 * are (see build.sh); the ones below wrap what JavaScript cannot pass easily: the rng struct (made
 * on the heap from a 64-bit seed in two 32-bit halves), the decode options struct and the load
 * error string.
 *
 * JavaScript reads structs and constants by name, never by position: mvw_info fills a real
 * mvae_info, and the field table (name, offset, kind) says where each field is; the constant table
 * gives the values of the C constants the JS API uses (statuses, limits, interpolation methods);
 * mvw_status_code names a status. Adding a field to mvae_info means adding one line here.
 *
 * Every wrapper returns an mvae_status (MVAE_OK on success); the message is mvae_last_error(model).
 */
#include "kernels/activations.h"
#include "kernels/kernels.h"
#include "musicvae.h"
#include "notes/convert.h"

#include <emscripten/emscripten.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kernel and activation sets compiled in and used ("wasm_simd128" when built with -msimd128).
 */
EMSCRIPTEN_KEEPALIVE const char *mvw_kernels(void) {
  return mvk_active()->name;
}

EMSCRIPTEN_KEEPALIVE const char *mvw_activations(void) {
  return mva_active()->name;
}

/* ---- Named constants and statuses ----------------------------------------------------------- */

typedef struct mvw_constant {
  const char *name;
  int32_t value;
} mvw_constant;

#define MVW_CONSTANT(c)                                                                            \
  { #c, (int32_t)(c) }
static const mvw_constant constants[] = {
    MVW_CONSTANT(MVAE_OK),
    MVW_CONSTANT(MVAE_MAX_BATCH),
    MVW_CONSTANT(MVAE_MAX_TRACKS),
    MVW_CONSTANT(MVAE_INTERP_LINEAR),
    MVW_CONSTANT(MVAE_INTERP_SLERP),
    MVW_CONSTANT(MVAE_DRUM_CLASSES),
    MVW_CONSTANT(MVAE_OUTPUT_CATEGORICAL),
    MVW_CONSTANT(MVAE_OUTPUT_NADE),
    MVW_CONSTANT(MVAE_CHORDS_NONE),
    MVW_CONSTANT(MVAE_CHORDS_PITCH),
    MVW_CONSTANT(MVAE_CHORDS_MAJOR_MINOR),
    MVW_CONSTANT(MVAE_CHORDS_TRIAD),
    {"MVW_NOTE_INTS", (int32_t)(sizeof(mvae_note) / sizeof(int32_t))}, /* int32 fields of a note */
    MVW_CONSTANT(MVAE_OUTPUT_GROOVE),
    MVW_CONSTANT(MVAE_GROOVE_DEPTH),
    /* mvae_groove_note and mvae_groove_hit: pitch, velocity, step (int32), then a double at 16 */
    {"MVW_GROOVE_NOTE_BYTES", (int32_t)sizeof(mvae_groove_note)},
    {"MVW_GROOVE_HIT_BYTES", (int32_t)sizeof(mvae_groove_hit)},
};
#undef MVW_CONSTANT
enum { MVW_CONSTANT_COUNT = (int)(sizeof constants / sizeof constants[0]) };

EMSCRIPTEN_KEEPALIVE int mvw_constant_count(void) {
  return MVW_CONSTANT_COUNT;
}

EMSCRIPTEN_KEEPALIVE const char *mvw_constant_name(int i) {
  return i >= 0 && i < MVW_CONSTANT_COUNT ? constants[i].name : "";
}

EMSCRIPTEN_KEEPALIVE int32_t mvw_constant_value(int i) {
  return i >= 0 && i < MVW_CONSTANT_COUNT ? constants[i].value : 0;
}

/* The error code JavaScript's errors.mjs uses for each status ("" for MVAE_OK). */
static const char *const status_codes[] = {
    [MVAE_OK] = "",
    [MVAE_ERR_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
    [MVAE_ERR_BAD_MODEL] = "BAD_MODEL",
    [MVAE_ERR_UNSUPPORTED] = "UNSUPPORTED",
    [MVAE_ERR_NO_ENCODER] = "NO_ENCODER",
    [MVAE_ERR_OUT_OF_MEMORY] = "OUT_OF_MEMORY",
    [MVAE_ERR_BAD_INPUT] = "BAD_INPUT",
    [MVAE_ERR_BUFFER_TOO_SMALL] = "BUFFER_TOO_SMALL",
};

/* A name from a table indexed by an enum, or `fallback` outside it. */
static const char *table_name(const char *const *table, int count, int i, const char *fallback) {
  return i >= 0 && i < count && table[i] ? table[i] : fallback;
}
#define TABLE_NAME(table, i, fallback)                                                             \
  table_name(table, (int)(sizeof table / sizeof table[0]), i, fallback)

EMSCRIPTEN_KEEPALIVE const char *mvw_status_code(int status) {
  return TABLE_NAME(status_codes, status, "MUSICVAE_ERROR");
}

/* ---- Loading -------------------------------------------------------------------------------- */

/* Loads a model from bytes; *status_out gets the status and err[err_size] (the caller's buffer:
 * the module keeps no state of its own) a refusal's message. Returns the model or NULL. */
EMSCRIPTEN_KEEPALIVE mvae_model *mvw_load(const void *data, int size, int *status_out, char *err,
                                          int err_size) {
  mvae_model *model = NULL;
  size_t err_bytes = err && err_size > 0 ? (size_t)err_size : 0;
  if (err_bytes)
    err[0] = '\0';
  mvae_status status = size > 0 ? mvae_model_load(data, (size_t)size, &model, err, err_bytes)
                                : MVAE_ERR_INVALID_ARGUMENT;
  if (size <= 0 && err_bytes)
    snprintf(err, err_bytes, "model data is empty");
  if (status_out)
    *status_out = (int)status;
  return status == MVAE_OK ? model : NULL;
}

/* ---- The info struct, by field name --------------------------------------------------------- */

/* How JavaScript reads a field: an int32, an int32 read as true/false, a size_t (32 bits here), a
 * NUL-terminated string, MVAE_MAX_TRACKS int32s, or an mvae_converter read as its name
 * (mvw_converter_name). */
enum {
  MVW_INT = 0,
  MVW_BOOL = 1,
  MVW_SIZE = 2,
  MVW_STRING = 3,
  MVW_TRACK_INTS = 4,
  MVW_CONVERTER = 5
};

typedef struct mvw_field {
  const char *name;
  int32_t offset;
  int32_t kind;
} mvw_field;

#define MVW_FIELD(f, kind)                                                                         \
  { #f, (int32_t)offsetof(mvae_info, f), kind }
static const mvw_field info_fields[] = {
    MVW_FIELD(z_size, MVW_INT),
    MVW_FIELD(num_steps, MVW_INT),
    MVW_FIELD(num_segments, MVW_INT),
    MVW_FIELD(steps_per_quarter, MVW_INT),
    MVW_FIELD(steps_per_bar, MVW_INT),
    MVW_FIELD(hierarchical, MVW_BOOL),
    MVW_FIELD(has_encoder, MVW_BOOL),
    MVW_FIELD(has_sigma, MVW_BOOL),
    MVW_FIELD(input_depth, MVW_INT),
    MVW_FIELD(num_tracks, MVW_INT),
    MVW_FIELD(output_depths, MVW_TRACK_INTS),
    MVW_FIELD(converter, MVW_CONVERTER),
    MVW_FIELD(min_pitch, MVW_INT),
    MVW_FIELD(max_pitch, MVW_INT),
    MVW_FIELD(drums_roll_input, MVW_BOOL),
    MVW_FIELD(quantized, MVW_BOOL),
    MVW_FIELD(weight_bytes, MVW_SIZE),
    MVW_FIELD(name, MVW_STRING),
    MVW_FIELD(kernels, MVW_STRING),
    MVW_FIELD(activations, MVW_STRING),
    MVW_FIELD(max_notes, MVW_INT),
    MVW_FIELD(output_layer, MVW_INT),
    MVW_FIELD(nade_hidden, MVW_INT),
    MVW_FIELD(control_depth, MVW_INT),
    MVW_FIELD(chord_encoding, MVW_INT),
    MVW_FIELD(control_key_depth, MVW_INT),
    MVW_FIELD(control_extra, MVW_STRING),
    MVW_FIELD(total_steps, MVW_INT),
    MVW_FIELD(velocity_bins, MVW_INT),
    MVW_FIELD(drum_encoding, MVW_INT),
    MVW_FIELD(groove_humanize, MVW_BOOL),
    MVW_FIELD(groove_tapify, MVW_BOOL),
};
#undef MVW_FIELD
enum { MVW_FIELD_COUNT = (int)(sizeof info_fields / sizeof info_fields[0]) };
_Static_assert(sizeof(mvae_converter) == sizeof(int32_t), "converter is read as an int32");
_Static_assert(sizeof(mvae_output_layer) == sizeof(int32_t) &&
                   sizeof(mvae_chord_encoding) == sizeof(int32_t) &&
                   sizeof(mvae_drum_encoding) == sizeof(int32_t),
               "output_layer, chord_encoding and drum_encoding are read as int32s");
_Static_assert(sizeof(size_t) == sizeof(uint32_t), "wasm32: size_t is read as a uint32");
_Static_assert(offsetof(mvae_groove_note, pitch) == 0 &&
                   offsetof(mvae_groove_note, velocity) == 4 &&
                   offsetof(mvae_groove_note, step) == 8 &&
                   offsetof(mvae_groove_note, start_time) == 16 &&
                   offsetof(mvae_groove_hit, position) == 16 && sizeof(mvae_groove_hit) == 24,
               "musicvae.mjs writes and reads the GrooVAE structs at these offsets");
_Static_assert(sizeof(const char *) == sizeof(uint32_t), "wasm32: pointers are read as uint32");

EMSCRIPTEN_KEEPALIVE int mvw_info_size(void) {
  return (int)sizeof(mvae_info);
}

EMSCRIPTEN_KEEPALIVE int mvw_info_field_count(void) {
  return MVW_FIELD_COUNT;
}

EMSCRIPTEN_KEEPALIVE const char *mvw_info_field_name(int i) {
  return i >= 0 && i < MVW_FIELD_COUNT ? info_fields[i].name : "";
}

EMSCRIPTEN_KEEPALIVE int mvw_info_field_offset(int i) {
  return i >= 0 && i < MVW_FIELD_COUNT ? info_fields[i].offset : -1;
}

EMSCRIPTEN_KEEPALIVE int mvw_info_field_kind(int i) {
  return i >= 0 && i < MVW_FIELD_COUNT ? info_fields[i].kind : -1;
}

/* The converter's name, as MusicVAE.info.converter gives it. */
static const char *const converter_names[] = {
    [MVAE_CONVERTER_MELODY] = "melody",
    [MVAE_CONVERTER_DRUMS] = "drums",
    [MVAE_CONVERTER_TRIO] = "trio",
    [MVAE_CONVERTER_MULTITRACK] = "multitrack",
    [MVAE_CONVERTER_MELODY_RHYTHM] = "melody_rhythm",
    [MVAE_CONVERTER_MELODY_SHAPE] = "melody_shape",
    [MVAE_CONVERTER_TRIO_RHYTHM] = "trio_rhythm",
    [MVAE_CONVERTER_GROOVE] = "groove",
};

EMSCRIPTEN_KEEPALIVE const char *mvw_converter_name(int converter) {
  return TABLE_NAME(converter_names, converter, "unknown");
}

/* Fills *out (mvw_info_size() bytes) with the model's mvae_info. */
EMSCRIPTEN_KEEPALIVE int mvw_info(const mvae_model *model, mvae_info *out) {
  return out ? (int)mvae_model_info(model, out) : (int)MVAE_ERR_INVALID_ARGUMENT;
}

/* ---- The drum map (src/notes/convert_drums.c), for the page's drawing and synth ------------- */
/* mvae_drum_class_of_pitch and mvae_drum_class_pitch are exported as they are (build.sh). */

/* Class names in class order (0 kick .. 8 ride), as convert.h documents the classes. */
static const char *const drum_class_names[MVAE_DRUM_CLASSES] = {
    "kick",    "snare",    "closed hi-hat", "open hi-hat", "low tom",
    "mid tom", "high tom", "crash",         "ride"};

EMSCRIPTEN_KEEPALIVE const char *mvw_drum_class_name(int drum_class) {
  return TABLE_NAME(drum_class_names, drum_class, "");
}

/* ---- Random numbers and inference ----------------------------------------------------------- */

/* A seeded rng on the heap, so that one stream can run across several calls (a long batch decoded
 * in chunks of 64 draws exactly what one call would). Freed with free(). */
EMSCRIPTEN_KEEPALIVE mvae_rng *mvw_rng_new(uint32_t seed_lo, uint32_t seed_hi) {
  mvae_rng *rng = malloc(sizeof *rng);
  if (rng)
    mvae_rng_seed(rng, ((uint64_t)seed_hi << 32) | seed_lo);
  return rng;
}

/* decode with options: temperature <= 0 is argmax (rng unused, may be NULL); teacher and logits may
 * be NULL. */
EMSCRIPTEN_KEEPALIVE int mvw_decode(mvae_model *model, const float *z, int batch, float temperature,
                                    mvae_rng *rng, const int32_t *teacher, float *logits,
                                    int32_t *tokens) {
  mvae_decode_opts opts = {temperature, rng, teacher, logits};
  return (int)mvae_decode(model, z, batch, &opts, tokens);
}

/* ---- Conditioned and NADE models (mvae_encode_with, mvae_decode_with, mvae_similar_with) ------
 * controls: float[per_item ? batch : 1][num_steps][control_depth], or NULL for a model without
 * controls; nade_sample as mvae_decode_extra (0: magenta.js's threshold at any temperature). */

static const mvae_controls *controls_of(mvae_controls *c, const float *values, int per_item) {
  c->values = values;
  c->per_item = per_item != 0;
  return values ? c : NULL;
}

EMSCRIPTEN_KEEPALIVE int mvw_encode_with(mvae_model *model, const float *inputs, int batch,
                                         const float *controls, int per_item, float *mu,
                                         float *sigma) {
  mvae_controls c;
  return (int)mvae_encode_with(model, inputs, batch, controls_of(&c, controls, per_item), mu,
                               sigma);
}

EMSCRIPTEN_KEEPALIVE int mvw_decode_with(mvae_model *model, const float *z, int batch,
                                         float temperature, mvae_rng *rng, const int32_t *teacher,
                                         float *logits, const float *controls, int per_item,
                                         int nade_sample, int32_t *tokens) {
  mvae_decode_opts opts = {temperature, rng, teacher, logits};
  mvae_controls c;
  mvae_decode_extra extra = {controls_of(&c, controls, per_item), nade_sample, NULL};
  return (int)mvae_decode_with(model, z, batch, &opts, &extra, tokens);
}

EMSCRIPTEN_KEEPALIVE int mvw_similar_with(mvae_model *model, const float *z, int n,
                                          float similarity, float temperature, mvae_rng *rng,
                                          const float *controls, int per_item, int nade_sample,
                                          float *z_out, int32_t *tokens) {
  mvae_controls c;
  mvae_decode_extra extra = {controls_of(&c, controls, per_item), nade_sample, NULL};
  return (int)mvae_similar_with(model, z, n, similarity, temperature, rng, &extra, z_out, tokens);
}

EMSCRIPTEN_KEEPALIVE int mvw_sample_with(mvae_model *model, int n, float temperature, mvae_rng *rng,
                                         const float *controls, int per_item, int nade_sample,
                                         float *z_out, int32_t *tokens) {
  mvae_controls c;
  mvae_decode_extra extra = {controls_of(&c, controls, per_item), nade_sample, NULL};
  return (int)mvae_sample_with(model, n, temperature, rng, &extra, z_out, tokens);
}

/* ---- GrooVAE: the _with calls that also write the step values (mvae_decode_extra.values, may be
 * NULL). mvae_groove_to_input and mvae_groove_to_notes are exported as they are (build.sh). ---- */

EMSCRIPTEN_KEEPALIVE int mvw_decode_values(mvae_model *model, const float *z, int batch,
                                           float temperature, mvae_rng *rng, float *logits,
                                           const float *controls, int per_item, float *values,
                                           int32_t *tokens) {
  mvae_decode_opts opts = {temperature, rng, NULL, logits};
  mvae_controls c;
  mvae_decode_extra extra = {controls_of(&c, controls, per_item), 0, values};
  return (int)mvae_decode_with(model, z, batch, &opts, &extra, tokens);
}

EMSCRIPTEN_KEEPALIVE int mvw_sample_values(mvae_model *model, int n, float temperature,
                                           mvae_rng *rng, const float *controls, int per_item,
                                           float *z_out, float *values, int32_t *tokens) {
  mvae_controls c;
  mvae_decode_extra extra = {controls_of(&c, controls, per_item), 0, values};
  return (int)mvae_sample_with(model, n, temperature, rng, &extra, z_out, tokens);
}

EMSCRIPTEN_KEEPALIVE int mvw_similar_values(mvae_model *model, const float *z, int n,
                                            float similarity, float temperature, mvae_rng *rng,
                                            const float *controls, int per_item, float *z_out,
                                            float *values, int32_t *tokens) {
  mvae_controls c;
  mvae_decode_extra extra = {controls_of(&c, controls, per_item), 0, values};
  return (int)mvae_similar_with(model, z, n, similarity, temperature, rng, &extra, z_out, tokens);
}

/* ---- Chords (src/notes/chords.c) ------------------------------------------------------------ */

EMSCRIPTEN_KEEPALIVE int mvw_chord_encoding_depth(int encoding) {
  return mvae_chord_encoding_depth((mvae_chord_encoding)encoding);
}

/* One chord symbol (UTF-8, NUL-terminated) -> out[depth]; a refusal's message in err[err_size]
 * (the caller's buffer: the module keeps no state of its own). */
EMSCRIPTEN_KEEPALIVE int mvw_chord_encode(int encoding, const char *symbol, float *out, char *err,
                                          int err_size) {
  return (int)mvae_chord_encode((mvae_chord_encoding)encoding, symbol, out, err,
                                err_size > 0 ? (size_t)err_size : 0);
}

/* root, pitch mask and quality of a symbol into out[4] (no_chord, root, pitches, quality); a
 * refusal's message in err[err_size]. */
EMSCRIPTEN_KEEPALIVE int mvw_chord_parse(const char *symbol, int32_t *out, char *err,
                                         int err_size) {
  mvae_chord chord;
  mvae_status status = mvae_chord_parse(symbol, &chord, err, err_size > 0 ? (size_t)err_size : 0);
  if (status == MVAE_OK && out) {
    out[0] = chord.no_chord;
    out[1] = chord.root;
    out[2] = chord.pitches;
    out[3] = (int32_t)chord.quality;
  }
  return (int)status;
}

/* The inferred chord of each span (mvae_chords_infer) into out[4 per span] (no_chord, root,
 * pitches, quality, as mvw_chord_parse); a refusal's message in err[err_size]. */
EMSCRIPTEN_KEEPALIVE int mvw_chords_infer(const mvae_note *notes, int n_notes, int num_steps,
                                          int span_steps, int32_t *out, char *err, int err_size) {
  mvae_chord
      none; /* a refused call writes nothing: one chord's room is enough to get its message */
  /* (More than 2^24 spans means more than the engine's 2^24 steps: refused before any malloc.) */
  long long spans =
      num_steps < 1 || span_steps < 1 ? 0 : ((long long)num_steps + span_steps - 1) / span_steps;
  if (!out || spans < 1 || spans > (1 << 24))
    return (int)mvae_chords_infer(notes, n_notes, num_steps, span_steps, out ? &none : NULL, err,
                                  err_size > 0 ? (size_t)err_size : 0);
  int n_spans = (int)spans;
  mvae_chord *chords = malloc(sizeof(mvae_chord) * (size_t)n_spans);
  if (!chords)
    return (int)MVAE_ERR_OUT_OF_MEMORY;
  mvae_status status = mvae_chords_infer(notes, n_notes, num_steps, span_steps, chords, err,
                                         err_size > 0 ? (size_t)err_size : 0);
  for (int s = 0; status == MVAE_OK && s < n_spans; s++) {
    out[4 * s] = chords[s].no_chord;
    out[4 * s + 1] = chords[s].root;
    out[4 * s + 2] = chords[s].pitches;
    out[4 * s + 3] = (int32_t)chords[s].quality;
  }
  free(chords);
  return (int)status;
}

/* The symbol (mvae_chord_symbol) of a chord given as mvw_chords_infer's four fields, into
 * out[out_size] (at least 5 bytes). */
EMSCRIPTEN_KEEPALIVE int mvw_chord_symbol(const int32_t *fields, char *out, int out_size) {
  if (!fields || !out || out_size < 1)
    return (int)MVAE_ERR_INVALID_ARGUMENT;
  mvae_chord chord = {fields[0], fields[1], fields[2], (mvae_chord_quality)fields[3]};
  return (int)mvae_chord_symbol(&chord, out, (size_t)out_size);
}

/* A progression (n_chords pointers to NUL-terminated symbols) -> the model's controls
 * float[num_steps][control_depth] (chord columns, the rest 0); the message in mvae_last_error. */
EMSCRIPTEN_KEEPALIVE int mvw_chords_to_controls(mvae_model *model, const char *const *chords,
                                                int n_chords, float *controls) {
  return (int)mvae_chords_to_controls(model, chords, n_chords, controls);
}

EMSCRIPTEN_KEEPALIVE int mvw_similar(mvae_model *model, const float *z, int n, float similarity,
                                     float temperature, mvae_rng *rng, float *z_out,
                                     int32_t *tokens) {
  return (int)mvae_similar(model, z, n, similarity, temperature, rng, z_out, tokens);
}

/* mvae_encode_refined with the defaults (mvae_refine_opts_init) except where given: steps >= 0,
 * learning_rate > 0, time_budget_ms > 0, prior_weight >= 0 (other values keep the default).
 * *steps_done (may be NULL) gets the Adam steps taken. */
EMSCRIPTEN_KEEPALIVE int mvw_encode_refined(mvae_model *model, const float *inputs, int batch,
                                            int steps, float learning_rate, float time_budget_ms,
                                            float prior_weight, float *z_out, int *steps_done) {
  mvae_refine_opts opts;
  mvae_refine_opts_init(&opts);
  if (steps >= 0)
    opts.steps = steps;
  if (learning_rate > 0)
    opts.learning_rate = learning_rate;
  if (time_budget_ms > 0)
    opts.time_budget_ms = time_budget_ms;
  if (prior_weight >= 0)
    opts.prior_weight = prior_weight;
  opts.steps_done = steps_done;
  return (int)mvae_encode_refined(model, inputs, batch, &opts, z_out);
}

/* n draws of N(0, 1) from rng, as mvae_sample draws its z before decoding. */
EMSCRIPTEN_KEEPALIVE void mvw_normal(mvae_rng *rng, float *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = (float)mvae_rng_normal(rng);
}

/* ---- Multitrack inputs (mvae_notes_to_input_timed) ------------------------------------------
 * start_times: double[n_notes] (NaN where a note has none) or NULL; total_quantized_steps -1 for
 * none; no_velocity: uint8[n_notes] (1: the note has no velocity field) or NULL. */
EMSCRIPTEN_KEEPALIVE int mvw_notes_to_input_timed(mvae_model *model, const mvae_note *notes,
                                                  int n_notes, const double *start_times,
                                                  int total_quantized_steps,
                                                  const unsigned char *no_velocity, float *input) {
  mvae_sequence_timing timing = {start_times, total_quantized_steps, no_velocity};
  return (int)mvae_notes_to_input_timed(model, notes, n_notes, &timing, input);
}

/* Bytes of heap in use (malloc'd and not freed), for leak tests. */
EMSCRIPTEN_KEEPALIVE int mvw_heap_used(void) {
  return (int)mallinfo().uordblks;
}

/* ---- MidiMe (src/nn/midime.c): a small VAE over a model's latent space ----------------------
 * The other calls (mvae_midime_free, _last_error, _param_count, _get_params, _set_params,
 * _train_step, _encode, _decode, _sample) take only pointers and numbers and are exported as they
 * are (build.sh). */

/* A new MidiMe: encoder[n_encoder] and decoder[n_decoder] hidden widths, weights drawn from rng;
 * NULL on failure, with the status in *status_out and the message in err[err_size]. */
EMSCRIPTEN_KEEPALIVE mvae_midime *mvw_midime_create(int input_size, int latent_size,
                                                    const int32_t *encoder, int n_encoder,
                                                    const int32_t *decoder, int n_decoder,
                                                    float beta, float learning_rate, mvae_rng *rng,
                                                    int *status_out, char *err, int err_size) {
  mvae_midime_config c;
  mvae_midime_config_init(&c);
  size_t err_bytes = err && err_size > 0 ? (size_t)err_size : 0;
  mvae_status status = MVAE_ERR_INVALID_ARGUMENT;
  mvae_midime *midime = NULL;
  if (n_encoder < 0 || n_encoder > MVAE_MIDIME_MAX_LAYERS || n_decoder < 0 ||
      n_decoder > MVAE_MIDIME_MAX_LAYERS) {
    if (err_bytes)
      snprintf(err, err_bytes, "midime: %d encoder and %d decoder layers (each 0..%d)", n_encoder,
               n_decoder, MVAE_MIDIME_MAX_LAYERS);
  } else {
    c.input_size = input_size;
    c.latent_size = latent_size;
    c.n_encoder_layers = n_encoder;
    c.n_decoder_layers = n_decoder;
    for (int i = 0; i < n_encoder; i++)
      c.encoder_layers[i] = encoder[i];
    for (int i = 0; i < n_decoder; i++)
      c.decoder_layers[i] = decoder[i];
    c.beta = beta;
    c.learning_rate = learning_rate;
    status = mvae_midime_create(&c, rng, &midime, err, err_bytes);
  }
  if (status_out)
    *status_out = (int)status;
  return midime;
}
