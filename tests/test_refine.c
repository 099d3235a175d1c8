/* test_refine.c: refinement at encode time (mvae_decoder_loss, mvae_encode_refined).
 *
 * Independent references: the decoder's own teacher-forced logits (mvae_decode) for the forward
 * pass, central finite differences of the loss for the gradient (training/test_refine.py checks
 * it against PyTorch autograd to 1e-4), and the test vectors' source melodies
 * (../shared/testvectors) for what refinement is for: greedy decodes of the refined z reproduce
 * their sources better than mu's. */
#include "nn/refine.h"
#include "notes/convert.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

#define MODEL MVAE_SOURCE_DIR "/models/mel_2bar_small.mvae"
#define DEPTH 90

/* The first n test vectors' sources as one-hot inputs and as targets. */
static void sources(const tv_case *cases, int n, float *inputs, int32_t *targets) {
  memset(inputs, 0, sizeof(float) * (size_t)n * TV_STEPS * DEPTH);
  for (int i = 0; i < n; i++)
    for (int t = 0; t < TV_STEPS; t++) {
      int e = cases[i].source_events[t];
      inputs[((size_t)i * TV_STEPS + t) * DEPTH + e] = 1.0f;
      targets[i * TV_STEPS + t] = e;
    }
}

/* Greedy decodes of z that equal the sources, counted in steps. */
static long reproduced_steps(mvae_model *m, const float *z, const int32_t *targets, int n) {
  int32_t *tokens = malloc(sizeof(int32_t) * (size_t)n * TV_STEPS);
  long same = 0;
  if (tokens && mvae_decode(m, z, n, NULL, tokens) == MVAE_OK)
    for (int i = 0; i < n * TV_STEPS; i++)
      same += tokens[i] == targets[i];
  free(tokens);
  return same;
}

static void test_arguments(test_counts *c, mvae_model *m, const float *inputs,
                           const int32_t *targets, const float *mu) {
  float z[2 * TV_Z], loss[2];
  mvae_refine_opts o;
  mvae_refine_opts_init(&o);
  o.steps = 5;
  EXPECT(c, mvae_encode_refined(NULL, inputs, 1, &o, z) == MVAE_ERR_INVALID_ARGUMENT, "NULL model");
  EXPECT(c, mvae_encode_refined(m, inputs, 1, &o, NULL) == MVAE_ERR_INVALID_ARGUMENT, "NULL z_out");
  EXPECT(c, mvae_encode_refined(m, inputs, 0, &o, z) == MVAE_ERR_INVALID_ARGUMENT, "batch 0");
  EXPECT(c, mvae_encode_refined(m, inputs, MVAE_MAX_BATCH + 1, &o, z) == MVAE_ERR_INVALID_ARGUMENT,
         "batch over the maximum");
  EXPECT(c, strstr(mvae_last_error(m), "batch") != NULL, "the message names the batch: %s",
         mvae_last_error(m));
  EXPECT(c, mvae_encode_refined(m, NULL, 1, &o, z) == MVAE_ERR_INVALID_ARGUMENT,
         "NULL inputs without z_init and targets");

  mvae_refine_opts bad = o;
  bad.steps = -1;
  EXPECT(c, mvae_encode_refined(m, inputs, 1, &bad, z) == MVAE_ERR_INVALID_ARGUMENT, "steps -1");
  bad.steps = MVAE_REFINE_MAX_STEPS + 1;
  EXPECT(c, mvae_encode_refined(m, inputs, 1, &bad, z) == MVAE_ERR_INVALID_ARGUMENT, "too many");
  bad = o;
  bad.learning_rate = NAN;
  EXPECT(c, mvae_encode_refined(m, inputs, 1, &bad, z) == MVAE_ERR_INVALID_ARGUMENT, "NaN rate");
  bad.learning_rate = -0.1f;
  EXPECT(c, mvae_encode_refined(m, inputs, 1, &bad, z) == MVAE_ERR_INVALID_ARGUMENT, "rate < 0");
  bad.learning_rate = 0.0f;
  EXPECT(c, mvae_encode_refined(m, inputs, 1, &bad, z) == MVAE_ERR_INVALID_ARGUMENT, "rate 0");
  bad = o;
  bad.time_budget_ms = -1;
  EXPECT(c, mvae_encode_refined(m, inputs, 1, &bad, z) == MVAE_ERR_INVALID_ARGUMENT, "budget < 0");
  bad = o;
  bad.prior_weight = INFINITY;
  EXPECT(c, mvae_encode_refined(m, inputs, 1, &bad, z) == MVAE_ERR_INVALID_ARGUMENT, "inf prior");

  float *x = malloc(sizeof(float) * TV_STEPS * DEPTH);
  memcpy(x, inputs, sizeof(float) * TV_STEPS * DEPTH);
  x[3 * DEPTH + 7] = 1.0f; /* a second hot class at step 3 (unless it already was the hot one) */
  x[3 * DEPTH + 8] = 1.0f;
  EXPECT(c, mvae_encode_refined(m, x, 1, &o, z) == MVAE_ERR_BAD_INPUT, "two-hot step refused");
  EXPECT(c, strstr(mvae_last_error(m), "step 3") != NULL, "the message names the step: %s",
         mvae_last_error(m));
  memcpy(x, inputs, sizeof(float) * TV_STEPS * DEPTH);
  memset(x + 5 * DEPTH, 0, sizeof(float) * DEPTH);
  EXPECT(c, mvae_encode_refined(m, x, 1, &o, z) == MVAE_ERR_BAD_INPUT, "all-zero step refused");
  memcpy(x, inputs, sizeof(float) * TV_STEPS * DEPTH);
  x[10] = NAN;
  EXPECT(c, mvae_encode_refined(m, x, 1, &o, z) == MVAE_ERR_INVALID_ARGUMENT, "NaN input");
  free(x);

  int32_t t[TV_STEPS];
  memcpy(t, targets, sizeof t);
  t[31] = DEPTH;
  mvae_refine_opts with_targets = o;
  with_targets.targets = t;
  EXPECT(c, mvae_encode_refined(m, inputs, 1, &with_targets, z) == MVAE_ERR_INVALID_ARGUMENT,
         "target out of range");
  EXPECT(c, mvae_decoder_loss(m, mu, t, 1, loss, NULL) == MVAE_ERR_INVALID_ARGUMENT,
         "loss: target out of range");
  float nan_z[TV_Z];
  memcpy(nan_z, mu, sizeof nan_z);
  nan_z[100] = NAN;
  EXPECT(c, mvae_decoder_loss(m, nan_z, targets, 1, loss, NULL) == MVAE_ERR_INVALID_ARGUMENT,
         "loss: NaN z");
  mvae_refine_opts nan_start = o;
  nan_start.z_init = nan_z;
  EXPECT(c, mvae_encode_refined(m, inputs, 1, &nan_start, z) == MVAE_ERR_INVALID_ARGUMENT,
         "NaN z_init");
  EXPECT(c, mvae_decoder_loss(m, mu, targets, 1, NULL, NULL) == MVAE_ERR_INVALID_ARGUMENT,
         "loss: NULL loss");
  EXPECT(c, mvae_decoder_loss(m, mu, targets, 0, loss, NULL) == MVAE_ERR_INVALID_ARGUMENT,
         "loss: batch 0");

  /* Zero steps return the start; z_init and targets alone (no inputs) are enough. */
  mvae_refine_opts none = o;
  none.steps = 0;
  none.z_init = mu;
  none.targets = targets;
  none.loss = loss;
  int done = -1;
  none.steps_done = &done;
  EXPECT(c,
         mvae_encode_refined(m, NULL, 1, &none, z) == MVAE_OK && done == 0 &&
             memcmp(z, mu, sizeof(float) * TV_Z) == 0,
         "0 steps from z_init: z_init itself");
}

/* The forward pass is the decoder's, bit for bit; the gradient matches central differences. */
static void test_forward_and_gradient(test_counts *c, mvae_model *m, const float *mu,
                                      const int32_t *targets) {
  enum { N = 3 };
  float *logits = malloc(sizeof(float) * N * TV_STEPS * DEPTH);
  float *want = malloc(sizeof(float) * N * TV_STEPS * DEPTH);
  int32_t tokens[N * TV_STEPS];
  float loss[N], grad[N * TV_Z];
  mvae_refiner *r = refiner_create(m, 2); /* 2: the batch of 3 runs in two chunks */
  EXPECT(c, r != NULL, "refiner created");
  if (!r || !logits || !want)
    goto done;
  refiner_loss_grad(r, mu, targets, N, loss, grad, logits);
  mvae_decode_opts tf = {0, NULL, targets, want};
  EXPECT(c, mvae_decode(m, mu, N, &tf, tokens) == MVAE_OK, "teacher-forced decode");
  EXPECT(c, memcmp(logits, want, sizeof(float) * N * TV_STEPS * DEPTH) == 0,
         "refiner's logits are the decoder's teacher-forced logits, bit for bit");

  float api_loss[N], api_grad[N * TV_Z];
  EXPECT(c,
         mvae_decoder_loss(m, mu, targets, N, api_loss, api_grad) == MVAE_OK &&
             memcmp(api_loss, loss, sizeof loss) == 0 && memcmp(api_grad, grad, sizeof grad) == 0,
         "mvae_decoder_loss: the same numbers whatever the chunking");

  /* Cross-entropy from the decoder's logits, in double. */
  for (int b = 0; b < N; b++) {
    double total = 0;
    for (int t = 0; t < TV_STEPS; t++) {
      const float *x = want + ((size_t)b * TV_STEPS + t) * DEPTH;
      double sum = 0;
      for (int k = 0; k < DEPTH; k++)
        sum += exp((double)x[k]);
      total += log(sum) - x[targets[b * TV_STEPS + t]];
    }
    EXPECT(c, fabs(loss[b] - total) <= 1e-5 * fabs(total) + 1e-6, "loss %d: %g vs %g", b,
           (double)loss[b], total);
  }

  /* Central differences along the largest gradient coordinates of sequence 1, whose loss is
   * large enough for float differences to resolve. */
  const int b = 1;
  for (int pick = 0; pick < 4; pick++) {
    int k = 0;
    for (int i = 1; i < TV_Z; i++)
      if (fabsf(grad[b * TV_Z + i]) > fabsf(grad[b * TV_Z + k]))
        k = i;
    float g = grad[b * TV_Z + k], zp[TV_Z], zm[TV_Z], lp, lm;
    double h = 1e-2;
    memcpy(zp, mu + b * TV_Z, sizeof zp);
    memcpy(zm, mu + b * TV_Z, sizeof zm);
    zp[k] += (float)h;
    zm[k] -= (float)h;
    refiner_loss_grad(r, zp, targets + b * TV_STEPS, 1, &lp, NULL, NULL);
    refiner_loss_grad(r, zm, targets + b * TV_STEPS, 1, &lm, NULL, NULL);
    double fd = ((double)lp - lm) / ((double)zp[k] - zm[k]);
    EXPECT(c, fabs(fd - g) <= 0.02 * fabs(g), "d loss / d z[%d] = %g, central difference %g", k,
           (double)g, fd);
    grad[b * TV_Z + k] = 0; /* next largest */
  }
done:
  refiner_free(r);
  free(logits);
  free(want);
}

static void test_refinement(test_counts *c, mvae_model *m, const tv_case *cases, int n) {
  float *inputs = malloc(sizeof(float) * (size_t)n * TV_STEPS * DEPTH);
  int32_t *targets = malloc(sizeof(int32_t) * (size_t)n * TV_STEPS);
  float *mu = malloc(sizeof(float) * (size_t)n * TV_Z);
  float *z = malloc(sizeof(float) * (size_t)n * TV_Z);
  float *again = malloc(sizeof(float) * (size_t)n * TV_Z);
  float *loss = malloc(sizeof(float) * n), *loss0 = malloc(sizeof(float) * n);
  if (!inputs || !targets || !mu || !z || !again || !loss || !loss0)
    goto done;
  sources(cases, n, inputs, targets);
  EXPECT(c, mvae_encode(m, inputs, n, mu, NULL) == MVAE_OK, "encode");
  int done = 0;
  mvae_refine_opts o;
  mvae_refine_opts_init(&o); /* the defaults: 30 steps */
  o.loss = loss;
  o.loss_start = loss0;
  o.steps_done = &done;
  EXPECT(c, mvae_encode_refined(m, inputs, n, NULL, again) == MVAE_OK, "refine with NULL opts");
  EXPECT(c, mvae_encode_refined(m, inputs, n, &o, z) == MVAE_OK, "refine %d melodies: %s", n,
         mvae_last_error(m));
  EXPECT(c, memcmp(z, again, sizeof(float) * (size_t)n * TV_Z) == 0,
         "NULL opts are the defaults (and the same inputs give the same z)");
  EXPECT(c, done == 30, "30 steps taken (%d)", done);

  double sum0 = 0, sum = 0;
  for (int i = 0; i < n; i++) {
    sum0 += loss0[i];
    sum += loss[i];
  }
  EXPECT(c, sum < 0.5 * sum0, "mean loss %.3f -> %.3f nats", sum0 / n, sum / n);
  float check_loss[1];
  mvae_decoder_loss(m, z + TV_Z, targets + TV_STEPS, 1, check_loss, NULL);
  EXPECT(c, check_loss[0] == loss[1], "opts->loss is the returned z's loss");

  long plain = reproduced_steps(m, mu, targets, n), refined = reproduced_steps(m, z, targets, n);
  double total = (double)n * TV_STEPS;
  printf("greedy reconstruction of %d sources: mu %.2f%%, refined (30 steps) %.2f%%\n", n,
         100 * plain / total, 100 * refined / total);
  EXPECT(c, refined > plain, "refined z reproduce more steps than mu (%ld vs %ld)", refined, plain);
  EXPECT(c, refined >= 0.99 * total, "refined reconstruction %.2f%% >= 99%%",
         100 * refined / total);

  /* Each melody's result is independent of the batch it came in. */
  int alone_same = 1;
  for (int i = 0; i < n; i += 17) {
    float one[TV_Z];
    mvae_refine_opts single;
    mvae_refine_opts_init(&single);
    alone_same &=
        mvae_encode_refined(m, inputs + (size_t)i * TV_STEPS * DEPTH, 1, &single, one) == MVAE_OK &&
        memcmp(one, z + (size_t)i * TV_Z, sizeof one) == 0;
  }
  EXPECT(c, alone_same, "a melody refined alone gets the same z as in a batch");

  /* A time budget stops early but keeps the result a deterministic function of the steps. */
  mvae_refine_opts quick = o;
  quick.steps = MVAE_REFINE_MAX_STEPS;
  quick.time_budget_ms = 1.0f;
  EXPECT(c, mvae_encode_refined(m, inputs, 2, &quick, again) == MVAE_OK, "time budget runs");
  EXPECT(c, done >= 1 && done < MVAE_REFINE_MAX_STEPS, "1 ms budget: %d steps", done);

  /* Without the prior the returned z never has a higher loss than mu: it is the lowest seen. */
  mvae_refine_opts no_prior = o;
  no_prior.prior_weight = 0.0f;
  EXPECT(c, mvae_encode_refined(m, inputs, 8, &no_prior, again) == MVAE_OK, "no prior runs");
  int worse = 0;
  for (int i = 0; i < 8; i++)
    worse += loss[i] > loss0[i];
  EXPECT(c, worse == 0, "no melody's loss rose (%d did)", worse);

  /* A strong prior pulls z towards 0. */
  mvae_refine_opts prior = o;
  prior.prior_weight = 100.0f;
  double norm_plain = 0, norm_prior = 0;
  EXPECT(c, mvae_encode_refined(m, inputs, 4, &prior, again) == MVAE_OK, "prior runs");
  for (int i = 0; i < 4 * TV_Z; i++) {
    norm_plain += (double)z[i] * z[i];
    norm_prior += (double)again[i] * again[i];
  }
  EXPECT(c, norm_prior < norm_plain, "a strong prior shrinks z (|z|^2 %.1f -> %.1f)", norm_plain,
         norm_prior);
done:
  free(inputs);
  free(targets);
  free(mu);
  free(z);
  free(again);
  free(loss);
  free(loss0);
}

static void test_other_models(test_counts *c, const float *inputs, const int32_t *targets,
                              const float *mu) {
  float z[TV_Z], loss, loss0;
  mvae_model *dec = test_load_model(MVAE_SOURCE_DIR "/build/magenta/mel_2bar_small_decoder.mvae");
  EXPECT(c, dec != NULL, "decoder-only model loads (models/build.sh makes it)");
  if (dec) {
    mvae_refine_opts o;
    mvae_refine_opts_init(&o);
    o.steps = 10;
    o.loss = &loss;
    o.loss_start = &loss0;
    EXPECT(c, mvae_encode_refined(dec, inputs, 1, &o, z) == MVAE_ERR_NO_ENCODER,
           "decoder-only model without z_init: no encoder");
    float zeros[TV_Z] = {0};
    o.z_init = zeros;
    EXPECT(c, mvae_encode_refined(dec, inputs, 1, &o, z) == MVAE_OK && loss < loss0,
           "decoder-only model refines from a given z (loss %g -> %g)", (double)loss0,
           (double)loss);
    o.z_init = mu;
    o.targets = targets;
    EXPECT(c, mvae_encode_refined(dec, NULL, 1, &o, z) == MVAE_OK, "z_init + targets, no inputs");
    mvae_model_free(dec);
  }
}

/* Hierarchical decoders (one track and the trio): the refiner's teacher-forced logits are the
 * decoder's, and refinement lowers the loss of a sequence the model decoded itself at T = 1
 * (its one-hot rows are the encoder input; training/test_refine.py checks the gradients). */
static void test_hierarchical(test_counts *c, const char *path) {
  mvae_info info;
  mvae_model *m = test_expect_model(c, test_load_model(path), path, &info);
  if (!m)
    return;
  enum { N = 2 };
  int T = info.num_steps, K = info.num_tracks, width = 0;
  for (int k = 0; k < K; k++)
    width += info.output_depths[k];
  float *z = calloc((size_t)N * info.z_size, sizeof(float));
  float *refined = calloc((size_t)N * info.z_size, sizeof(float));
  float *logits = calloc((size_t)N * T * width, sizeof(float));
  float *want = calloc((size_t)N * T * width, sizeof(float));
  float *inputs = calloc((size_t)N * T * info.input_depth, sizeof(float));
  int32_t *tokens = calloc((size_t)N * K * T, sizeof(int32_t));
  int32_t *chosen = calloc((size_t)N * K * T, sizeof(int32_t));
  mvae_refiner *r = refiner_create(m, 1); /* N = 2 runs in two chunks */
  if (!z || !refined || !logits || !want || !inputs || !tokens || !chosen || !r)
    goto done;
  mvae_rng rng;
  mvae_rng_seed(&rng, 5);
  EXPECT(c, mvae_sample(m, N, 1.0f, &rng, z, tokens) == MVAE_OK, "sample");
  float loss[N], grad[N * 512];
  refiner_loss_grad(r, z, tokens, N, loss, info.z_size <= 512 ? grad : NULL, logits);
  mvae_decode_opts tf = {0, NULL, tokens, want};
  EXPECT(c, mvae_decode(m, z, N, &tf, chosen) == MVAE_OK, "teacher-forced decode");
  EXPECT(c, memcmp(logits, want, sizeof(float) * (size_t)N * T * width) == 0,
         "%s: refiner's logits are the decoder's teacher-forced logits, bit for bit", info.name);

  /* From mu of the sequence itself (or, for inputs that are not one-hot, from its z), five steps
   * lower its loss. */
  for (int b = 0; b < N; b++)
    for (int t = 0; t < T; t++)
      for (int k = 0, offset = 0; k < K; offset += info.output_depths[k], k++)
        inputs[((size_t)b * T + t) * info.input_depth + offset + tokens[(b * K + k) * T + t]] = 1;
  mvae_refine_opts o;
  mvae_refine_opts_init(&o);
  o.steps = 5;
  float loss0[N];
  o.loss = loss;
  o.loss_start = loss0;
  mvae_status status =
      mvae_encode_refined(m, info.input_depth == width ? inputs : NULL, N, &o, refined);
  if (info.input_depth != width) { /* not one-hot: targets and a start are needed */
    o.targets = tokens;
    o.z_init = z;
    status = mvae_encode_refined(m, NULL, N, &o, refined);
  }
  EXPECT(c, status == MVAE_OK, "%s: refine runs: %s", info.name, mvae_last_error(m));
  EXPECT(c, loss[0] < loss0[0] && loss[1] < loss0[1], "%s: loss %g -> %g, %g -> %g", info.name,
         (double)loss0[0], (double)loss[0], (double)loss0[1], (double)loss[1]);
done:
  refiner_free(r);
  free(z);
  free(refined);
  free(logits);
  free(want);
  free(inputs);
  free(tokens);
  free(chosen);
  mvae_model_free(m);
}

/* Drums with the drum-roll encoder input: the roll names no tokens, so targets must be given. */
static void test_drum_roll(test_counts *c) {
  mvae_info info;
  mvae_model *m = test_expect_model(
      c, test_load_model(MVAE_SOURCE_DIR "/models/drums_2bar_small.q8.mvae"), "drums model", &info);
  if (!m)
    return;
  float *roll = calloc((size_t)info.num_steps * info.input_depth, sizeof(float));
  float *z = calloc((size_t)info.z_size, sizeof(float));
  int32_t *tokens = calloc((size_t)info.num_steps, sizeof(int32_t));
  if (roll && z && tokens) {
    for (int t = 0; t < info.num_steps; t++) {
      tokens[t] = t % 4 == 0 ? 1 : 0; /* a kick on every beat; the roll's last column: no hit */
      roll[(size_t)t * info.input_depth + (t % 4 == 0 ? 0 : MVAE_DRUM_CLASSES)] = 1.0f;
    }
    EXPECT(c, mvae_encode_refined(m, roll, 1, NULL, z) == MVAE_ERR_INVALID_ARGUMENT,
           "drum roll without targets refused");
    EXPECT(c, strstr(mvae_last_error(m), "opts->targets") != NULL, "and says what to pass: %s",
           mvae_last_error(m));
    mvae_refine_opts o;
    mvae_refine_opts_init(&o);
    float loss, loss0;
    o.steps = 5;
    o.targets = tokens;
    o.loss = &loss;
    o.loss_start = &loss0;
    EXPECT(c, mvae_encode_refined(m, roll, 1, &o, z) == MVAE_OK && loss < loss0,
           "drum roll with targets: loss %g -> %g", (double)loss0, (double)loss);
  }
  free(roll);
  free(z);
  free(tokens);
  mvae_model_free(m);
}

int main(void) {
  test_counts c = {0, 0};
  tv_case *cases = NULL;
  int n = tv_load(MVAE_SHARED_DIR "/testvectors/mel_2bar_small_decode.json", &cases);
  EXPECT(&c, n == 539, "read 539 test vectors from shared/ (got %d)", n);
  mvae_model *m = test_load_model(MODEL);
  EXPECT(&c, m != NULL, "fp32 model loads (bash scripts/build.sh makes it)");
  if (m && n >= 64) {
    enum { FEW = 4 };
    float inputs[FEW * TV_STEPS * DEPTH], mu[FEW * TV_Z];
    int32_t targets[FEW * TV_STEPS];
    sources(cases, FEW, inputs, targets);
    mvae_encode(m, inputs, FEW, mu, NULL);
    test_arguments(&c, m, inputs, targets, mu);
    test_forward_and_gradient(&c, m, mu, targets);
    test_other_models(&c, inputs, targets, mu);
    test_hierarchical(&c, MVAE_SOURCE_DIR "/models/hierdec_mel_16bar_small.q8.mvae");
    test_hierarchical(&c, MVAE_SOURCE_DIR "/models/hierdec_trio_16bar_small.q8.mvae");
    test_drum_roll(&c);
    /* 64 sources: a batch of two chunks, and under ASan still quick. */
    test_refinement(&c, m, cases, 64);
  }
  mvae_model_free(m);
  free(cases);
  return test_report("test_refine", &c);
}
