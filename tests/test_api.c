/* test_api.c: argument checking, determinism and latent-space helpers of the public API, with
 * expected values worked out by hand or from published references. */
#include "test_util.h"

#include <math.h>
#include <string.h>

static void test_rng(test_counts *c) {
  /* pcg32_srandom_r(&rng, 42, 54) followed by pcg32_random_r: the published pcg32-demo output. */
  mvae_rng rng = {0, (54u << 1u) | 1u};
  mvae_rng_u32(&rng);
  rng.state += 42u;
  mvae_rng_u32(&rng);
  static const uint32_t expected[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                       0x83d2f293, 0xbfa4784b, 0xcbed606e};
  int same = 1;
  for (int i = 0; i < 6; i++)
    same &= mvae_rng_u32(&rng) == expected[i];
  EXPECT(c, same, "PCG32 matches the reference sequence");

  mvae_rng a, b;
  mvae_rng_seed(&a, 123);
  mvae_rng_seed(&b, 123);
  double sum = 0, sum_sq = 0, lo = 1, hi = 0;
  int equal = 1;
  enum { N = 200000 };
  for (int i = 0; i < N; i++) {
    double x = mvae_rng_normal(&a);
    equal &= x == mvae_rng_normal(&b);
    sum += x;
    sum_sq += x * x;
    double u = mvae_rng_uniform(&a);
    mvae_rng_uniform(&b);
    lo = u < lo ? u : lo;
    hi = u > hi ? u : hi;
  }
  EXPECT(c, equal, "same seed, same normals");
  double mean = sum / N, var = sum_sq / N - mean * mean;
  EXPECT(c, fabs(mean) < 0.01 && fabs(var - 1) < 0.02, "normal mean %.4f variance %.4f", mean, var);
  EXPECT(c, lo >= 0 && hi < 1 && lo < 1e-4 && hi > 1 - 1e-4, "uniform in [0, 1): %g..%g", lo, hi);
}

static void test_interpolation(test_counts *c) {
  float a[2] = {1, 0}, b[2] = {0, 1}, out[5 * 2];
  EXPECT(c, mvae_interpolate(a, b, 2, 5, MVAE_INTERP_LINEAR, out) == MVAE_OK, "lerp runs");
  EXPECT(c, out[0] == 1 && out[1] == 0 && out[8] == 0 && out[9] == 1, "lerp ends are a and b");
  EXPECT(c, out[4] == 0.5f && out[5] == 0.5f, "lerp midpoint (0.5, 0.5)");
  EXPECT(c, fabsf(out[2] - 0.75f) < 1e-7f && fabsf(out[3] - 0.25f) < 1e-7f, "lerp quarter");
  EXPECT(c, mvae_interpolate(a, b, 2, 5, MVAE_INTERP_SLERP, out) == MVAE_OK, "slerp runs");
  float r = (float)sqrt(0.5);
  EXPECT(c, fabsf(out[4] - r) < 1e-6f && fabsf(out[5] - r) < 1e-6f, "slerp midpoint on the circle");
  EXPECT(c, fabsf(out[2] - (float)cos(3.14159265358979323846 / 8)) < 1e-6f,
         "slerp quarter at 22.5 degrees");
  float one[2];
  EXPECT(c, mvae_interpolate(a, b, 2, 1, MVAE_INTERP_LINEAR, one) == MVAE_OK && one[0] == 1,
         "n = 1 gives a");
  float nan_point[2] = {NAN, 0};
  EXPECT(c, mvae_interpolate(nan_point, b, 2, 3, MVAE_INTERP_LINEAR, out) != MVAE_OK,
         "NaN refused");
  EXPECT(c, mvae_interpolate(a, b, 2, 0, MVAE_INTERP_LINEAR, out) != MVAE_OK, "n = 0 refused");
  EXPECT(c, mvae_interpolate(a, b, 2, 3, (mvae_interp)7, out) != MVAE_OK, "bad method refused");

  /* Corners A top-left, B bottom-left, C top-right, D bottom-right, as magenta.js. */
  float corners[4] = {0, 10, 100, 1000}, grid[3 * 2];
  EXPECT(c, mvae_interpolate_grid(corners, 1, 3, 2, MVAE_INTERP_LINEAR, grid) == MVAE_OK, "grid");
  EXPECT(c, grid[0] == 0 && grid[2] == 100 && grid[3] == 10 && grid[5] == 1000, "grid corners");
  EXPECT(c, grid[1] == 50 && grid[4] == 505, "grid middles: %g %g", grid[1], grid[4]);
  float corners2[8] = {1, 0, 0, 1, 0, 1, -1, 0}, grid2[3 * 3 * 2];
  EXPECT(c, mvae_interpolate_grid(corners2, 2, 3, 3, MVAE_INTERP_SLERP, grid2) == MVAE_OK,
         "slerp grid");
  EXPECT(c, grid2[0] == 1 && grid2[1] == 0 && fabsf(grid2[16] + 1) < 1e-6f, "slerp grid corners");
}

static void test_model_calls(test_counts *c) {
  mvae_info info;
  mvae_model *m =
      test_expect_model(c, test_load_data_model("flat_small.mvae"), "flat_small", &info);
  if (!m)
    return;
  int zs = info.z_size, steps = info.num_steps;
  EXPECT(c, info.kernels && info.activations && info.kernels[0], "info names the kernel sets");
  EXPECT(c, info.max_notes == steps, "a melody has at most one note per step: %d", info.max_notes);
  float *z = calloc(4 * (size_t)zs, sizeof(float));
  int32_t tokens[4 * 64], tokens2[4 * 64];
  float z_out[4 * 64], z_out2[4 * 64];

  EXPECT(c, mvae_decode(m, z, 0, NULL, tokens) == MVAE_ERR_INVALID_ARGUMENT, "batch 0 refused");
  EXPECT(c, mvae_decode(m, z, MVAE_MAX_BATCH + 1, NULL, tokens) == MVAE_ERR_INVALID_ARGUMENT,
         "huge batch refused");
  EXPECT(c, mvae_decode(m, NULL, 1, NULL, tokens) == MVAE_ERR_INVALID_ARGUMENT, "NULL z refused");
  z[3] = NAN;
  EXPECT(c,
         mvae_decode(m, z, 1, NULL, tokens) == MVAE_ERR_INVALID_ARGUMENT &&
             strstr(mvae_last_error(m), "finite"),
         "NaN z refused: %s", mvae_last_error(m));
  z[3] = INFINITY;
  EXPECT(c, mvae_decode(m, z, 1, NULL, tokens) == MVAE_ERR_INVALID_ARGUMENT, "inf z refused");
  z[3] = 0;
  mvae_decode_opts opts = {0.5f, NULL, NULL, NULL};
  EXPECT(c, mvae_decode(m, z, 1, &opts, tokens) == MVAE_ERR_INVALID_ARGUMENT,
         "sampling without rng refused");
  opts.temperature = NAN;
  EXPECT(c, mvae_decode(m, z, 1, &opts, tokens) == MVAE_ERR_INVALID_ARGUMENT, "NaN temperature");
  int32_t *teacher = calloc((size_t)steps, sizeof(int32_t));
  teacher[5] = info.output_depths[0];
  mvae_decode_opts forced = {0, NULL, teacher, NULL};
  EXPECT(c, mvae_decode(m, z, 1, &forced, tokens) == MVAE_ERR_INVALID_ARGUMENT,
         "teacher token out of range refused");
  EXPECT(c, mvae_decode(m, z, 1, NULL, tokens) == MVAE_OK && mvae_last_error(m)[0] == '\0',
         "a good call clears the last error");

  mvae_rng r1, r2;
  mvae_rng_seed(&r1, 5);
  mvae_rng_seed(&r2, 5);
  EXPECT(c, mvae_sample(m, 4, 1.0f, &r1, z_out, tokens) == MVAE_OK, "sample");
  EXPECT(c, mvae_sample(m, 4, 1.0f, &r2, z_out2, tokens2) == MVAE_OK, "sample again");
  EXPECT(c,
         !memcmp(tokens, tokens2, sizeof(int32_t) * 4 * steps) &&
             !memcmp(z_out, z_out2, sizeof(float) * 4 * zs),
         "same seed, same samples");
  mvae_rng_seed(&r2, 6);
  mvae_sample(m, 4, 1.0f, &r2, z_out2, tokens2);
  EXPECT(c, memcmp(z_out, z_out2, sizeof(float) * 4 * zs) != 0, "another seed, other z");
  for (int i = 0; i < 4 * steps; i++)
    EXPECT(c, tokens[i] >= 0 && tokens[i] < info.output_depths[0], "token %d in range", i);

  EXPECT(c, mvae_similar(m, z_out, 2, 1.5f, 0, &r1, z_out2, tokens) == MVAE_ERR_INVALID_ARGUMENT,
         "similarity above 1 refused");
  EXPECT(c,
         mvae_similar(m, z_out, 2, 1.0f, 0, &r1, z_out2, tokens) == MVAE_OK &&
             !memcmp(z_out2, z_out, sizeof(float) * zs) &&
             !memcmp(z_out2 + zs, z_out, sizeof(float) * zs),
         "similarity 1 keeps z");
  EXPECT(c,
         mvae_similar(m, z_out, 2, 0.0f, 0, &r1, z_out2, tokens) == MVAE_OK &&
             memcmp(z_out2, z_out, sizeof(float) * zs) != 0,
         "similarity 0 draws fresh z");

  float x[1], mu[1];
  EXPECT(c, mvae_encode(m, NULL, 1, mu, NULL) == MVAE_ERR_INVALID_ARGUMENT, "NULL input refused");
  float *input = calloc((size_t)steps * info.input_depth, sizeof(float));
  float *mu_buf = malloc(sizeof(float) * zs);
  input[7] = NAN;
  EXPECT(c, mvae_encode(m, input, 1, mu_buf, NULL) == MVAE_ERR_INVALID_ARGUMENT,
         "NaN input refused");
  (void)x;
  EXPECT(c, mvae_decode(NULL, z, 1, NULL, tokens) == MVAE_ERR_INVALID_ARGUMENT, "NULL model");
  EXPECT(c, strlen(mvae_last_error(NULL)) > 0, "last error of NULL is a message");
  EXPECT(c, strcmp(mvae_status_string(MVAE_ERR_NO_ENCODER), "model has no encoder") == 0,
         "status strings");
  free(input);
  free(mu_buf);
  free(teacher);
  free(z);
  mvae_model_free(m);
  mvae_model_free(NULL); /* harmless */
}

int main(void) {
  test_counts c = {0, 0};
  test_rng(&c);
  test_interpolation(&c);
  test_model_calls(&c);
  return test_report("test_api", &c);
}
