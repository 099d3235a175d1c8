/* kernels_avx2.c: kernels.h and activations.h with 256-bit AVX2 vectors (8 floats).
 *
 * Every kernel performs the operation order kernels.h defines (and kernels_scalar.c follows),
 * vectorised across output columns only, with separate multiply and add (never FMA), so the results
 * are bit-identical to the scalar set.
 *
 * Blocking: in one pass over a block of weight rows, a register tile holds up to TILE_BATCH batch
 * rows x TILE_VECS vectors of y and streams down the rows, broadcasting x[b][r] (for q8 the float
 * product x[b][r] * scale). All batch tiles of a column strip run back to back, so the strip's
 * weights are reused from L1; batch 1 uses a wider one-row tile to get more independent sums.
 * Between passes the sums go back to y: a float store and reload is exact, so the blocking changes
 * no result. Column tails use one-vector tiles, then scalar code in the same order.
 */
#ifdef __AVX2__

#include "kernels/kernels.h"

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
/* Tiles are instantiated with constant shapes; forced inlining lets their loops unroll into
 * registers. */
#define MVK_TILE static inline __attribute__((always_inline))
#else
#define MVK_TILE static inline
#endif

typedef __m256 vf;

/* Tile shapes (measured on Zen 3): f32 4x3 uses 12 accumulators + broadcast + product of the 16
 * vector registers. q8 4x4 needs a few more and the compiler spills some sums to L1, yet it beat
 * the spill-free 4x2, as the per-row scale product and broadcast are shared by twice the columns.
 * Four q8 vectors (16 or 32 columns) also stay inside one 32-column scale block. The batch-1 tile
 * is 32 columns wide: 64 (8 AVX2 vectors) measured 40% slower. */
enum {
  LANES = 8,
  F32_TILE_BATCH = 4,
  F32_TILE_VECS = 3,
  Q8_TILE_BATCH = 4,
  Q8_TILE_VECS = 4,
  SINGLE_ROW_VECS = 4,
  Q8_SINGLE_ROW_VECS = 4,
  Q8I_TILE_BATCH = 4,
  Q8I_TILE_VECS = 2,
  Q8I_SINGLE_ROW_VECS = 4
};

#define VF_OP(op) _mm256_##op##_ps
#include "kernels/simd_ops.h"

static inline vf vf_load(const float *p) {
  return _mm256_loadu_ps(p);
}
static inline void vf_store(float *p, vf v) {
  _mm256_storeu_ps(p, v);
}
static inline vf vf_set1(float a) {
  return _mm256_set1_ps(a);
}

/* nv * LANES int8 weights as floats (exact). */
MVK_TILE void q8_load_vecs(const int8_t *q, vf *out, const int nv) {
  for (int j = 0; j < nv; j++)
    out[j] = _mm256_cvtepi32_ps(
        _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(q + j * LANES))));
}

/* One row's scales for a vector whose lanes lie in blocks lane_block[0..LANES). */
static inline vf vf_gather_scales(const float *row_scales, const int *lane_block) {
  const __m256i index = _mm256_loadu_si256((const __m256i *)(const void *)lane_block);
  return _mm256_i32gather_ps(row_scales, index, 4);
}

/* Integer lanes: vpmovsxbw widens 8 columns x 2 rows of int8 to int16, vpmaddwd multiplies them
 * by one (even row, odd row) activation pair and adds each column's two products into int32. */
typedef __m256i vi;
static inline vi vi_zero(void) {
  return _mm256_setzero_si256();
}
static inline vi vi_add(vi a, vi b) {
  return _mm256_add_epi32(a, b);
}
static inline vi vi_load_pairs(const int8_t *p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
}
static inline vi vi_set1_pair(const int16_t *x) {
  int32_t pair;
  memcpy(&pair, x, sizeof pair);
  return _mm256_set1_epi32(pair);
}
static inline vi vi_madd(vi w, vi x) {
  return _mm256_madd_epi16(w, x);
}
static inline vf vi_to_vf(vi a) {
  return _mm256_cvtepi32_ps(a);
}

/* The blocked kernels themselves, written once over the primitives above. */
#include "kernels/kernels_tiles.h"

/* Defined below, after the lane primitives it shares with the activations. */
static void simd_quantize_q16(const float *x, const float *u, int n, int16_t *q, float *scale);

const mvk_impl mvk_avx2 = {"avx2",       simd_gemm_f32, simd_gemm_q8,     simd_axpy_f32,
                           simd_axpy_q8, simd_gemm_q8i, simd_quantize_q16};

/* ---- Activations (activations_body.h). */
static inline vf vf_abs(vf a) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a);
}
static inline vf vf_neg(vf a) {
  return _mm256_xor_ps(_mm256_set1_ps(-0.0f), a);
}
static inline vf vf_lt(vf a, vf b) {
  return _mm256_cmp_ps(a, b, _CMP_LT_OQ);
}
static inline vf vf_gt(vf a, vf b) {
  return _mm256_cmp_ps(a, b, _CMP_GT_OQ);
}
static inline vf vf_select(vf mask, vf if_true, vf if_false) {
  return _mm256_blendv_ps(if_false, if_true, mask);
}
static inline vf vf_floor(vf y) {
  return _mm256_floor_ps(y);
}
static inline vf vf_exp2i(vf n) {
  return _mm256_castsi256_ps(
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
}

/* The LSTM activations, written once over the primitives above. */
/* LANES integral floats (|v| <= 32767, or NaN) as int16: vcvttps2dq gives 0x80000000 for NaN, so
 * NaN lanes are masked to 0 first (v == v is false only for NaN). */
static inline void q16_store(int16_t *q, vf v) {
  const __m256i ints = _mm256_and_si256(_mm256_cvttps_epi32(v),
                                        _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_EQ_OQ)));
  const __m128i packed =
      _mm_packs_epi32(_mm256_castsi256_si128(ints), _mm256_extracti128_si256(ints, 1));
  _mm_storeu_si128((__m128i *)(void *)q, packed);
}

/* quantize_q16, written once over the primitives above. */
#include "kernels/kernels_quantize.h"

#include "kernels/activations_body.h"

const mva_impl mva_avx2 = {"avx2", simd_lstm_cell, simd_tanh_inplace};

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int mvk_avx2_not_built;
#endif
