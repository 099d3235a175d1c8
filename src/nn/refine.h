/* refine.h: the flat decoder's teacher-forced loss and its gradient with respect to z.
 *
 * The decoder's weights are frozen: the backward pass (BPTT through the LSTM stack, the output
 * projection and z_to_initial_state) computes only d loss / d z, never weight gradients. Products
 * with transposed weights run through the ordinary matrix kernels on transposed fp32 copies held
 * by the refiner, so results stay bit-identical across kernel sets; the elementwise parts are plain
 * float code in a fixed order. No argument checking here: src/api/refine_api.c does that. */
#ifndef MVAE_REFINE_H
#define MVAE_REFINE_H

#include "format/model.h"

typedef struct mvae_refiner mvae_refiner;

/* 1 if the refiner supports this model's decoder (flat, one track); otherwise 0 and *why says
 * what is missing. */
int refiner_supports(const mvae_model *m, const char **why);

/* Transposed weights and scratch for `max_batch` sequences at a time (larger batches are run in
 * chunks of that size). NULL when out of memory. */
mvae_refiner *refiner_create(mvae_model *m, int max_batch);
void refiner_free(mvae_refiner *r);

/* z [batch][z_size], targets [batch][num_steps] (each 0..depth-1) -> loss[b] = -sum over t of
 * log softmax(logits[b][t])[targets[b][t]] in nats, the decoder teacher-forced on targets (step t
 * reads targets[t-1], step 0 a zero input). If grad is not NULL, grad[b] = d loss[b] / d z[b].
 * If logits is not NULL it receives float[batch][num_steps][depth], bit-identical to
 * decoder_forward's teacher-forced logits. */
void refiner_loss_grad(mvae_refiner *r, const float *z, const int32_t *targets, int batch,
                       float *loss, float *grad, float *logits);

#endif
