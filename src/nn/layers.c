/* layers.c: matrices, dense layers and the TF LSTMBlockCell on batches. */
#include "nn/layers.h"

#include <string.h>

/* Integer compute: activations times the matrix's row scales are quantized to int16 per batch row
 * and per chunk of INT_CHUNK_PAIRS row pairs (the largest |x * u| of the chunk becomes 32767), so a
 * chunk's int32 sum stays below 256 * 32767 * 127 < 2^31. The chunks start at even matrix rows (the
 * weights are stored in pairs); a row outside [row0, row0 + nrows) gets 0. This code is shared by
 * every kernel set, and the kernels' integer sums are exact, so every set gives the same bits. */
enum { INT_CHUNK_PAIRS = 128, INT_BATCH = 16 };

/* xq[k] is matrix row first_row + k, i.e. x[first_row + k - row0]; rows of the chunk outside
 * [row0, row0 + nrows) get 0. The kernel set quantizes the rows in range (quantize_q16). */
static void quantize_rows(const mvae_compute *cx, const float *x, const float *row_scales, int row0,
                          int nrows, int first_row, int n, int16_t *xq, float *scale) {
  const int lo = row0 > first_row ? row0 - first_row : 0;
  const int hi = row0 + nrows - first_row < n ? row0 + nrows - first_row : n;
  const int shift = first_row - row0; /* x index of k: k + shift, >= 0 for k >= lo */
  for (int k = 0; k < lo; k++)
    xq[k] = 0;
  if (hi > lo)
    cx->kernels->quantize_q16(x + lo + shift, row_scales + first_row + lo, hi - lo, xq + lo, scale);
  else
    *scale = 0.0f;
  for (int k = hi > lo ? hi : lo; k < n; k++)
    xq[k] = 0;
}

static void gemm_integer(const mvae_compute *cx, const mvae_matrix *m, int row0, int nrows,
                         const float *x, int ldx, float *y, int ldy, int batch) {
  int16_t xq[INT_BATCH * 2 * INT_CHUNK_PAIRS];
  float xs[INT_BATCH];
  const int first = row0 / 2, end = (row0 + nrows + 1) / 2;
  for (int p0 = first; p0 < end; p0 += INT_CHUNK_PAIRS) {
    const int np = end - p0 < INT_CHUNK_PAIRS ? end - p0 : INT_CHUNK_PAIRS;
    for (int b0 = 0; b0 < batch; b0 += INT_BATCH) {
      const int nb = batch - b0 < INT_BATCH ? batch - b0 : INT_BATCH;
      for (int i = 0; i < nb; i++)
        quantize_rows(cx, x + (size_t)(b0 + i) * ldx, m->row_scales, row0, nrows, 2 * p0, 2 * np,
                      xq + (size_t)i * 2 * INT_CHUNK_PAIRS, &xs[i]);
      cx->kernels->gemm_q8i(y + (size_t)b0 * ldy, ldy, xq, 2 * INT_CHUNK_PAIRS, xs,
                            m->pairs + (size_t)p0 * 2 * m->cols, m->col_scales, np, m->cols, nb);
    }
  }
}

void mat_gemm(const mvae_compute *cx, const mvae_matrix *m, int row0, int nrows, const float *x,
              int ldx, float *y, int ldy, int batch) {
  if (nrows <= 0 || batch <= 0)
    return;
  if (m->f32)
    cx->kernels->gemm_f32(y, ldy, x, ldx, m->f32 + (size_t)row0 * m->cols, nrows, m->cols, batch);
  else if (m->pairs && !cx->float_int8)
    gemm_integer(cx, m, row0, nrows, x, ldx, y, ldy, batch);
  else
    cx->kernels->gemm_q8(y, ldy, x, ldx, m->q8 + (size_t)row0 * m->cols,
                         m->scales + (size_t)row0 * m->nblk, m->block, nrows, m->cols, batch);
}

void mat_axpy_row(const mvae_compute *cx, const mvae_matrix *m, int row, float alpha, float *y) {
  if (m->f32)
    cx->kernels->axpy_f32(y, alpha, m->f32 + (size_t)row * m->cols, m->cols);
  else
    cx->kernels->axpy_q8(y, alpha, m->q8 + (size_t)row * m->cols, m->scales + (size_t)row * m->nblk,
                         m->block, m->cols);
}

void mat_gemm_sparse(const mvae_compute *cx, const mvae_matrix *m, int row0, int nrows,
                     const float *x, int ldx, float *y, int ldy, int batch) {
  for (int b = 0; b < batch; b++)
    for (int r = 0; r < nrows; r++)
      if (x[(size_t)b * ldx + r] != 0.0f)
        mat_axpy_row(cx, m, row0 + r, x[(size_t)b * ldx + r], y + (size_t)b * ldy);
}

void dense_forward(const mvae_compute *cx, const mvae_dense *d, const float *x, int ldx, float *y,
                   int ldy, int batch) {
  for (int b = 0; b < batch; b++)
    memcpy(y + (size_t)b * ldy, d->bias, sizeof(float) * (size_t)d->kernel.cols);
  mat_gemm(cx, &d->kernel, 0, d->kernel.rows, x, ldx, y, ldy, batch);
}

void lstm_initial_state(const mvae_compute *cx, const mvae_dense *init,
                        const mvae_lstm_stack *stack, const float *x, int ldx, int batch,
                        float *scratch, float **c, float **h) {
  int width = init->kernel.cols; /* 2 * sum of units */
  dense_forward(cx, init, x, ldx, scratch, width, batch);
  cx->activations->tanh_inplace(scratch, width * batch);
  for (int b = 0; b < batch; b++) {
    const float *row = scratch + (size_t)b * width;
    for (int l = 0, offset = 0; l < stack->n_layers; l++) {
      size_t units = (size_t)stack->layers[l].units;
      memcpy(c[l] + b * units, row + offset, sizeof(float) * units);
      memcpy(h[l] + b * units, row + offset + units, sizeof(float) * units);
      offset += 2 * (int)units;
    }
  }
}

void lstm_gates_from_bias(const mvae_lstm_layer *layer, float *gates, int batch) {
  size_t width = 4 * (size_t)layer->units;
  for (int b = 0; b < batch; b++)
    memcpy(gates + (size_t)b * width, layer->bias, sizeof(float) * width);
}

void lstm_finish_step(const mvae_compute *cx, const mvae_lstm_layer *layer, float *gates, float *c,
                      float *h, int batch) {
  int units = layer->units;
  mat_gemm(cx, &layer->kernel, layer->input_size, units, h, units, gates, 4 * units, batch);
  for (int b = 0; b < batch; b++)
    cx->activations->lstm_cell(c + (size_t)b * units, h + (size_t)b * units,
                               gates + (size_t)b * 4 * units, units);
}
