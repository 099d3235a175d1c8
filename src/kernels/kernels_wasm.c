/* kernels_wasm.c: kernels.h and activations.h with WebAssembly SIMD128 vectors (4 floats).
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
#ifdef __wasm_simd128__

#include "kernels/kernels.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wasm_simd128.h>

#if defined(__GNUC__)
/* Tiles are instantiated with constant shapes; forced inlining lets their loops unroll into
 * registers. */
#define MVK_TILE static inline __attribute__((always_inline))
#else
#define MVK_TILE static inline
#endif

typedef v128_t vf;

/* Tile shapes (measured on Zen 3): f32 4x3 uses 12 accumulators + broadcast + product of the 16
 * vector registers. q8 4x4 needs a few more and the compiler spills some sums to L1, yet it beat
 * the spill-free 4x2, as the per-row scale product and broadcast are shared by twice the columns.
 * Four q8 vectors (16 columns here) also stay inside one 32-column scale block. The batch-1 f32
 * tile is 16 columns (4 vectors): under V8 (15 usable vector registers) a 32-column one spills, and
 * 16 made batch-1 decode 17% faster. The batch-1 q8 tile is 32 columns (8 vectors). Integer
 * compute: 6 batch rows x 2 vectors (V8 keeps a few of the 12 sums and 6 broadcast pairs on the
 * stack, yet the broadcasts are shared by more columns) and a 32-column batch-1 tile ran the
 * encoder's 1 MB recurrent matrix 10% (batch 16) and 15% (batch 1) faster under V8 than 4 x 2 and
 * 16 columns (Xeon, 2026-12-02). */
enum {
  LANES = 4,
  F32_TILE_BATCH = 4,
  F32_TILE_VECS = 3,
  Q8_TILE_BATCH = 4,
  Q8_TILE_VECS = 4,
  SINGLE_ROW_VECS = 4,
  Q8_SINGLE_ROW_VECS = 8,
  Q8I_TILE_BATCH = 6,
  Q8I_TILE_VECS = 2,
  Q8I_SINGLE_ROW_VECS = 8
};

#define VF_OP(op) wasm_f32x4_##op
#include "kernels/simd_ops.h"

static inline vf vf_load(const float *p) {
  return wasm_v128_load(p);
}
static inline void vf_store(float *p, vf v) {
  wasm_v128_store(p, v);
}
static inline vf vf_set1(float a) {
  return wasm_f32x4_splat(a);
}

/* int32 lanes (|q| < 2^22) to float, exactly: adding q to the bits of 1.5 * 2^23 gives the float
 * 1.5 * 2^23 + q, and subtracting 1.5 * 2^23 leaves q. Not f32x4.convert_i32x4 on the extended
 * bytes: LLVM folds extend + convert into a 16-bit conversion that wasm lacks and does it lane by
 * lane, several times slower. */
static inline vf q8_int_to_float(v128_t lanes) {
  const v128_t biased = wasm_i32x4_add(lanes, wasm_i32x4_splat(0x4B400000));
  return wasm_f32x4_sub(biased, wasm_f32x4_splat(12582912.0f));
}

/* nv * LANES int8 weights as floats (exact), two vectors per sign-extending 8-byte load. */
MVK_TILE void q8_load_vecs(const int8_t *q, vf *out, const int nv) {
  int j = 0;
  for (; j + 2 <= nv; j += 2) {
    const v128_t halves = wasm_i16x8_load8x8(q + j * LANES);
    out[j] = q8_int_to_float(wasm_i32x4_extend_low_i16x8(halves));
    out[j + 1] = q8_int_to_float(wasm_i32x4_extend_high_i16x8(halves));
  }
  if (j < nv) {
    const v128_t bytes = wasm_v128_load32_zero(q + j * LANES);
    out[j] = q8_int_to_float(wasm_i32x4_extend_low_i16x8(wasm_i16x8_extend_low_i8x16(bytes)));
  }
}

/* One row's scales for a vector whose lanes lie in blocks lane_block[0..LANES). */
static inline vf vf_gather_scales(const float *row_scales, const int *lane_block) {
  return wasm_f32x4_make(row_scales[lane_block[0]], row_scales[lane_block[1]],
                         row_scales[lane_block[2]], row_scales[lane_block[3]]);
}

/* Integer lanes: 4 columns x 2 rows of int8 widened to int16 by a sign-extending load,
 * i32x4.dot_i16x8_s multiplies them by one activation pair and adds each column's two products
 * into int32. */
typedef v128_t vi;
static inline vi vi_zero(void) {
  return wasm_i32x4_splat(0);
}
static inline vi vi_add(vi a, vi b) {
  return wasm_i32x4_add(a, b);
}
static inline vi vi_load_pairs(const int8_t *p) {
  return wasm_i16x8_load8x8(p);
}
static inline vi vi_set1_pair(const int16_t *x) {
  int32_t pair;
  memcpy(&pair, x, sizeof pair);
  return wasm_i32x4_splat(pair);
}
static inline vi vi_madd(vi w, vi x) {
  return wasm_i32x4_dot_i16x8(w, x);
}
static inline vf vi_to_vf(vi a) {
  return wasm_f32x4_convert_i32x4(a);
}

/* The blocked kernels themselves, written once over the primitives above. */
#include "kernels/kernels_tiles.h"

/* Defined below, after the lane primitives it shares with the activations. */
static void simd_quantize_q16(const float *x, const float *u, int n, int16_t *q, float *scale);

const mvk_impl mvk_wasm_simd128 = {"wasm_simd128", simd_gemm_f32, simd_gemm_q8,     simd_axpy_f32,
                                   simd_axpy_q8,   simd_gemm_q8i, simd_quantize_q16};

/* ---- Activations (activations_body.h). f32x4 min/max propagate NaN, as the scalar comparisons
 * leave it in place. */
static inline vf vf_abs(vf a) {
  return wasm_f32x4_abs(a);
}
static inline vf vf_neg(vf a) {
  return wasm_f32x4_neg(a);
}
static inline vf vf_lt(vf a, vf b) {
  return wasm_f32x4_lt(a, b);
}
static inline vf vf_gt(vf a, vf b) {
  return wasm_f32x4_gt(a, b);
}
static inline vf vf_select(vf mask, vf if_true, vf if_false) {
  return wasm_v128_bitselect(if_true, if_false, mask);
}
static inline vf vf_floor(vf y) {
  return wasm_f32x4_floor(y);
}
static inline vf vf_exp2i(vf n) {
  return wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
}

/* The LSTM activations, written once over the primitives above. */
/* LANES integral floats (|v| <= 32767, or NaN) as int16: i32x4.trunc_sat_f32x4_s gives 0 for NaN.
 */
static inline void q16_store(int16_t *q, vf v) {
  const v128_t ints = wasm_i32x4_trunc_sat_f32x4(v);
  wasm_v128_store64_lane(q, wasm_i16x8_narrow_i32x4(ints, ints), 0);
}

/* quantize_q16, written once over the primitives above. */
#include "kernels/kernels_quantize.h"

#include "kernels/activations_body.h"

const mva_impl mva_wasm_simd128 = {"wasm_simd128", simd_lstm_cell, simd_tanh_inplace};

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int mvk_wasm_not_built;
#endif
