/* layers.h: the building blocks of the forward pass, on batches of row vectors. */
#ifndef MVAE_LAYERS_H
#define MVAE_LAYERS_H

#include "format/model.h"

/* y[b][0..cols) += x[b][0..nrows) * M[row0 .. row0 + nrows) */
void mat_gemm(const mvae_compute *cx, const mvae_matrix *m, int row0, int nrows, const float *x,
              int ldx, float *y, int ldy, int batch);
/* The same, skipping zero inputs: one-hot and multi-hot inputs cost one row each. */
void mat_gemm_sparse(const mvae_compute *cx, const mvae_matrix *m, int row0, int nrows,
                     const float *x, int ldx, float *y, int ldy, int batch);
/* y += alpha * M[row] */
void mat_axpy_row(const mvae_compute *cx, const mvae_matrix *m, int row, float alpha, float *y);

/* y[b] = bias + x[b] * W */
void dense_forward(const mvae_compute *cx, const mvae_dense *d, const float *x, int ldx, float *y,
                   int ldy, int batch);

/* Initial LSTM states from a conditioning vector: tanh(dense(x)) split c0, h0, c1, h1, ...
 * c[l] and h[l] are [batch][units_l]. */
void lstm_initial_state(const mvae_compute *cx, const mvae_dense *init,
                        const mvae_lstm_stack *stack, const float *x, int ldx, int batch,
                        float *scratch, float **c, float **h);

/* Completes one LSTM step whose gates[b][4H] already hold bias + input contributions: adds h * W_h
 * and applies TF's LSTMBlockCell update to c and h ([batch][units]) in place. */
void lstm_finish_step(const mvae_compute *cx, const mvae_lstm_layer *layer, float *gates, float *c,
                      float *h, int batch);

/* gates[b] = bias, for each b. */
void lstm_gates_from_bias(const mvae_lstm_layer *layer, float *gates, int batch);

#endif
