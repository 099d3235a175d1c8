/* kernels_sse2.c: kernels.h and activations.h with 128-bit SSE2 vectors (4 floats), for any x86-64.
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
#ifdef __SSE2__

#include "kernels/kernels.h"

#include <emmintrin.h>
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

typedef __m128 vf;

/* Tile shapes (measured on Zen 3): f32 4x3 uses 12 accumulators + broadcast + product of the 16
 * vector registers. q8 4x4 needs a few more and the compiler spills some sums to L1, yet it beat
 * the spill-free 4x2, as the per-row scale product and broadcast are shared by twice the columns.
 * Four q8 vectors (16 or 32 columns) also stay inside one 32-column scale block. The batch-1 tile
 * is 32 columns wide: 64 (8 AVX2 vectors) measured 40% slower. */
enum {
  LANES = 4,
  F32_TILE_BATCH = 4,
  F32_TILE_VECS = 3,
  Q8_TILE_BATCH = 4,
  Q8_TILE_VECS = 4,
  SINGLE_ROW_VECS = 8,
  Q8_SINGLE_ROW_VECS = 8,
  Q8I_TILE_BATCH = 4,
  Q8I_TILE_VECS = 2,
  Q8I_SINGLE_ROW_VECS = 4
};

#define VF_OP(op) _mm_##op##_ps
#include "kernels/simd_ops.h"

static inline vf vf_load(const float *p) {
  return _mm_loadu_ps(p);
}
static inline void vf_store(float *p, vf v) {
  _mm_storeu_ps(p, v);
}
static inline vf vf_set1(float a) {
  return _mm_set1_ps(a);
}

/* SSE2 has no sign-extending load: each byte is duplicated into the bytes above it (bytes b b b b
 * in a 32-bit lane), then an arithmetic shift by 24 leaves the sign-extended value. */
static inline vf q8_bytes_low_to_float(__m128i twice, int high) {
  const __m128i quad = high ? _mm_unpackhi_epi16(twice, twice) : _mm_unpacklo_epi16(twice, twice);
  return _mm_cvtepi32_ps(_mm_srai_epi32(quad, 24));
}

/* nv * LANES int8 weights as floats (exact), two vectors per 8-byte load. */
MVK_TILE void q8_load_vecs(const int8_t *q, vf *out, const int nv) {
  int j = 0;
  for (; j + 2 <= nv; j += 2) {
    const __m128i bytes = _mm_loadl_epi64((const __m128i *)(const void *)(q + j * LANES));
    const __m128i twice = _mm_unpacklo_epi8(bytes, bytes);
    out[j] = q8_bytes_low_to_float(twice, 0);
    out[j + 1] = q8_bytes_low_to_float(twice, 1);
  }
  if (j < nv) {
    int32_t four;
    memcpy(&four, q + j * LANES, sizeof four);
    const __m128i bytes = _mm_cvtsi32_si128(four);
    out[j] = q8_bytes_low_to_float(_mm_unpacklo_epi8(bytes, bytes), 0);
  }
}

/* One row's scales for a vector whose lanes lie in blocks lane_block[0..LANES). */
static inline vf vf_gather_scales(const float *row_scales, const int *lane_block) {
  return _mm_setr_ps(row_scales[lane_block[0]], row_scales[lane_block[1]],
                     row_scales[lane_block[2]], row_scales[lane_block[3]]);
}

/* Integer lanes: 4 columns x 2 rows of int8 widened to int16 (each byte duplicated, then an
 * arithmetic shift by 8), pmaddwd multiplies them by one activation pair and adds the two
 * products of each column into int32. */
typedef __m128i vi;
static inline vi vi_zero(void) {
  return _mm_setzero_si128();
}
static inline vi vi_add(vi a, vi b) {
  return _mm_add_epi32(a, b);
}
static inline vi vi_load_pairs(const int8_t *p) {
  const __m128i bytes = _mm_loadl_epi64((const __m128i *)(const void *)p);
  return _mm_srai_epi16(_mm_unpacklo_epi8(bytes, bytes), 8);
}
static inline vi vi_set1_pair(const int16_t *x) {
  int32_t pair;
  memcpy(&pair, x, sizeof pair);
  return _mm_set1_epi32(pair);
}
static inline vi vi_madd(vi w, vi x) {
  return _mm_madd_epi16(w, x);
}
static inline vf vi_to_vf(vi a) {
  return _mm_cvtepi32_ps(a);
}

/* The blocked kernels themselves, written once over the primitives above. */
#include "kernels/kernels_tiles.h"

/* Defined below, after the lane primitives it shares with the activations. */
static void simd_quantize_q16(const float *x, const float *u, int n, int16_t *q, float *scale);

const mvk_impl mvk_sse2 = {"sse2",       simd_gemm_f32, simd_gemm_q8,     simd_axpy_f32,
                           simd_axpy_q8, simd_gemm_q8i, simd_quantize_q16};

/* ---- Activations (activations_body.h): SSE2 has no floor or blend instructions; both are built
 * from exact operations. */
static inline vf vf_abs(vf a) {
  return _mm_andnot_ps(_mm_set1_ps(-0.0f), a);
}
static inline vf vf_neg(vf a) {
  return _mm_xor_ps(_mm_set1_ps(-0.0f), a);
}
static inline vf vf_lt(vf a, vf b) {
  return _mm_cmplt_ps(a, b);
}
static inline vf vf_gt(vf a, vf b) {
  return _mm_cmpgt_ps(a, b);
}
static inline vf vf_select(vf mask, vf if_true, vf if_false) {
  return _mm_or_ps(_mm_and_ps(mask, if_true), _mm_andnot_ps(mask, if_false));
}
/* floor for |y| < 2^31: truncate, then step down where truncation went up (negative non-integers).
 */
static inline vf vf_floor(vf y) {
  vf t = _mm_cvtepi32_ps(_mm_cvttps_epi32(y));
  return _mm_sub_ps(t, _mm_and_ps(_mm_cmpgt_ps(t, y), _mm_set1_ps(1.0f)));
}
static inline vf vf_exp2i(vf n) {
  return _mm_castsi128_ps(
      _mm_slli_epi32(_mm_add_epi32(_mm_cvtps_epi32(n), _mm_set1_epi32(127)), 23));
}

/* The LSTM activations, written once over the primitives above. */
/* LANES integral floats (|v| <= 32767, or NaN) as int16: cvttps2dq gives 0x80000000 for NaN, so
 * NaN lanes are masked to 0 first (v == v is false only for NaN). */
static inline void q16_store(int16_t *q, vf v) {
  const __m128i ints = _mm_and_si128(_mm_cvttps_epi32(v), _mm_castps_si128(_mm_cmpeq_ps(v, v)));
  _mm_storel_epi64((__m128i *)(void *)q, _mm_packs_epi32(ints, ints));
}

/* quantize_q16, written once over the primitives above. */
#include "kernels/kernels_quantize.h"

#include "kernels/activations_body.h"

const mva_impl mva_sse2 = {"sse2", simd_lstm_cell, simd_tanh_inplace};

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int mvk_sse2_not_built;
#endif
