/* activations_sse2.c: activations.h four lanes at a time with SSE2 only (no floor or blend
 * instructions: both are built from exact operations); the same results as the scalar twin. */
#include "kernels/activations.h"

#ifdef __SSE2__
#include <emmintrin.h>

static __m128 select4(__m128 mask, __m128 if_true, __m128 if_false) {
  return _mm_or_ps(_mm_and_ps(mask, if_true), _mm_andnot_ps(mask, if_false));
}

/* floor for |y| < 2^31: truncate, then step down where truncation went up (negative non-integers).
 */
static __m128 floor4(__m128 y) {
  __m128 t = _mm_cvtepi32_ps(_mm_cvttps_epi32(y));
  return _mm_sub_ps(t, _mm_and_ps(_mm_cmpgt_ps(t, y), _mm_set1_ps(1.0f)));
}

static __m128 exp4(__m128 x) {
  /* max/min take the constant first: a NaN input then stays NaN, as in the scalar code. */
  x = _mm_max_ps(_mm_set1_ps(-87.0f), x);
  x = _mm_min_ps(_mm_set1_ps(88.0f), x);
  __m128 n = floor4(_mm_add_ps(_mm_mul_ps(x, _mm_set1_ps(MVA_LOG2E)), _mm_set1_ps(0.5f)));
  __m128 r = _mm_sub_ps(x, _mm_mul_ps(n, _mm_set1_ps(MVA_LN2_HI)));
  r = _mm_sub_ps(r, _mm_mul_ps(n, _mm_set1_ps(MVA_LN2_LO)));
  __m128 p = _mm_set1_ps(MVA_EXP_C7);
  p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(MVA_EXP_C6));
  p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(MVA_EXP_C5));
  p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(MVA_EXP_C4));
  p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(MVA_EXP_C3));
  p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(MVA_EXP_C2));
  p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(1.0f));
  p = _mm_add_ps(_mm_mul_ps(p, r), _mm_set1_ps(1.0f));
  __m128i bits = _mm_slli_epi32(_mm_add_epi32(_mm_cvtps_epi32(n), _mm_set1_epi32(127)), 23);
  return _mm_mul_ps(p, _mm_castsi128_ps(bits));
}

static __m128 sigmoid4(__m128 x) {
  __m128 one = _mm_set1_ps(1.0f);
  return _mm_div_ps(one, _mm_add_ps(one, exp4(_mm_sub_ps(_mm_setzero_ps(), x))));
}

static __m128 tanh4(__m128 x) {
  __m128 one = _mm_set1_ps(1.0f);
  __m128 a = _mm_andnot_ps(_mm_set1_ps(-0.0f), x);
  __m128 s = _mm_mul_ps(x, x);
  __m128 p = _mm_set1_ps(MVA_TANH_C8);
  p = _mm_add_ps(_mm_mul_ps(p, s), _mm_set1_ps(MVA_TANH_C7));
  p = _mm_add_ps(_mm_mul_ps(p, s), _mm_set1_ps(MVA_TANH_C6));
  p = _mm_add_ps(_mm_mul_ps(p, s), _mm_set1_ps(MVA_TANH_C5));
  p = _mm_add_ps(_mm_mul_ps(p, s), _mm_set1_ps(MVA_TANH_C4));
  p = _mm_add_ps(_mm_mul_ps(p, s), _mm_set1_ps(MVA_TANH_C3));
  p = _mm_add_ps(_mm_mul_ps(p, s), _mm_set1_ps(MVA_TANH_C2));
  p = _mm_add_ps(_mm_mul_ps(p, s), _mm_set1_ps(MVA_TANH_C1));
  p = _mm_add_ps(_mm_mul_ps(p, s), one);
  __m128 small = _mm_mul_ps(x, p);
  __m128 e = exp4(_mm_add_ps(a, a));
  __m128 t = _mm_sub_ps(one, _mm_div_ps(_mm_set1_ps(2.0f), _mm_add_ps(e, one)));
  t = select4(_mm_cmpgt_ps(a, _mm_set1_ps(MVA_TANH_BIG)), one, t);
  t = select4(_mm_cmplt_ps(x, _mm_setzero_ps()), _mm_sub_ps(_mm_setzero_ps(), t), t);
  return select4(_mm_cmplt_ps(a, _mm_set1_ps(MVA_TANH_SMALL)), small, t);
}

static void sse2_lstm_cell(float *c, float *h, const float *g, int units) {
  int u = 0;
  for (; u + 4 <= units; u += 4) {
    __m128 input_gate = sigmoid4(_mm_loadu_ps(g + u));
    __m128 candidate = tanh4(_mm_loadu_ps(g + units + u));
    __m128 forget_gate = sigmoid4(_mm_add_ps(_mm_loadu_ps(g + 2 * units + u), _mm_set1_ps(1.0f)));
    __m128 output_gate = sigmoid4(_mm_loadu_ps(g + 3 * units + u));
    __m128 cell =
        _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(c + u), forget_gate), _mm_mul_ps(input_gate, candidate));
    _mm_storeu_ps(c + u, cell);
    _mm_storeu_ps(h + u, _mm_mul_ps(tanh4(cell), output_gate));
  }
  mva_lstm_cell_units(c, h, g, units, u, units); /* the tail, with the same operations */
}

static void sse2_tanh_inplace(float *x, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4)
    _mm_storeu_ps(x + i, tanh4(_mm_loadu_ps(x + i)));
  for (; i < n; i++)
    x[i] = mva_tanhf(x[i]);
}

const mva_impl mva_sse2 = {"sse2", sse2_lstm_cell, sse2_tanh_inplace};
#endif
