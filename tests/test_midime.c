/* test_midime.c: MidiMe, the small VAE over a latent space (src/nn/midime.c).
 *
 * Independent references: central finite differences of the loss for every parameter's gradient;
 * Adam's first step, worked by hand (m_hat = g, v_hat = g^2, so each weight moves by
 * -lr g / (|g| + eps), about -lr sign(g)); magenta.js's layer sizes for the parameter count; and
 * every kernel set against the others for the bits. tests/js/midime_magenta.test.mjs compares
 * whole training curves with magenta.js's MidiMe. */
#include "nn/midime.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

/* A small network: input 6, latent 2, encoder [5, 4], decoder [3]. */
static mvae_midime *small(mvae_rng *rng, float beta) {
  mvae_midime_config c;
  mvae_midime_config_init(&c);
  c.input_size = 6;
  c.latent_size = 2;
  c.n_encoder_layers = 2;
  c.encoder_layers[0] = 5;
  c.encoder_layers[1] = 4;
  c.n_decoder_layers = 1;
  c.decoder_layers[0] = 3;
  c.beta = beta;
  mvae_midime *mm = NULL;
  mvae_midime_create(&c, rng, &mm, NULL, 0);
  return mm;
}

static void fill_normal(mvae_rng *rng, float *out, size_t n, double scale) {
  for (size_t i = 0; i < n; i++)
    out[i] = (float)(scale * mvae_rng_normal(rng));
}

static void test_config(test_counts *c) {
  mvae_midime_config cfg;
  mvae_midime_config_init(&cfg);
  mvae_rng rng;
  mvae_rng_seed(&rng, 1);
  mvae_midime *mm = NULL;
  char err[256];
  EXPECT(c, mvae_midime_create(&cfg, &rng, &mm, err, sizeof err) == MVAE_OK && mm, "defaults: %s",
         err);
  /* magenta.js's default layers: 256 -> 1024 -> 256 -> 64 -> (mu, sigma) 4 -> 64 -> 256 -> 1024
   * -> 256, kernel and bias each. */
  size_t expect = (256 * 1024 + 1024) + (1024 * 256 + 256) + (256 * 64 + 64) + 2 * (64 * 4 + 4) +
                  (4 * 64 + 64) + (64 * 256 + 256) + (256 * 1024 + 1024) + (1024 * 256 + 256);
  EXPECT(c, mvae_midime_param_count(mm) == expect, "param count %zu, expected %zu",
         mvae_midime_param_count(mm), expect);
  /* Glorot uniform: the first kernel within +-sqrt(6 / 1280), biases 0. */
  float *p = malloc(sizeof(float) * expect);
  int inside = p && mvae_midime_get_params(mm, p, expect) == MVAE_OK;
  double limit = sqrt(6.0 / 1280.0), sum2 = 0.0;
  for (size_t i = 0; inside && i < 256 * 1024; i++) {
    inside = fabs(p[i]) <= limit;
    sum2 += (double)p[i] * p[i];
  }
  EXPECT(c, inside, "glorot: a weight outside the limit");
  /* U(-l, l) has variance l^2 / 3. */
  EXPECT(c, fabs(sum2 / (256 * 1024) / (limit * limit / 3.0) - 1.0) < 0.02, "glorot variance");
  int zero_bias = 1;
  for (size_t i = 256 * 1024; p && i < 256 * 1024 + 1024; i++)
    zero_bias &= p[i] == 0.0f;
  EXPECT(c, zero_bias, "biases start at 0");
  /* Hostile values: refused with a message, the handle unchanged. */
  float x[256] = {0};
  x[3] = NAN;
  EXPECT(c, mvae_midime_train_step(mm, x, 1, NULL, &rng, NULL) == MVAE_ERR_INVALID_ARGUMENT,
         "NaN x refused");
  EXPECT(c, strstr(mvae_midime_last_error(mm), "not a finite") != NULL, "message: %s",
         mvae_midime_last_error(mm));
  x[3] = 0.0f;
  EXPECT(c, mvae_midime_train_step(mm, x, 0, NULL, &rng, NULL) == MVAE_ERR_INVALID_ARGUMENT,
         "batch 0 refused");
  EXPECT(c, mvae_midime_train_step(mm, x, 1, NULL, NULL, NULL) == MVAE_ERR_INVALID_ARGUMENT,
         "no eps and no rng refused");
  EXPECT(c, mvae_midime_set_params(mm, p, expect - 1) == MVAE_ERR_INVALID_ARGUMENT,
         "short set_params refused");
  float *q = malloc(sizeof(float) * expect);
  EXPECT(c, q && mvae_midime_get_params(mm, q, expect) == MVAE_OK && !memcmp(p, q, expect * 4),
         "refusals leave the weights");
  EXPECT(c, mvae_midime_sample(mm, 0, &rng, x) == MVAE_ERR_INVALID_ARGUMENT, "n 0 refused");
  free(q);
  free(p);
  mvae_midime_free(mm);
  struct {
    int field, value;
  } bad[] = {{0, 0}, {0, MVAE_MAX_Z_SIZE + 1}, {1, 0}, {2, MVAE_MIDIME_MAX_LAYERS + 1},
             {3, 0}, {3, MVAE_MAX_DEPTH + 1}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    mvae_midime_config_init(&cfg);
    int *f[] = {&cfg.input_size, &cfg.latent_size, &cfg.n_encoder_layers, &cfg.encoder_layers[1]};
    *f[bad[i].field] = bad[i].value;
    mm = (mvae_midime *)&cfg; /* must become NULL */
    EXPECT(c,
           mvae_midime_create(&cfg, &rng, &mm, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT &&
               !mm && err[0],
           "bad config %zu refused", i);
  }
  mvae_midime_config_init(&cfg);
  cfg.beta = NAN;
  EXPECT(c, mvae_midime_create(&cfg, &rng, &mm, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT,
         "NaN beta refused");
  cfg.beta = 1.0f;
  cfg.learning_rate = 0.0f;
  EXPECT(c, mvae_midime_create(&cfg, &rng, &mm, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT,
         "learning rate 0 refused");
  /* Wide layers that would exceed the parameter limit. */
  mvae_midime_config_init(&cfg);
  cfg.encoder_layers[0] = cfg.encoder_layers[1] = MVAE_MAX_DEPTH;
  EXPECT(c, mvae_midime_create(&cfg, &rng, &mm, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT,
         "too many parameters refused");
}

/* Every parameter's gradient against central differences of the loss (in double). */
static void test_gradients(test_counts *c, float beta) {
  enum { B = 3 };
  mvae_rng rng;
  mvae_rng_seed(&rng, 7);
  mvae_midime *mm = small(&rng, beta);
  size_t n = mvae_midime_param_count(mm);
  float x[B * 6], eps[B * 2];
  fill_normal(&rng, x, B * 6, 1.0);
  fill_normal(&rng, eps, B * 2, 1.0);
  float *p = malloc(sizeof(float) * n), *g = malloc(sizeof(float) * n);
  double losses[3], up[3], down[3];
  mvae_midime_get_params(mm, p, n);
  /* Biases at 0 put every ReLU's kink near the data; move them off it. */
  for (size_t i = 0; i < n; i++)
    if (p[i] == 0.0f)
      p[i] = (float)(0.3 * mvae_rng_normal(&rng));
  mvae_midime_set_params(mm, p, n);
  EXPECT(c, midime_loss_grad(mm, x, B, eps, losses, g) == MVAE_OK, "loss_grad");
  EXPECT(c, fabs(losses[0] - (losses[1] + beta * losses[2])) < 1e-9, "total = recon + beta kl");
  const double h = 1e-2;
  double worst = 0.0;
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    float keep = p[i];
    p[i] = (float)(keep + h);
    double hi = (double)p[i];
    mvae_midime_set_params(mm, p, n);
    midime_loss_grad(mm, x, B, eps, up, NULL);
    p[i] = (float)(keep - h);
    double lo = (double)p[i];
    mvae_midime_set_params(mm, p, n);
    midime_loss_grad(mm, x, B, eps, down, NULL);
    p[i] = keep;
    double fd = (up[0] - down[0]) / (hi - lo);
    double err = fabs(fd - g[i]) / (1.0 + fabs(fd));
    if (err > worst)
      worst = err;
    bad += err > 2e-3;
  }
  mvae_midime_set_params(mm, p, n);
  EXPECT(c, bad == 0, "beta %g: %d of %zu gradients off finite differences (worst %.2e)",
         (double)beta, bad, n, worst);
  printf("gradients (beta %g): %zu parameters, worst relative difference %.2e\n", (double)beta, n,
         worst);
  /* Adam's first step by hand: each parameter moves by -lr g / (|g| + 1e-7). */
  float *before = malloc(sizeof(float) * n), *after = malloc(sizeof(float) * n);
  mvae_midime_get_params(mm, before, n);
  float reported[3];
  EXPECT(c, mvae_midime_train_step(mm, x, B, eps, NULL, reported) == MVAE_OK, "train step");
  EXPECT(c, fabs(reported[0] - losses[0]) <= 1e-5 * fabs(losses[0]), "reported loss %g vs %g",
         (double)reported[0], losses[0]);
  mvae_midime_get_params(mm, after, n);
  int off = 0;
  for (size_t i = 0; i < n; i++) {
    double expect = before[i] - 0.001 * g[i] / (fabs(g[i]) + 1e-7);
    off += fabs(after[i] - expect) > 1e-6;
  }
  EXPECT(c, off == 0, "%d parameters off Adam's first step", off);
  free(before);
  free(after);
  free(p);
  free(g);
  mvae_midime_free(mm);
}

/* Training lowers the loss, and every kernel set takes exactly the same steps. */
static void test_training(test_counts *c) {
  enum { B = 8, STEPS = 300 };
  float x[B * 6];
  mvae_rng data;
  mvae_rng_seed(&data, 3);
  fill_normal(&data, x, B * 6, 2.0);
  float *first = NULL;
  size_t n = 0;
  for (int k = 0; k < mvk_count(); k++) {
    mvae_rng rng;
    mvae_rng_seed(&rng, 11);
    mvae_midime *mm = small(&rng, 1.0f);
    midime_use_kernels(mm, mvk_get(k));
    float start[3], end[3];
    for (int s = 0; s < STEPS; s++)
      mvae_midime_train_step(mm, x, B, NULL, &rng, s ? end : start);
    if (k == 0) {
      EXPECT(c, end[0] < 0.6f * start[0], "loss %g -> %g in %d steps", (double)start[0],
             (double)end[0], STEPS);
      printf("training: loss %.3f -> %.3f (reconstruction %.3f -> %.3f) in %d steps\n",
             (double)start[0], (double)end[0], (double)start[1], (double)end[1], STEPS);
    }
    n = mvae_midime_param_count(mm);
    float *p = malloc(sizeof(float) * n);
    mvae_midime_get_params(mm, p, n);
    float sample[2 * 6];
    mvae_midime_sample(mm, 2, &rng, sample);
    if (!first) {
      first = p;
    } else {
      EXPECT(c, !memcmp(first, p, sizeof(float) * n), "kernel set %s: other weights",
             mvk_get(k)->name);
      free(p);
    }
    mvae_midime_free(mm);
  }
  free(first);
}

/* encode: mu and sigma; z = mu + sigma eps; sample = decode of N(0, I) draws with the same rng. */
static void test_encode_sample(test_counts *c) {
  mvae_rng rng;
  mvae_rng_seed(&rng, 5);
  mvae_midime *mm = small(&rng, 1.0f);
  float x[2 * 6], mu[4], sigma[4], z[4];
  fill_normal(&rng, x, 12, 1.0);
  mvae_rng r1 = rng, r2 = rng;
  EXPECT(c, mvae_midime_encode(mm, x, 2, &r1, z, mu, sigma) == MVAE_OK, "encode");
  int ok = 1;
  for (int b = 0; b < 2; b++) {
    mvae_rng row = r2;
    mvae_rng_skip_rows(&row, (uint32_t)b);
    for (int j = 0; j < 2; j++) {
      float e = (float)mvae_rng_normal(&row);
      ok &= z[b * 2 + j] == mu[b * 2 + j] + sigma[b * 2 + j] * e && sigma[b * 2 + j] > 0.0f;
    }
  }
  EXPECT(c, ok, "z = mu + sigma eps, row by row");
  float from_sample[2 * 6], from_decode[2 * 6], normals[4];
  r1 = rng;
  r2 = rng;
  EXPECT(c, mvae_midime_sample(mm, 2, &r1, from_sample) == MVAE_OK, "sample");
  for (int b = 0; b < 2; b++) {
    mvae_rng row = r2;
    mvae_rng_skip_rows(&row, (uint32_t)b);
    for (int j = 0; j < 2; j++)
      normals[b * 2 + j] = (float)mvae_rng_normal(&row);
  }
  mvae_midime_decode(mm, normals, 2, from_decode);
  EXPECT(c, !memcmp(from_sample, from_decode, sizeof from_sample), "sample = decode(N(0, I))");
  mvae_midime_free(mm);
}

int main(void) {
  test_counts c = {0, 0};
  test_config(&c);
  test_gradients(&c, 1.0f);
  test_gradients(&c, 0.25f);
  test_training(&c);
  test_encode_sample(&c);
  return test_report("test_midime", &c);
}
