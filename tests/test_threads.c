/* test_threads.c: a call's rows split across threads give the bits of one thread, for any thread
 * count (decode with logits at a temperature, sample, similar, encode), on every test model; so do
 * the encoder's two directions run at once (a one-row encode on several threads). */
#include "test_util.h"

#include <string.h>

enum { BATCH = 7 };

typedef struct results {
  float mu[BATCH * 64], sigma[BATCH * 64], z[BATCH * 64], logits[BATCH * 256 * 700];
  float mu1[64], sigma1[64]; /* row 0 encoded alone */
  int32_t tokens[BATCH * 3 * 256], sampled[BATCH * 3 * 256], similar[BATCH * 3 * 256];
} results;

static int run(mvae_model *m, const mvae_info *info, const float *input, results *r) {
  mvae_rng rng;
  mvae_rng_seed(&rng, 9);
  int ok = mvae_sample(m, BATCH, 0.9f, &rng, r->z, r->sampled) == MVAE_OK;
  mvae_decode_opts opts = {1.0f, &rng, NULL, r->logits};
  ok &= mvae_decode(m, r->z, BATCH, &opts, r->tokens) == MVAE_OK;
  ok &= mvae_similar(m, r->z, BATCH, 0.5f, 0.8f, &rng, NULL, r->similar) == MVAE_OK;
  if (info->has_encoder)
    ok &= mvae_encode(m, input, BATCH, r->mu, info->has_sigma ? r->sigma : NULL) == MVAE_OK &&
          mvae_encode(m, input, 1, r->mu1, info->has_sigma ? r->sigma1 : NULL) == MVAE_OK;
  return ok;
}

static void test_model(test_counts *c, const char *file) {
  mvae_info info;
  mvae_model *m = test_expect_model(c, test_load_data_model(file), file, &info);
  if (!m)
    return;
  int fits = info.z_size <= 64 && info.num_tracks * info.num_steps <= 3 * 256 &&
             info.num_steps * (info.output_depths[0] + info.output_depths[1] +
                               info.output_depths[2] + info.output_depths[3]) <=
                 256 * 700;
  EXPECT(c, fits, "%s fits the test's buffers", file);
  size_t n_in = (size_t)BATCH * info.num_steps * info.input_depth;
  float *input = calloc(n_in, sizeof(float));
  for (size_t s = 0; s < (size_t)BATCH * info.num_steps; s++)
    input[s * info.input_depth + (s * 7 + 3) % (size_t)info.input_depth] = 1.0f;
  static results one, many;
  memset(&one, 0, sizeof one);
  EXPECT(c, fits && run(m, &info, input, &one), "%s: one thread", file);
  const int counts[] = {2, 3, 4, 7, 16};
  for (size_t k = 0; fits && k < sizeof counts / sizeof counts[0]; k++) {
    EXPECT(c, mvae_model_set_threads(m, counts[k]) == MVAE_OK, "%s: %d threads", file, counts[k]);
    memset(&many, 0, sizeof many);
    EXPECT(c, run(m, &info, input, &many), "%s: calls on %d threads", file, counts[k]);
    EXPECT(c, !memcmp(&one, &many, sizeof one), "%s: %d threads give one thread's bits", file,
           counts[k]);
  }
  EXPECT(c,
         mvae_model_set_threads(m, 0) == MVAE_ERR_INVALID_ARGUMENT &&
             mvae_model_set_threads(m, MVAE_MAX_THREADS + 1) == MVAE_ERR_INVALID_ARGUMENT,
         "%s: thread counts outside 1..%d are refused", file, MVAE_MAX_THREADS);
  free(input);
  mvae_model_free(m);
}

int main(void) {
  test_counts c = {0, 0};
  const char *models[] = {"flat_small.mvae", "flat_small_q8.mvae", "flat_2layer_enc.mvae",
                          "hier_mel.mvae",   "hier_trio.mvae",     "no_encoder.mvae"};
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
    test_model(&c, models[i]);
  return test_report("test_threads", &c);
}
