/* activations.h: the LSTM cell's elementwise update and tanh, in float, vectorised.
 *
 * Like the matrix kernels (kernels.h), every implementation performs exactly the same sequence of
 * IEEE float operations per element, so scalar, SSE2, AVX2 and WASM SIMD builds give identical
 * bits. The functions are polynomial: relative error about 1e-7, far inside what the models need.
 *
 *   exp(x):     x clamped to [-87, 88]; n = floor(x * LOG2E + 0.5); r = (x - n * LN2_HI) - n *
 * LN2_LO; p = Horner(EXP_C7 .. EXP_C0, r); exp = p * 2^n sigmoid(x): 1 / (1 + exp(-x)) tanh(x): |x|
 * < 0.625: x * Horner(TANH_C8 .. TANH_C0, x * x) else t = 1 - 2 / (exp(2 |x|) + 1), negated when x
 * < 0 (|x| > 9: t = 1) lstm_cell:  per unit u, with gates [i; j; f; o] of `units` each: c = c *
 * sigmoid(f + 1) + sigmoid(i) * tanh(j);  h = tanh(c) * sigmoid(o)
 */
#ifndef MVAE_ACTIVATIONS_H
#define MVAE_ACTIVATIONS_H

#define MVA_LOG2E 1.44269504088896341f
#define MVA_LN2_HI 0.693359375f
#define MVA_LN2_LO -2.12194440e-4f
#define MVA_EXP_C7 (1.0f / 5040.0f)
#define MVA_EXP_C6 (1.0f / 720.0f)
#define MVA_EXP_C5 (1.0f / 120.0f)
#define MVA_EXP_C4 (1.0f / 24.0f)
#define MVA_EXP_C3 (1.0f / 6.0f)
#define MVA_EXP_C2 0.5f
#define MVA_TANH_SMALL 0.625f
#define MVA_TANH_BIG 9.0f
/* Taylor coefficients of tanh(x) / x in powers of x^2. */
#define MVA_TANH_C1 (-1.0f / 3.0f)
#define MVA_TANH_C2 (2.0f / 15.0f)
#define MVA_TANH_C3 (-17.0f / 315.0f)
#define MVA_TANH_C4 (62.0f / 2835.0f)
#define MVA_TANH_C5 (-1382.0f / 155925.0f)
#define MVA_TANH_C6 (21844.0f / 6081075.0f)
#define MVA_TANH_C7 (-929569.0f / 638512875.0f)
#define MVA_TANH_C8 (6404582.0f / 10854718875.0f)

/* The two polynomials, highest power first, for Horner's rule: p = c[0]; p = p * x + c[k], k = 1..
 * Every implementation evaluates them so, in this order. */
#define MVA_EXP_POLY                                                                               \
  { MVA_EXP_C7, MVA_EXP_C6, MVA_EXP_C5, MVA_EXP_C4, MVA_EXP_C3, MVA_EXP_C2, 1.0f, 1.0f }
#define MVA_EXP_POLY_LEN 8
#define MVA_TANH_POLY                                                                              \
  {                                                                                                \
    MVA_TANH_C8, MVA_TANH_C7, MVA_TANH_C6, MVA_TANH_C5, MVA_TANH_C4, MVA_TANH_C3, MVA_TANH_C2,     \
        MVA_TANH_C1, 1.0f                                                                          \
  }
#define MVA_TANH_POLY_LEN 9

typedef struct mva_impl {
  const char *name;
  /* gates [4 * units] (i, j, f, o) -> c, h [units] updated in place. */
  void (*lstm_cell)(float *c, float *h, const float *gates, int units);
  /* x[i] = tanh(x[i]) */
  void (*tanh_inplace)(float *x, int n);
} mva_impl;

/* As mvk_active, mvk_count, mvk_get (kernels.c): entry i is the activations of kernel set i. */
const mva_impl *mva_active(void);
int mva_count(void);
const mva_impl *mva_get(int index);
extern const mva_impl mva_scalar;

/* The scalar definitions, also used by the SIMD files for their tails. */
float mva_expf(float x);
float mva_sigmoidf(float x);
float mva_tanhf(float x);
/* The scalar LSTM cell update for units first .. last-1 (SIMD versions finish their tails with it).
 */
void mva_lstm_cell_units(float *c, float *h, const float *gates, int units, int first, int last);

#endif
