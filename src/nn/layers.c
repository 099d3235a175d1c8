/* layers.c: matrices, dense layers and the TF LSTMBlockCell on batches. */
#include "nn/layers.h"

#include <string.h>

void mat_gemm(const mvae_compute *cx, const mvae_matrix *m, int row0, int nrows, const float *x,
              int ldx, float *y, int ldy, int batch) {
  if (nrows <= 0 || batch <= 0)
    return;
  if (m->f32)
    cx->kernels->gemm_f32(y, ldy, x, ldx, m->f32 + (size_t)row0 * m->cols, nrows, m->cols, batch);
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
