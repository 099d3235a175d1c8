/* midime.c: MidiMe's network, a small VAE over a MusicVAE model's latent space (magenta.js's
 * MidiMe, music/src/music_vae/midi_me.ts): layout, initialisation, forward and backward passes,
 * Adam. The public calls and their checks are in src/api/midime_api.c.
 *
 * Layers, in parameter order: encoder hidden layers (ReLU), mu (linear), sigma (softplus), decoder
 * hidden layers (ReLU), output (linear). Batches are row vectors [B][width]. The matrix products
 * run through the kernel set's gemm_f32 (the operation order of kernels/kernels.h), transposes
 * are plain copies and the rest is plain float code in a fixed order, so every platform and
 * kernel set gives the same bits. Losses are summed in double.
 *
 * Backward, with G the gradient at a layer's output, X its input, W [in][out]:
 *   d bias = sum over rows of G;  dW = X^T G;  dX = G W^T;  through a ReLU, dX where X > 0.
 * The loss L = recon + beta kl with recon = mean_b sum (y - x)^2 / 2 and
 * kl = -mean_b sum (1 + log sigma^2 - mu^2 - sigma^2) / 2 gives
 *   dL/dy = (y - x) / B;  dL/dmu = dz + beta mu / B;
 *   dL/dsigma = dz eps + beta (sigma - 1 / sigma) / B;
 * and sigma = softplus(a) gives dL/da = dL/dsigma * sigmoid(a). */
#include "nn/midime.h"

#include "api/errors.h"
#include "api/rng.h"
#include "kernels/mathfn.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Per-call scratch of one forward and backward pass stays below this many floats. */
#define MIDIME_MAX_WORK_FLOATS ((uint64_t)1 << 28)

/* tfjs's Adam as magenta.js's MidiMe uses it: tf.train.adam(lr) with beta1 0.9, beta2 0.999 and
 * the float32 backend's epsilon. */
#define ADAM_BETA1 0.9
#define ADAM_BETA2 0.999
#define ADAM_EPSILON 1e-7f

/* The scratch of one call: each layer's output, the sampling's values, gradients, transposes. */
typedef struct mm_work {
  float *act[MIDIME_MAX_DENSE]; /* [B][out]; sigma's layer holds its pre-activation a */
  float *sigma, *eps, *z;
  float *g[4]; /* [B][widest] gradients */
  float *xt;   /* [widest][B] */
  float *wt;   /* [largest kernel] */
  float *block;
} mm_work;

/* Records a failure as the handle's last error and returns MVAE_ERR_INVALID_ARGUMENT. */
#define FAIL(mm, ...)                                                                              \
  mvae_format_error((mm)->error, sizeof(mm)->error, MVAE_ERR_INVALID_ARGUMENT, __VA_ARGS__)

static int mu_layer(const mvae_midime *mm) {
  return mm->n_enc;
}
static int sigma_layer(const mvae_midime *mm) {
  return mm->n_enc + 1;
}
static int out_layer(const mvae_midime *mm) {
  return mm->n_dense - 1;
}

static const float *kernel_of(const mvae_midime *mm, int k) {
  return mm->params + mm->dense[k].offset;
}
static const float *bias_of(const mvae_midime *mm, int k) {
  return kernel_of(mm, k) + (size_t)mm->dense[k].in * mm->dense[k].out;
}

/* Lays out the layers; 0 if the parameters exceed MVAE_MIDIME_MAX_PARAMS. */
static int layout(mvae_midime *mm) {
  const mvae_midime_config *c = &mm->cfg;
  int widths_in[MIDIME_MAX_DENSE], widths_out[MIDIME_MAX_DENSE], n = 0, width = c->input_size;
  for (int l = 0; l < c->n_encoder_layers; l++) {
    widths_in[n] = width;
    widths_out[n++] = width = c->encoder_layers[l];
  }
  for (int twice = 0; twice < 2; twice++) { /* mu, sigma */
    widths_in[n] = width;
    widths_out[n++] = c->latent_size;
  }
  width = c->latent_size;
  for (int l = 0; l < c->n_decoder_layers; l++) {
    widths_in[n] = width;
    widths_out[n++] = width = c->decoder_layers[l];
  }
  widths_in[n] = width;
  widths_out[n++] = c->input_size;
  uint64_t total = 0;
  for (int k = 0; k < n; k++) {
    mm->dense[k] = (mm_dense){widths_in[k], widths_out[k], (size_t)total};
    total += (uint64_t)widths_in[k] * widths_out[k] + (uint64_t)widths_out[k];
    if (total > MVAE_MIDIME_MAX_PARAMS)
      return 0;
  }
  mm->n_dense = n;
  mm->n_enc = c->n_encoder_layers;
  mm->n_dec = c->n_decoder_layers;
  mm->n_params = (size_t)total;
  return 1;
}

void midime_adam_reset(mvae_midime *mm) {
  memset(mm->m, 0, sizeof(float) * mm->n_params);
  memset(mm->v, 0, sizeof(float) * mm->n_params);
  mm->acc_beta1 = (float)ADAM_BETA1;
  mm->acc_beta2 = (float)ADAM_BETA2;
}

mvae_status midime_init(mvae_midime *mm, mvae_rng *rng, char *err, size_t err_size) {
  mm->kernels = mvk_active();
  if (!layout(mm))
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT,
                             "midime: the layers hold more than %u parameters",
                             MVAE_MIDIME_MAX_PARAMS);
  mm->params = malloc(sizeof(float) * 4 * mm->n_params);
  if (!mm->params)
    return mvae_format_error(err, err_size, MVAE_ERR_OUT_OF_MEMORY, "midime: out of memory");
  mm->grads = mm->params + mm->n_params;
  mm->m = mm->grads + mm->n_params;
  mm->v = mm->m + mm->n_params;
  /* tfjs's defaults: glorotUniform kernels, U(-limit, limit) with limit sqrt(6 / (in + out)), and
   * zero biases. */
  for (int k = 0; k < mm->n_dense; k++) {
    const mm_dense *d = &mm->dense[k];
    float *w = mm->params + d->offset;
    double limit = sqrt(6.0 / ((double)d->in + d->out));
    size_t n = (size_t)d->in * d->out;
    for (size_t i = 0; i < n; i++)
      w[i] = (float)((2.0 * mvae_rng_uniform(rng) - 1.0) * limit);
    memset(w + n, 0, sizeof(float) * (size_t)d->out);
  }
  midime_adam_reset(mm);
  return MVAE_OK;
}

/* ---- Scratch ---------------------------------------------------------------------------------
 */

static void work_free(mm_work *w) {
  free(w->block);
  w->block = NULL;
}

/* Carves the scratch of a batch of B rows; MVAE_ERR_INVALID_ARGUMENT if it would be too large. */
static mvae_status work_alloc(mvae_midime *mm, int B, mm_work *w) {
  memset(w, 0, sizeof *w);
  uint64_t widest = (uint64_t)mm->cfg.input_size, largest = 0, acts = 0;
  for (int k = 0; k < mm->n_dense; k++) {
    const mm_dense *d = &mm->dense[k];
    acts += (uint64_t)B * d->out;
    if ((uint64_t)d->in > widest)
      widest = (uint64_t)d->in;
    if ((uint64_t)d->out > widest)
      widest = (uint64_t)d->out;
    if ((uint64_t)d->in * d->out > largest)
      largest = (uint64_t)d->in * d->out;
  }
  uint64_t L = (uint64_t)B * mm->cfg.latent_size;
  uint64_t total = acts + 3 * L + 4 * (uint64_t)B * widest + widest * B + largest;
  if (total > MIDIME_MAX_WORK_FLOATS)
    return FAIL(mm, "midime: a batch of this size needs more than 2^28 floats of scratch");
  w->block = malloc(sizeof(float) * (size_t)total);
  if (!w->block) {
    mvae_format_error(mm->error, sizeof mm->error, MVAE_ERR_OUT_OF_MEMORY, "midime: out of memory");
    return MVAE_ERR_OUT_OF_MEMORY;
  }
  float *p = w->block;
  for (int k = 0; k < mm->n_dense; k++) {
    w->act[k] = p;
    p += (size_t)B * mm->dense[k].out;
  }
  w->sigma = p;
  w->eps = (p += L);
  w->z = (p += L);
  p += L;
  for (int i = 0; i < 4; i++) {
    w->g[i] = p;
    p += (size_t)B * widest;
  }
  w->xt = p;
  w->wt = p + (size_t)widest * B;
  return MVAE_OK;
}

/* ---- Forward ---------------------------------------------------------------------------------
 */

/* out[b] = bias + x[b] W, then ReLU if asked. */
static void dense_fwd(const mvae_midime *mm, int k, const float *x, int B, float *out, int relu) {
  const mm_dense *d = &mm->dense[k];
  const float *bias = bias_of(mm, k);
  for (int b = 0; b < B; b++)
    memcpy(out + (size_t)b * d->out, bias, sizeof(float) * (size_t)d->out);
  mm->kernels->gemm_f32(out, d->out, x, d->in, kernel_of(mm, k), d->in, d->out, B);
  if (relu)
    for (size_t i = 0; i < (size_t)B * d->out; i++)
      out[i] = out[i] > 0.0f ? out[i] : 0.0f;
}

static const float *encoder_top(const mvae_midime *mm, const mm_work *w, const float *x) {
  return mm->n_enc ? w->act[mm->n_enc - 1] : x;
}

/* Encoder hidden layers, mu (in act[mu]) and sigma (pre-activation in act[sigma], w->sigma). */
static void encode_fwd(const mvae_midime *mm, mm_work *w, const float *x, int B) {
  const float *h = x;
  for (int l = 0; l < mm->n_enc; l++) {
    dense_fwd(mm, l, h, B, w->act[l], 1);
    h = w->act[l];
  }
  dense_fwd(mm, mu_layer(mm), h, B, w->act[mu_layer(mm)], 0);
  dense_fwd(mm, sigma_layer(mm), h, B, w->act[sigma_layer(mm)], 0);
  const float *a = w->act[sigma_layer(mm)];
  for (size_t i = 0; i < (size_t)B * mm->cfg.latent_size; i++)
    w->sigma[i] = (float)mvm_softplus((double)a[i]);
}

/* Decoder hidden layers and the output, from z; returns the output [B][input_size]. */
static float *decode_fwd(const mvae_midime *mm, mm_work *w, const float *z, int B) {
  const float *h = z;
  int k = mm->n_enc + 2;
  for (int l = 0; l < mm->n_dec; l++, k++) {
    dense_fwd(mm, k, h, B, w->act[k], 1);
    h = w->act[k];
  }
  dense_fwd(mm, k, h, B, w->act[k], 0);
  return w->act[k];
}

/* eps for row b from rng skipped b rows; rng is then skipped B rows. */
/* eps as every batch call draws a row's latent noise (mvae_rng_normal_rows); rng moves past the
 * batch's rows. */
static void draw_normals(mvae_rng *rng, int B, int width, float *out) {
  mvae_rng_normal_rows(rng, B, width, out, NULL);
  mvae_rng_skip_rows(rng, (uint32_t)B);
}

static void reparameterise(const mvae_midime *mm, mm_work *w, int B) {
  const float *mu = w->act[mu_layer(mm)];
  for (size_t i = 0; i < (size_t)B * mm->cfg.latent_size; i++)
    w->z[i] = mu[i] + w->sigma[i] * w->eps[i];
}

/* ---- Backward --------------------------------------------------------------------------------
 */

/* Gradients of layer k from G (at its output) and X (its input): d kernel, d bias into
 * mm->grads; if dx is not NULL, dx (+)= G W^T (added to what dx holds when accumulate). */
static void dense_bwd(mvae_midime *mm, mm_work *w, int k, const float *X, const float *G, int B,
                      float *dx, int accumulate) {
  const mm_dense *d = &mm->dense[k];
  int in = d->in, out = d->out;
  float *gw = mm->grads + d->offset, *gb = gw + (size_t)in * out;
  memset(gb, 0, sizeof(float) * (size_t)out);
  for (int b = 0; b < B; b++)
    for (int c = 0; c < out; c++)
      gb[c] += G[(size_t)b * out + c];
  for (int b = 0; b < B; b++)
    for (int i = 0; i < in; i++)
      w->xt[(size_t)i * B + b] = X[(size_t)b * in + i];
  memset(gw, 0, sizeof(float) * (size_t)in * out);
  mm->kernels->gemm_f32(gw, out, w->xt, B, G, B, out, in);
  if (!dx)
    return;
  const float *W = kernel_of(mm, k);
  for (int i = 0; i < in; i++)
    for (int c = 0; c < out; c++)
      w->wt[(size_t)c * in + i] = W[(size_t)i * out + c];
  if (!accumulate)
    memset(dx, 0, sizeof(float) * (size_t)B * in);
  mm->kernels->gemm_f32(dx, in, G, out, w->wt, out, in, B);
}

/* Through a ReLU whose output was h: g where h > 0, else 0. */
static void relu_bwd(float *g, const float *h, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!(h[i] > 0.0f))
      g[i] = 0.0f;
}

/* After encode_fwd, reparameterise and decode_fwd on x: the loss terms (recon, kl) and all
 * parameter gradients in mm->grads. */
static void backward(mvae_midime *mm, mm_work *w, const float *x, int B, double *recon,
                     double *kl) {
  int in = mm->cfg.input_size, L = mm->cfg.latent_size;
  const float *y = w->act[out_layer(mm)], *mu = w->act[mu_layer(mm)];
  const float *a = w->act[sigma_layer(mm)];
  float inv_b = 1.0f / (float)B, beta = mm->cfg.beta;
  double se = 0.0, kl_sum = 0.0;
  float *g = w->g[0], *next = w->g[1];
  for (size_t i = 0; i < (size_t)B * in; i++) {
    float diff = y[i] - x[i];
    se += (double)diff * diff;
    g[i] = diff * inv_b;
  }
  for (size_t i = 0; i < (size_t)B * L; i++) {
    double s = w->sigma[i];
    kl_sum += 1.0 + mvm_log(s * s) - (double)mu[i] * mu[i] - s * s;
  }
  *recon = se / 2.0 / B;
  *kl = -kl_sum / 2.0 / B;
  /* Decoder, top down: g holds the gradient at the current layer's output. */
  for (int k = out_layer(mm); k >= mm->n_enc + 2; k--) {
    const float *X = k > mm->n_enc + 2 ? w->act[k - 1] : w->z;
    dense_bwd(mm, w, k, X, g, B, next, 0);
    if (k > mm->n_enc + 2)
      relu_bwd(next, X, (size_t)B * mm->dense[k - 1].out);
    float *t = g;
    g = next;
    next = t;
  }
  /* g = dL/dz: mu's and sigma's gradients, in w->g[2] and w->g[3]. */
  float *gmu = w->g[2], *ga = w->g[3];
  for (size_t i = 0; i < (size_t)B * L; i++) {
    float s = w->sigma[i];
    gmu[i] = g[i] + beta * (mu[i] * inv_b);
    float gs = g[i] * w->eps[i] + beta * ((s - 1.0f / s) * inv_b);
    ga[i] = gs * (float)mvm_sigmoid((double)a[i]);
  }
  const float *H = encoder_top(mm, w, x);
  float *dh = mm->n_enc ? g : NULL;
  dense_bwd(mm, w, mu_layer(mm), H, gmu, B, dh, 0);
  dense_bwd(mm, w, sigma_layer(mm), H, ga, B, dh, 1);
  for (int k = mm->n_enc - 1; k >= 0; k--) {
    relu_bwd(g, w->act[k], (size_t)B * mm->dense[k].out);
    const float *X = k ? w->act[k - 1] : x;
    dense_bwd(mm, w, k, X, g, B, k ? next : NULL, 0);
    float *t = g;
    g = next;
    next = t;
  }
}

/* tfjs's Adam update, operation for operation in float32. */
void midime_adam_step(mvae_midime *mm) {
  const float b1 = (float)ADAM_BETA1, b2 = (float)ADAM_BETA2;
  const float one_minus_b1 = (float)(1.0 - ADAM_BETA1), one_minus_b2 = (float)(1.0 - ADAM_BETA2);
  const float bias1 = 1.0f - mm->acc_beta1, bias2 = 1.0f - mm->acc_beta2;
  const float step = -mm->cfg.learning_rate;
  for (size_t i = 0; i < mm->n_params; i++) {
    float gr = mm->grads[i];
    float m = mm->m[i] * b1 + gr * one_minus_b1;
    float v = mm->v[i] * b2 + (gr * gr) * one_minus_b2;
    mm->m[i] = m;
    mm->v[i] = v;
    float m_hat = m / bias1, v_hat = v / bias2;
    mm->params[i] = m_hat / (sqrtf(v_hat) + ADAM_EPSILON) * step + mm->params[i];
  }
  mm->acc_beta1 = mm->acc_beta1 * b1;
  mm->acc_beta2 = mm->acc_beta2 * b2;
}

/* ---- The passes ------------------------------------------------------------------------------
 */

void midime_use_kernels(mvae_midime *mm, const mvk_impl *kernels) {
  mm->kernels = kernels;
}

mvae_status midime_forward_backward(mvae_midime *mm, const float *x, int batch, const float *eps,
                                    mvae_rng *rng, double losses[3]) {
  mm_work w;
  mvae_status st = work_alloc(mm, batch, &w);
  if (st != MVAE_OK)
    return st;
  if (eps)
    memcpy(w.eps, eps, sizeof(float) * (size_t)batch * mm->cfg.latent_size);
  else
    draw_normals(rng, batch, mm->cfg.latent_size, w.eps);
  encode_fwd(mm, &w, x, batch);
  reparameterise(mm, &w, batch);
  decode_fwd(mm, &w, w.z, batch);
  backward(mm, &w, x, batch, &losses[1], &losses[2]);
  work_free(&w);
  losses[0] = losses[1] + (double)mm->cfg.beta * losses[2];
  return MVAE_OK;
}

mvae_status midime_encode_rows(mvae_midime *mm, const float *x, int batch, mvae_rng *rng, float *z,
                               float *mu, float *sigma) {
  mm_work w;
  mvae_status st = work_alloc(mm, batch, &w);
  if (st != MVAE_OK)
    return st;
  size_t n = (size_t)batch * mm->cfg.latent_size;
  encode_fwd(mm, &w, x, batch);
  if (z) {
    draw_normals(rng, batch, mm->cfg.latent_size, w.eps);
    reparameterise(mm, &w, batch);
    memcpy(z, w.z, sizeof(float) * n);
  }
  if (mu)
    memcpy(mu, w.act[mu_layer(mm)], sizeof(float) * n);
  if (sigma)
    memcpy(sigma, w.sigma, sizeof(float) * n);
  work_free(&w);
  return MVAE_OK;
}

mvae_status midime_decode_rows(mvae_midime *mm, const float *z, int batch, mvae_rng *rng,
                               float *out) {
  mm_work w;
  mvae_status st = work_alloc(mm, batch, &w);
  if (st != MVAE_OK)
    return st;
  if (z)
    memcpy(w.z, z, sizeof(float) * (size_t)batch * mm->cfg.latent_size);
  else
    draw_normals(rng, batch, mm->cfg.latent_size, w.z);
  const float *y = decode_fwd(mm, &w, w.z, batch);
  memcpy(out, y, sizeof(float) * (size_t)batch * mm->cfg.input_size);
  work_free(&w);
  return MVAE_OK;
}
