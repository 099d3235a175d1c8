/* bench_refine.c: time of mvae_encode_refined per melody (one 2-bar melody per call, as a dropped
 * file's corner is refined), natively and under Node as WebAssembly (bench/refine/run.sh). Reads
 * the test vectors' source melodies from ../shared. Prints milliseconds; no pass/fail. */
#define _POSIX_C_SOURCE 199309L
#include "musicvae.h"
#include "testvectors.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

int main(int argc, char **argv) {
  const char *model_path = argc > 1 ? argv[1] : "models/mel_2bar_small.mvae";
  const char *vectors = argc > 2 ? argv[2] : "../shared/testvectors/mel_2bar_small_decode.json";
  int melodies = argc > 3 ? atoi(argv[3]) : 8;
  size_t size = 0;
  char *data = tv_read_file(model_path, &size);
  tv_case *cases = NULL;
  int n = tv_load(vectors, &cases);
  mvae_model *m = NULL;
  char err[256];
  if (!data || n < melodies || mvae_model_load(data, size, &m, err, sizeof err) != MVAE_OK) {
    fprintf(stderr, "cannot load %s or %s\n", model_path, vectors);
    return 1;
  }
  free(data);
  mvae_info info;
  mvae_model_info(m, &info);
  static float input[TV_STEPS * 90];
  float z[TV_Z];
  printf("%s, kernels %s\n", model_path, info.kernels);
  static const int steps[] = {0, 10, 20, 30, 50};
  for (int s = 0; s < 5; s++) {
    double best = 1e30, total = 0;
    for (int i = 0; i < melodies; i++) {
      memset(input, 0, sizeof input);
      for (int t = 0; t < TV_STEPS; t++)
        input[t * 90 + cases[i].source_events[t]] = 1.0f;
      mvae_refine_opts o = {steps[s], 0, 0, 0, NULL, NULL, NULL, NULL, NULL};
      double t0 = now_ms();
      if (mvae_encode_refined(m, input, 1, &o, z) != MVAE_OK) {
        fprintf(stderr, "refine: %s\n", mvae_last_error(m));
        return 1;
      }
      double dt = now_ms() - t0;
      total += dt;
      best = dt < best ? dt : best;
    }
    printf("steps %2d: %7.1f ms per melody (mean of %d), best %.1f\n", steps[s], total / melodies,
           melodies, best);
  }
  mvae_model_free(m);
  free(cases);
  return 0;
}
