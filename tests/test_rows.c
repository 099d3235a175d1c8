/* test_rows.c: per-row random streams. A batched decode, sample or similar at a temperature equals
 * the single calls of its rows (on the flat, hierarchical and trio test models), whichever way the
 * singles get their row's generator; the grid and interpolation decodes equal the latent vectors
 * made by hand and decoded; and the row jump itself is checked against stepping the generator. */
#include "api/rng.h"
#include "test_util.h"

#include <string.h>

/* The jump ahead against plain stepping, and its algebra (a full period returns to the start). */
static void test_advance(test_counts *c) {
  mvae_rng a, b;
  mvae_rng_seed(&a, 99);
  b = a;
  for (int i = 0; i < 1000; i++)
    mvae_rng_u32(&b);
  mvae_rng_advance(&a, 1000);
  EXPECT(c, a.state == b.state && a.inc == b.inc, "advance(1000) = 1000 draws");
  mvae_rng_advance(&a, 0);
  EXPECT(c, a.state == b.state, "advance(0) changes nothing");

  mvae_rng_seed(&a, 7);
  b = a;
  mvae_rng_skip_rows(&b, 3);
  mvae_rng_skip_rows(&b, 5);
  mvae_rng r8 = a;
  mvae_rng_skip_rows(&r8, 8);
  EXPECT(c, b.state == r8.state, "skipping 3 then 5 rows = skipping 8");
  b = a;
  mvae_rng_skip_rows(&b, 1u << 31);
  EXPECT(c, b.state != a.state, "half the period is elsewhere");
  mvae_rng_skip_rows(&b, 1u << 31);
  EXPECT(c, b.state == a.state, "2^32 rows = the whole period of 2^64 draws");

  mvae_rng rows[3];
  mvae_rng_rows(&a, 3, rows);
  EXPECT(c, rows[0].state == a.state, "row 0 is the generator itself");
  mvae_rng r2 = a;
  mvae_rng_skip_rows(&r2, 2);
  EXPECT(c, rows[2].state == r2.state && rows[1].state != rows[2].state, "row 2 = skipped 2 rows");
}

enum { BATCH = 4, MAX_Z = 512, MAX_TOKENS = 3 * 256 };

typedef struct batch_out {
  float z[BATCH * MAX_Z];
  int32_t tokens[BATCH * MAX_TOKENS];
} batch_out;

static int same_row(const batch_out *batch, int row, const batch_out *single, size_t zs,
                    size_t seq_tokens, int compare_z) {
  return !memcmp(batch->tokens + row * seq_tokens, single->tokens, sizeof(int32_t) * seq_tokens) &&
         (!compare_z || !memcmp(batch->z + row * zs, single->z, sizeof(float) * zs));
}

/* op 0: decode at a temperature, 1: sample, 2: similar. */
static mvae_status run_op(mvae_model *m, int op, const float *z, int n, mvae_rng *rng,
                          batch_out *out) {
  mvae_decode_opts opts = {1.0f, rng, NULL, NULL};
  if (op == 0)
    return mvae_decode(m, z, n, &opts, out->tokens);
  if (op == 1)
    return mvae_sample(m, n, 1.0f, rng, out->z, out->tokens);
  return mvae_similar(m, z, n, 0.5f, 1.0f, rng, out->z, out->tokens);
}

static void test_model(test_counts *c, const char *file) {
  mvae_info info;
  mvae_model *m = test_expect_model(c, test_load_data_model(file), file, &info);
  if (!m)
    return;
  size_t zs = (size_t)info.z_size, seq_tokens = (size_t)info.num_tracks * info.num_steps;
  EXPECT(c, zs <= MAX_Z && seq_tokens <= MAX_TOKENS, "%s fits the test's buffers", file);
  if (zs > MAX_Z || seq_tokens > MAX_TOKENS) {
    mvae_model_free(m);
    return;
  }
  static batch_out batch, single, again;
  float z[BATCH * MAX_Z];
  mvae_rng rng;
  mvae_rng_seed(&rng, 1234);
  mvae_latent_sample(&rng, (int)zs, BATCH, z, NULL, 0);

  const char *names[] = {"decode", "sample", "similar"};
  for (int op = 0; op < 3; op++) {
    mvae_rng base, consecutive;
    mvae_rng_seed(&base, 77);
    EXPECT(c, run_op(m, op, z, BATCH, &base, &batch) == MVAE_OK, "%s %s batch", file, names[op]);
    /* Singles one after another with one rng: row b is the b-th call. */
    mvae_rng_seed(&consecutive, 77);
    int rows_differ = 0;
    for (int b = 0; b < BATCH; b++) {
      /* decode: row b's own z; similar: the same z around which the batch drew. */
      const float *zb = op == 0 ? z + b * zs : z;
      EXPECT(c, run_op(m, op, zb, 1, &consecutive, &single) == MVAE_OK, "%s %s single", file,
             names[op]);
      EXPECT(c, same_row(&batch, b, &single, zs, seq_tokens, op != 0),
             "%s %s: row %d of a batch of %d = the %d-th single call", file, names[op], b, BATCH,
             b + 1);
      /* A fresh rng skipped to row b gives the same. */
      mvae_rng fresh;
      mvae_rng_seed(&fresh, 77);
      mvae_rng_skip_rows(&fresh, (uint32_t)b);
      EXPECT(c,
             run_op(m, op, zb, 1, &fresh, &again) == MVAE_OK &&
                 same_row(&batch, b, &again, zs, seq_tokens, op != 0),
             "%s %s: row %d = a single call from the seed skipped %d rows", file, names[op], b, b);
      if (b > 0)
        rows_differ |=
            memcmp(batch.tokens, batch.tokens + b * seq_tokens, sizeof(int32_t) * seq_tokens) != 0;
    }
    EXPECT(c, rows_differ, "%s %s: rows draw different randoms", file, names[op]);
    EXPECT(c, base.state == consecutive.state, "%s %s: the batch skips its rng %d rows", file,
           names[op], BATCH);
    /* A prefix of a batch is the smaller batch. */
    mvae_rng_seed(&base, 77);
    EXPECT(c,
           run_op(m, op, z, 2, &base, &single) == MVAE_OK &&
               !memcmp(single.tokens, batch.tokens, sizeof(int32_t) * 2 * seq_tokens),
           "%s %s: a batch of 2 = the first 2 rows of a batch of 4", file, names[op]);
  }

  /* The batched grid and interpolation = their latent vectors decoded. */
  float corners[4 * MAX_Z], grid_z[6 * MAX_Z], made_z[6 * MAX_Z];
  static int32_t grid_tokens[6 * MAX_TOKENS], made_tokens[6 * MAX_TOKENS];
  memcpy(corners, z, sizeof(float) * 4 * zs);
  for (int method = 0; method < 2; method++) {
    mvae_rng r1, r2;
    mvae_rng_seed(&r1, 5);
    mvae_rng_seed(&r2, 5);
    mvae_decode_opts o1 = {0.7f, &r1, NULL, NULL}, o2 = {0.7f, &r2, NULL, NULL};
    EXPECT(c,
           mvae_decode_grid(m, corners, 3, 2, (mvae_interp)method, &o1, grid_z, grid_tokens) ==
               MVAE_OK,
           "%s decode grid", file);
    mvae_latent_grid(corners, (int)zs, 3, 2, (mvae_interp)method, made_z, NULL, 0);
    mvae_decode(m, made_z, 6, &o2, made_tokens);
    EXPECT(c,
           !memcmp(grid_z, made_z, sizeof(float) * 6 * zs) &&
               !memcmp(grid_tokens, made_tokens, sizeof(int32_t) * 6 * seq_tokens) &&
               r1.state == r2.state,
           "%s: decode grid (method %d) = mvae_latent_grid + mvae_decode", file, method);
    EXPECT(c,
           mvae_decode_interpolation(m, z, z + zs, 5, (mvae_interp)method, &o1, NULL,
                                     grid_tokens) == MVAE_OK,
           "%s decode interpolation", file);
    mvae_latent_interpolate(z, z + zs, (int)zs, 5, (mvae_interp)method, made_z, NULL, 0);
    mvae_decode(m, made_z, 5, &o2, made_tokens);
    EXPECT(c, !memcmp(grid_tokens, made_tokens, sizeof(int32_t) * 5 * seq_tokens),
           "%s: decode interpolation (method %d) = mvae_latent_interpolate + mvae_decode", file,
           method);
  }
  EXPECT(c,
         mvae_decode_grid(m, corners, 0, 2, MVAE_INTERP_LINEAR, NULL, NULL, grid_tokens) ==
                 MVAE_ERR_INVALID_ARGUMENT &&
             mvae_last_error(m)[0] != '\0',
         "%s: an empty grid is refused with a message", file);
  EXPECT(c,
         mvae_decode_grid(m, corners, 2, 2, (mvae_interp)7, NULL, NULL, grid_tokens) ==
                 MVAE_ERR_INVALID_ARGUMENT &&
             strstr(mvae_last_error(m), "method") != NULL,
         "%s: an unknown method is refused, the latent call's message kept", file);
  EXPECT(c,
         mvae_decode_interpolation(m, z, NULL, 3, MVAE_INTERP_LINEAR, NULL, NULL, grid_tokens) ==
             MVAE_ERR_INVALID_ARGUMENT,
         "%s: a NULL end is refused", file);
  mvae_model_free(m);
}

static void test_latent_sample(test_counts *c) {
  float z[3 * 8], row2[8];
  mvae_rng rng, fresh;
  mvae_rng_seed(&rng, 42);
  EXPECT(c, mvae_latent_sample(&rng, 8, 3, z, NULL, 0) == MVAE_OK, "latent sample");
  mvae_rng_seed(&fresh, 42);
  mvae_rng_skip_rows(&fresh, 2);
  for (int d = 0; d < 8; d++)
    row2[d] = (float)mvae_rng_normal(&fresh);
  EXPECT(c, !memcmp(z + 16, row2, sizeof row2), "latent sample row 2 = normals of row 2's stream");
  char err[128];
  EXPECT(c,
         mvae_latent_sample(&rng, 0, 3, z, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT &&
             err[0] != '\0',
         "z_size 0 refused with a message");
  EXPECT(c, mvae_latent_sample(&rng, 8, 0, z, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT,
         "0 points refused");
  EXPECT(c, mvae_latent_sample(NULL, 8, 1, z, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT,
         "NULL rng refused");
}

int main(void) {
  test_counts c = {0, 0};
  test_advance(&c);
  test_latent_sample(&c);
  static const char *const files[] = {"flat_small.mvae", "flat_small_q8.mvae", "hier_mel.mvae",
                                      "hier_trio.mvae"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    test_model(&c, files[i]);
  return test_report("test_rows", &c);
}
