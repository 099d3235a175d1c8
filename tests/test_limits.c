/* test_limits.c: every public call refuses sizes over the limits in musicvae.h with a typed error
 * and a message, and the same model then gives exactly the results it gave before the refused
 * calls (nothing was corrupted or left half-done). */
#include "test_util.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* Results of a fixed set of normal calls, to compare before and after the refused ones. */
typedef struct healthy_run {
  float mu[2 * 64];
  int32_t tokens[2 * 3 * 64];
  float sampled_z[2 * 64];
  int32_t sampled[2 * 3 * 64];
  mvae_note notes[3 * 64 * 9];
  int n_notes;
} healthy_run;

static int run_normal_calls(mvae_model *m, healthy_run *r) {
  mvae_info info;
  mvae_model_info(m, &info);
  memset(r, 0, sizeof *r);
  float *input = calloc((size_t)2 * info.num_steps * info.input_depth, sizeof(float));
  if (!input)
    return 0;
  mvae_note melody[3] = {
      {60, 80, 0, 4, 0, 0, 0}, {64, 80, 4, 8, 0, 0, 0}, {67, 80, 8, 16, 0, 0, 0}};
  int ok = mvae_notes_to_input(m, melody, 3, input) == MVAE_OK &&
           mvae_notes_to_input(m, melody, 2, input + (size_t)info.num_steps * info.input_depth) ==
               MVAE_OK;
  if (info.has_encoder)
    ok &= mvae_encode(m, input, 2, r->mu, NULL) == MVAE_OK;
  ok &= mvae_decode(m, r->mu, 2, NULL, r->tokens) == MVAE_OK;
  mvae_rng rng;
  mvae_rng_seed(&rng, 11);
  ok &= mvae_sample(m, 2, 0.7f, &rng, r->sampled_z, r->sampled) == MVAE_OK;
  ok &= mvae_tokens_to_notes(m, r->sampled, r->notes, info.max_notes, &r->n_notes) == MVAE_OK;
  free(input);
  return ok;
}

/* A refused call: the expected status and a message naming what was wrong. */
#define REFUSED(c, m, call, expected)                                                              \
  do {                                                                                             \
    mvae_status got_ = (call);                                                                     \
    EXPECT(c, got_ == (expected) && mvae_last_error(m)[0] != '\0', "%s -> %d (%s)", #call,         \
           (int)got_, mvae_last_error(m));                                                         \
  } while (0)

static void refuse_model_calls(test_counts *c, mvae_model *m) {
  mvae_info info;
  mvae_model_info(m, &info);
  size_t zs = (size_t)info.z_size;
  float *z = calloc(zs * 4, sizeof(float));
  float *input = calloc((size_t)info.num_steps * info.input_depth, sizeof(float));
  int32_t *tokens = calloc((size_t)info.num_tracks * info.num_steps, sizeof(int32_t));
  mvae_note notes[4] = {{60, 80, 0, 4, 0, 0, 0}};
  mvae_rng rng;
  mvae_rng_seed(&rng, 3);
  float mu[64];
  const int too_many[] = {0, -1, MVAE_MAX_BATCH + 1, INT_MAX, INT_MIN};
  for (size_t i = 0; i < sizeof too_many / sizeof too_many[0]; i++) {
    int n = too_many[i];
    REFUSED(c, m, mvae_encode(m, input, n, mu, NULL), MVAE_ERR_INVALID_ARGUMENT);
    REFUSED(c, m, mvae_decode(m, z, n, NULL, tokens), MVAE_ERR_INVALID_ARGUMENT);
    REFUSED(c, m, mvae_sample(m, n, 0.5f, &rng, NULL, tokens), MVAE_ERR_INVALID_ARGUMENT);
    REFUSED(c, m, mvae_similar(m, z, n, 0.5f, 0.5f, &rng, NULL, tokens), MVAE_ERR_INVALID_ARGUMENT);
  }
  REFUSED(c, m, mvae_sample(m, 1, NAN, &rng, NULL, tokens), MVAE_ERR_INVALID_ARGUMENT);
  REFUSED(c, m, mvae_sample(m, 1, INFINITY, &rng, NULL, tokens), MVAE_ERR_INVALID_ARGUMENT);
  REFUSED(c, m, mvae_similar(m, z, 1, 0.5f, NAN, &rng, NULL, tokens), MVAE_ERR_INVALID_ARGUMENT);
  REFUSED(c, m, mvae_similar(m, z, 1, NAN, 0.5f, &rng, NULL, tokens), MVAE_ERR_INVALID_ARGUMENT);
  REFUSED(c, m, mvae_notes_to_input(m, notes, -1, input), MVAE_ERR_INVALID_ARGUMENT);
  REFUSED(c, m, mvae_notes_to_input(m, notes, MVAE_MAX_INPUT_NOTES + 1, input),
          MVAE_ERR_INVALID_ARGUMENT);
  REFUSED(c, m, mvae_notes_to_input(m, notes, INT_MAX, input), MVAE_ERR_INVALID_ARGUMENT);
  REFUSED(c, m, mvae_notes_to_input(m, NULL, 1, input), MVAE_ERR_INVALID_ARGUMENT);
  int n_notes = 0;
  REFUSED(c, m, mvae_tokens_to_notes(m, tokens, notes, -1, &n_notes), MVAE_ERR_INVALID_ARGUMENT);
  REFUSED(c, m, mvae_tokens_to_notes(m, tokens, NULL, 5, &n_notes), MVAE_ERR_INVALID_ARGUMENT);
  tokens[0] = -1;
  REFUSED(c, m, mvae_tokens_to_notes(m, tokens, notes, 4, &n_notes), MVAE_ERR_BAD_INPUT);
  tokens[0] = info.output_depths[0];
  REFUSED(c, m, mvae_tokens_to_notes(m, tokens, notes, 4, &n_notes), MVAE_ERR_BAD_INPUT);
  tokens[0] = 0;
  notes[0].pitch = 200;
  REFUSED(c, m, mvae_notes_to_input(m, notes, 1, input), MVAE_ERR_BAD_INPUT);
  notes[0].pitch = 60;
  notes[0].end_step = INT_MIN;
  REFUSED(c, m, mvae_notes_to_input(m, notes, 1, input), MVAE_ERR_BAD_INPUT);
  free(z);
  free(input);
  free(tokens);
}

/* The latent helpers need no model: they answer with a status alone. */
static void refuse_latent_calls(test_counts *c) {
  float a[4] = {1, 0, 0, 1}, corners[16] = {0}, out[16];
  EXPECT(c, mvae_interpolate(a, a, MVAE_MAX_Z_SIZE + 1, 2, 0, out) == MVAE_ERR_INVALID_ARGUMENT,
         "z_size over the limit refused");
  EXPECT(c, mvae_interpolate(a, a, INT_MAX, 2, 0, out) == MVAE_ERR_INVALID_ARGUMENT,
         "z_size INT_MAX refused");
  EXPECT(c, mvae_interpolate(a, a, 2, INT_MAX, 0, out) == MVAE_ERR_INVALID_ARGUMENT,
         "n INT_MAX refused");
  EXPECT(c, mvae_interpolate(a, a, 2, MVAE_MAX_BATCH + 1, 0, out) == MVAE_ERR_INVALID_ARGUMENT,
         "n over the limit refused");
  /* 65536 x 65536 is 2^32: a 32-bit int product would wrap to 0. */
  EXPECT(c, mvae_interpolate_grid(corners, 1, 65536, 65536, 0, out) == MVAE_ERR_INVALID_ARGUMENT,
         "a 65536 x 65536 grid refused");
  EXPECT(c,
         mvae_interpolate_grid(corners, 1, INT_MAX, INT_MAX, 0, out) == MVAE_ERR_INVALID_ARGUMENT,
         "an INT_MAX x INT_MAX grid refused");
  EXPECT(c,
         mvae_interpolate_grid(corners, MVAE_MAX_Z_SIZE + 1, 2, 2, 0, out) ==
             MVAE_ERR_INVALID_ARGUMENT,
         "grid z_size over the limit refused");
  EXPECT(c, mvae_interpolate(a, a + 2, 2, 4, MVAE_INTERP_SLERP, out) == MVAE_OK,
         "a normal interpolation afterwards");

  /* The same refusals with their messages. */
  char err[5][256];
  float nan_point[2] = {NAN, 0};
  static const char *const expected[5] = {"z_size 4097 is not in 1..4096", "65536 points",
                                          "value 0 of point 0 is not a finite number",
                                          "unknown method 7", "a 65536 x 65536 grid"};
  mvae_status got[5] = {
      mvae_latent_interpolate(a, a, MVAE_MAX_Z_SIZE + 1, 2, 0, out, err[0], sizeof err[0]),
      mvae_latent_interpolate(a, a, 2, 65536, 0, out, err[1], sizeof err[1]),
      mvae_latent_interpolate(nan_point, a, 2, 2, 0, out, err[2], sizeof err[2]),
      mvae_latent_interpolate(a, a, 2, 2, (mvae_interp)7, out, err[3], sizeof err[3]),
      mvae_latent_grid(corners, 1, 65536, 65536, 0, out, err[4], sizeof err[4])};
  for (int i = 0; i < 5; i++)
    EXPECT(c, got[i] == MVAE_ERR_INVALID_ARGUMENT && strstr(err[i], expected[i]),
           "refusal %d says '%s': %s", i, expected[i], err[i]);
  EXPECT(c,
         mvae_latent_grid(corners, 2, 2, 2, MVAE_INTERP_LINEAR, out, err[0], sizeof err[0]) ==
                 MVAE_OK &&
             err[0][0] == '\0',
         "a good call leaves the message empty");
}

static void check_model(test_counts *c, const char *path) {
  mvae_model *m = test_load_model(path);
  EXPECT(c, m != NULL, "%s loads", path);
  if (!m)
    return;
  healthy_run *before = malloc(sizeof *before), *after = malloc(sizeof *after);
  EXPECT(c, before && run_normal_calls(m, before), "%s: normal calls run", path);
  refuse_model_calls(c, m);
  EXPECT(c, run_normal_calls(m, after) && mvae_last_error(m)[0] == '\0',
         "%s: normal calls run after the refused ones", path);
  EXPECT(c, memcmp(before, after, sizeof *before) == 0,
         "%s: the same results after the refused calls", path);
  free(before);
  free(after);
  mvae_model_free(m);
}

int main(void) {
  test_counts c = {0, 0};
  check_model(&c, MVAE_SOURCE_DIR "/tests/data/flat_small.mvae");
  check_model(&c, MVAE_SOURCE_DIR "/tests/data/hier_trio.mvae");
  check_model(&c, MVAE_SOURCE_DIR "/tests/data/no_encoder.mvae");
  refuse_latent_calls(&c);
  return test_report("test_limits", &c);
}
