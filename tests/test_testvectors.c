/* test_testvectors.c: Magenta's real mel_2bar_small decoder must reproduce all 539 greedy decodes
 * in ../shared/testvectors (computed in float64 NumPy from magenta.js's encodings of real melodies)
 * exactly in fp32; the int8 model must agree on >= 99.5% of steps. Both on every kernel set this
 * binary holds and this CPU runs (scalar, SSE2, AVX2), each giving the same tokens. */
#include "test_util.h"

#include <string.h>

static int decode_agreement(const char *model_path, const char *kernels, int integer,
                            const tv_case *cases, int n, int *exact, double *step_agreement,
                            int32_t *tokens) {
  mvae_model *m = test_load_model(model_path);
  if (!m)
    return 0;
  if (mvae_model_set_kernels(m, kernels) != MVAE_OK ||
      mvae_model_set_int8_compute(m, integer) != MVAE_OK) {
    mvae_model_free(m);
    return 0;
  }
  float *z = malloc(sizeof(float) * TV_Z * (size_t)n);
  for (int i = 0; i < n; i++)
    memcpy(z + (size_t)i * TV_Z, cases[i].mu, sizeof cases[i].mu);
  int ok = mvae_decode(m, z, n, NULL, tokens) == MVAE_OK;
  long same_steps = 0;
  *exact = 0;
  for (int i = 0; ok && i < n; i++) {
    int same = 0;
    for (int s = 0; s < TV_STEPS; s++)
      same += tokens[i * TV_STEPS + s] == cases[i].greedy_events[s];
    same_steps += same;
    *exact += same == TV_STEPS;
  }
  *step_agreement = (double)same_steps / ((double)n * TV_STEPS);
  free(z);
  mvae_model_free(m);
  return ok;
}

int main(void) {
  test_counts c = {0, 0};
  tv_case *cases = NULL;
  int n = tv_load(MVAE_SHARED_DIR "/testvectors/mel_2bar_small_decode.json", &cases);
  EXPECT(&c, n == 539, "read 539 test vectors from shared/ (got %d)", n);
  int32_t *tokens = malloc(sizeof(int32_t) * TV_STEPS * (size_t)(n > 0 ? n : 1));
  int32_t *first_q8 = malloc(sizeof(int32_t) * TV_STEPS * (size_t)(n > 0 ? n : 1));
  int32_t *first_q8i = malloc(sizeof(int32_t) * TV_STEPS * (size_t)(n > 0 ? n : 1));
  for (int k = 0; n > 0 && mvae_kernel_set_name(k); k++) {
    const char *set = mvae_kernel_set_name(k);
    int exact;
    double agreement;
    int ok = decode_agreement(MVAE_SOURCE_DIR "/models/mel_2bar_small.mvae", set, 0, cases, n,
                              &exact, &agreement, tokens);
    EXPECT(&c, ok, "fp32 model loads and decodes on %s (build it with models/build.sh)", set);
    EXPECT(&c, exact == n, "fp32 on %s: %d of %d decodes exact", set, exact, n);
    printf("fp32 %-6s: %d/%d exact, per-step agreement %.4f%%\n", set, exact, n, 100 * agreement);
    ok = decode_agreement(MVAE_SOURCE_DIR "/models/mel_2bar_small.q8.mvae", set, 0, cases, n,
                          &exact, &agreement, k == 0 ? first_q8 : tokens);
    EXPECT(&c, ok, "q8 model loads and decodes on %s", set);
    EXPECT(&c, agreement >= 0.995, "q8 on %s: per-step agreement %.4f >= 0.995", set, agreement);
    if (k > 0)
      EXPECT(&c, !memcmp(tokens, first_q8, sizeof(int32_t) * TV_STEPS * (size_t)n),
             "q8 on %s: the scalar set's tokens", set);
    printf("q8   %-6s: %d/%d exact, per-step agreement %.4f%%\n", set, exact, n, 100 * agreement);
    /* int8 with integer compute (mvae_model_set_int8_compute) */
    ok = decode_agreement(MVAE_SOURCE_DIR "/models/mel_2bar_small.q8.mvae", set, 1, cases, n,
                          &exact, &agreement, k == 0 ? first_q8i : tokens);
    EXPECT(&c, ok, "q8 with integer compute loads and decodes on %s", set);
    EXPECT(&c, agreement >= 0.995, "q8 integer compute on %s: per-step agreement %.4f >= 0.995",
           set, agreement);
    if (k > 0)
      EXPECT(&c, !memcmp(tokens, first_q8i, sizeof(int32_t) * TV_STEPS * (size_t)n),
             "q8 integer compute on %s: the scalar set's tokens", set);
    printf("q8i  %-6s: %d/%d exact, per-step agreement %.4f%%\n", set, exact, n, 100 * agreement);
  }
  free(tokens);
  free(first_q8);
  free(first_q8i);
  free(cases);
  return test_report("test_testvectors", &c);
}
