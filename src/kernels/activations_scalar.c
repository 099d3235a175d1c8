/* activations_scalar.c: the reference definitions of activations.h, one element at a time. */
#include "kernels/activations.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static const float exp_poly[MVA_EXP_POLY_LEN] = MVA_EXP_POLY;
static const float tanh_poly[MVA_TANH_POLY_LEN] = MVA_TANH_POLY;

static float horner(const float *c, int n, float x) {
  float p = c[0];
  for (int k = 1; k < n; k++)
    p = p * x + c[k];
  return p;
}

float mva_expf(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  float n = floorf(x * MVA_LOG2E + 0.5f);
  float r = (x - n * MVA_LN2_HI) - n * MVA_LN2_LO;
  float p = horner(exp_poly, MVA_EXP_POLY_LEN, r);
  /* 2^n, n in [-126, 127]; a NaN x leaves p NaN, and n must not reach the (undefined) cast. */
  uint32_t bits = (uint32_t)((n == n ? (int32_t)n : 0) + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

float mva_sigmoidf(float x) {
  return 1.0f / (1.0f + mva_expf(-x));
}

float mva_tanhf(float x) {
  float a = fabsf(x);
  if (a < MVA_TANH_SMALL) {
    return x * horner(tanh_poly, MVA_TANH_POLY_LEN, x * x);
  }
  float t = a > MVA_TANH_BIG ? 1.0f : 1.0f - 2.0f / (mva_expf(a + a) + 1.0f);
  return x < 0.0f ? -t : t;
}

void mva_lstm_cell_units(float *c, float *h, const float *g, int units, int first, int last) {
  for (int u = first; u < last; u++) {
    float input_gate = mva_sigmoidf(g[u]);
    float candidate = mva_tanhf(g[units + u]);
    float forget_gate = mva_sigmoidf(g[2 * units + u] + 1.0f);
    float output_gate = mva_sigmoidf(g[3 * units + u]);
    float cell = c[u] * forget_gate + input_gate * candidate;
    c[u] = cell;
    h[u] = mva_tanhf(cell) * output_gate;
  }
}

static void scalar_lstm_cell(float *c, float *h, const float *g, int units) {
  mva_lstm_cell_units(c, h, g, units, 0, units);
}

static void scalar_tanh_inplace(float *x, int n) {
  for (int i = 0; i < n; i++)
    x[i] = mva_tanhf(x[i]);
}

const mva_impl mva_scalar = {"scalar", scalar_lstm_cell, scalar_tanh_inplace};
