/* refine.h: the decoder's teacher-forced loss and its gradient with respect to z.
 *
 * Flat and hierarchical (conductor) decoders, one or more tracks. The weights are frozen: the
 * backward pass (BPTT through the LSTM stacks, the output projections, the z_to_initial_state
 * layers and the conductor) computes only d loss / d z, never weight gradients. Products
 * with transposed weights run through the ordinary matrix kernels on transposed fp32 copies held
 * by the refiner, so results stay bit-identical across kernel sets; the elementwise parts are plain
 * float code in a fixed order. No argument checking here: src/api/refine_api.c does that. */
#ifndef MVAE_REFINE_H
#define MVAE_REFINE_H

#include "format/model.h"

typedef struct mvae_refiner mvae_refiner;

/* 1 if the refiner supports this model's decoder; otherwise 0 and *why says what is missing. */
int refiner_supports(const mvae_model *m, const char **why);

/* Transposed weights and scratch for `max_batch` sequences at a time (larger batches are run in
 * chunks of that size). NULL when out of memory. */
mvae_refiner *refiner_create(mvae_model *m, int max_batch);
void refiner_free(mvae_refiner *r);

/* z [batch][z_size], targets [batch][num_tracks][num_steps] (each within its track's depth) ->
 * loss[b] = -sum over tracks and steps of log softmax(logits)[target] in nats, the decoder teacher
 * forced on targets as decoder_forward is with opts->teacher. If grad is not NULL,
 * grad[b] = d loss[b] / d z[b]. If logits is not NULL it receives
 * float[batch][num_steps][sum of depths], bit-identical to decoder_forward's. */
void refiner_loss_grad(mvae_refiner *r, const float *z, const int32_t *targets, int batch,
                       float *loss, float *grad, float *logits);

#endif
