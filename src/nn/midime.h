/* midime.h: MidiMe's handle and network (src/nn/midime.c) for its public calls
 * (src/api/midime_api.c, which checks every argument first) and the tests. */
#ifndef MVAE_MIDIME_H
#define MVAE_MIDIME_H

#include "kernels/kernels.h"
#include "musicvae.h"

#include <stddef.h>

#define MIDIME_MAX_DENSE (2 * MVAE_MIDIME_MAX_LAYERS + 3)

typedef struct mm_dense {
  int in, out;
  size_t offset; /* of the kernel in params; the bias follows it */
} mm_dense;

struct mvae_midime {
  mvae_midime_config cfg;
  const mvk_impl *kernels;
  int n_dense, n_enc, n_dec; /* layers: enc hidden [0, n_enc), mu, sigma, dec hidden, output */
  mm_dense dense[MIDIME_MAX_DENSE];
  size_t n_params;
  float *params, *grads, *m, *v; /* one allocation, 4 x n_params */
  float acc_beta1, acc_beta2;    /* beta^t, as tfjs's accBeta1 / accBeta2 */
  char error[256];
};

/* Lays out config's layers (mm->cfg, already checked), allocates the weights and Adam's state and
 * draws the weights from rng; MVAE_ERR_INVALID_ARGUMENT past MVAE_MIDIME_MAX_PARAMS (message in
 * err), MVAE_ERR_OUT_OF_MEMORY. */
mvae_status midime_init(mvae_midime *mm, mvae_rng *rng, char *err, size_t err_size);
/* Adam's moments to 0 and its step count to the start. */
void midime_adam_reset(mvae_midime *mm);

/* The passes, on rows the caller checked (batch 1..MVAE_MAX_BATCH, finite values); each records a
 * failure (scratch too large, out of memory) in mm->error. */
/* Forward and backward on x with the noise eps (NULL: drawn from rng, row by row): losses
 * {total, reconstruction, KL} and the gradients in mm->grads. */
mvae_status midime_forward_backward(mvae_midime *mm, const float *x, int batch, const float *eps,
                                    mvae_rng *rng, double losses[3]);
/* One Adam step from mm->grads. */
void midime_adam_step(mvae_midime *mm);
/* x -> mu, sigma and (z not NULL) z = mu + sigma * eps, eps from rng; any output may be NULL. */
mvae_status midime_encode_rows(mvae_midime *mm, const float *x, int batch, mvae_rng *rng, float *z,
                               float *mu, float *sigma);
/* z -> out [batch][input_size]; z NULL: z ~ N(0, I) from rng, row by row. */
mvae_status midime_decode_rows(mvae_midime *mm, const float *z, int batch, mvae_rng *rng,
                               float *out);

/* Runs the matrix products on `kernels` (a handle starts on mvk_active()). */
void midime_use_kernels(mvae_midime *midime, const mvk_impl *kernels);

/* The loss terms {total, reconstruction, KL} at the current weights for x and the noise eps (both
 * as mvae_midime_train_step, eps required), and if grads is not NULL d total / d params
 * (float[mvae_midime_param_count], the order of mvae_midime_get_params). No step is taken. */
mvae_status midime_loss_grad(mvae_midime *midime, const float *x, int batch, const float *eps,
                             double losses[3], float *grads);

#endif
