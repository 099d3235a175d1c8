/* midime.h: what the tests reach of MidiMe beyond the public calls (musicvae.h). */
#ifndef MVAE_MIDIME_H
#define MVAE_MIDIME_H

#include "kernels/kernels.h"
#include "musicvae.h"

/* Runs the matrix products on `kernels` (a handle starts on mvk_active()). */
void midime_use_kernels(mvae_midime *midime, const mvk_impl *kernels);

/* The loss terms {total, reconstruction, KL} at the current weights for x and the noise eps (both
 * as mvae_midime_train_step, eps required), and if grads is not NULL d total / d params
 * (float[mvae_midime_param_count], the order of mvae_midime_get_params). No step is taken. */
mvae_status midime_loss_grad(mvae_midime *midime, const float *x, int batch, const float *eps,
                             double losses[3], float *grads);

#endif
