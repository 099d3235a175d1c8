/* activations_avx2.c: activations.h eight lanes at a time; the same operations as the scalar twin.
 */
#include "kernels/activations.h"

#ifdef __AVX2__
#include <immintrin.h>

static __m256 exp8(__m256 x) {
  /* max/min take the constant first: a NaN input then stays NaN, as in the scalar code. */
  x = _mm256_max_ps(_mm256_set1_ps(-87.0f), x);
  x = _mm256_min_ps(_mm256_set1_ps(88.0f), x);
  __m256 n = _mm256_floor_ps(
      _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(MVA_LOG2E)), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(MVA_LN2_HI)));
  r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(MVA_LN2_LO)));
  __m256 p = _mm256_set1_ps(MVA_EXP_C7);
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(MVA_EXP_C6));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(MVA_EXP_C5));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(MVA_EXP_C4));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(MVA_EXP_C3));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(MVA_EXP_C2));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
  p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
  __m256i bits =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

static __m256 sigmoid8(__m256 x) {
  __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

static __m256 tanh8(__m256 x) {
  __m256 one = _mm256_set1_ps(1.0f);
  __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  __m256 s = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(MVA_TANH_C8);
  p = _mm256_add_ps(_mm256_mul_ps(p, s), _mm256_set1_ps(MVA_TANH_C7));
  p = _mm256_add_ps(_mm256_mul_ps(p, s), _mm256_set1_ps(MVA_TANH_C6));
  p = _mm256_add_ps(_mm256_mul_ps(p, s), _mm256_set1_ps(MVA_TANH_C5));
  p = _mm256_add_ps(_mm256_mul_ps(p, s), _mm256_set1_ps(MVA_TANH_C4));
  p = _mm256_add_ps(_mm256_mul_ps(p, s), _mm256_set1_ps(MVA_TANH_C3));
  p = _mm256_add_ps(_mm256_mul_ps(p, s), _mm256_set1_ps(MVA_TANH_C2));
  p = _mm256_add_ps(_mm256_mul_ps(p, s), _mm256_set1_ps(MVA_TANH_C1));
  p = _mm256_add_ps(_mm256_mul_ps(p, s), one);
  __m256 small = _mm256_mul_ps(x, p);
  __m256 e = exp8(_mm256_add_ps(a, a));
  __m256 t = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  t = _mm256_blendv_ps(t, one, _mm256_cmp_ps(a, _mm256_set1_ps(MVA_TANH_BIG), _CMP_GT_OQ));
  t = _mm256_blendv_ps(t, _mm256_sub_ps(_mm256_setzero_ps(), t),
                       _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_blendv_ps(t, small, _mm256_cmp_ps(a, _mm256_set1_ps(MVA_TANH_SMALL), _CMP_LT_OQ));
}

static void avx2_lstm_cell(float *c, float *h, const float *g, int units) {
  int u = 0;
  for (; u + 8 <= units; u += 8) {
    __m256 input_gate = sigmoid8(_mm256_loadu_ps(g + u));
    __m256 candidate = tanh8(_mm256_loadu_ps(g + units + u));
    __m256 forget_gate =
        sigmoid8(_mm256_add_ps(_mm256_loadu_ps(g + 2 * units + u), _mm256_set1_ps(1.0f)));
    __m256 output_gate = sigmoid8(_mm256_loadu_ps(g + 3 * units + u));
    __m256 cell = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(c + u), forget_gate),
                                _mm256_mul_ps(input_gate, candidate));
    _mm256_storeu_ps(c + u, cell);
    _mm256_storeu_ps(h + u, _mm256_mul_ps(tanh8(cell), output_gate));
  }
  mva_lstm_cell_units(c, h, g, units, u, units); /* the tail, with the same operations */
}

static void avx2_tanh_inplace(float *x, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(x + i, tanh8(_mm256_loadu_ps(x + i)));
  for (; i < n; i++)
    x[i] = mva_tanhf(x[i]);
}

const mva_impl mva_avx2 = {"avx2", avx2_lstm_cell, avx2_tanh_inplace};
#endif
