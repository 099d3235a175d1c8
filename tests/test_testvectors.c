/* test_testvectors.c: Magenta's real mel_2bar_small decoder must reproduce all 539 greedy decodes
 * in ../shared/testvectors (computed in float64 NumPy from magenta.js's encodings of real melodies)
 * exactly in fp32; the int8 model must agree on >= 99.5% of steps. */
#include "test_util.h"

#include <string.h>

static int decode_agreement(const char *model_path, const tv_case *cases, int n, int *exact,
                            double *step_agreement) {
  mvae_model *m = test_load_model(model_path);
  if (!m)
    return 0;
  float *z = malloc(sizeof(float) * TV_Z * (size_t)n);
  int32_t *tokens = malloc(sizeof(int32_t) * TV_STEPS * (size_t)n);
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
  free(tokens);
  mvae_model_free(m);
  return ok;
}

int main(void) {
  test_counts c = {0, 0};
  tv_case *cases = NULL;
  int n = tv_load(MVAE_SHARED_DIR "/testvectors/mel_2bar_small_decode.json", &cases);
  EXPECT(&c, n == 539, "read 539 test vectors from shared/ (got %d)", n);
  if (n > 0) {
    int exact;
    double agreement;
    int ok = decode_agreement(MVAE_SOURCE_DIR "/models/mel_2bar_small.mvae", cases, n, &exact,
                              &agreement);
    EXPECT(&c, ok, "fp32 model loads and decodes (build it with models/build.sh)");
    EXPECT(&c, exact == n, "fp32: %d of %d decodes exact", exact, n);
    printf("fp32: %d/%d exact, per-step agreement %.4f%%\n", exact, n, 100 * agreement);
    ok = decode_agreement(MVAE_SOURCE_DIR "/models/mel_2bar_small.q8.mvae", cases, n, &exact,
                          &agreement);
    EXPECT(&c, ok, "q8 model loads and decodes");
    EXPECT(&c, agreement >= 0.995, "q8 per-step agreement %.4f >= 0.995", agreement);
    printf("q8:   %d/%d exact, per-step agreement %.4f%%\n", exact, n, 100 * agreement);
  }
  free(cases);
  return test_report("test_testvectors", &c);
}
