/* nade.c: choosing a set of binary labels with a NADE, and its log-probabilities.
 *
 * With a = encoder bias, for each label i in order: h = sigmoid(a), logit_i = decoder bias_i +
 * h . w_dec_t[i], p_i = sigmoid(logit_i); once label i is chosen, a += label_i * w_enc[i]. Every
 * operation runs in float in a fixed order (the w_enc rows through the kernels' axpy), so all
 * builds give the same bits. */
#include "nn/nade.h"

#include "kernels/mathfn.h"
#include "nn/layers.h"

#include <string.h>

size_t nade_scratch_floats(const mvae_nade *nade) {
  return 2 * (size_t)nade->hidden;
}

/* h = sigmoid(a), rounded to float as magenta.js's (and TF's) float tensors hold it. */
static void hidden_of(const float *a, float *h, int n) {
  for (int k = 0; k < n; k++)
    h[k] = mvm_sigmoidf(a[k]);
}

/* bias + h . w_dec_t[i], accumulated in order (q8: ((h * scale) * q), as the gemm kernels). */
static float label_logit(const mvae_nade *nade, const float *h, float bias, int i) {
  const mvae_matrix *w = &nade->w_dec_t;
  float acc = bias;
  if (w->f32) {
    const float *row = w->f32 + (size_t)i * w->cols;
    for (int k = 0; k < w->cols; k++)
      acc = acc + h[k] * row[k];
  } else {
    const int8_t *q = w->q8 + (size_t)i * w->cols;
    const float *scales = w->scales + (size_t)i * w->nblk;
    for (int k = 0; k < w->cols; k++)
      acc = acc + (h[k] * scales[k / w->block]) * (float)q[k];
  }
  return acc;
}

int32_t nade_choose(const mvae_compute *cx, const mvae_nade *nade, const float *biases,
                    float temperature, int sample, mvae_rng *rng, float *scratch) {
  int hidden = nade->hidden;
  float *a = scratch, *h = scratch + hidden;
  const float *dec_bias = biases + hidden;
  memcpy(a, biases, sizeof(float) * (size_t)hidden);
  int32_t labels = 0;
  for (int i = 0; i < nade->dims; i++) {
    hidden_of(a, h, hidden);
    float logit = label_logit(nade, h, dec_bias[i], i);
    int on = sample && temperature > 0.0f
                 ? mvae_rng_uniform(rng) < mvm_sigmoid((double)logit / (double)temperature)
                 : mvm_sigmoidf(logit) >= 0.5f;
    if (on) {
      labels |= (int32_t)1 << i;
      if (i + 1 < nade->dims)
        mat_axpy_row(cx, &nade->w_enc, i, 1.0f, a);
    }
  }
  return labels;
}

/* Walks the tree of label prefixes: at depth i, levels + i * hidden holds a for this prefix. */
static void log_probs_from(const mvae_compute *cx, const mvae_nade *nade, const float *dec_bias,
                           int i, int32_t labels, double log_p, float *levels, float *h,
                           float *out) {
  int hidden = nade->hidden;
  if (i == nade->dims) {
    out[labels] = (float)log_p;
    return;
  }
  float *a = levels + (size_t)i * hidden, *next = a + hidden;
  hidden_of(a, h, hidden);
  double logit = (double)label_logit(nade, h, dec_bias[i], i);
  /* log sigmoid(l) = -softplus(-l); log (1 - sigmoid(l)) = -softplus(l) */
  memcpy(next, a, sizeof(float) * (size_t)hidden);
  log_probs_from(cx, nade, dec_bias, i + 1, labels, log_p - mvm_softplus(logit), levels, h, out);
  memcpy(next, a, sizeof(float) * (size_t)hidden);
  if (i + 1 < nade->dims)
    mat_axpy_row(cx, &nade->w_enc, i, 1.0f, next);
  log_probs_from(cx, nade, dec_bias, i + 1, labels | (int32_t)1 << i, log_p - mvm_softplus(-logit),
                 levels, h, out);
}

void nade_log_probs(const mvae_compute *cx, const mvae_nade *nade, const float *biases, float *out,
                    float *scratch) {
  int hidden = nade->hidden;
  float *h = scratch, *levels = scratch + 2 * (size_t)hidden;
  memcpy(levels, biases, sizeof(float) * (size_t)hidden);
  log_probs_from(cx, nade, biases + hidden, 0, 0, 0.0, levels, h, out);
}
