/* groove.h: GrooVAE's output layer (Magenta's GrooveLstmDecoder, magenta.js's GrooveDecoder): the
 * output projection gives per step [hit logits | velocity logits | offset logits], `classes` each;
 * the step's output, fed back as the next step's input, is [hits (0 or 1) | sigmoid | tanh]. */
#ifndef MVAE_GROOVE_H
#define MVAE_GROOVE_H

#include "musicvae.h"

#include <stdint.h>

/* One step: logits[3 * classes] -> values[3 * classes]; returns the hits as bits (class c = bit c,
 * classes <= 31). temperature <= 0: hit c when sigmoid(logit), rounded to float, is > 0.5;
 * else when sigmoid(logit / temperature) (float) is > a uniform draw of rng, one draw per class in
 * class order (magenta.js: tf.randomUniform). */
int32_t groove_choose(const float *logits, int classes, float temperature, mvae_rng *rng,
                      float *values);

#endif
