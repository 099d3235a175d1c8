/* test_isa.c: one binary holds every kernel set the compiler builds and picks one at run time.
 * Every set this CPU runs must give the scalar set's bits on every test model: encode (mu, sigma),
 * greedy decode with logits, sampling, refinement. Also: the set MVAE_KERNELS names is the one a
 * model loads with (ctest runs this test again under MVAE_KERNELS=scalar and =sse2), and unknown
 * names are refused. */
#include "test_util.h"

#include <string.h>

enum { BATCH = 3, REFINE_STEPS = 3 };

typedef struct outputs {
  float *mu, *sigma, *logits, *z, *refined;
  int32_t *greedy, *sampled;
  size_t n_z, n_tokens, n_logits;
} outputs;

static void outputs_free(outputs *o) {
  free(o->mu);
  free(o->sigma);
  free(o->logits);
  free(o->z);
  free(o->refined);
  free(o->greedy);
  free(o->sampled);
}

/* Runs every call on the model's current kernel set. */
static int run_all(mvae_model *m, const mvae_info *info, const float *input, outputs *o) {
  size_t logit_width = 0;
  for (int t = 0; t < info->num_tracks; t++)
    logit_width += (size_t)info->output_depths[t];
  o->n_z = (size_t)BATCH * info->z_size;
  o->n_tokens = (size_t)BATCH * info->num_tracks * info->num_steps;
  o->n_logits = (size_t)BATCH * info->num_steps * logit_width;
  o->mu = calloc(o->n_z, sizeof(float));
  o->sigma = calloc(o->n_z, sizeof(float));
  o->z = calloc(o->n_z, sizeof(float));
  o->refined = calloc(o->n_z, sizeof(float));
  o->logits = calloc(o->n_logits, sizeof(float));
  o->greedy = calloc(o->n_tokens, sizeof(int32_t));
  o->sampled = calloc(o->n_tokens, sizeof(int32_t));
  if (!o->mu || !o->sigma || !o->z || !o->refined || !o->logits || !o->greedy || !o->sampled)
    return 0;
  int ok = 1;
  mvae_rng rng;
  mvae_rng_seed(&rng, 31);
  ok &= mvae_sample(m, BATCH, 0.8f, &rng, o->z, o->sampled) == MVAE_OK;
  mvae_decode_opts opts = {0, NULL, NULL, o->logits};
  ok &= mvae_decode(m, o->z, BATCH, &opts, o->greedy) == MVAE_OK;
  if (info->has_encoder) {
    ok &= mvae_encode(m, input, BATCH, o->mu, info->has_sigma ? o->sigma : NULL) == MVAE_OK;
    mvae_refine_opts r;
    mvae_refine_opts_init(&r);
    r.steps = REFINE_STEPS;
    r.targets = o->sampled; /* the random input need not be valid tokens (trio) */
    ok &= mvae_encode_refined(m, input, BATCH, &r, o->refined) == MVAE_OK;
  } else {
    mvae_refine_opts r;
    mvae_refine_opts_init(&r);
    r.steps = REFINE_STEPS;
    r.z_init = o->z;
    r.targets = o->sampled;
    ok &= mvae_encode_refined(m, NULL, BATCH, &r, o->refined) == MVAE_OK;
  }
  return ok;
}

static int same_outputs(const outputs *a, const outputs *b) {
  return !memcmp(a->mu, b->mu, sizeof(float) * a->n_z) &&
         !memcmp(a->sigma, b->sigma, sizeof(float) * a->n_z) &&
         !memcmp(a->z, b->z, sizeof(float) * a->n_z) &&
         !memcmp(a->refined, b->refined, sizeof(float) * a->n_z) &&
         !memcmp(a->logits, b->logits, sizeof(float) * a->n_logits) &&
         !memcmp(a->greedy, b->greedy, sizeof(int32_t) * a->n_tokens) &&
         !memcmp(a->sampled, b->sampled, sizeof(int32_t) * a->n_tokens);
}

static void test_model(test_counts *c, const char *file) {
  mvae_info info;
  mvae_model *m = test_expect_model(c, test_load_data_model(file), file, &info);
  if (!m)
    return;
  /* Encoder input: a random one-hot (or multi-hot) pattern per step, the same for every set. */
  size_t n_in = (size_t)BATCH * info.num_steps * info.input_depth;
  float *input = calloc(n_in, sizeof(float));
  mvae_rng rng;
  mvae_rng_seed(&rng, 5);
  for (size_t s = 0; s < (size_t)BATCH * info.num_steps; s++)
    input[s * info.input_depth + mvae_rng_u32(&rng) % (uint32_t)info.input_depth] = 1.0f;

  outputs reference = {0};
  EXPECT(c, mvae_model_set_kernels(m, "scalar") == MVAE_OK, "%s: scalar set", file);
  EXPECT(c, run_all(m, &info, input, &reference), "%s: every call runs on scalar", file);
  for (int k = 1; mvae_kernel_set_name(k); k++) {
    const char *name = mvae_kernel_set_name(k);
    EXPECT(c, mvae_model_set_kernels(m, name) == MVAE_OK, "%s: set %s", file, name);
    mvae_info now;
    mvae_model_info(m, &now);
    EXPECT(c, !strcmp(now.kernels, name) && !strcmp(now.activations, name),
           "%s: info names the set %s", file, name);
    outputs o = {0};
    EXPECT(c, run_all(m, &info, input, &o), "%s: every call runs on %s", file, name);
    EXPECT(c, same_outputs(&reference, &o),
           "%s: %s gives the scalar bits (mu, sigma, logits, tokens, samples, refined z)", file,
           name);
    outputs_free(&o);
  }
  outputs_free(&reference);
  free(input);
  mvae_model_free(m);
}

int main(void) {
  test_counts c = {0, 0};
  EXPECT(&c, mvae_kernel_set_name(0) && !strcmp(mvae_kernel_set_name(0), "scalar"),
         "the scalar set is listed first");
  EXPECT(&c, mvae_kernel_set_name(-1) == NULL && mvae_kernel_set_name(64) == NULL,
         "out of range is NULL");
  printf("kernel sets here:");
  for (int k = 0; mvae_kernel_set_name(k); k++)
    printf(" %s", mvae_kernel_set_name(k));
  printf("\n");

  mvae_model *m = test_load_data_model("flat_small.mvae");
  EXPECT(&c, m != NULL, "flat_small loads");
  if (m) {
    mvae_info info;
    mvae_model_info(m, &info);
    const char *forced = getenv("MVAE_KERNELS");
    if (forced && forced[0] && strcmp(forced, "auto")) {
      EXPECT(&c, !strcmp(info.kernels, forced), "MVAE_KERNELS=%s: the model runs %s", forced,
             info.kernels);
    } else {
      int last = 0;
      while (mvae_kernel_set_name(last + 1))
        last++;
      /* (a build configured with MVAE_SIMD=scalar defaults to scalar) */
      EXPECT(
          &c, !strcmp(info.kernels, mvae_kernel_set_name(last)) || !strcmp(info.kernels, "scalar"),
          "by default the widest set (%s) runs, not %s", mvae_kernel_set_name(last), info.kernels);
    }
    printf("loaded with %s\n", info.kernels);
    const char *before = info.kernels;
    EXPECT(&c,
           mvae_model_set_kernels(m, "avx9000") == MVAE_ERR_UNSUPPORTED &&
               strstr(mvae_last_error(m), "avx9000"),
           "an unknown set is refused by name");
    mvae_model_info(m, &info);
    EXPECT(&c, !strcmp(info.kernels, before), "a refused switch keeps the set");
    mvae_model_free(m);
  }
  const char *models[] = {"flat_small.mvae", "flat_small_q8.mvae", "flat_2layer_enc.mvae",
                          "hier_mel.mvae",   "hier_trio.mvae",     "no_encoder.mvae"};
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
    test_model(&c, models[i]);
  return test_report("test_isa", &c);
}
