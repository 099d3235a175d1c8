/* int8_compute.c: the weights of integer compute. A q8 tensor has a scale per (row, column block);
 * integer dot products over rows need scales that factor into a row part (folded into the
 * activations before they are quantized) and a column part (applied to the int32 sums), so at
 * switch-on each q8 matrix is requantized: W = s[r][c / block] * q[r][c] (float),
 * u[r] = max over c of |W|, t[c] = max over r of |W / u[r]| / 127,
 * q'[r][c] = round((W / u[r]) / t[c]) in -127..127, stored rows two by two. Normalising the rows
 * first keeps rows of small weights (a layer's input rows beside its recurrent ones) from losing
 * their precision to the column's largest row. Done once, in scalar IEEE float with
 * round-to-nearest-even, so every platform gets the same bytes. */
#include "nn/int8_compute.h"

#include "api/errors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Every weight matrix of the model that integer compute may take (NULL entries: absent). */
static int model_matrices(mvae_model *m, mvae_matrix **out, int max) {
  int n = 0;
#define ADD(mat)                                                                                   \
  do {                                                                                             \
    if (n < max)                                                                                   \
      out[n] = &(mat);                                                                             \
    n++;                                                                                           \
  } while (0)
  for (int e = 0; e < m->encoder_levels && e < 2; e++)
    for (int l = 0; l < m->encoder[e].fw.n_layers; l++) {
      ADD(m->encoder[e].fw.layers[l].kernel);
      ADD(m->encoder[e].bw.layers[l].kernel);
    }
  ADD(m->mu.kernel);
  ADD(m->sigma.kernel);
  ADD(m->conductor_init.kernel);
  for (int l = 0; l < m->conductor.n_layers; l++)
    ADD(m->conductor.layers[l].kernel);
  for (int t = 0; t < m->n_tracks; t++) {
    ADD(m->tracks[t].init.kernel);
    for (int l = 0; l < m->tracks[t].rnn.n_layers; l++)
      ADD(m->tracks[t].rnn.layers[l].kernel);
    ADD(m->tracks[t].output.kernel);
  }
#undef ADD
  return n;
}

static float weight(const mvae_matrix *w, int r, int c) {
  return w->scales[(size_t)r * w->nblk + (size_t)(c / w->block)] *
         (float)w->q8[(size_t)r * w->cols + (size_t)c];
}

static void requantize(const mvae_matrix *w, float *col_scales, float *row_scales, int8_t *pairs) {
  const size_t cols = (size_t)w->cols;
  for (int r = 0; r < w->rows; r++) {
    float top = 0.0f;
    for (size_t c = 0; c < cols; c++)
      top = fabsf(weight(w, r, (int)c)) > top ? fabsf(weight(w, r, (int)c)) : top;
    row_scales[r] = top > 0.0f ? top : 1.0f;
  }
  for (size_t c = 0; c < cols; c++)
    col_scales[c] = 0.0f;
  for (int r = 0; r < w->rows; r++)
    for (size_t c = 0; c < cols; c++) {
      const float normal = fabsf(weight(w, r, (int)c) / row_scales[r]);
      col_scales[c] = normal > col_scales[c] ? normal : col_scales[c];
    }
  for (size_t c = 0; c < cols; c++)
    col_scales[c] = col_scales[c] > 0.0f ? col_scales[c] / 127.0f : 1.0f;
  memset(pairs, 0, ((size_t)w->rows + 1) / 2 * 2 * cols);
  for (int r = 0; r < w->rows; r++)
    for (size_t c = 0; c < cols; c++) {
      float v = nearbyintf((weight(w, r, (int)c) / row_scales[r]) / col_scales[c]);
      v = v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v;
      /* NaN only from weights whose products overflow float (a hostile file): 0, not UB */
      pairs[((size_t)(r / 2) * cols + c) * 2 + (size_t)(r % 2)] = v == v ? (int8_t)v : 0;
    }
}

mvae_status int8_compute_set(mvae_model *m, int on) {
  enum { MAX_MATRICES = 64 };
  mvae_matrix *all[MAX_MATRICES];
  int n = model_matrices(m, all, MAX_MATRICES);
  if (n > MAX_MATRICES)
    return mvae_fail(m, MVAE_ERR_UNSUPPORTED, "integer compute: more than %d matrices",
                     MAX_MATRICES);
  for (int i = 0; i < n; i++) {
    all[i]->pairs = NULL;
    all[i]->col_scales = NULL;
    all[i]->row_scales = NULL;
  }
  free(m->integer_weights);
  m->integer_weights = NULL;
  if (!on)
    return MVAE_OK;
  /* Sizes: every matrix's column scales first (float alignment), then its pairs. */
  size_t floats = 0, bytes = 0;
  for (int i = 0; i < n; i++)
    if (all[i]->q8 && all[i]->rows > 0) {
      floats += (size_t)all[i]->cols + (size_t)all[i]->rows;
      bytes += ((size_t)all[i]->rows + 1) / 2 * 2 * (size_t)all[i]->cols;
    }
  if (floats == 0)
    return MVAE_OK; /* no int8 weights: nothing to do */
  unsigned char *block = malloc(floats * sizeof(float) + bytes);
  if (!block)
    return mvae_fail(m, MVAE_ERR_OUT_OF_MEMORY, "integer compute: out of memory for %zu bytes",
                     floats * sizeof(float) + bytes);
  float *scales = (float *)(void *)block;
  int8_t *pairs = (int8_t *)(block + floats * sizeof(float));
  for (int i = 0; i < n; i++) {
    mvae_matrix *w = all[i];
    if (!w->q8 || w->rows <= 0)
      continue;
    requantize(w, scales, scales + w->cols, pairs);
    w->col_scales = scales;
    w->row_scales = scales + w->cols;
    w->pairs = pairs;
    scales += w->cols + w->rows;
    pairs += ((size_t)w->rows + 1) / 2 * 2 * (size_t)w->cols;
  }
  m->integer_weights = block;
  return MVAE_OK;
}
