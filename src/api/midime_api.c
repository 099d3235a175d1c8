/* midime_api.c: the public MidiMe calls (include/musicvae.h): every argument checked, with a
 * message in the handle's last error, before src/nn/midime.c runs the network. */
#include "api/errors.h"
#include "musicvae.h"
#include "nn/midime.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Records a refusal as the handle's last error and returns MVAE_ERR_INVALID_ARGUMENT. */
#define FAIL(mm, ...)                                                                              \
  mvae_format_error((mm)->error, sizeof(mm)->error, MVAE_ERR_INVALID_ARGUMENT, __VA_ARGS__)

void mvae_midime_config_init(mvae_midime_config *c) {
  if (!c)
    return;
  static const int encoder[] = {1024, 256, 64}, decoder[] = {64, 256, 1024};
  memset(c, 0, sizeof *c);
  c->input_size = 256;
  c->latent_size = 4;
  c->n_encoder_layers = 3;
  c->n_decoder_layers = 3;
  memcpy(c->encoder_layers, encoder, sizeof encoder);
  memcpy(c->decoder_layers, decoder, sizeof decoder);
  c->beta = 1.0f;
  c->learning_rate = 0.001f;
}

static mvae_status check_config(const mvae_midime_config *c, char *err, size_t err_size) {
#define REFUSE(...) mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT, __VA_ARGS__)
  if (c->input_size < 1 || c->input_size > MVAE_MAX_Z_SIZE)
    return REFUSE("midime: input_size %d is not in 1..%d", c->input_size, MVAE_MAX_Z_SIZE);
  if (c->latent_size < 1 || c->latent_size > MVAE_MAX_Z_SIZE)
    return REFUSE("midime: latent_size %d is not in 1..%d", c->latent_size, MVAE_MAX_Z_SIZE);
  if (c->n_encoder_layers < 0 || c->n_encoder_layers > MVAE_MIDIME_MAX_LAYERS ||
      c->n_decoder_layers < 0 || c->n_decoder_layers > MVAE_MIDIME_MAX_LAYERS)
    return REFUSE("midime: %d encoder and %d decoder layers (each 0..%d)", c->n_encoder_layers,
                  c->n_decoder_layers, MVAE_MIDIME_MAX_LAYERS);
  for (int i = 0; i < c->n_encoder_layers + c->n_decoder_layers; i++) {
    int encoder = i < c->n_encoder_layers;
    int units = encoder ? c->encoder_layers[i] : c->decoder_layers[i - c->n_encoder_layers];
    if (units < 1 || units > MVAE_MAX_DEPTH)
      return REFUSE("midime: %s layer %d has %d units (1..%d)", encoder ? "encoder" : "decoder",
                    encoder ? i : i - c->n_encoder_layers, units, MVAE_MAX_DEPTH);
  }
  if (!isfinite(c->beta) || c->beta < 0.0f)
    return REFUSE("midime: beta %g is not a finite number >= 0", (double)c->beta);
  if (!isfinite(c->learning_rate) || c->learning_rate <= 0.0f)
    return REFUSE("midime: learning_rate %g is not a finite number > 0", (double)c->learning_rate);
  return MVAE_OK;
#undef REFUSE
}

mvae_status mvae_midime_create(const mvae_midime_config *config, mvae_rng *rng, mvae_midime **out,
                               char *err, size_t err_size) {
  if (err && err_size)
    err[0] = '\0';
  if (!out)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT, "midime: out is NULL");
  *out = NULL;
  if (!config || !rng)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT,
                             "midime: the configuration or the rng is NULL");
  mvae_status st = check_config(config, err, err_size);
  if (st != MVAE_OK)
    return st;
  mvae_midime *mm = calloc(1, sizeof *mm);
  if (!mm)
    return mvae_format_error(err, err_size, MVAE_ERR_OUT_OF_MEMORY, "midime: out of memory");
  mm->cfg = *config;
  if ((st = midime_init(mm, rng, err, err_size)) != MVAE_OK) {
    mvae_midime_free(mm);
    return st;
  }
  *out = mm;
  return MVAE_OK;
}

void mvae_midime_free(mvae_midime *mm) {
  if (!mm)
    return;
  free(mm->params);
  free(mm);
}

const char *mvae_midime_last_error(const mvae_midime *mm) {
  return mm ? mm->error : "midime: the handle is NULL";
}

size_t mvae_midime_param_count(const mvae_midime *mm) {
  return mm ? mm->n_params : 0;
}

mvae_status mvae_midime_get_params(const mvae_midime *mm, float *params, size_t count) {
  if (!mm || !params || count != mm->n_params)
    return MVAE_ERR_INVALID_ARGUMENT;
  memcpy(params, mm->params, sizeof(float) * count);
  return MVAE_OK;
}

mvae_status mvae_midime_set_params(mvae_midime *mm, const float *params, size_t count) {
  if (!mm)
    return MVAE_ERR_INVALID_ARGUMENT;
  mm->error[0] = '\0';
  if (!params || count != mm->n_params) {
    mvae_format_error(mm->error, sizeof mm->error, MVAE_ERR_INVALID_ARGUMENT,
                      "midime: set_params needs %zu values, got %zu", mm->n_params,
                      params ? count : 0);
    return MVAE_ERR_INVALID_ARGUMENT;
  }
  for (size_t i = 0; i < count; i++)
    if (!isfinite(params[i])) {
      mvae_format_error(mm->error, sizeof mm->error, MVAE_ERR_INVALID_ARGUMENT,
                        "midime: parameter %zu is not a finite number", i);
      return MVAE_ERR_INVALID_ARGUMENT;
    }
  memcpy(mm->params, params, sizeof(float) * count);
  midime_adam_reset(mm);
  return MVAE_OK;
}

static mvae_status check_rows(mvae_midime *mm, const float *rows, int batch, int width,
                              const char *what) {
  if (!rows)
    return FAIL(mm, "midime: %s is NULL", what);
  if (batch < 1 || batch > MVAE_MAX_BATCH) {
    mvae_format_error(mm->error, sizeof mm->error, MVAE_ERR_INVALID_ARGUMENT,
                      "midime: batch %d is not in 1..%d", batch, MVAE_MAX_BATCH);
    return MVAE_ERR_INVALID_ARGUMENT;
  }
  for (size_t i = 0; i < (size_t)batch * width; i++)
    if (!isfinite(rows[i])) {
      mvae_format_error(mm->error, sizeof mm->error, MVAE_ERR_INVALID_ARGUMENT,
                        "midime: value %zu of row %zu of %s is not a finite number",
                        i % (size_t)width, i / (size_t)width, what);
      return MVAE_ERR_INVALID_ARGUMENT;
    }
  return MVAE_OK;
}

/* The checks of a training pass, then forward and backward (the gradients in mm->grads). */
static mvae_status loss_grad(mvae_midime *mm, const float *x, int batch, const float *eps,
                             mvae_rng *rng, double losses[3]) {
  mm->error[0] = '\0';
  mvae_status st = check_rows(mm, x, batch, mm->cfg.input_size, "x");
  if (st == MVAE_OK && eps)
    st = check_rows(mm, eps, batch, mm->cfg.latent_size, "eps");
  if (st != MVAE_OK)
    return st;
  if (!eps && !rng)
    return FAIL(mm, "midime: train_step needs eps or an rng");
  return midime_forward_backward(mm, x, batch, eps, rng, losses);
}

mvae_status midime_loss_grad(mvae_midime *mm, const float *x, int batch, const float *eps,
                             double losses[3], float *grads) {
  if (!mm || !eps || !losses)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_status st = loss_grad(mm, x, batch, eps, NULL, losses);
  if (st == MVAE_OK && grads)
    memcpy(grads, mm->grads, sizeof(float) * mm->n_params);
  return st;
}

mvae_status mvae_midime_train_step(mvae_midime *mm, const float *x, int batch, const float *eps,
                                   mvae_rng *rng, float losses[3]) {
  if (!mm)
    return MVAE_ERR_INVALID_ARGUMENT;
  double terms[3];
  mvae_status st = loss_grad(mm, x, batch, eps, rng, terms);
  if (st != MVAE_OK)
    return st;
  /* A step from a non-finite loss (sigma underflowed to 0) would poison every weight. */
  if (!isfinite(terms[0]))
    return FAIL(mm, "midime: the loss is not finite (sigma reached 0); the weights were kept");
  midime_adam_step(mm);
  if (losses)
    for (int i = 0; i < 3; i++)
      losses[i] = (float)terms[i];
  return MVAE_OK;
}

mvae_status mvae_midime_encode(mvae_midime *mm, const float *x, int batch, mvae_rng *rng, float *z,
                               float *mu, float *sigma) {
  if (!mm)
    return MVAE_ERR_INVALID_ARGUMENT;
  mm->error[0] = '\0';
  mvae_status st = check_rows(mm, x, batch, mm->cfg.input_size, "x");
  if (st != MVAE_OK)
    return st;
  if (z && !rng)
    return FAIL(mm, "midime: encode to z needs an rng");
  return midime_encode_rows(mm, x, batch, rng, z, mu, sigma);
}

mvae_status mvae_midime_decode(mvae_midime *mm, const float *z, int batch, float *out) {
  if (!mm)
    return MVAE_ERR_INVALID_ARGUMENT;
  mm->error[0] = '\0';
  mvae_status st = check_rows(mm, z, batch, mm->cfg.latent_size, "z");
  if (st != MVAE_OK)
    return st;
  if (!out)
    return FAIL(mm, "midime: %s is NULL", "out");
  return midime_decode_rows(mm, z, batch, NULL, out);
}

mvae_status mvae_midime_sample(mvae_midime *mm, int n, mvae_rng *rng, float *out) {
  if (!mm)
    return MVAE_ERR_INVALID_ARGUMENT;
  mm->error[0] = '\0';
  if (n < 1 || n > MVAE_MAX_BATCH) {
    mvae_format_error(mm->error, sizeof mm->error, MVAE_ERR_INVALID_ARGUMENT,
                      "midime: n %d is not in 1..%d", n, MVAE_MAX_BATCH);
    return MVAE_ERR_INVALID_ARGUMENT;
  }
  if (!rng || !out)
    return FAIL(mm, "midime: sample needs an rng and an output");
  return midime_decode_rows(mm, NULL, n, rng, out);
}
