/* kernels_scalar.c: the reference implementation of kernels.h, in plain C.
 *
 * Every SIMD set must reproduce these results bit for bit. The loops run rows outside columns,
 * which leaves each element's sequence of operations exactly as kernels.h defines it (rows in
 * order) while letting the compiler stream over contiguous weights. Each product is its own
 * statement so that no compiler may fuse it with the addition, whatever its -ffp-contract default.
 */
#include "kernels/kernels.h"
#include "kernels/quantize_scalar.h"

#include <stddef.h>

static void scalar_gemm_f32(float *y, int ldy, const float *x, int ldx, const float *w, int rows,
                            int cols, int batch) {
  for (int b = 0; b < batch; b++) {
    float *yb = y + (size_t)b * (size_t)ldy;
    const float *xb = x + (size_t)b * (size_t)ldx;
    for (int r = 0; r < rows; r++) {
      const float xr = xb[r];
      const float *wr = w + (size_t)r * (size_t)cols;
      for (int c = 0; c < cols; c++) {
        const float product = xr * wr[c];
        yb[c] = yb[c] + product;
      }
    }
  }
}

static void scalar_gemm_q8(float *y, int ldy, const float *x, int ldx, const int8_t *q,
                           const float *scales, int block, int rows, int cols, int batch) {
  const int nblk = (cols + block - 1) / block;
  for (int b = 0; b < batch; b++) {
    float *yb = y + (size_t)b * (size_t)ldy;
    const float *xb = x + (size_t)b * (size_t)ldx;
    for (int r = 0; r < rows; r++) {
      const int8_t *qr = q + (size_t)r * (size_t)cols;
      const float *sr = scales + (size_t)r * (size_t)nblk;
      for (int blk = 0; blk < nblk; blk++) {
        const float xs = xb[r] * sr[blk];
        const int c_end = cols - blk * block < block ? cols : (blk + 1) * block;
        for (int c = blk * block; c < c_end; c++) {
          const float product = xs * (float)qr[c];
          yb[c] = yb[c] + product;
        }
      }
    }
  }
}

static void scalar_axpy_f32(float *y, float alpha, const float *w, int n) {
  for (int c = 0; c < n; c++) {
    const float product = alpha * w[c];
    y[c] = y[c] + product;
  }
}

static void scalar_axpy_q8(float *y, float alpha, const int8_t *q, const float *scales, int block,
                           int n) {
  for (int start = 0, blk = 0; start < n; start += block, blk++) {
    const float as = alpha * scales[blk];
    const int end = n - start < block ? n : start + block;
    for (int c = start; c < end; c++) {
      const float product = as * (float)q[c];
      y[c] = y[c] + product;
    }
  }
}

static void scalar_gemm_q8i(float *y, int ldy, const int16_t *xq, int ldxq, const float *xscale,
                            const int8_t *pairs, const float *cscale, int npairs, int cols,
                            int batch) {
  for (int b = 0; b < batch; b++) {
    float *yb = y + (size_t)b * (size_t)ldy;
    const int16_t *xb = xq + (size_t)b * (size_t)ldxq;
    for (int c = 0; c < cols; c++) {
      int32_t acc = 0;
      for (int p = 0; p < npairs; p++) {
        const int8_t *w = pairs + ((size_t)p * (size_t)cols + (size_t)c) * 2;
        acc += (int32_t)xb[2 * p] * w[0] + (int32_t)xb[2 * p + 1] * w[1];
      }
      const float scale = xscale[b] * cscale[c];
      const float product = (float)acc * scale;
      yb[c] = yb[c] + product;
    }
  }
}

static void scalar_quantize_q16(const float *x, const float *u, int n, int16_t *q, float *scale) {
  float top = 0.0f;
  for (int k = 0; k < n; k++)
    top = mvk_q16_top(top, x[k] * u[k]);
  const float inv = mvk_q16_inv(top);
  *scale = top / 32767.0f;
  for (int k = 0; k < n; k++)
    q[k] = mvk_q16_value(x[k] * u[k], inv);
}

const mvk_impl mvk_scalar = {"scalar",       scalar_gemm_f32, scalar_gemm_q8,     scalar_axpy_f32,
                             scalar_axpy_q8, scalar_gemm_q8i, scalar_quantize_q16};
