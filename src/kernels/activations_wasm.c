/* activations_wasm.c: activations.h four lanes at a time with WebAssembly SIMD128; the same
 * operations as the scalar twin. */
#include "kernels/activations.h"

#ifdef __wasm_simd128__
#include <wasm_simd128.h>

static v128_t exp4(v128_t x) {
  /* f32x4 min/max propagate NaN, as the scalar comparisons leave it in place. */
  x = wasm_f32x4_max(wasm_f32x4_splat(-87.0f), x);
  x = wasm_f32x4_min(wasm_f32x4_splat(88.0f), x);
  v128_t n = wasm_f32x4_floor(
      wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(MVA_LOG2E)), wasm_f32x4_splat(0.5f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(MVA_LN2_HI)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(MVA_LN2_LO)));
  v128_t p = wasm_f32x4_splat(MVA_EXP_C7);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(MVA_EXP_C6));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(MVA_EXP_C5));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(MVA_EXP_C4));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(MVA_EXP_C3));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(MVA_EXP_C2));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  v128_t bits =
      wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, bits);
}

static v128_t sigmoid4(v128_t x) {
  v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, exp4(wasm_f32x4_neg(x))));
}

static v128_t tanh4(v128_t x) {
  v128_t one = wasm_f32x4_splat(1.0f);
  v128_t a = wasm_f32x4_abs(x);
  v128_t s = wasm_f32x4_mul(x, x);
  v128_t p = wasm_f32x4_splat(MVA_TANH_C8);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s), wasm_f32x4_splat(MVA_TANH_C7));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s), wasm_f32x4_splat(MVA_TANH_C6));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s), wasm_f32x4_splat(MVA_TANH_C5));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s), wasm_f32x4_splat(MVA_TANH_C4));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s), wasm_f32x4_splat(MVA_TANH_C3));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s), wasm_f32x4_splat(MVA_TANH_C2));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s), wasm_f32x4_splat(MVA_TANH_C1));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, s), one);
  v128_t small = wasm_f32x4_mul(x, p);
  v128_t e = exp4(wasm_f32x4_add(a, a));
  v128_t t = wasm_f32x4_sub(one, wasm_f32x4_div(wasm_f32x4_splat(2.0f), wasm_f32x4_add(e, one)));
  t = wasm_v128_bitselect(one, t, wasm_f32x4_gt(a, wasm_f32x4_splat(MVA_TANH_BIG)));
  t = wasm_v128_bitselect(wasm_f32x4_neg(t), t, wasm_f32x4_lt(x, wasm_f32x4_splat(0.0f)));
  return wasm_v128_bitselect(small, t, wasm_f32x4_lt(a, wasm_f32x4_splat(MVA_TANH_SMALL)));
}

static void wasm_lstm_cell(float *c, float *h, const float *g, int units) {
  int u = 0;
  for (; u + 4 <= units; u += 4) {
    v128_t input_gate = sigmoid4(wasm_v128_load(g + u));
    v128_t candidate = tanh4(wasm_v128_load(g + units + u));
    v128_t forget_gate =
        sigmoid4(wasm_f32x4_add(wasm_v128_load(g + 2 * units + u), wasm_f32x4_splat(1.0f)));
    v128_t output_gate = sigmoid4(wasm_v128_load(g + 3 * units + u));
    v128_t cell = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(c + u), forget_gate),
                                 wasm_f32x4_mul(input_gate, candidate));
    wasm_v128_store(c + u, cell);
    wasm_v128_store(h + u, wasm_f32x4_mul(tanh4(cell), output_gate));
  }
  mva_lstm_cell_units(c, h, g, units, u, units); /* the tail, with the same operations */
}

static void wasm_tanh_inplace(float *x, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4)
    wasm_v128_store(x + i, tanh4(wasm_v128_load(x + i)));
  for (; i < n; i++)
    x[i] = mva_tanhf(x[i]);
}

const mva_impl mva_wasm_simd128 = {"wasm_simd128", wasm_lstm_cell, wasm_tanh_inplace};
#endif
