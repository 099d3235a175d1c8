/* forward.h: the encoder and decoder passes (no argument checking: api.c does that). */
#ifndef MVAE_FORWARD_H
#define MVAE_FORWARD_H

#include "format/model.h"

/* inputs [batch][num_steps][input_depth] -> mu (and sigma if not NULL) [batch][z_size]. */
mvae_status encoder_forward(mvae_model *m, const float *inputs, int batch, float *mu, float *sigma);

/* z [batch][z_size] -> tokens [batch][num_tracks][num_steps] (+ logits if opts->logits). */
mvae_status decoder_forward(mvae_model *m, const float *z, int batch, const mvae_decode_opts *opts,
                            int32_t *tokens);

#endif
