/* bench_refine.c: time of mvae_encode_refined per sequence (one per call, as a dropped file's
 * corner is refined), natively and under Node as WebAssembly (bench/refine/run.sh). mel_2bar_small
 * refines the test vectors' source melodies (../shared) from their mu; other models refine
 * sequences they sampled themselves from z = 0. Prints milliseconds; no pass/fail. */
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
  int two_bar_melody = info.num_steps == TV_STEPS && info.input_depth == 90;
  float *input = calloc((size_t)info.num_steps * info.input_depth, sizeof(float));
  float *z = calloc((size_t)info.z_size, sizeof(float)), *zeros = calloc(info.z_size, 4);
  int32_t *tokens = calloc((size_t)info.num_steps * info.num_tracks, sizeof(int32_t));
  mvae_rng rng;
  mvae_rng_seed(&rng, 1);
  printf("%s, kernels %s\n", model_path, info.kernels);
  /* One untimed call first: WebAssembly engines compile hot code again once it runs. */
  mvae_refine_opts warm;
  mvae_refine_opts_init(&warm);
  warm.z_init = zeros;
  warm.targets = tokens; /* all zeros: a valid sequence for every model */
  mvae_encode_refined(m, NULL, 1, &warm, z);
  static const int steps[] = {0, 10, 20, 30, 50};
  for (int s = 0; s < 5; s++) {
    double best = 1e30, total = 0;
    for (int i = 0; i < melodies; i++) {
      mvae_refine_opts o;
      mvae_refine_opts_init(&o);
      o.steps = steps[s];
      if (two_bar_melody) {
        memset(input, 0, sizeof(float) * TV_STEPS * 90);
        for (int t = 0; t < TV_STEPS; t++)
          input[t * 90 + cases[i].source_events[t]] = 1.0f;
      } else {
        mvae_sample(m, 1, 1.0f, &rng, NULL, tokens);
        o.targets = tokens;
        o.z_init = zeros;
      }
      double t0 = now_ms();
      if (mvae_encode_refined(m, two_bar_melody ? input : NULL, 1, &o, z) != MVAE_OK) {
        fprintf(stderr, "refine: %s\n", mvae_last_error(m));
        return 1;
      }
      double dt = now_ms() - t0;
      total += dt;
      best = dt < best ? dt : best;
    }
    printf("steps %2d: %7.1f ms per sequence (mean of %d), best %.1f\n", steps[s], total / melodies,
           melodies, best);
  }
  /* The bits of the last z: the same in every build (scalar, SSE2, AVX2, WebAssembly). */
  uint64_t hash = 1469598103934665603u;
  for (size_t i = 0; i < (size_t)info.z_size * sizeof(float); i++)
    hash = (hash ^ ((const unsigned char *)z)[i]) * 1099511628211u;
  printf("last z (50 steps): FNV-1a %016llx\n", (unsigned long long)hash);
  free(input);
  free(z);
  free(zeros);
  free(tokens);
  mvae_model_free(m);
  free(cases);
  return 0;
}
