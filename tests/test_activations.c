/* test_activations.c: every activation implementation gives the scalar twin's bits; the scalar
 * functions and the LSTM cell agree with a float64 recomputation (TF's LSTMBlockCell written out
 * with libm) to a relative error under 1e-5. */
#include "kernels/activations.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

static double sigmoid64(double x) {
  return 1.0 / (1.0 + exp(-x));
}

static float random_in(mvae_rng *rng, float scale) {
  return (float)((2.0 * mvae_rng_uniform(rng) - 1.0) * scale);
}

static void test_functions(test_counts *c) {
  mvae_rng rng;
  mvae_rng_seed(&rng, 11);
  double worst_exp = 0, worst_tanh = 0, worst_sigmoid = 0;
  for (int i = 0; i < 400000; i++) {
    float scales[4] = {0.01f, 1.0f, 10.0f, 80.0f};
    float x = random_in(&rng, scales[i % 4]);
    double e = exp((double)x), t = tanh((double)x), s = sigmoid64(x);
    worst_exp = fmax(worst_exp, fabs(mva_expf(x) - e) / e);
    if (t != 0)
      worst_tanh = fmax(worst_tanh, fabs(mva_tanhf(x) - t) / fabs(t));
    worst_sigmoid = fmax(worst_sigmoid, fabs(mva_sigmoidf(x) - s) / s);
  }
  EXPECT(c, worst_exp < 1e-6, "exp relative error %.3g", worst_exp);
  EXPECT(c, worst_tanh < 1e-6, "tanh relative error %.3g", worst_tanh);
  EXPECT(c, worst_sigmoid < 1e-6, "sigmoid relative error %.3g", worst_sigmoid);
  printf("max relative error vs libm double: exp %.3g, tanh %.3g, sigmoid %.3g\n", worst_exp,
         worst_tanh, worst_sigmoid);
  EXPECT(c, mva_tanhf(1e-20f) == 1e-20f && mva_tanhf(-0.0f) == 0.0f && signbit(mva_tanhf(-0.0f)),
         "tanh near zero keeps value and sign");
  EXPECT(c, mva_tanhf(100.0f) == 1.0f && mva_tanhf(-100.0f) == -1.0f, "tanh saturates");
  EXPECT(c,
         mva_sigmoidf(-200.0f) >= 0.0f && mva_sigmoidf(-200.0f) < 1e-30f &&
             mva_sigmoidf(200.0f) == 1.0f,
         "sigmoid saturates without overflow");
  EXPECT(c, isnan(mva_tanhf(NAN)) && isnan(mva_sigmoidf(NAN)), "NaN stays NaN");
}

static void test_lstm_cell(test_counts *c) {
  mvae_rng rng;
  mvae_rng_seed(&rng, 12);
  static const int sizes[] = {1, 3, 4, 7, 8, 9, 16, 31, 90, 256, 513};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    int units = sizes[k];
    float *gates = malloc(sizeof(float) * 4 * units);
    float *c0 = malloc(sizeof(float) * units), *c_ref = malloc(sizeof(float) * units);
    float *h_ref = malloc(sizeof(float) * units), *cc = malloc(sizeof(float) * units);
    float *hh = malloc(sizeof(float) * units);
    for (int i = 0; i < 4 * units; i++)
      gates[i] = random_in(&rng, i % 5 == 0 ? 12.0f : 3.0f);
    for (int u = 0; u < units; u++)
      c0[u] = random_in(&rng, 4.0f);
    gates[0] = 0.0f; /* exact zero and a huge value exercise the branches */
    if (units > 2)
      gates[units + 1] = 40.0f;
    /* float64 reference: c' = sig(i) tanh(j) + c sig(f + 1); h' = tanh(c') sig(o). */
    double worst_c = 0, worst_h = 0;
    mva_scalar.lstm_cell(memcpy(c_ref, c0, sizeof(float) * units), h_ref, gates, units);
    for (int u = 0; u < units; u++) {
      double i = sigmoid64(gates[u]), j = tanh((double)gates[units + u]);
      double f = sigmoid64((double)gates[2 * units + u] + 1.0), o = sigmoid64(gates[3 * units + u]);
      double cell = c0[u] * f + i * j, h = tanh(cell) * o;
      worst_c = fmax(worst_c, fabs(c_ref[u] - cell) / fmax(fabs(cell), 1e-3));
      worst_h = fmax(worst_h, fabs(h_ref[u] - h) / fmax(fabs(h), 1e-3));
    }
    EXPECT(c, worst_c < 1e-5 && worst_h < 1e-5, "units %d: LSTM cell vs float64: c %.3g h %.3g",
           units, worst_c, worst_h);
    for (int n = 0; n < mva_count(); n++) {
      const mva_impl *impl = mva_get(n);
      impl->lstm_cell(memcpy(cc, c0, sizeof(float) * units), hh, gates, units);
      EXPECT(c,
             !memcmp(cc, c_ref, sizeof(float) * units) && !memcmp(hh, h_ref, sizeof(float) * units),
             "%s LSTM cell, %d units: bit-identical to scalar", impl->name, units);
      memcpy(cc, gates, sizeof(float) * units);
      impl->tanh_inplace(cc, units);
      int same = 1;
      for (int u = 0; u < units; u++)
        same &= !memcmp(&cc[u], &(float){mva_tanhf(gates[u])}, sizeof(float));
      EXPECT(c, same, "%s tanh, %d values: bit-identical to scalar", impl->name, units);
    }
    free(gates);
    free(c0);
    free(c_ref);
    free(h_ref);
    free(cc);
    free(hh);
  }
}

int main(void) {
  test_counts c = {0, 0};
  test_functions(&c);
  test_lstm_cell(&c);
  printf("implementations:");
  for (int n = 0; n < mva_count(); n++)
    printf(" %s", mva_get(n)->name);
  printf(" (active %s)\n", mva_active()->name);
  return test_report("test_activations", &c);
}
