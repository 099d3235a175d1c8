/* nade.h: a NADE output layer (Magenta's common/nade.py, MultiLabelRnnNadeDecoder): the decoder's
 * output projection gives, per sequence and step, [encoder bias (hidden); decoder bias (dims)], and
 * the NADE chooses the labels one after another, each conditioned on those before it. */
#ifndef MVAE_NADE_H
#define MVAE_NADE_H

#include "format/model.h"

/* Floats of scratch nade_choose needs; nade_log_probs needs (dims + 1) x hidden more. */
size_t nade_scratch_floats(const mvae_nade *nade);

/* Chooses the label set (bit i = label i) from one row of biases [hidden + dims]. temperature <= 0
 * or !sample: label i is on when its conditional probability, rounded to float, is >= 0.5 (what
 * magenta.js computes whatever the temperature); else it is drawn from
 * Bernoulli(sigmoid(logit / temperature)) with one rng draw per label, in label order. */
int32_t nade_choose(const mvae_compute *cx, const mvae_nade *nade, const float *biases,
                    float temperature, int sample, mvae_rng *rng, float *scratch);

/* log p(labels = k) for each of the 2^dims label sets k: out[2^dims] (float). */
void nade_log_probs(const mvae_compute *cx, const mvae_nade *nade, const float *biases, float *out,
                    float *scratch);

#endif
