/* kernels_quantize.h: quantize_q16 (kernels.h) written once over the SIMD primitives, as
 * kernels_tiles.h is for the matrix kernels. Included by kernels_sse2.c, kernels_avx2.c and
 * kernels_wasm.c after they define vf_abs, vf_gt, vf_lt, vf_select and q16_store (LANES integral
 * floats in -32767..32767 or NaN, stored as int16 with NaN as 0). The max is taken lane by lane
 * and then across lanes with the scalar comparison: a max does not depend on the order. */
#ifndef MVAE_KERNELS_QUANTIZE_H
#define MVAE_KERNELS_QUANTIZE_H

#include "kernels/quantize_scalar.h"

static void simd_quantize_q16(const float *x, const float *u, int n, int16_t *q, float *scale) {
  vf top_lanes = vf_set1(0.0f);
  int k = 0;
  for (; k + LANES <= n; k += LANES) {
    const vf a = vf_abs(vf_mul(vf_load(x + k), vf_load(u + k)));
    top_lanes = vf_select(vf_gt(a, top_lanes), a, top_lanes);
  }
  float lanes[LANES];
  vf_store(lanes, top_lanes);
  float top = 0.0f;
  for (int l = 0; l < LANES; l++)
    top = mvk_q16_top(top, lanes[l]);
  for (int t = k; t < n; t++)
    top = mvk_q16_top(top, x[t] * u[t]);
  const float inv = mvk_q16_inv(top);
  *scale = top / 32767.0f;
  const vf inv_v = vf_set1(inv), magic = vf_set1(12582912.0f);
  const vf high = vf_set1(32767.0f), low = vf_set1(-32767.0f);
  for (k = 0; k + LANES <= n; k += LANES) {
    vf v = vf_mul(vf_mul(vf_load(x + k), vf_load(u + k)), inv_v);
    v = vf_sub(vf_add(v, magic), magic);
    v = vf_select(vf_gt(v, high), high, vf_select(vf_lt(v, low), low, v));
    q16_store(q + k, v);
  }
  for (; k < n; k++)
    q[k] = mvk_q16_value(x[k] * u[k], inv);
}

#endif
