/* refine_api.c: the public refinement entry points: argument checks, the starting z, Adam. */
#define _POSIX_C_SOURCE 199309L /* clock_gettime, for the optional time budget */

#include "api/errors.h"
#include "format/model.h"
#include "nn/refine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Sequences run through the decoder together: its scratch (about 0.5 MB per mel_2bar_small
 * sequence) stays moderate while the recurrent products still share each weight load. */
enum { REFINE_CHUNK = 32 };

/* Adam as Kingma & Ba (and torch.optim.Adam), with a shorter first-moment memory than their
 * default 0.9: over 30 steps, beta1 0.8 reconstructed 99.0% of out-of-corpus melodies against
 * 98.6% (tools/refine_eval.py's set, lr 0.2); beta2 and epsilon are the defaults. */
#define ADAM_BETA1 0.8f
#define ADAM_BETA2 0.999f
#define ADAM_EPSILON 1e-8f

static mvae_status check_finite(mvae_model *m, const float *x, size_t n, const char *what) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT, "%s[%zu] is not a finite number", what, i);
  return MVAE_OK;
}

/* Common checks: the pointers, the batch size, a decoder the refiner supports. */
static mvae_status begin(mvae_model *m, int pointers_ok, const char *what, int batch) {
  mvae_clear_error(m);
  if (!pointers_ok)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT, "%s must not be NULL", what);
  if (batch < 1 || batch > MVAE_MAX_BATCH)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT, "batch size %d is not in 1..%d", batch,
                     MVAE_MAX_BATCH);
  const char *why = NULL;
  if (!refiner_supports(m, &why))
    return mvae_fail(m, MVAE_ERR_UNSUPPORTED, "%s", why);
  return MVAE_OK;
}

static mvae_status check_targets(mvae_model *m, const int32_t *targets, int batch) {
  const mvae_info *info = &m->info;
  size_t n = (size_t)batch * info->num_tracks * info->num_steps;
  for (size_t i = 0; i < n; i++) {
    int depth = info->output_depths[i / info->num_steps % info->num_tracks];
    if (targets[i] < 0 || targets[i] >= depth)
      return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT,
                       "target token %d at index %zu is outside 0..%d", (int)targets[i], i,
                       depth - 1);
  }
  return MVAE_OK;
}

/* The inputs' own tokens: each step's input is the tracks' one-hot rows side by side. */
static mvae_status targets_from_inputs(mvae_model *m, const float *inputs, int batch,
                                       int32_t *targets) {
  const mvae_info *info = &m->info;
  int T = info->num_steps, K = info->num_tracks, width = info->input_depth, classes = 0;
  for (int k = 0; k < K; k++)
    classes += info->output_depths[k];
  if (width != classes)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT,
                     "this model's inputs (%d wide, e.g. a drum roll) are not one-hot rows of its "
                     "%d output classes: pass the tokens to reconstruct in opts->targets",
                     width, classes);
  for (size_t s = 0; s < (size_t)batch * T; s++) {
    const float *row = inputs + s * width;
    for (int k = 0, offset = 0; k < K; offset += info->output_depths[k], k++) {
      int hot = -1, ones = 0, others = 0;
      for (int c = 0; c < info->output_depths[k]; c++) {
        float v = row[offset + c];
        if (v == 1.0f) {
          hot = c;
          ones++;
        } else if (v != 0.0f) {
          others++;
        }
      }
      if (ones != 1 || others)
        return mvae_fail(m, MVAE_ERR_BAD_INPUT,
                         "input step %zu of sequence %zu (track %d) is not one-hot, so it names no "
                         "token to reconstruct (pass opts->targets)",
                         s % T, s / T, k);
      targets[(s / T * K + k) * T + s % T] = hot;
    }
  }
  return MVAE_OK;
}

static mvae_status decoder_loss(mvae_model *m, const float *z, const int32_t *targets, int batch,
                                float *loss, float *grad) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_status status = begin(m, z && targets && loss, "decoder_loss: z, targets and loss", batch);
  if (status == MVAE_OK)
    status = check_finite(m, z, (size_t)batch * m->info.z_size, "z");
  if (status == MVAE_OK)
    status = check_targets(m, targets, batch);
  if (status != MVAE_OK)
    return status;
  mvae_refiner *r = refiner_create(m, batch < REFINE_CHUNK ? batch : REFINE_CHUNK);
  if (!r)
    return mvae_fail(m, MVAE_ERR_OUT_OF_MEMORY, "out of memory for the decoder's backward pass");
  refiner_loss_grad(r, z, targets, batch, loss, grad, NULL);
  refiner_free(r);
  return MVAE_OK;
}

static double now_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    return 0.0;
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

void mvae_refine_opts_init(mvae_refine_opts *opts) {
  if (!opts)
    return;
  *opts = (mvae_refine_opts){MVAE_REFINE_DEFAULT_STEPS,
                             MVAE_REFINE_DEFAULT_LEARNING_RATE,
                             0.0f,
                             MVAE_REFINE_DEFAULT_PRIOR_WEIGHT,
                             NULL,
                             NULL,
                             NULL,
                             NULL,
                             NULL};
}

static mvae_status check_opts(mvae_model *m, const mvae_refine_opts *o) {
  if (o->steps < 0 || o->steps > MVAE_REFINE_MAX_STEPS)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT, "refine steps %d is not in 0..%d", o->steps,
                     MVAE_REFINE_MAX_STEPS);
  if (!isfinite(o->learning_rate) || o->learning_rate <= 0.0f)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT,
                     "refine learning rate %g is not a finite number > 0",
                     (double)o->learning_rate);
  if (!isfinite(o->time_budget_ms) || o->time_budget_ms < 0.0f)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT,
                     "refine time budget %g ms is not a finite number >= 0 (0: none)",
                     (double)o->time_budget_ms);
  if (!isfinite(o->prior_weight) || o->prior_weight < 0.0f)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT,
                     "refine prior weight %g is not a finite number >= 0", (double)o->prior_weight);
  return MVAE_OK;
}

/* The working arrays of one refinement, one allocation. */
typedef struct adam_state {
  float *z, *grad, *m, *v; /* [batch][z_size] */
  float *loss, *best;      /* [batch] */
  int32_t *targets;        /* [batch][num_tracks][num_steps] */
} adam_state;

static float *adam_alloc(size_t batch, size_t z_size, size_t seq_tokens, adam_state *s) {
  size_t zn = batch * z_size;
  float *all = calloc(4 * zn + 2 * batch + batch * seq_tokens, sizeof(float));
  if (!all)
    return NULL;
  s->z = all;
  s->grad = all + zn;
  s->m = all + 2 * zn;
  s->v = all + 3 * zn;
  s->loss = all + 4 * zn;
  s->best = s->loss + batch;
  s->targets = (int32_t *)(void *)(s->best + batch);
  return all;
}

/* loss + prior_weight * |z|^2 / 2, in double, elements in order. */
static double objective(float loss, const float *z, int z_size, float prior_weight) {
  double sq = 0.0;
  for (int k = 0; prior_weight > 0.0f && k < z_size; k++)
    sq += (double)z[k] * z[k];
  return (double)loss + 0.5 * prior_weight * sq;
}

/* The start is mvae_encode's mu, bit for bit, with the model's own int8 compute setting (the
 * refinement steps around it run int8 products in float, see mvae_encode_refined). */
static mvae_status encode_as_mvae_encode(mvae_model *m, const float *inputs, int batch, float *mu) {
  int refining = m->compute.float_int8;
  m->compute.float_int8 = 0;
  mvae_status status = mvae_encode(m, inputs, batch, mu, NULL);
  m->compute.float_int8 = refining;
  return status;
}

static mvae_status encode_refined(mvae_model *m, const float *inputs, int batch,
                                  const mvae_refine_opts *opts, float *z_out) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_status status = begin(m, z_out != NULL, "encode_refined: z_out", batch);
  if (status != MVAE_OK)
    return status;
  mvae_refine_opts defaults;
  mvae_refine_opts_init(&defaults);
  const mvae_refine_opts *o = opts ? opts : &defaults;
  if ((status = check_opts(m, o)) != MVAE_OK)
    return status;
  if (!inputs && !(o->z_init && o->targets))
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT,
                     "encode_refined: inputs may be NULL only when opts->z_init and "
                     "opts->targets are both given");
  if (!o->z_init && !m->info.has_encoder)
    return mvae_fail(m, MVAE_ERR_NO_ENCODER,
                     "this model has no encoder weights: pass a starting z in opts->z_init "
                     "(e.g. zeros) to refine without encoding");
  const mvae_info *info = &m->info;
  int Z = info->z_size, T = info->num_steps;
  size_t zn = (size_t)batch * Z;
  if (inputs && (status = check_finite(m, inputs, (size_t)batch * T * info->input_depth,
                                       "inputs")) != MVAE_OK)
    return status;
  if (o->z_init && (status = check_finite(m, o->z_init, zn, "opts->z_init")) != MVAE_OK)
    return status;
  if (o->targets && (status = check_targets(m, o->targets, batch)) != MVAE_OK)
    return status;

  double started = o->time_budget_ms > 0.0f ? now_ms() : 0.0;
  adam_state s;
  size_t seq_tokens = (size_t)info->num_tracks * T;
  float *owned = adam_alloc((size_t)batch, (size_t)Z, seq_tokens, &s);
  mvae_refiner *r = owned ? refiner_create(m, batch < REFINE_CHUNK ? batch : REFINE_CHUNK) : NULL;
  if (!r) {
    free(owned);
    return mvae_fail(m, MVAE_ERR_OUT_OF_MEMORY, "out of memory for refinement");
  }
  if (o->targets)
    memcpy(s.targets, o->targets, sizeof(int32_t) * (size_t)batch * seq_tokens);
  else
    status = targets_from_inputs(m, inputs, batch, s.targets);
  if (status == MVAE_OK) {
    if (o->z_init)
      memcpy(s.z, o->z_init, sizeof(float) * zn);
    else
      status = encode_as_mvae_encode(m, inputs, batch, s.z);
  }
  if (status != MVAE_OK) {
    refiner_free(r);
    free(owned);
    return status;
  }

  float lr = o->learning_rate;
  double beta1_power = 1.0, beta2_power = 1.0;
  int done = 0;
  for (int step = 0;; step++) {
    int last = step == o->steps ||
               (o->time_budget_ms > 0.0f && step > 0 && now_ms() - started >= o->time_budget_ms);
    refiner_loss_grad(r, s.z, s.targets, batch, s.loss, last ? NULL : s.grad, NULL);
    for (int b = 0; b < batch; b++) {
      const float *zb = s.z + (size_t)b * Z;
      double value = objective(s.loss[b], zb, Z, o->prior_weight);
      if (step == 0 || value < s.best[b]) {
        s.best[b] = (float)value;
        memcpy(z_out + (size_t)b * Z, zb, sizeof(float) * Z);
        if (o->loss)
          o->loss[b] = s.loss[b];
      }
      if (step == 0 && o->loss_start)
        o->loss_start[b] = s.loss[b];
    }
    if (last)
      break;
    beta1_power *= ADAM_BETA1;
    beta2_power *= ADAM_BETA2;
    float step_size = lr / (float)(1.0 - beta1_power);
    float root_correction = (float)sqrt(1.0 - beta2_power);
    for (size_t i = 0; i < zn; i++) {
      float g = s.grad[i] + o->prior_weight * s.z[i];
      s.m[i] = ADAM_BETA1 * s.m[i] + (1.0f - ADAM_BETA1) * g;
      s.v[i] = ADAM_BETA2 * s.v[i] + (1.0f - ADAM_BETA2) * (g * g);
      float denom = sqrtf(s.v[i]) / root_correction + ADAM_EPSILON;
      s.z[i] = s.z[i] - step_size * (s.m[i] / denom);
    }
    done++;
  }
  if (o->steps_done)
    *o->steps_done = done;
  refiner_free(r);
  free(owned);
  return MVAE_OK;
}

/* Refinement runs an int8 model's products in float on its int8 values, as the backward pass
 * differentiates them: the gradient is then that of the loss computed (integer compute would
 * round the forward pass differently from what the backward pass assumes). */
mvae_status mvae_decoder_loss(mvae_model *m, const float *z, const int32_t *targets, int batch,
                              float *loss, float *grad) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  int saved = m->compute.float_int8;
  m->compute.float_int8 = 1;
  mvae_status status = decoder_loss(m, z, targets, batch, loss, grad);
  m->compute.float_int8 = saved;
  return status;
}

mvae_status mvae_encode_refined(mvae_model *m, const float *inputs, int batch,
                                const mvae_refine_opts *opts, float *z_out) {
  if (!m)
    return MVAE_ERR_INVALID_ARGUMENT;
  int saved = m->compute.float_int8;
  m->compute.float_int8 = 1;
  mvae_status status = encode_refined(m, inputs, batch, opts, z_out);
  m->compute.float_int8 = saved;
  return status;
}
