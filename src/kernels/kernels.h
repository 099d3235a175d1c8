/* kernels.h: the numeric kernels, one interface, several implementations.
 *
 * Every kernel is defined by an exact sequence of float operations, and every implementation
 * (scalar, SSE2, AVX2, WASM SIMD128) performs exactly that sequence, vectorising across *output
 * columns* only. So all builds give bit-identical results (CMake compiles with -ffp-contract=off:
 * no fused multiply-add), and a seed gives the same tokens natively and in the browser.
 *
 * Matrices are row-major. A kernel W[rows][cols] is a TF dense kernel [in][out].
 *
 *   gemm_f32: for each b < batch, c < cols:
 *               acc = y[b*ldy + c]
 *               for r = 0 .. rows-1 (in this order): acc = acc + x[b*ldx + r] * w[r*cols + c]
 *               y[b*ldy + c] = acc
 *   gemm_q8:  the same with w[r*cols + c] replaced by the product
 *               (x[b*ldx + r] * scales[r*nblk + c/block]) * (float)q[r*cols + c]
 *             i.e. acc = acc + ((x * s) * q), nblk = ceil(cols / block).
 *   axpy_f32: y[c] = y[c] + alpha * w[c]                  for c < n
 *   axpy_q8:  y[c] = y[c] + (alpha * s[c/block]) * (float)q[c]   for c < n
 *
 * Integer compute (int8 weights x int16 activations, layers.c quantizes the activations):
 *   gemm_q8i: for each b < batch, c < cols:
 *               acc = sum over p < npairs of  xq[b*ldxq + 2p] * pairs[(p*cols + c)*2]
 *                                           + xq[b*ldxq + 2p + 1] * pairs[(p*cols + c)*2 + 1]
 *                     in int32 (exact, so in any order; the caller keeps |acc| < 2^31)
 *               y[b*ldy + c] = y[b*ldy + c] + (float)acc * (xscale[b] * cscale[c])
 *             pairs holds weight rows two by two, interleaved per column (AVX2 vpmaddwd, SSE2
 *             pmaddwd and WASM i32x4.dot_i16x8_s multiply such int16 pairs and add them exactly).
 *   quantize_q16: the activations of gemm_q8i, for k < n with xu[k] = x[k] * u[k]:
 *               top = max over k of |xu[k]| (0 if none; a NaN is never the max)
 *               inv = top > 0 ? 32767 / top : 0;  *scale = top / 32767
 *               q[k] = round_even(xu[k] * inv) (as (v + 1.5 * 2^23) - 1.5 * 2^23), clamped to
 *                      +-32767, NaN -> 0          (quantize_scalar.h holds the per-value steps)
 */
#ifndef MVAE_KERNELS_H
#define MVAE_KERNELS_H

#include <stdint.h>

typedef struct mvk_impl {
  const char *name; /* "scalar", "sse2", "avx2", "wasm_simd128" */
  void (*gemm_f32)(float *y, int ldy, const float *x, int ldx, const float *w, int rows, int cols,
                   int batch);
  void (*gemm_q8)(float *y, int ldy, const float *x, int ldx, const int8_t *q, const float *scales,
                  int block, int rows, int cols, int batch);
  void (*axpy_f32)(float *y, float alpha, const float *w, int n);
  void (*axpy_q8)(float *y, float alpha, const int8_t *q, const float *scales, int block, int n);
  void (*gemm_q8i)(float *y, int ldy, const int16_t *xq, int ldxq, const float *xscale,
                   const int8_t *pairs, const float *cscale, int npairs, int cols, int batch);
  void (*quantize_q16)(const float *x, const float *u, int n, int16_t *q, float *scale);
} mvk_impl;

/* The default set: the widest this build holds and this CPU runs (scalar if the build says
 * MVAE_USE_SCALAR). */
const mvk_impl *mvk_active(void);
/* Every set this build holds and this CPU runs, scalar first, narrowest to widest. */
int mvk_count(void);
const mvk_impl *mvk_get(int index);

/* The kernel and activation sets named `name` ("scalar", "sse2", "avx2", "wasm_simd128"; NULL, ""
 * or "auto": the default). 0 if this build or CPU has no such set. */
struct mva_impl;
int mvk_select(const char *name, const mvk_impl **kernels, const struct mva_impl **activations);

/* The scalar twin, always present. */
extern const mvk_impl mvk_scalar;

#endif
