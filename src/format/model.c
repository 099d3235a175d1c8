/* model.c: turning a parsed MVAE file into a model: read the configuration, find every tensor by
 * its TF name, check every shape against the configuration (by the size rules of schema.json), and
 * widen f16 weights to f32. */
#include "format/model.h"

#include "api/errors.h"
#include "format/schema_names.h"
#include "format/schema_sizes.h"
#include "notes/convert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) mvae_format_error(err, err_size, MVAE_ERR_BAD_MODEL, __VA_ARGS__)
#define CHECK(expr)                                                                                \
  do {                                                                                             \
    mvae_status check_status_ = (expr);                                                            \
    if (check_status_ != MVAE_OK)                                                                  \
      return check_status_;                                                                        \
  } while (0)

/* No MusicVAE size comes near this; it keeps products in range. */
enum { MAX_DIM = MVAE_MAX_DEPTH };

/* ---- Metadata ------------------------------------------------------------------------------- */

static mvae_status meta_i32(const mvae_model *m, const char *key, int fallback, int required,
                            int lo, int hi, int *out, char *err, size_t err_size) {
  const mvf_meta *meta = mvf_find_meta(&m->file, key);
  if (!meta) {
    if (required)
      return FAIL("metadata '%s' is missing", key);
    *out = fallback;
    return MVAE_OK;
  }
  if (meta->type != MVF_META_I32)
    return FAIL("metadata '%s' must be an i32", key);
  if (meta->i32 < lo || meta->i32 > hi)
    return FAIL("metadata '%s' is %d, expected %d..%d", key, (int)meta->i32, lo, hi);
  *out = meta->i32;
  return MVAE_OK;
}

/* Returns 1 if the string metadata `key` equals `value`; a missing key never matches. */
static int meta_str_is(const mvae_model *m, const char *key, const char *value) {
  const mvf_meta *meta = mvf_find_meta(&m->file, key);
  return meta && meta->type == MVF_META_STR && meta->str_len == strlen(value) &&
         memcmp(meta->str, value, meta->str_len) == 0;
}

static mvae_status meta_choice(const mvae_model *m, const char *key, const char *const *choices,
                               int n_choices, int *out, char *err, size_t err_size) {
  const mvf_meta *meta = mvf_find_meta(&m->file, key);
  if (!meta || meta->type != MVF_META_STR)
    return FAIL("metadata '%s' is missing or not a string", key);
  for (int i = 0; i < n_choices; i++)
    if (meta_str_is(m, key, choices[i])) {
      *out = i;
      return MVAE_OK;
    }
  return FAIL("metadata '%s' is '%.*s', which this engine does not know", key,
              (int)(meta->str_len > 64 ? 64 : meta->str_len), meta->str);
}

/* An optional string choice: `fallback` when the key is absent. */
static mvae_status meta_choice_or(const mvae_model *m, const char *key, const char *const *choices,
                                  int n_choices, int fallback, int *out, char *err,
                                  size_t err_size) {
  if (!mvf_find_meta(&m->file, key)) {
    *out = fallback;
    return MVAE_OK;
  }
  return meta_choice(m, key, choices, n_choices, out, err, err_size);
}

/* controls.key_depth and controls.extra ("name:depth,..."): when either is given, the chord, key
 * and extra columns must make up control_depth exactly. */
static mvae_status read_control_layout(mvae_model *m, int chord_depth, char *err, size_t err_size) {
  mvae_info *info = &m->info;
  CHECK(meta_i32(m, "controls.key_depth", 0, 0, 0, 12, &info->control_key_depth, err, err_size));
  if (info->control_key_depth != 0 && info->control_key_depth != 12)
    return FAIL("metadata 'controls.key_depth' must be 0 or 12");
  info->control_extra = m->control_extra;
  const mvf_meta *extra = mvf_find_meta(&m->file, "controls.extra");
  int extra_depth = 0;
  if (extra) {
    if (extra->type != MVF_META_STR || extra->str_len >= sizeof m->control_extra)
      return FAIL("metadata 'controls.extra' must be a string of at most %zu bytes",
                  sizeof m->control_extra - 1);
    memcpy(m->control_extra, extra->str, extra->str_len);
    m->control_extra[extra->str_len] = '\0';
    /* name:depth entries separated by commas; names without ':' or ','. */
    for (const char *p = m->control_extra; *p;) {
      const char *colon = strchr(p, ':');
      char *end = NULL;
      long depth = colon ? strtol(colon + 1, &end, 10) : 0;
      if (!colon || colon == p || memchr(p, ',', (size_t)(colon - p)) || depth < 1 ||
          depth > MAX_DIM || (*end != ',' && *end != '\0'))
        return FAIL("metadata 'controls.extra' is not a list of name:depth entries");
      extra_depth += (int)depth;
      p = *end == ',' ? end + 1 : end;
    }
  }
  if ((extra || info->control_key_depth) &&
      chord_depth + info->control_key_depth + extra_depth != info->control_depth)
    return FAIL("controls: chords %d + key %d + extra %d columns, but musicvae.control_depth is %d",
                chord_depth, info->control_key_depth, extra_depth, info->control_depth);
  return MVAE_OK;
}

/* The output layer and the controls (both absent in files written before they existed). */
static mvae_status read_output_and_controls(mvae_model *m, char *err, size_t err_size) {
  mvae_info *info = &m->info;
  static const char *const output_layers[] = {"categorical", "nade", "boolean", "groove"};
  static const char *const chord_encodings[] = {"none", "pitch", "major_minor", "triad"};
  int layer = 0, chords = 0;
  CHECK(meta_choice_or(m, "musicvae.output_layer", output_layers, 4, MVAE_OUTPUT_CATEGORICAL,
                       &layer, err, err_size));
  info->output_layer = (mvae_output_layer)layer;
  /* GrooVAE's output layer and converter come together: the converter reads the layer's values. */
  if ((layer == MVAE_OUTPUT_GROOVE) != (info->converter == MVAE_CONVERTER_GROOVE))
    return FAIL("metadata 'musicvae.output_layer' 'groove' goes with converter.type 'groove' (and "
                "only with it)");
  if (layer == MVAE_OUTPUT_NADE || layer == MVAE_OUTPUT_BOOLEAN)
    for (int t = 0; t < info->num_tracks; t++) {
      int depth = info->output_depths[t];
      if (depth < 2 || (depth & (depth - 1)) != 0)
        return FAIL("a %s output layer decodes sets of labels: output depth %d of track %d is "
                    "not a power of 2",
                    output_layers[layer], depth, t);
    }
  CHECK(
      meta_i32(m, "musicvae.control_depth", 0, 0, 0, MAX_DIM, &info->control_depth, err, err_size));
  CHECK(meta_choice_or(m, "controls.chord_encoding", chord_encodings, 4, MVAE_CHORDS_NONE, &chords,
                       err, err_size));
  info->chord_encoding = (mvae_chord_encoding)chords;
  int chord_depth = mvae_chord_encoding_depth(info->chord_encoding);
  if (chord_depth > info->control_depth)
    return FAIL("controls.chord_encoding '%s' needs %d control columns, musicvae.control_depth is "
                "%d",
                chord_encodings[chords], chord_depth, info->control_depth);
  return read_control_layout(m, chord_depth, err, err_size);
}

static mvae_status read_config(mvae_model *m, char *err, size_t err_size) {
  mvae_info *info = &m->info;
  static const char *const decoders[] = {"flat", "hierarchical"};
  static const char *const encoders[] = {"bidirectional", "hierarchical"};
  static const char *const converters[] = {"melody",      "drums",         "trio",
                                           "multitrack",  "melody_rhythm", "melody_shape",
                                           "trio_rhythm", "groove"};
  int encoder_kind = 0, converter = 0;

  if (!meta_str_is(m, "general.architecture", "musicvae"))
    return FAIL("metadata 'general.architecture' must be 'musicvae'");
  CHECK(meta_i32(m, "musicvae.z_size", 0, 1, 1, MVAE_MAX_Z_SIZE, &info->z_size, err, err_size));
  CHECK(
      meta_i32(m, "musicvae.num_steps", 0, 1, 1, MVAE_MAX_STEPS, &info->num_steps, err, err_size));
  CHECK(meta_i32(m, "musicvae.steps_per_quarter", 4, 0, 1, 96, &info->steps_per_quarter, err,
                 err_size));
  int quarters_per_bar = 4;
  CHECK(meta_i32(m, "musicvae.quarters_per_bar", 4, 0, 1, 32, &quarters_per_bar, err, err_size));
  info->steps_per_bar = info->steps_per_quarter * quarters_per_bar;
  CHECK(meta_choice(m, "musicvae.decoder", decoders, 2, &info->hierarchical, err, err_size));
  CHECK(meta_choice(m, "musicvae.encoder", encoders, 2, &encoder_kind, err, err_size));
  CHECK(meta_i32(m, "musicvae.num_segments", 1, info->hierarchical || encoder_kind == 1, 1,
                 info->num_steps, &info->num_segments, err, err_size));
  if (info->num_steps % info->num_segments != 0)
    return FAIL("num_steps %d does not divide into %d segments", info->num_steps,
                info->num_segments);
  if (!info->hierarchical && encoder_kind == 0)
    info->num_segments = 1;
  CHECK(meta_i32(m, "musicvae.input_depth", 0, 1, 1, MAX_DIM, &info->input_depth, err, err_size));
  CHECK(meta_choice(m, "converter.type", converters, 8, &converter, err, err_size));
  info->converter = (mvae_converter)converter;
  CHECK(meta_i32(m, "converter.min_pitch", 21, 0, 0, 127, &info->min_pitch, err, err_size));
  CHECK(meta_i32(m, "converter.max_pitch", 108, 0, info->min_pitch, 127, &info->max_pitch, err,
                 err_size));
  CHECK(meta_i32(m, "converter.drums_roll_input", 0, 0, 0, 1, &info->drums_roll_input, err,
                 err_size));
  /* Multitrack: the steps of a sequence (magenta.js's totalSteps) and its velocity bins. */
  int multitrack = info->converter == MVAE_CONVERTER_MULTITRACK;
  CHECK(meta_i32(m, "converter.total_steps", info->num_steps, multitrack, 1, MVAE_MAX_STEPS,
                 &info->total_steps, err, err_size));
  CHECK(meta_i32(m, "converter.velocity_bins", 0, 0, 0, 127, &info->velocity_bins, err, err_size));
  if (!multitrack && (info->total_steps != info->num_steps || info->velocity_bins != 0))
    return FAIL("metadata 'converter.total_steps' and 'converter.velocity_bins' are for the "
                "multitrack converter only");
  /* Order as mvae_drum_encoding; files without the key were trained here. */
  static const char *const drum_encodings[] = {"magenta_js", "clean"};
  int drum_encoding = MVAE_DRUMS_CLEAN;
  CHECK(meta_choice_or(m, "converter.drum_encoding", drum_encodings, 2, MVAE_DRUMS_CLEAN,
                       &drum_encoding, err, err_size));
  info->drum_encoding = (mvae_drum_encoding)drum_encoding;
  CHECK(
      meta_i32(m, "converter.groove_humanize", 0, 0, 0, 1, &info->groove_humanize, err, err_size));
  CHECK(meta_i32(m, "converter.groove_tapify", 0, 0, 0, 1, &info->groove_tapify, err, err_size));

  const mvf_meta *depths = mvf_find_meta(&m->file, "musicvae.output_depths");
  if (!depths || depths->type != MVF_META_I32_ARRAY || depths->count < 1 ||
      depths->count > MVAE_MAX_TRACKS)
    return FAIL("metadata 'musicvae.output_depths' must be an i32 array of 1..%d entries",
                MVAE_MAX_TRACKS);
  info->num_tracks = (int)depths->count;
  for (int t = 0; t < info->num_tracks; t++) {
    int32_t depth = mvf_meta_array_at(depths, (uint32_t)t);
    if (depth < 1 || depth > MAX_DIM)
      return FAIL("output depth %d of track %d is out of range", (int)depth, t);
    info->output_depths[t] = depth;
  }
  if (info->num_tracks > 1 && !info->hierarchical)
    return FAIL("%d output tracks need a hierarchical decoder", info->num_tracks);
  CHECK(read_output_and_controls(m, err, err_size));

  const mvf_meta *name = mvf_find_meta(&m->file, "general.name");
  if (name && name->type == MVF_META_STR) {
    size_t n = name->str_len < sizeof m->name - 1 ? name->str_len : sizeof m->name - 1;
    memcpy(m->name, name->str, n);
    m->name[n] = '\0';
  }
  info->name = m->name;
  m->encoder_levels = encoder_kind + 1; /* may drop to 0 if the kernels are absent */
  return MVAE_OK;
}

/* ---- Tensors -------------------------------------------------------------------------------- */

static float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exponent = (h >> 10) & 0x1fu,
           mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | mantissa << 13; /* inf / NaN */
  } else if (exponent != 0) {
    bits = sign | (exponent + 112) << 23 | mantissa << 13;
  } else if (mantissa == 0) {
    bits = sign;
  } else { /* subnormal half: normalise */
    int e = -1;
    do {
      e++;
      mantissa <<= 1;
    } while (!(mantissa & 0x400u));
    bits = sign | (uint32_t)(112 - e) << 23 | (mantissa & 0x3ffu) << 13;
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static mvae_status widen_f16_tensors(mvae_model *m, char *err, size_t err_size) {
  size_t total = 0;
  for (uint32_t i = 0; i < m->file.n_tensors; i++)
    if (m->file.tensors[i].dtype == MVF_F16)
      total += (size_t)m->file.tensors[i].rows * (size_t)m->file.tensors[i].cols;
  if (total == 0)
    return MVAE_OK;
  m->widened_f16 = malloc(total * sizeof(float));
  if (!m->widened_f16)
    return mvae_format_error(err, err_size, MVAE_ERR_OUT_OF_MEMORY,
                             "out of memory widening f16 weights");
  float *dst = m->widened_f16;
  for (uint32_t i = 0; i < m->file.n_tensors; i++) {
    mvf_tensor *t = &m->file.tensors[i];
    if (t->dtype != MVF_F16)
      continue;
    size_t n = (size_t)t->rows * (size_t)t->cols;
    for (size_t k = 0; k < n; k++)
      dst[k] = f16_to_f32((uint16_t)(t->data[2 * k] | t->data[2 * k + 1] << 8));
    /* From here on the tensor reads as f32 from the widened copy. */
    t->data = (const uint8_t *)dst;
    t->dtype = MVF_F32;
    t->nbytes = n * sizeof(float);
    dst += n;
  }
  return MVAE_OK;
}

/* Looks a tensor up for binding: every tensor found here is part of the model; any other is an
 * unknown name, refused by check_all_bound. */
static const mvf_tensor *find(mvae_model *m, const char *name) {
  const mvf_tensor *found = mvf_find_tensor(&m->file, name);
  if (found)
    m->file.tensors[found - m->file.tensors].bound = 1;
  return found;
}

static int exists(const mvae_model *m, const char *name) {
  return mvf_find_tensor(&m->file, name) != NULL;
}

static mvae_status bind_matrix(mvae_model *m, const char *name, int rows, int cols,
                               mvae_matrix *out, char *err, size_t err_size) {
  const mvf_tensor *t = find(m, name);
  if (!t)
    return FAIL("tensor '%s' is missing", name);
  if (t->n_dims != 2 || t->rows != rows || t->cols != cols)
    return FAIL("tensor '%s' has shape [%d, %d], expected [%d, %d]", name, t->rows, t->cols, rows,
                cols);
  memset(out, 0, sizeof *out);
  out->rows = rows;
  out->cols = cols;
  if (t->dtype == MVF_Q8) {
    out->block = t->block;
    out->nblk = (cols + t->block - 1) / t->block;
    out->scales = (const float *)(const void *)t->data;
    out->q8 = (const int8_t *)(t->data + 4 * (size_t)rows * (size_t)out->nblk);
  } else {
    out->f32 = (const float *)(const void *)t->data;
  }
  return MVAE_OK;
}

static mvae_status bind_bias(mvae_model *m, const char *name, int size, const float **out,
                             char *err, size_t err_size) {
  const mvf_tensor *t = find(m, name);
  if (!t)
    return FAIL("tensor '%s' is missing", name);
  if (t->n_dims != 1 || t->cols != size || t->dtype != MVF_F32)
    return FAIL("tensor '%s' must be an f32 vector of %d values", name, size);
  *out = (const float *)(const void *)t->data;
  return MVAE_OK;
}

static mvae_status bind_dense(mvae_model *m, const char *prefix, int in, int out, mvae_dense *d,
                              char *err, size_t err_size) {
  char name[320];
  snprintf(name, sizeof name, "%skernel", prefix);
  CHECK(bind_matrix(m, name, in, out, &d->kernel, err, err_size));
  snprintf(name, sizeof name, "%sbias", prefix);
  return bind_bias(m, name, out, &d->bias, err, err_size);
}

/* Binds `{cell_prefix}kernel` / `{cell_prefix}bias`, learning the units from the bias. */
static mvae_status bind_lstm_layer(mvae_model *m, const char *cell_prefix, int input_size,
                                   mvae_lstm_layer *layer, char *err, size_t err_size) {
  char name[320];
  snprintf(name, sizeof name, "%sbias", cell_prefix);
  const mvf_tensor *bias = find(m, name);
  int per_unit = mvs_lstm_width(1);
  if (!bias || bias->n_dims != 1 || bias->cols % per_unit != 0 || bias->cols / per_unit > MAX_DIM)
    return FAIL("tensor '%s' is missing or not a vector of %d x units", name, per_unit);
  layer->units = bias->cols / per_unit;
  layer->input_size = input_size;
  int width = mvs_lstm_width(layer->units);
  CHECK(bind_bias(m, name, width, &layer->bias, err, err_size));
  snprintf(name, sizeof name, "%skernel", cell_prefix);
  return bind_matrix(m, name, mvs_lstm_rows(input_size, layer->units), width, &layer->kernel, err,
                     err_size);
}

/* Which instance of a name template of the schema (schema_names.h, from schema.json): the values
 * of its {fields}. */
typedef struct part_fields {
  const char *core, *direction, *latent;
  int layer, level, track;
} part_fields;

static int field_is(const char *field, size_t len, const char *name) {
  return len == strlen(name) && !strncmp(field, name, len);
}

/* `tmpl` with its {fields} filled in from f, then `suffix` ("kernel", "bias" or ""). */
static void part_name(char *out, size_t size, const char *tmpl, const part_fields *f,
                      const char *suffix) {
  size_t n = 0;
  out[0] = '\0';
  for (const char *p = tmpl; *p && n + 1 < size;) {
    const char *end = *p == '{' ? strchr(p, '}') : NULL;
    if (!end) {
      out[n++] = *p++;
      out[n] = '\0';
      continue;
    }
    size_t key = (size_t)(end - p - 1);
    const char *text = field_is(p + 1, key, "core")        ? f->core
                       : field_is(p + 1, key, "direction") ? f->direction
                       : field_is(p + 1, key, "latent")    ? f->latent
                                                           : NULL;
    int number = field_is(p + 1, key, "layer")   ? f->layer
                 : field_is(p + 1, key, "level") ? f->level
                                                 : f->track;
    int wrote =
        text ? snprintf(out + n, size - n, "%s", text) : snprintf(out + n, size - n, "%d", number);
    n = wrote < 0 || (size_t)wrote >= size - n ? size - 1 : n + (size_t)wrote;
    p = end + 1;
  }
  snprintf(out + n, size - n, "%s", suffix);
}

static int has_layer(mvae_model *m, const char *tmpl, part_fields f, int layer) {
  char name[320];
  f.layer = layer;
  part_name(name, sizeof name, tmpl, &f, "kernel");
  return exists(m, name);
}

/* Counts the stack's layer n_layers, just bound, into its totals. */
static void stack_add_layer(mvae_lstm_stack *stack) {
  int units = stack->layers[stack->n_layers].units;
  stack->state_size += units;
  if (units > stack->max_units)
    stack->max_units = units;
  stack->n_layers++;
}

/* A unidirectional stack: `tmpl` with {layer} = 0, 1, ... while the kernel exists. */
static mvae_status bind_lstm_stack(mvae_model *m, const char *tmpl, part_fields f, int input_size,
                                   mvae_lstm_stack *stack, char *err, size_t err_size) {
  char prefix[320];
  memset(stack, 0, sizeof *stack);
  while (has_layer(m, tmpl, f, stack->n_layers)) {
    if (stack->n_layers == MVAE_MAX_LAYERS)
      return mvae_format_error(err, err_size, MVAE_ERR_UNSUPPORTED, "more than %d LSTM layers",
                               MVAE_MAX_LAYERS);
    f.layer = stack->n_layers;
    part_name(prefix, sizeof prefix, tmpl, &f, "");
    mvae_lstm_layer *layer = &stack->layers[stack->n_layers];
    CHECK(bind_lstm_layer(m, prefix, input_size, layer, err, err_size));
    input_size = layer->units;
    stack_add_layer(stack);
  }
  if (stack->n_layers == 0) {
    f.layer = 0;
    part_name(prefix, sizeof prefix, tmpl, &f, "kernel");
    return FAIL("tensor '%s' is missing", prefix);
  }
  return MVAE_OK;
}

static const char *const directions[2] = {"fw", "bw"};

/* Bidirectional stack `tmpl` (MVS_ENCODER_LSTM, or MVS_HIER_ENCODER_LSTM at `level`). */
static mvae_status bind_bidi_stack(mvae_model *m, const char *tmpl, int level, int input_size,
                                   mvae_bidi_stack *bidi, char *err, size_t err_size) {
  memset(bidi, 0, sizeof *bidi);
  part_fields f[2] = {{.direction = directions[0], .level = level},
                      {.direction = directions[1], .level = level}};
  char prefix[320];
  int layer = 0;
  while (has_layer(m, tmpl, f[0], layer) || has_layer(m, tmpl, f[1], layer)) {
    if (layer == MVAE_MAX_LAYERS)
      return mvae_format_error(err, err_size, MVAE_ERR_UNSUPPORTED, "more than %d encoder layers",
                               MVAE_MAX_LAYERS);
    mvae_lstm_stack *dirs[2] = {&bidi->fw, &bidi->bw};
    for (int d = 0; d < 2; d++) {
      f[d].layer = layer;
      part_name(prefix, sizeof prefix, tmpl, &f[d], "");
      CHECK(bind_lstm_layer(m, prefix, input_size, &dirs[d]->layers[layer], err, err_size));
      stack_add_layer(dirs[d]);
    }
    input_size = mvs_bidi_output(bidi->fw.layers[layer].units, bidi->bw.layers[layer].units);
    layer++;
  }
  if (layer == 0) {
    f[0].layer = 0;
    part_name(prefix, sizeof prefix, tmpl, &f[0], "kernel");
    return FAIL("tensor '%s' is missing", prefix);
  }
  bidi->output_size = input_size;
  bidi->max_units =
      bidi->fw.max_units > bidi->bw.max_units ? bidi->fw.max_units : bidi->bw.max_units;
  return MVAE_OK;
}

/* `{core}nade/w_enc` and `w_dec_t`, [dims][hidden] each, learning hidden from w_enc. */
static mvae_status bind_nade(mvae_model *m, const char *core, int dims, mvae_nade *nade, char *err,
                             size_t err_size) {
  char prefix[320], name[336];
  part_fields f = {.core = core};
  part_name(prefix, sizeof prefix, MVS_DECODER_NADE, &f, "");
  snprintf(name, sizeof name, "%sw_enc", prefix);
  const mvf_tensor *w_enc = mvf_find_tensor(&m->file, name);
  if (!w_enc)
    return FAIL("tensor '%s' is missing (musicvae.output_layer is 'nade')", name);
  nade->dims = dims;
  nade->hidden = w_enc->n_dims == 2 ? w_enc->cols : 0;
  if (nade->hidden < 1 || nade->hidden > MAX_DIM)
    return FAIL("tensor '%s' must be [%d, hidden]", name, dims);
  CHECK(bind_matrix(m, name, dims, nade->hidden, &nade->w_enc, err, err_size));
  snprintf(name, sizeof name, "%sw_dec_t", prefix);
  return bind_matrix(m, name, dims, nade->hidden, &nade->w_dec_t, err, err_size);
}

static int log2_exact(int n) {
  int bits = 0;
  while ((1 << bits) < n)
    bits++;
  return bits;
}

/* One track's decoder whose names start with `core` (MVS_FLAT_DECODER, MVS_CORE_DECODER, ...). */
static mvae_status bind_core_decoder(mvae_model *m, const char *core, int depth, int cond_size,
                                     mvae_core_decoder *dec, char *err, size_t err_size) {
  char name[320];
  part_fields f = {.core = core};
  dec->depth = depth;
  dec->cond_size = cond_size;
  dec->control_size = m->has_control_lstm ? m->control_lstm.output_size : m->info.control_depth;
  dec->has_nade = m->info.output_layer == MVAE_OUTPUT_NADE;
  dec->has_groove = m->info.output_layer == MVAE_OUTPUT_GROOVE;
  int output_width = depth;
  dec->input_width = depth;
  part_name(name, sizeof name, MVS_DECODER_NADE, &f, "w_enc");
  if (!dec->has_nade && exists(m, name))
    return FAIL("tensor '%s' is a NADE output layer's, but metadata 'musicvae.output_layer' is not "
                "'nade'",
                name);
  if (dec->has_nade) {
    CHECK(bind_nade(m, core, log2_exact(depth), &dec->nade, err, err_size));
    dec->input_width = dec->nade.dims;
    output_width = mvs_nade_output(dec->nade.hidden, dec->nade.dims);
    m->info.nade_hidden = dec->nade.hidden;
  }
  dec->has_boolean = m->info.output_layer == MVAE_OUTPUT_BOOLEAN;
  if (dec->has_boolean) { /* one logit per label */
    dec->input_width = log2_exact(depth);
    output_width = dec->input_width;
  }
  CHECK(bind_lstm_stack(m, MVS_DECODER_LSTM, f,
                        mvs_decoder_input(dec->input_width, cond_size, dec->control_size),
                        &dec->rnn, err, err_size));
  part_name(name, sizeof name, MVS_DECODER_INIT, &f, "");
  CHECK(bind_dense(m, name, cond_size, mvs_state_width(dec->rnn.state_size), &dec->init, err,
                   err_size));
  part_name(name, sizeof name, MVS_DECODER_OUTPUT, &f, "");
  int top_units = dec->rnn.layers[dec->rnn.n_layers - 1].units;
  return bind_dense(m, name, top_units, output_width, &dec->output, err, err_size);
}

/* The control preprocessing LSTM, if the file has one: one bidirectional layer reading the
 * controls, as magenta.js runs it (it refuses more layers). */
static mvae_status bind_control_lstm(mvae_model *m, char *err, size_t err_size) {
  part_fields fw = {.direction = directions[0]}, bw = {.direction = directions[1]};
  if (!has_layer(m, MVS_CONTROL_LSTM, fw, 0) && !has_layer(m, MVS_CONTROL_LSTM, bw, 0))
    return MVAE_OK;
  if (m->info.control_depth == 0)
    return FAIL("a control preprocessing LSTM, but the model has no controls "
                "(musicvae.control_depth 0)");
  CHECK(bind_bidi_stack(m, MVS_CONTROL_LSTM, 0, m->info.control_depth, &m->control_lstm, err,
                        err_size));
  if (m->control_lstm.fw.n_layers != 1)
    return mvae_format_error(err, err_size, MVAE_ERR_UNSUPPORTED,
                             "a control preprocessing LSTM of %d layers (magenta.js runs one)",
                             m->control_lstm.fw.n_layers);
  m->has_control_lstm = 1;
  return MVAE_OK;
}

static mvae_status bind_decoder(mvae_model *m, char *err, size_t err_size) {
  const mvae_info *info = &m->info;
  m->n_tracks = info->num_tracks;
  CHECK(bind_control_lstm(m, err, err_size));
  if (!info->hierarchical)
    return bind_core_decoder(m, MVS_FLAT_DECODER, info->output_depths[0], info->z_size,
                             &m->tracks[0], err, err_size);
  part_fields none = {0};
  CHECK(bind_lstm_stack(m, MVS_CONDUCTOR_LSTM, none, MVS_CONDUCTOR_INPUT, &m->conductor, err,
                        err_size));
  CHECK(bind_dense(m, MVS_CONDUCTOR_INIT, info->z_size, mvs_state_width(m->conductor.state_size),
                   &m->conductor_init, err, err_size));
  int cond_size = m->conductor.layers[m->conductor.n_layers - 1].units;
  for (int t = 0; t < m->n_tracks; t++) {
    char core[64];
    part_fields track = {.track = t};
    part_name(core, sizeof core, m->n_tracks == 1 ? MVS_CORE_DECODER : MVS_CORE_DECODER_TRACK,
              &track, "");
    CHECK(bind_core_decoder(m, core, info->output_depths[t], cond_size, &m->tracks[t], err,
                            err_size));
  }
  return MVAE_OK;
}

static mvae_status bind_encoder(mvae_model *m, char *err, size_t err_size) {
  const mvae_info *info = &m->info;
  int hierarchical = m->encoder_levels == 2;
  const char *tmpl = hierarchical ? MVS_HIER_ENCODER_LSTM : MVS_ENCODER_LSTM;
  part_fields fw = {.direction = directions[0]}, bw = {.direction = directions[1]};
  if (!has_layer(m, tmpl, fw, 0) && !has_layer(m, tmpl, bw, 0)) {
    m->encoder_levels = 0; /* decode-only model, e.g. Magenta's decoder without its encoder */
  } else {
    CHECK(bind_bidi_stack(m, tmpl, 0, mvs_encoder_input(info->input_depth, info->control_depth),
                          &m->encoder[0], err, err_size));
    if (hierarchical)
      CHECK(bind_bidi_stack(m, tmpl, 1, m->encoder[0].output_size, &m->encoder[1], err, err_size));
  }
  /* mu/sigma may exist without the LSTMs; their input size then cannot be checked against them. */
  char mu_name[64], sigma_name[64], kernel[80];
  part_fields mu_f = {.latent = "mu"}, sigma_f = {.latent = "sigma"};
  part_name(mu_name, sizeof mu_name, MVS_LATENT, &mu_f, "");
  part_name(sigma_name, sizeof sigma_name, MVS_LATENT, &sigma_f, "");
  part_name(kernel, sizeof kernel, MVS_LATENT, &mu_f, "kernel");
  const mvf_tensor *mu = mvf_find_tensor(&m->file, kernel);
  if (mu) {
    int in = m->encoder_levels ? m->encoder[m->encoder_levels - 1].output_size : mu->rows;
    CHECK(bind_dense(m, mu_name, in, info->z_size, &m->mu, err, err_size));
    m->has_mu = 1;
    part_name(kernel, sizeof kernel, MVS_LATENT, &sigma_f, "kernel");
    if (exists(m, kernel)) {
      CHECK(bind_dense(m, sigma_name, in, info->z_size, &m->sigma, err, err_size));
      m->has_sigma = 1;
    }
  }
  if (m->encoder_levels && !m->has_mu)
    return FAIL("the encoder has LSTM weights but '%skernel' is missing", mu_name);
  return MVAE_OK;
}

/* A tensor the configuration does not use is a misspelt or corrupted name (which could otherwise
 * silently turn an encoder into nothing) or a part this engine does not know: refused, named. */
static mvae_status check_all_bound(const mvae_model *m, char *err, size_t err_size) {
  for (uint32_t i = 0; i < m->file.n_tensors; i++) {
    const mvf_tensor *t = &m->file.tensors[i];
    if (!t->bound)
      return FAIL("tensor '%.*s' is not part of this model's configuration (%s decoder, %s "
                  "encoder): an unknown or misspelt name, or the rest of its layer is missing",
                  (int)t->name_len, t->name, m->info.hierarchical ? "hierarchical" : "flat",
                  m->encoder_levels == 0   ? "no"
                  : m->encoder_levels == 2 ? "hierarchical"
                                           : "bidirectional");
  }
  return MVAE_OK;
}

mvae_status mvae_model_build(mvae_model *m, char *err, size_t err_size) {
  CHECK(read_config(m, err, err_size));
  /* The note converters assume these widths; a mismatch would make encode/decode meaningless. */
  CHECK(mvae_converter_check(&m->info, err, err_size));
  CHECK(widen_f16_tensors(m, err, err_size));
  CHECK(bind_decoder(m, err, err_size));
  CHECK(bind_encoder(m, err, err_size));
  CHECK(check_all_bound(m, err, err_size));
  /* A multitrack encoder reads each track's segment up to its end token (magenta.js's
   * variable-length segments), which only a hierarchical encoder has. */
  if (m->info.converter == MVAE_CONVERTER_MULTITRACK && m->encoder_levels == 1)
    return FAIL("a multitrack model's encoder must be hierarchical (one level per track segment)");
  mvae_info *info = &m->info;
  info->has_encoder = m->encoder_levels > 0;
  info->has_sigma = info->has_encoder && m->has_sigma;
  size_t bytes = 0;
  int quantized = 0;
  for (uint32_t i = 0; i < m->file.n_tensors; i++) {
    bytes += m->file.tensors[i].nbytes;
    quantized |= m->file.tensors[i].dtype == MVF_Q8;
  }
  info->weight_bytes = bytes;
  info->quantized = quantized;
  return MVAE_OK;
}
