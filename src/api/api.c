/* api.c: the public entry points: argument checks, batching, sampling around the forward pass. */
#include "api/errors.h"
#include "api/rng.h"
#include "api/threads.h"
#include "format/model.h"
#include "format/size_math.h"
#include "nn/forward.h"
#include "nn/int8_compute.h"
#include "notes/convert_multitrack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sequences decoded together: enough to fill the SIMD kernels, small enough to keep scratch in
 * cache. */
enum { DECODE_CHUNK = 64 };
/* The encoder keeps every step's outputs and gates of a chunk of sequences: its chunk is as many
 * sequences (up to DECODE_CHUNK) as fit in 8 MiB, or in the decoder's scratch if that is larger. */
#define ENCODER_SCRATCH_BYTES ((size_t)8 << 20)
/* A model whose passes need more scratch than this for one sequence is refused at load. */
#define MAX_SCRATCH_BYTES ((size_t)256 << 20)

/* Reserves, once, the scratch of the largest chunks the calls run (the passes then never
 * allocate), and chooses the encoder's chunk. */
static mvae_status reserve_scratch(mvae_model *m, char *err, size_t err_size) {
  size_t need = decoder_scratch_bytes(m, DECODE_CHUNK), budget = ENCODER_SCRATCH_BYTES;
  if (decoder_scratch_bytes(m, 1) > MAX_SCRATCH_BYTES ||
      (m->info.has_encoder && encoder_scratch_bytes(m, 1) > MAX_SCRATCH_BYTES))
    return mvae_format_error(err, err_size, MVAE_ERR_UNSUPPORTED,
                             "this model needs more than %zu MiB of scratch per sequence",
                             MAX_SCRATCH_BYTES >> 20);
  m->encode_chunk = 1;
  if (m->info.has_encoder) {
    budget = need > budget ? need : budget;
    while (m->encode_chunk < DECODE_CHUNK &&
           encoder_scratch_bytes(m, m->encode_chunk + 1) <= budget)
      m->encode_chunk++;
    size_t encoder_need = encoder_scratch_bytes(m, m->encode_chunk);
    need = encoder_need > need ? encoder_need : need;
  }
  if (!mvae_arena_reserve(&m->scratch, need))
    return mvae_format_error(err, err_size, MVAE_ERR_OUT_OF_MEMORY,
                             "out of memory for %zu bytes of scratch", need);
  return MVAE_OK;
}

mvae_status mvae_model_load(const void *data, size_t size, mvae_model **out, char *err,
                            size_t err_size) {
  if (err && err_size)
    err[0] = '\0';
  if (!out)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  if (!data || size == 0)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT, "model data is empty");
  mvae_model *m = calloc(1, sizeof *m);
  if (!m || !(m->blob = malloc(size))) {
    free(m);
    return mvae_format_error(err, err_size, MVAE_ERR_OUT_OF_MEMORY,
                             "out of memory loading a %zu-byte model", size);
  }
  memcpy(m->blob, data, size);
  m->threads = 1;
#if defined(__EMSCRIPTEN__)
  const char *forced = NULL; /* WebAssembly has one set (and no environment to read) */
#else
  const char *forced = getenv("MVAE_KERNELS");
#endif
  mvae_status status = MVAE_OK;
  if (!mvk_select(forced, &m->compute.kernels, &m->compute.activations))
    status = mvae_format_error(err, err_size, MVAE_ERR_UNSUPPORTED,
                               "MVAE_KERNELS=%s names no kernel set this build and CPU run "
                               "(see mvae_kernel_set_name)",
                               forced);
  if (status == MVAE_OK)
    status = mvf_parse(m->blob, size, &m->file, err, err_size);
  if (status == MVAE_OK)
    status = mvae_model_build(m, err, err_size);
  if (status == MVAE_OK)
    status = reserve_scratch(m, err, err_size);
  /* int8 models compute in integers by default (mvae_model_set_int8_compute). */
  if (status == MVAE_OK && m->info.quantized && int8_compute_set(m, 1) != MVAE_OK)
    status = mvae_format_error(err, err_size, MVAE_ERR_OUT_OF_MEMORY,
                               "out of memory for the integer weights");
  if (status == MVAE_OK) {
    mvae_info *info = &m->info;
    info->kernels = m->compute.kernels->name;
    info->activations = m->compute.activations->name;
    /* A melody or bass track starts at most one note per step; drums (and GrooVAE) up to one per
     * class; a multitrack token at most one note. */
    for (int t = 0; t < info->num_tracks; t++) {
      int drums = (info->output_depths[t] == 512 && info->converter != MVAE_CONVERTER_MULTITRACK) ||
                  info->output_layer == MVAE_OUTPUT_GROOVE;
      info->max_notes += info->num_steps * (drums ? 9 : 1);
    }
  }
  if (status != MVAE_OK) {
    mvae_model_free(m);
    return status;
  }
  *out = m;
  return MVAE_OK;
}

const char *mvae_kernel_set_name(int index) {
  const mvk_impl *k = mvk_get(index);
  return k ? k->name : NULL;
}

mvae_status mvae_model_set_kernels(mvae_model *m, const char *name) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_clear_error(m);
  if (!mvk_select(name, &m->compute.kernels, &m->compute.activations))
    return mvae_fail(m, MVAE_ERR_UNSUPPORTED,
                     "no kernel set '%s' in this build on this CPU (see mvae_kernel_set_name)",
                     name);
  m->info.kernels = m->compute.kernels->name;
  m->info.activations = m->compute.activations->name;
  return MVAE_OK;
}

mvae_status mvae_model_set_threads(mvae_model *m, int threads) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_clear_error(m);
  /* What the model's own scratch holds: the largest chunk of any pass. */
  return mvae_threads_set(m, threads, m->scratch.size);
}

mvae_status mvae_model_set_int8_compute(mvae_model *m, int on) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_clear_error(m);
  return int8_compute_set(m, on != 0);
}

void mvae_model_free(mvae_model *model) {
  if (!model)
    return;
  mvf_release(&model->file);
  mvae_arena_free(&model->scratch);
  free(model->integer_weights);
  mvae_threads_free(model);
  free(model->widened_f16);
  free(model->blob);
  free(model);
}

mvae_status mvae_model_info(const mvae_model *model, mvae_info *info) {
  if (!model || !info)
    return MVAE_ERR_INVALID_ARGUMENT;
  *info = model->info;
  return MVAE_OK;
}

static mvae_status check_batch(mvae_model *m, int batch) {
  if (batch < 1 || batch > MVAE_MAX_BATCH)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT, "batch size %d is not in 1..%d", batch,
                     MVAE_MAX_BATCH);
  return MVAE_OK;
}

/* The checks every inference call starts with: clear the last error, then the pointers
 * (`pointers_ok`, described by `what`) and the batch size. */
static mvae_status begin_call(mvae_model *m, int pointers_ok, const char *what, int batch) {
  mvae_clear_error(m);
  if (!pointers_ok)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT, "%s must not be NULL", what);
  return check_batch(m, batch);
}

/* *count = batch x per_item elements; refused (not wrapped) if the caller's buffer of that many
 * elements of elem_bytes each could not even be addressed (possible on 32-bit targets). */
static mvae_status buffer_elements(mvae_model *m, const char *what, int batch, size_t per_item,
                                   size_t elem_bytes, size_t *count) {
  size_t bytes;
  if (!mvae_size_mul(batch, per_item, count) || !mvae_size_mul(*count, elem_bytes, &bytes))
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT,
                     "%s: %d x %zu values do not fit in this platform's address space", what, batch,
                     per_item);
  return MVAE_OK;
}

static mvae_status check_finite(mvae_model *m, const float *x, size_t n, const char *what) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT, "%s[%zu] is not a finite number", what, i);
  return MVAE_OK;
}

static mvae_status check_sampling(mvae_model *m, float temperature, const mvae_rng *rng) {
  if (!isfinite(temperature))
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT, "temperature is not a finite number");
  if (temperature > 0.0f && !rng)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT, "sampling at temperature %g needs an rng",
                     (double)temperature);
  return MVAE_OK;
}

/* The controls of a call on a conditioned model: present exactly when the model takes them, finite,
 * and as many as the batch needs; *out tells the passes where they are. */
static mvae_status check_controls(mvae_model *m, const mvae_controls *controls, int batch,
                                  step_controls *out) {
  int depth = m->info.control_depth;
  memset(out, 0, sizeof *out);
  if (depth == 0) {
    if (controls && controls->values)
      return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT,
                       "this model takes no controls (it is not conditioned)");
    return MVAE_OK;
  }
  if (!controls || !controls->values)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT,
                     "this model is conditioned: it needs controls of %d values per step%s", depth,
                     m->info.chord_encoding != MVAE_CHORDS_NONE ? " (a chord progression)" : "");
  size_t per_seq = (size_t)m->info.num_steps * (size_t)depth, n;
  mvae_status status =
      buffer_elements(m, "controls", controls->per_item ? batch : 1, per_seq, sizeof(float), &n);
  if (status != MVAE_OK || (status = check_finite(m, controls->values, n, "controls")) != MVAE_OK)
    return status;
  out->values = controls->values;
  out->seq_stride = controls->per_item ? per_seq : 0;
  return MVAE_OK;
}

/* The controls of the chunk of sequences starting at sequence b. */
static step_controls controls_from(const step_controls *c, int b) {
  step_controls chunk = *c;
  if (chunk.values)
    chunk.values += (size_t)b * chunk.seq_stride;
  return chunk;
}

typedef struct encode_job {
  const float *inputs;
  const step_controls *controls;
  const int *segment_lengths; /* [batch][num_segments], or NULL */
  float *mu, *sigma;
  size_t step_values;
} encode_job;

/* Encodes rows [first, first + count) in chunks of the model's encode_chunk. */
static mvae_status run_encode(mvae_model *m, int first, int count, void *arg) {
  const encode_job *j = arg;
  int chunk = m->encode_chunk, z = m->info.z_size;
  mvae_status status = MVAE_OK;
  for (int b = first; b < first + count && status == MVAE_OK; b += chunk) {
    int n = first + count - b < chunk ? first + count - b : chunk;
    step_controls controls = controls_from(j->controls, b);
    const int *lengths =
        j->segment_lengths ? j->segment_lengths + (size_t)b * m->info.num_segments : NULL;
    status = encoder_forward(m, j->inputs + (size_t)b * j->step_values, &controls, lengths, n,
                             j->mu + (size_t)b * z, j->sigma ? j->sigma + (size_t)b * z : NULL);
  }
  return status;
}

/* A multitrack model reads each track's segment up to its end token: *lengths (malloc'd,
 * [batch][num_segments]) says how far, as magenta.js's getSegmentLengths (which takes one sequence
 * only; here every sequence of the batch has its own). */
static mvae_status multitrack_segment_lengths(mvae_model *m, const float *inputs, int batch,
                                              int **lengths) {
  const mvae_info *info = &m->info;
  mvae_multitrack_params p = mvae_multitrack_params_of(info);
  size_t segments = (size_t)info->num_segments,
         step_values = (size_t)info->num_steps * info->input_depth;
  if (!(*lengths = malloc(sizeof(int) * segments * (size_t)batch)))
    return mvae_fail(m, MVAE_ERR_OUT_OF_MEMORY, "out of memory for %d segment lengths", batch);
  for (int b = 0; b < batch; b++) {
    mvae_convert_error error;
    mvae_status status =
        mvae_multitrack_segment_lengths(inputs + (size_t)b * step_values, info->input_depth, &p,
                                        *lengths + (size_t)b * segments, &error);
    if (status != MVAE_OK) {
      free(*lengths);
      *lengths = NULL;
      return mvae_fail(m, status, "sequence %d, segment %d: %s", b, error.index, error.message);
    }
  }
  return MVAE_OK;
}

mvae_status mvae_encode(mvae_model *m, const float *inputs, int batch, float *mu, float *sigma) {
  return mvae_encode_with(m, inputs, batch, NULL, mu, sigma);
}

mvae_status mvae_encode_with(mvae_model *m, const float *inputs, int batch,
                             const mvae_controls *controls, float *mu, float *sigma) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_status status = begin_call(m, inputs && mu, "encode: inputs and mu", batch);
  if (status != MVAE_OK)
    return status;
  step_controls steps;
  if ((status = check_controls(m, controls, batch, &steps)) != MVAE_OK)
    return status;
  if (!m->info.has_encoder)
    return mvae_fail(m, MVAE_ERR_NO_ENCODER,
                     "this model has no encoder weights (e.g. Magenta's mel_2bar_small decoder "
                     "without its encoder kernels): it can decode, sample and interpolate latent "
                     "vectors, but not encode sequences");
  if (sigma && !m->has_sigma)
    return mvae_fail(m, MVAE_ERR_UNSUPPORTED, "this model has no 'encoder/sigma' weights");
  size_t step_values = (size_t)m->info.num_steps * m->info.input_depth, n_inputs, n_z;
  if ((status = buffer_elements(m, "encode: inputs", batch, step_values, sizeof(float),
                                &n_inputs)) != MVAE_OK ||
      (status = buffer_elements(m, "encode: mu", batch, m->info.z_size, sizeof(float), &n_z)) !=
          MVAE_OK ||
      (status = check_finite(m, inputs, n_inputs, "inputs")) != MVAE_OK)
    return status;

  int *lengths = NULL;
  if (m->info.converter == MVAE_CONVERTER_MULTITRACK &&
      (status = multitrack_segment_lengths(m, inputs, batch, &lengths)) != MVAE_OK)
    return status;
  encode_job job = {inputs, &steps, lengths, mu, sigma, step_values};
  status = mvae_run_rows(m, batch, run_encode, &job);
  free(lengths);
  return status;
}

/* The generators of rows 0..n-1 (rng skipped b rows), or NULL without an rng; freed by the caller.
 */
static mvae_status row_generators(mvae_model *m, const mvae_rng *rng, int n, mvae_rng **rows) {
  *rows = NULL;
  if (!rng)
    return MVAE_OK;
  if (!(*rows = malloc(sizeof **rows * (size_t)n)))
    return mvae_fail(m, MVAE_ERR_OUT_OF_MEMORY, "out of memory for %d random streams", n);
  mvae_rng_rows(rng, n, *rows);
  return MVAE_OK;
}

typedef struct decode_job {
  const float *z;
  const mvae_decode_opts *opts;
  const step_controls *controls;
  int nade_sample;
  mvae_rng *rows;
  float *values; /* GrooVAE's step vectors, or NULL */
  int32_t *tokens;
  size_t seq_tokens, logit_width;
} decode_job;

/* Decodes rows [first, first + count) in chunks of DECODE_CHUNK. */
static mvae_status run_decode(mvae_model *m, int first, int count, void *arg) {
  const decode_job *j = arg;
  const mvae_decode_opts *opts = j->opts;
  mvae_status status = MVAE_OK;
  for (int b = first; b < first + count && status == MVAE_OK; b += DECODE_CHUNK) {
    int n = first + count - b < DECODE_CHUNK ? first + count - b : DECODE_CHUNK;
    mvae_decode_opts chunk = *opts;
    if (opts->teacher)
      chunk.teacher = opts->teacher + (size_t)b * j->seq_tokens;
    if (opts->logits)
      chunk.logits = opts->logits + (size_t)b * m->info.num_steps * j->logit_width;
    step_controls controls = controls_from(j->controls, b);
    float *values = j->values ? j->values + (size_t)b * m->info.num_steps * j->logit_width : NULL;
    status = decoder_forward(m, j->z + (size_t)b * m->info.z_size, n, &chunk, &controls,
                             j->nade_sample, j->rows ? j->rows + b : NULL, values,
                             j->tokens + (size_t)b * j->seq_tokens);
  }
  return status;
}

/* mvae_decode_with's checks and chunks, with row b sampling from rows[b] (NULL: argmax only). */
static mvae_status decode_rows(mvae_model *m, const float *z, int batch,
                               const mvae_decode_opts *opts, const mvae_decode_extra *extra,
                               mvae_rng *rows, int32_t *tokens) {
  mvae_status status = begin_call(m, z && tokens, "decode: z and tokens", batch);
  if (status != MVAE_OK || (status = check_sampling(m, opts->temperature, opts->rng)) != MVAE_OK)
    return status;
  step_controls steps;
  if ((status = check_controls(m, extra ? extra->controls : NULL, batch, &steps)) != MVAE_OK)
    return status;
  const mvae_info *info = &m->info;
  size_t seq_tokens = (size_t)info->num_tracks * info->num_steps, logit_width = 0;
  for (int t = 0; t < info->num_tracks; t++)
    logit_width += (size_t)info->output_depths[t];
  float *values = extra ? extra->values : NULL;
  int groove = info->output_layer == MVAE_OUTPUT_GROOVE;
  if (values && !groove)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT,
                     "decode: values are a GrooVAE model's output; this model has none");
  /* GrooVAE feeds back velocities and offsets too, which tokens (the hits) do not carry. */
  if (opts->teacher && groove)
    return mvae_fail(m, MVAE_ERR_UNSUPPORTED,
                     "decode: teacher forcing is not supported on a GrooVAE model (its decoder "
                     "feeds back hits, velocities and offsets)");
  size_t n_z, n_tokens, n_logits;
  if ((status = buffer_elements(m, "decode: z", batch, info->z_size, sizeof(float), &n_z)) !=
          MVAE_OK ||
      (values &&
       (status = buffer_elements(m, "decode: values", batch, info->num_steps * logit_width,
                                 sizeof(float), &n_logits)) != MVAE_OK) ||
      (status = buffer_elements(m, "decode: tokens", batch, seq_tokens, sizeof(int32_t),
                                &n_tokens)) != MVAE_OK ||
      (opts->logits &&
       (status = buffer_elements(m, "decode: logits", batch, info->num_steps * logit_width,
                                 sizeof(float), &n_logits)) != MVAE_OK) ||
      (status = check_finite(m, z, n_z, "z")) != MVAE_OK)
    return status;
  if (opts->teacher)
    for (size_t i = 0; i < n_tokens; i++) {
      int track = (int)(i / info->num_steps % info->num_tracks);
      if (opts->teacher[i] < 0 || opts->teacher[i] >= info->output_depths[track])
        return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT,
                         "teacher token %d at index %zu is outside 0..%d", (int)opts->teacher[i], i,
                         info->output_depths[track] - 1);
    }

  decode_job job = {z,          opts,   &steps, extra ? extra->nade_sample != 0 : 0,
                    rows,       values, tokens, seq_tokens,
                    logit_width};
  return mvae_run_rows(m, batch, run_decode, &job);
}

/* Decodes z with rows (or argmax), frees rows and the owned z, and on success moves the caller's
 * rng past the n rows used. */
static mvae_status decode_and_skip(mvae_model *m, const float *z, int n,
                                   const mvae_decode_opts *opts, const mvae_decode_extra *extra,
                                   mvae_rng *rows, float *z_owned, int32_t *tokens) {
  mvae_status status = decode_rows(m, z, n, opts, extra, rows, tokens);
  if (status == MVAE_OK)
    mvae_rng_skip_rows(opts->rng, (uint32_t)n);
  free(rows);
  free(z_owned);
  return status;
}

mvae_status mvae_decode(mvae_model *m, const float *z, int batch, const mvae_decode_opts *opts,
                        int32_t *tokens) {
  return mvae_decode_with(m, z, batch, opts, NULL, tokens);
}

mvae_status mvae_decode_with(mvae_model *m, const float *z, int batch, const mvae_decode_opts *opts,
                             const mvae_decode_extra *extra, int32_t *tokens) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_decode_opts greedy = {0};
  if (!opts)
    opts = &greedy;
  mvae_rng *rows = NULL;
  mvae_status status = begin_call(m, z && tokens, "decode: z and tokens", batch);
  if (status == MVAE_OK && opts->temperature > 0.0f)
    status = row_generators(m, opts->rng, batch, &rows);
  if (status != MVAE_OK)
    return status;
  return decode_and_skip(m, z, batch, opts, extra, rows, NULL, tokens);
}

/* The n latent vectors to decode: the caller's z_out, or a temporary (*owned, freed by
 * decode_and_skip). */
static mvae_status latent_buffer(mvae_model *m, const char *what, int n, float *z_out, float **z,
                                 float **owned) {
  size_t count;
  *owned = NULL;
  *z = z_out;
  mvae_status status = buffer_elements(m, what, n, m->info.z_size, sizeof(float), &count);
  if (status != MVAE_OK || z_out)
    return status;
  if (!(*z = *owned = malloc(sizeof(float) * count)))
    return mvae_fail(m, MVAE_ERR_OUT_OF_MEMORY, "%s: out of memory for %zu latent values", what,
                     count);
  return MVAE_OK;
}

mvae_status mvae_sample(mvae_model *m, int n, float temperature, mvae_rng *rng, float *z_out,
                        int32_t *tokens) {
  return mvae_sample_with(m, n, temperature, rng, NULL, z_out, tokens);
}

mvae_status mvae_sample_with(mvae_model *m, int n, float temperature, mvae_rng *rng,
                             const mvae_decode_extra *extra, float *z_out, int32_t *tokens) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_status status = begin_call(m, rng && tokens, "sample: rng and tokens", n);
  step_controls steps; /* checked before any draw, so a refused call leaves rng as it was */
  if (status != MVAE_OK || (status = check_sampling(m, temperature, rng)) != MVAE_OK ||
      (status = check_controls(m, extra ? extra->controls : NULL, n, &steps)) != MVAE_OK)
    return status;
  float *owned, *z;
  mvae_rng *rows;
  if ((status = latent_buffer(m, "sample: z", n, z_out, &z, &owned)) != MVAE_OK)
    return status;
  if ((status = row_generators(m, rng, n, &rows)) != MVAE_OK) {
    free(owned);
    return status;
  }
  /* Each row draws its z, then (in the decode) its samples, from its own generator. */
  mvae_rng_normal_rows(rng, n, m->info.z_size, z, rows);
  mvae_decode_opts opts = {temperature, rng, NULL, NULL};
  return decode_and_skip(m, z, n, &opts, extra, rows, owned, tokens);
}

mvae_status mvae_similar(mvae_model *m, const float *z0, int n, float similarity, float temperature,
                         mvae_rng *rng, float *z_out, int32_t *tokens) {
  return mvae_similar_with(m, z0, n, similarity, temperature, rng, NULL, z_out, tokens);
}

mvae_status mvae_similar_with(mvae_model *m, const float *z0, int n, float similarity,
                              float temperature, mvae_rng *rng, const mvae_decode_extra *extra,
                              float *z_out, int32_t *tokens) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_status status = begin_call(m, z0 && rng && tokens, "similar: z, rng and tokens", n);
  step_controls steps; /* checked before any draw, so a refused call leaves rng as it was */
  if (status != MVAE_OK || (status = check_sampling(m, temperature, rng)) != MVAE_OK ||
      (status = check_controls(m, extra ? extra->controls : NULL, n, &steps)) != MVAE_OK)
    return status;
  if (!(similarity >= 0.0f && similarity <= 1.0f))
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT, "similarity %g is not in [0, 1]",
                     (double)similarity);
  int zs = m->info.z_size;
  if ((status = check_finite(m, z0, (size_t)zs, "z")) != MVAE_OK)
    return status;
  float *owned, *z;
  mvae_rng *rows;
  if ((status = latent_buffer(m, "similar: z", n, z_out, &z, &owned)) != MVAE_OK)
    return status;
  if ((status = row_generators(m, rng, n, &rows)) != MVAE_OK) {
    free(owned);
    return status;
  }
  mvae_rng_normal_rows(rng, n, zs, z, rows);
  for (int b = 0; b < n; b++)
    for (int d = 0; d < zs; d++)
      z[(size_t)b * zs + d] = similarity * z0[d] + (1.0f - similarity) * z[(size_t)b * zs + d];
  mvae_decode_opts opts = {temperature, rng, NULL, NULL};
  return decode_and_skip(m, z, n, &opts, extra, rows, owned, tokens);
}

/* Decodes the latent vectors a model-free call made in z (its status `made`, its message in
 * made_err): the batched grid and interpolation decodes. */
static mvae_status decode_made(mvae_model *m, mvae_status made, const char *made_err, float *z,
                               float *owned, int count, const mvae_decode_opts *opts,
                               int32_t *tokens) {
  mvae_status status =
      made == MVAE_OK ? mvae_decode(m, z, count, opts, tokens) : mvae_fail(m, made, "%s", made_err);
  free(owned);
  return status;
}

mvae_status mvae_decode_grid(mvae_model *m, const float *corners, int cols, int rows,
                             mvae_interp method, const mvae_decode_opts *opts, float *z_out,
                             int32_t *tokens) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_clear_error(m);
  if (cols < 1 || rows < 1 || (int64_t)cols * rows > MVAE_MAX_BATCH)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT, "decode grid: %d x %d is not 1..%d cells", cols,
                     rows, MVAE_MAX_BATCH);
  int count = cols * rows;
  mvae_status status = begin_call(m, corners && tokens, "decode grid: corners and tokens", count);
  float *owned, *z;
  if (status != MVAE_OK ||
      (status = latent_buffer(m, "decode grid: z", count, z_out, &z, &owned)) != MVAE_OK)
    return status;
  char err[256];
  mvae_status made =
      mvae_latent_grid(corners, m->info.z_size, cols, rows, method, z, err, sizeof err);
  return decode_made(m, made, err, z, owned, count, opts, tokens);
}

mvae_status mvae_decode_interpolation(mvae_model *m, const float *a, const float *b, int n,
                                      mvae_interp method, const mvae_decode_opts *opts,
                                      float *z_out, int32_t *tokens) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_status status = begin_call(m, a && b && tokens, "decode interpolation: a, b and tokens", n);
  float *owned, *z;
  if (status != MVAE_OK ||
      (status = latent_buffer(m, "decode interpolation: z", n, z_out, &z, &owned)) != MVAE_OK)
    return status;
  char err[256];
  mvae_status made = mvae_latent_interpolate(a, b, m->info.z_size, n, method, z, err, sizeof err);
  return decode_made(m, made, err, z, owned, n, opts, tokens);
}
