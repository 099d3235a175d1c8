/* fuzz_loader.c: libFuzzer target for the model loader. Any bytes must give either a model that
 * decodes safely or an error with a message; never a crash, an out-of-bounds read or a leak. */
#include "musicvae.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256] = "";
  mvae_model *m = NULL;
  if (mvae_model_load(data, size, &m, err, sizeof err) != MVAE_OK) {
    if (m || !err[0])
      abort(); /* a failed load must return no model and say why */
    return 0;
  }
  mvae_info info;
  mvae_model_info(m, &info);
  /* Bound the work a mutated configuration can ask for. */
  if ((long)info.num_steps * info.num_tracks <= 4096 && info.z_size <= 4096) {
    float *z = calloc((size_t)info.z_size, sizeof(float));
    int32_t *tokens = malloc(sizeof(int32_t) * (size_t)info.num_tracks * info.num_steps);
    if (z && tokens) {
      mvae_rng rng;
      mvae_rng_seed(&rng, size);
      mvae_decode_opts opts = {1.0f, &rng, NULL, NULL};
      mvae_decode(m, z, 1, &opts, tokens);
      if (info.has_encoder) {
        float *x = calloc((size_t)info.num_steps * info.input_depth, sizeof(float));
        float *mu = malloc(sizeof(float) * (size_t)info.z_size);
        if (x && mu)
          mvae_encode(m, x, 1, mu, NULL);
        free(x);
        free(mu);
      }
    }
    free(z);
    free(tokens);
  }
  mvae_model_free(m);
  return 0;
}
