/* activations_body.h: the vectorised activations (activations.h), written once over per-ISA
 * primitives, as kernels_tiles.h is for the matrix kernels. Included by kernels_sse2.c,
 * kernels_avx2.c and kernels_wasm.c after they define, besides kernels_tiles.h's primitives:
 *
 *   vf_sub, vf_div, vf_max, vf_min (IEEE; max/min called with the constant first, so that a NaN
 *   input stays NaN), vf_floor, vf_abs, vf_neg (sign flip, as the scalar -x), vf_lt, vf_gt (lane
 *   masks), vf_select(mask, if_true, if_false), vf_exp2i(n) (2^n for integral n in [-126, 127]).
 *
 * Each function performs, lane by lane, exactly the float operations of the scalar twin in
 * activations_scalar.c (tails go to that twin), so every ISA gives the scalar bits. */
#ifndef MVAE_ACTIVATIONS_BODY_H
#define MVAE_ACTIVATIONS_BODY_H

#include "kernels/activations.h"

static inline vf simd_horner(const float *c, int n, vf x) {
  vf p = vf_set1(c[0]);
  for (int k = 1; k < n; k++)
    p = vf_add(vf_mul(p, x), vf_set1(c[k]));
  return p;
}

static inline vf simd_exp(vf x) {
  static const float poly[MVA_EXP_POLY_LEN] = MVA_EXP_POLY;
  x = vf_max(vf_set1(-87.0f), x);
  x = vf_min(vf_set1(88.0f), x);
  vf n = vf_floor(vf_add(vf_mul(x, vf_set1(MVA_LOG2E)), vf_set1(0.5f)));
  vf r = vf_sub(x, vf_mul(n, vf_set1(MVA_LN2_HI)));
  r = vf_sub(r, vf_mul(n, vf_set1(MVA_LN2_LO)));
  return vf_mul(simd_horner(poly, MVA_EXP_POLY_LEN, r), vf_exp2i(n));
}

static inline vf simd_sigmoid(vf x) {
  const vf one = vf_set1(1.0f);
  return vf_div(one, vf_add(one, simd_exp(vf_neg(x))));
}

static inline vf simd_tanh(vf x) {
  static const float poly[MVA_TANH_POLY_LEN] = MVA_TANH_POLY;
  const vf one = vf_set1(1.0f);
  vf a = vf_abs(x);
  vf small = vf_mul(x, simd_horner(poly, MVA_TANH_POLY_LEN, vf_mul(x, x)));
  vf e = simd_exp(vf_add(a, a));
  vf t = vf_sub(one, vf_div(vf_set1(2.0f), vf_add(e, one)));
  t = vf_select(vf_gt(a, vf_set1(MVA_TANH_BIG)), one, t);
  t = vf_select(vf_lt(x, vf_set1(0.0f)), vf_neg(t), t);
  return vf_select(vf_lt(a, vf_set1(MVA_TANH_SMALL)), small, t);
}

static void simd_lstm_cell(float *c, float *h, const float *g, int units) {
  int u = 0;
  for (; u + LANES <= units; u += LANES) {
    vf input_gate = simd_sigmoid(vf_load(g + u));
    vf candidate = simd_tanh(vf_load(g + units + u));
    vf forget_gate = simd_sigmoid(vf_add(vf_load(g + 2 * units + u), vf_set1(1.0f)));
    vf output_gate = simd_sigmoid(vf_load(g + 3 * units + u));
    vf cell = vf_add(vf_mul(vf_load(c + u), forget_gate), vf_mul(input_gate, candidate));
    vf_store(c + u, cell);
    vf_store(h + u, vf_mul(simd_tanh(cell), output_gate));
  }
  mva_lstm_cell_units(c, h, g, units, u, units); /* the tail, with the same operations */
}

static void simd_tanh_inplace(float *x, int n) {
  int i = 0;
  for (; i + LANES <= n; i += LANES)
    vf_store(x + i, simd_tanh(vf_load(x + i)));
  for (; i < n; i++)
    x[i] = mva_tanhf(x[i]);
}

#endif
