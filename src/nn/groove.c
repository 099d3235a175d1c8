/* groove.c: GrooVAE's output layer (see groove.h). The activations are the deterministic ones of
 * kernels/mathfn.h, in double and rounded once to float, as TF.js's CPU backend computes them. */
#include "nn/groove.h"

#include "kernels/mathfn.h"

int32_t groove_choose(const float *logits, int classes, float temperature, mvae_rng *rng,
                      float *values) {
  int32_t hits = 0;
  for (int c = 0; c < classes; c++) {
    int hit = temperature > 0.0f
                  ? (double)mvm_sigmoidf(logits[c] / temperature) > mvae_rng_uniform(rng)
                  : mvm_sigmoidf(logits[c]) > 0.5f;
    values[c] = hit ? 1.0f : 0.0f;
    hits |= (int32_t)hit << c;
  }
  for (int c = classes; c < 2 * classes; c++)
    values[c] = mvm_sigmoidf(logits[c]);
  for (int c = 2 * classes; c < 3 * classes; c++)
    values[c] = mvm_tanhf(logits[c]);
  return hits;
}
