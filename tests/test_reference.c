/* test_reference.c: the engine against the independent float64 NumPy implementation
 * (tests/reference/mvae_ref.py), on small random models of every architecture: flat and
 * hierarchical decoders, one and three tracks, 1- and 2-layer and hierarchical encoders, q8
 * weights, a NADE output layer (its logits: the log-probability of every label set), per-step
 * chord controls on flat and hierarchical decoders. Expected values were written by
 * tests/reference/make_cases.py into tests/data/. */
#include "test_util.h"

#include <math.h>
#include <string.h>

typedef struct expect_entry {
  char key[32];
  int count;
  double *values;
} expect_entry;

typedef struct expect_file {
  expect_entry entries[16];
  int n;
} expect_file;

static int read_expect(const char *path, expect_file *e) {
  FILE *f = fopen(path, "r");
  memset(e, 0, sizeof *e);
  if (!f)
    return 0;
  while (e->n < 16) {
    expect_entry *x = &e->entries[e->n];
    if (fscanf(f, "%31s %d", x->key, &x->count) != 2 || x->count < 0)
      break;
    x->values = malloc(sizeof(double) * (x->count ? x->count : 1));
    for (int i = 0; i < x->count; i++)
      if (fscanf(f, "%lf", &x->values[i]) != 1)
        x->count = i;
    e->n++;
  }
  fclose(f);
  return e->n > 0;
}

static const expect_entry *entry(const expect_file *e, const char *key) {
  for (int i = 0; i < e->n; i++)
    if (!strcmp(e->entries[i].key, key))
      return &e->entries[i];
  return NULL;
}

static void free_expect(expect_file *e) {
  for (int i = 0; i < e->n; i++)
    free(e->entries[i].values);
}

/* max |got - want| relative to max |want| (the scale of the whole array). */
static double relative_error(const float *got, const double *want, int n) {
  double diff = 0, scale = 1e-30;
  for (int i = 0; i < n; i++) {
    double d = fabs(got[i] - want[i]);
    if (!(d <= diff)) /* also catches NaN */
      diff = d;
    if (fabs(want[i]) > scale)
      scale = fabs(want[i]);
  }
  return diff / scale;
}

static float *to_floats(const expect_entry *x) {
  float *f = malloc(sizeof(float) * (x->count ? x->count : 1));
  for (int i = 0; i < x->count; i++)
    f[i] = (float)x->values[i];
  return f;
}

static void check_case(const char *name, int integer, test_counts *c) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/%s.mvae", MVAE_SOURCE_DIR, name);
  mvae_model *m = test_load_model(path);
  if (m)
    mvae_model_set_int8_compute(m, integer);
  snprintf(path, sizeof path, "%s/tests/data/%s.expect", MVAE_SOURCE_DIR, name);
  expect_file e;
  int have_expect = read_expect(path, &e);
  EXPECT(c, m && have_expect, "%s: model and expected values load", name);
  if (!m || !have_expect) {
    mvae_model_free(m);
    return;
  }
  mvae_info info;
  mvae_model_info(m, &info);
  int batch = (int)entry(&e, "batch")->values[0];
  int logit_width = 0;
  for (int t = 0; t < info.num_tracks; t++)
    logit_width += info.output_depths[t];
  size_t n_tokens = (size_t)batch * info.num_tracks * info.num_steps;
  size_t n_logits = (size_t)batch * info.num_steps * logit_width;
  /* Conditioned cases: one control sequence per row. */
  const expect_entry *controls_want = entry(&e, "controls");
  float *control_values = controls_want ? to_floats(controls_want) : NULL;
  mvae_controls controls = {control_values, 1};
  mvae_decode_extra extra = {controls_want ? &controls : NULL, 0, NULL};
  size_t seq_controls = (size_t)info.num_steps * info.control_depth;
  EXPECT(c, (controls_want != NULL) == (info.control_depth > 0),
         "%s: controls given exactly when the model is conditioned", name);

  const expect_entry *mu_want = entry(&e, "mu");
  if (mu_want) {
    float *input = to_floats(entry(&e, "input"));
    float *mu = malloc(sizeof(float) * batch * info.z_size);
    float *sigma = malloc(sizeof(float) * batch * info.z_size);
    mvae_status st = mvae_encode_with(m, input, batch, extra.controls, mu, sigma);
    EXPECT(c, st == MVAE_OK, "%s: encode: %s", name, mvae_last_error(m));
    double err_mu = relative_error(mu, mu_want->values, batch * info.z_size);
    double err_sigma = relative_error(sigma, entry(&e, "sigma")->values, batch * info.z_size);
    EXPECT(c, err_mu < 1e-5, "%s: mu relative error %.3g", name, err_mu);
    EXPECT(c, err_sigma < 1e-5, "%s: sigma relative error %.3g", name, err_sigma);
    free(input);
    free(mu);
    free(sigma);
  } else {
    float x[1] = {0}, mu[1];
    EXPECT(c, mvae_encode(m, x, 1, mu, NULL) == MVAE_ERR_NO_ENCODER,
           "%s: encode without encoder is refused", name);
  }

  float *z = to_floats(entry(&e, "z"));
  int32_t *tokens = malloc(sizeof(int32_t) * n_tokens);
  int32_t *teacher = malloc(sizeof(int32_t) * n_tokens);
  float *logits = malloc(sizeof(float) * n_logits);
  mvae_decode_opts opts = {0, NULL, NULL, logits};
  mvae_status st = mvae_decode_with(m, z, batch, &opts, &extra, tokens);
  EXPECT(c, st == MVAE_OK, "%s: decode: %s", name, mvae_last_error(m));
  const expect_entry *greedy = entry(&e, "greedy_tokens");
  int token_mismatch = 0;
  for (size_t i = 0; i < n_tokens; i++)
    token_mismatch += tokens[i] != (int32_t)greedy->values[i];
  EXPECT(c, token_mismatch == 0, "%s: %d greedy tokens differ", name, token_mismatch);
  double err = relative_error(logits, entry(&e, "greedy_logits")->values, (int)n_logits);
  EXPECT(c, err < 1e-4, "%s: greedy logits relative error %.3g", name, err);

  /* (GrooVAE cases have none: their decoders feed back values, not tokens.) */
  const expect_entry *teacher_want = entry(&e, "teacher_tokens");
  if (teacher_want) {
    for (size_t i = 0; i < n_tokens; i++)
      teacher[i] = (int32_t)teacher_want->values[i];
    opts.teacher = teacher;
    st = mvae_decode_with(m, z, batch, &opts, &extra, tokens);
    EXPECT(c, st == MVAE_OK, "%s: teacher-forced decode: %s", name, mvae_last_error(m));
    err = relative_error(logits, entry(&e, "teacher_logits")->values, (int)n_logits);
    EXPECT(c, err < 1e-4, "%s: teacher-forced logits relative error %.3g", name, err);
  }

  /* A sequence decodes to the same bits alone as in a batch. */
  opts.teacher = NULL;
  mvae_decode_with(m, z, batch, &opts, &extra, tokens);
  float *one = malloc(sizeof(float) * info.num_steps * logit_width);
  for (int b = 0; b < batch; b++) {
    int32_t *row_tokens = malloc(sizeof(int32_t) * info.num_tracks * info.num_steps);
    mvae_decode_opts single = {0, NULL, NULL, one};
    /* alone, its controls as the one sequence shared by the batch */
    mvae_controls row_controls = {control_values ? control_values + b * seq_controls : NULL, 0};
    mvae_decode_extra row_extra = {control_values ? &row_controls : NULL, 0, NULL};
    mvae_decode_with(m, z + (size_t)b * info.z_size, 1, &single, &row_extra, row_tokens);
    int same = !memcmp(one, logits + (size_t)b * info.num_steps * logit_width,
                       sizeof(float) * info.num_steps * logit_width) &&
               !memcmp(row_tokens, tokens + (size_t)b * info.num_tracks * info.num_steps,
                       sizeof(int32_t) * info.num_tracks * info.num_steps);
    EXPECT(c, same, "%s: row %d decodes identically alone and in a batch", name, b);
    free(row_tokens);
  }
  free(one);
  free(control_values);
  free(z);
  free(tokens);
  free(teacher);
  free(logits);
  free_expect(&e);
  mvae_model_free(m);
}

/* Teacher-forced logits and mu of a model on flat_small_q8's inputs (its reference's z, input and
 * teacher tokens); NULL model: not loaded. */
static int run_q8_inputs(mvae_model *m, const expect_file *e, float *logits, float *mu,
                         float *sigma) {
  if (!m)
    return 0;
  const expect_entry *tw = entry(e, "teacher_tokens");
  int batch = (int)entry(e, "batch")->values[0];
  int32_t *teacher = malloc(sizeof(int32_t) * (size_t)tw->count);
  for (int i = 0; i < tw->count; i++)
    teacher[i] = (int32_t)tw->values[i];
  float *z = to_floats(entry(e, "z")), *input = to_floats(entry(e, "input"));
  int32_t *tokens = malloc(sizeof(int32_t) * (size_t)tw->count);
  mvae_decode_opts opts = {0, NULL, teacher, logits};
  int ok = mvae_decode(m, z, batch, &opts, tokens) == MVAE_OK &&
           mvae_encode(m, input, batch, mu, sigma) == MVAE_OK;
  free(teacher);
  free(z);
  free(input);
  free(tokens);
  return ok;
}

/* Integer compute (the default for int8 models) rounds the int8 weights a second time (to one
 * scale per row and per column, src/nn/int8_compute.c) and the activations to int16, so it is
 * held to the int8 format's own error instead of 1e-4: a second rounding of the same step size
 * adds at most as much again, so against the float64 reference of the stored int8 weights its
 * error must stay within twice that of the fp32 weights themselves (the fp32 model, which matches
 * its own reference to 1e-4 above, on the same inputs). This random model is deliberately
 * sensitive (gates partly saturated); on Magenta's mel_2bar_small, test_testvectors checks the
 * tokens (539/539 exact). */
static void check_integer_compute(test_counts *c) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/flat_small_q8.expect", MVAE_SOURCE_DIR);
  expect_file e;
  int have = read_expect(path, &e);
  mvae_model *q8 = test_load_model(MVAE_SOURCE_DIR "/tests/data/flat_small_q8.mvae");
  mvae_model *fp32 = test_load_model(MVAE_SOURCE_DIR "/tests/data/flat_small.mvae");
  EXPECT(c, have && q8 && fp32, "integer compute: models and expected values load");
  if (have && q8 && fp32) {
    const expect_entry *lw = entry(&e, "teacher_logits"), *mw = entry(&e, "mu"),
                       *sw = entry(&e, "sigma");
    float *logits[2], *mu[2], *sigma[2];
    mvae_model *models[2] = {q8, fp32};
    for (int k = 0; k < 2; k++) {
      logits[k] = malloc(sizeof(float) * (size_t)lw->count);
      mu[k] = malloc(sizeof(float) * (size_t)mw->count);
      sigma[k] = malloc(sizeof(float) * (size_t)sw->count);
      EXPECT(c, run_q8_inputs(models[k], &e, logits[k], mu[k], sigma[k]), "integer compute: runs");
    }
    const double err[3] = {relative_error(logits[0], lw->values, lw->count),
                           relative_error(mu[0], mw->values, mw->count),
                           relative_error(sigma[0], sw->values, sw->count)};
    const double budget[3] = {relative_error(logits[1], lw->values, lw->count),
                              relative_error(mu[1], mw->values, mw->count),
                              relative_error(sigma[1], sw->values, sw->count)};
    const char *what[3] = {"teacher-forced logits", "mu", "sigma"};
    for (int k = 0; k < 3; k++) {
      EXPECT(c, err[k] <= 2 * budget[k],
             "integer compute: %s relative error %.3g > twice %.3g (fp32's)", what[k], err[k],
             budget[k]);
      printf("integer compute: %s relative error %.3g (the fp32 weights: %.3g)\n", what[k], err[k],
             budget[k]);
    }
    for (int k = 0; k < 2; k++) {
      free(logits[k]);
      free(mu[k]);
      free(sigma[k]);
    }
  }
  if (have)
    free_expect(&e);
  mvae_model_free(q8);
  mvae_model_free(fp32);
}

int main(void) {
  static const char *const cases[] = {
      "flat_small", "flat_small_q8", "flat_2layer_enc", "hier_mel",    "hier_trio",
      "no_encoder", "nade_drums",    "chords_mel",      "chords_hier", "hier_nade",
      "rhythm_mel", "rhythm_trio",   "controls_hier",   "groove",      "hier_groove"};
  test_counts c = {0, 0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    check_case(cases[i], 0, &c);
  check_integer_compute(&c);
  return test_report("test_reference", &c);
}
