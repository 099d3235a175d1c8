/* test_kernels.c: every kernel set against the scalar set (bit for bit) and against float64.
 *
 * Buffers are malloc'ed at their exact sizes so that AddressSanitizer catches any read past the end
 * of x, w, q or scales, and every gap of y between batch rows holds a guard value that must
 * survive.
 */
#include "kernels/kernels.h"
#include "test_splitmix.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUARD_VALUE 12345.678f
#define MAX_REL_ERROR 1e-5

static int rng_int(rng *g, int lo, int hi) { /* inclusive */
  return lo + (int)(rng_next(g) % (uint64_t)(hi - lo + 1));
}

static float rng_float(rng *g, float lo, float hi) {
  return lo + (hi - lo) * (float)((double)(rng_next(g) >> 40) / (double)(1ull << 24));
}

static int pick(rng *g, const int *values, int count) {
  return values[rng_int(g, 0, count - 1)];
}

static void *xmalloc(size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

typedef struct stats {
  long cases;
  long failures;
  double max_rel_error_f32;
  double max_rel_error_q8;
  double max_rel_error_axpy;
} stats;

static void fail(stats *st, const char *what, const char *impl, int rows, int cols, int batch,
                 int block, const char *detail) {
  if (st->failures < 20)
    fprintf(stderr, "FAIL %s [%s] rows=%d cols=%d batch=%d block=%d: %s\n", what, impl, rows, cols,
            batch, block, detail);
  st->failures++;
}

/* y laid out as batch rows of ldy floats; the last row stops at cols, so the buffer is exact. */
static size_t y_size(int ldy, int cols, int batch) {
  return (size_t)(batch - 1) * (size_t)ldy + (size_t)cols;
}

static void fill_y(float *y, const float *y0, int ldy, int cols, int batch) {
  for (size_t i = 0; i < y_size(ldy, cols, batch); i++)
    y[i] = (int)(i % (size_t)ldy) < cols ? y0[i] : GUARD_VALUE;
}

static int guards_intact(const float *y, int ldy, int cols, int batch) {
  for (size_t i = 0; i < y_size(ldy, cols, batch); i++)
    if ((int)(i % (size_t)ldy) >= cols && y[i] != GUARD_VALUE)
      return 0;
  return 1;
}

/* Largest |y - y64| / (sum_r |x w| + |y0| + tiny) over the outputs. */
static double max_rel_error(const float *y, const double *y64, const double *scale, int ldy,
                            int cols, int batch) {
  double worst = 0.0;
  for (int b = 0; b < batch; b++)
    for (int c = 0; c < cols; c++) {
      const size_t i = (size_t)b * (size_t)ldy + (size_t)c;
      const double e = fabs((double)y[i] - y64[i]) / (scale[i] + 1e-30);
      if (!(e <= worst))
        worst = e; /* also catches NaN */
    }
  return worst;
}

static void test_gemm(rng *g, stats *st, int quantized) {
  static const int col_choices[] = {1,  2,  3,  4,  7,  8,   9,   15,  16,   17,   31,  32,
                                    33, 63, 64, 65, 90, 127, 257, 512, 1023, 1024, 1100};
  static const int row_choices[] = {1, 2, 3, 5, 17, 255, 256, 257, 513, 700};
  const int rows = rng_int(g, 0, 1) ? pick(g, row_choices, 10) : rng_int(g, 1, 700);
  const int cols = rng_int(g, 0, 1) ? pick(g, col_choices, 23) : rng_int(g, 1, 1100);
  int batch = rng_int(g, 1, 17);
  /* Keep the work per case bounded so the test stays fast under sanitizers. */
  while (batch > 1 && (double)rows * cols * batch > 4e6)
    batch--;
  const int ldx = rows + (rng_int(g, 0, 2) == 0 ? rng_int(g, 1, 9) : 0);
  const int ldy = cols + (rng_int(g, 0, 2) == 0 ? rng_int(g, 1, 9) : 0);
  int block = cols;
  if (quantized) {
    const int block_choices[] = {1, 7, 8, 16, 32, 32, 32, cols, cols, rng_int(g, 1, cols)};
    block = pick(g, block_choices, 10);
  }
  const int nblk = (cols + block - 1) / block;

  const size_t nx = (size_t)(batch - 1) * (size_t)ldx + (size_t)rows;
  const size_t nw = (size_t)rows * (size_t)cols;
  const size_t ns = (size_t)rows * (size_t)nblk;
  const size_t ny = y_size(ldy, cols, batch);
  float *x = xmalloc(nx * sizeof *x);
  float *w = quantized ? NULL : xmalloc(nw * sizeof *w);
  int8_t *q = quantized ? xmalloc(nw) : NULL;
  float *scales = quantized ? xmalloc(ns * sizeof *scales) : NULL;
  float *y0 = xmalloc(ny * sizeof *y0);
  float *y_ref = xmalloc(ny * sizeof *y_ref);
  float *y_impl = xmalloc(ny * sizeof *y_impl);
  double *y64 = xmalloc(ny * sizeof *y64);
  double *scale = xmalloc(ny * sizeof *scale);

  for (size_t i = 0; i < nx; i++)
    x[i] = rng_float(g, -1.0f, 1.0f);
  for (size_t i = 0; i < ny; i++)
    y0[i] = rng_float(g, -2.0f, 2.0f);
  if (quantized) {
    for (size_t i = 0; i < nw; i++)
      q[i] = (int8_t)rng_int(g, -127, 127);
    for (size_t i = 0; i < ns; i++)
      scales[i] = rng_float(g, 1e-4f, 2e-2f);
  } else {
    for (size_t i = 0; i < nw; i++)
      w[i] = rng_float(g, -0.5f, 0.5f);
  }

  /* float64 reference */
  for (int b = 0; b < batch; b++)
    for (int c = 0; c < cols; c++) {
      const size_t i = (size_t)b * (size_t)ldy + (size_t)c;
      double sum = y0[i], abs_sum = fabs((double)y0[i]);
      for (int r = 0; r < rows; r++) {
        const size_t k = (size_t)r * (size_t)cols + (size_t)c;
        const double wv =
            quantized ? (double)scales[(size_t)r * (size_t)nblk + (size_t)(c / block)] * q[k]
                      : (double)w[k];
        const double term = (double)x[(size_t)b * (size_t)ldx + (size_t)r] * wv;
        sum += term;
        abs_sum += fabs(term);
      }
      y64[i] = sum;
      scale[i] = abs_sum;
    }

  const char *what = quantized ? "gemm_q8" : "gemm_f32";
  for (int k = 0; k < mvk_count(); k++) {
    const mvk_impl *impl = mvk_get(k);
    float *y = k == 0 ? y_ref : y_impl;
    fill_y(y, y0, ldy, cols, batch);
    if (quantized)
      impl->gemm_q8(y, ldy, x, ldx, q, scales, block, rows, cols, batch);
    else
      impl->gemm_f32(y, ldy, x, ldx, w, rows, cols, batch);
    if (!guards_intact(y, ldy, cols, batch))
      fail(st, what, impl->name, rows, cols, batch, block, "wrote outside [b*ldy, b*ldy+cols)");
    if (k == 0) {
      const double e = max_rel_error(y, y64, scale, ldy, cols, batch);
      double *worst = quantized ? &st->max_rel_error_q8 : &st->max_rel_error_f32;
      if (e > *worst)
        *worst = e;
      if (!(e < MAX_REL_ERROR)) {
        char detail[64];
        snprintf(detail, sizeof detail, "relative error %.3g vs float64", e);
        fail(st, what, impl->name, rows, cols, batch, block, detail);
      }
    } else if (memcmp(y_ref, y_impl, ny * sizeof *y_ref) != 0) {
      fail(st, what, impl->name, rows, cols, batch, block, "differs from scalar");
    }
  }
  st->cases++;
  free(x);
  free(w);
  free(q);
  free(scales);
  free(y0);
  free(y_ref);
  free(y_impl);
  free(y64);
  free(scale);
}

static void test_axpy(rng *g, stats *st, int quantized) {
  const int n = rng_int(g, 0, 3) == 0 ? rng_int(g, 1, 40) : rng_int(g, 1, 1100);
  const int block_choices[] = {1, 7, 8, 32, n, rng_int(g, 1, n)};
  const int block = quantized ? pick(g, block_choices, 6) : n;
  const int nblk = (n + block - 1) / block;
  const float alpha = rng_float(g, -3.0f, 3.0f);
  float *w = quantized ? NULL : xmalloc((size_t)n * sizeof *w);
  int8_t *q = quantized ? xmalloc((size_t)n) : NULL;
  float *scales = quantized ? xmalloc((size_t)nblk * sizeof *scales) : NULL;
  float *y0 = xmalloc((size_t)n * sizeof *y0);
  float *y_ref = xmalloc((size_t)n * sizeof *y_ref);
  float *y_impl = xmalloc((size_t)n * sizeof *y_impl);
  for (int c = 0; c < n; c++) {
    y0[c] = rng_float(g, -2.0f, 2.0f);
    if (quantized)
      q[c] = (int8_t)rng_int(g, -128, 127);
    else
      w[c] = rng_float(g, -1.0f, 1.0f);
  }
  for (int k = 0; quantized && k < nblk; k++)
    scales[k] = rng_float(g, 1e-3f, 1e-1f);

  const char *what = quantized ? "axpy_q8" : "axpy_f32";
  for (int k = 0; k < mvk_count(); k++) {
    const mvk_impl *impl = mvk_get(k);
    float *y = k == 0 ? y_ref : y_impl;
    memcpy(y, y0, (size_t)n * sizeof *y);
    if (quantized)
      impl->axpy_q8(y, alpha, q, scales, block, n);
    else
      impl->axpy_f32(y, alpha, w, n);
    if (k == 0) {
      for (int c = 0; c < n; c++) {
        const double term =
            quantized ? (double)alpha * scales[c / block] * q[c] : (double)alpha * (double)w[c];
        const double e = fabs(y[c] - (y0[c] + term)) / (fabs(term) + fabs(y0[c]) + 1e-30);
        if (e > st->max_rel_error_axpy)
          st->max_rel_error_axpy = e;
        if (!(e < MAX_REL_ERROR))
          fail(st, what, impl->name, 1, n, 1, block, "relative error vs float64");
      }
    } else if (memcmp(y_ref, y_impl, (size_t)n * sizeof *y_ref) != 0) {
      fail(st, what, impl->name, 1, n, 1, block, "differs from scalar");
    }
  }
  st->cases++;
  free(w);
  free(q);
  free(scales);
  free(y0);
  free(y_ref);
  free(y_impl);
}

/* gemm_q8i: every set must give exactly the contract of kernels.h, with the sums done here in
 * int64 (up to 128 pairs of full-range int16 x int8: |sum| < 2^31). */
static void test_gemm_q8i(rng *g, stats *st) {
  const int npairs = rng_int(g, 0, 3) == 0 ? rng_int(g, 0, 4) : rng_int(g, 1, 128);
  const int cols = rng_int(g, 0, 1) ? rng_int(g, 1, 70) : rng_int(g, 1, 1100);
  const int batch = rng_int(g, 1, 17);
  const int ldxq = 2 * npairs + (rng_int(g, 0, 2) == 0 ? rng_int(g, 1, 9) : 0);
  const int ldy = cols + (rng_int(g, 0, 2) == 0 ? rng_int(g, 1, 9) : 0);
  const size_t ny = (size_t)ldy * (size_t)batch;
  int16_t *xq = xmalloc(((size_t)ldxq * (size_t)batch + 1) * sizeof *xq);
  int8_t *pairs = xmalloc((size_t)npairs * (size_t)cols * 2 + 1);
  float *xs = xmalloc((size_t)batch * sizeof *xs), *cs = xmalloc((size_t)cols * sizeof *cs);
  float *y0 = xmalloc(ny * sizeof *y0), *y = xmalloc(ny * sizeof *y);
  float *expect = xmalloc(ny * sizeof *expect);
  const int extreme = rng_int(g, 0, 4) == 0; /* every value at the end of its range */
  for (size_t i = 0; i < (size_t)ldxq * (size_t)batch; i++)
    xq[i] = (int16_t)(extreme ? 32767 : rng_int(g, -32767, 32767));
  for (size_t i = 0; i < (size_t)npairs * (size_t)cols * 2; i++)
    pairs[i] = (int8_t)(extreme ? 127 : rng_int(g, -127, 127));
  for (int b = 0; b < batch; b++)
    xs[b] = rng_float(g, 1e-6f, 1e-3f);
  for (int c = 0; c < cols; c++)
    cs[c] = rng_float(g, 1e-4f, 1e-2f);
  for (size_t i = 0; i < ny; i++)
    y0[i] = rng_float(g, -2.0f, 2.0f);
  memcpy(expect, y0, ny * sizeof *y0);
  for (int b = 0; b < batch; b++)
    for (int c = 0; c < cols; c++) {
      int64_t acc = 0;
      for (int p = 0; p < npairs; p++)
        for (int k = 0; k < 2; k++)
          acc += (int64_t)xq[(size_t)b * ldxq + 2 * p + k] * pairs[((size_t)p * cols + c) * 2 + k];
      const float scale = xs[b] * cs[c];
      const float product = (float)(int32_t)acc * scale;
      float *e = &expect[(size_t)b * ldy + c];
      *e = *e + product;
    }
  for (int k = 0; k < mvk_count(); k++) {
    const mvk_impl *impl = mvk_get(k);
    memcpy(y, y0, ny * sizeof *y);
    impl->gemm_q8i(y, ldy, xq, ldxq, xs, pairs, cs, npairs, cols, batch);
    int same = 1;
    for (int b = 0; b < batch; b++)
      same &= !memcmp(y + (size_t)b * ldy, expect + (size_t)b * ldy, (size_t)cols * sizeof *y) &&
              !memcmp(y + (size_t)b * ldy + cols, y0 + (size_t)b * ldy + cols,
                      (size_t)(ldy - cols) * sizeof *y);
    if (!same)
      fail(st, "gemm_q8i", impl->name, 2 * npairs, cols, batch, 0,
           "differs from the exact integer sums");
  }
  st->cases++;
  free(xq);
  free(pairs);
  free(xs);
  free(cs);
  free(y0);
  free(y);
  free(expect);
}

/* quantize_q16: every set must give the contract of kernels.h bit for bit, worked here from it in
 * float (round to nearest even by nearbyintf, which the test's default rounding mode makes so),
 * on spans with zeros, huge values, infinities and NaN among the activations. */
static void test_quantize_q16(rng *g, stats *st) {
  const int n = rng_int(g, 0, 3) == 0 ? rng_int(g, 0, 9) : rng_int(g, 1, 300);
  float *x = xmalloc(((size_t)n + 1) * sizeof *x), *u = xmalloc(((size_t)n + 1) * sizeof *u);
  int16_t *expect = xmalloc(((size_t)n + 1) * sizeof *expect);
  int16_t *q = xmalloc(((size_t)n + 2) * sizeof *q);
  const int kind = rng_int(g, 0, 4); /* 0: zeros, 1: a NaN, 2: an infinity, else plain */
  for (int k = 0; k < n; k++) {
    x[k] = rng_float(g, -4.0f, 4.0f);
    u[k] = rng_float(g, 0.01f, 2.0f);
  }
  if (kind == 0)
    for (int k = 0; k < n; k++)
      x[k] = rng_int(g, 0, 1) ? 0.0f : x[k];
  if (kind == 1 && n > 0)
    x[rng_int(g, 0, n - 1)] = NAN;
  if (kind == 2 && n > 0)
    x[rng_int(g, 0, n - 1)] = -INFINITY;
  float top = 0.0f;
  for (int k = 0; k < n; k++) {
    const float a = fabsf(x[k] * u[k]);
    if (a > top)
      top = a;
  }
  const float inv = top > 0.0f ? 32767.0f / top : 0.0f, scale = top / 32767.0f;
  for (int k = 0; k < n; k++) {
    const float v = nearbyintf((x[k] * u[k]) * inv);
    expect[k] = v != v ? 0 : v > 32767.0f ? 32767 : v < -32767.0f ? -32767 : (int16_t)v;
  }
  for (int k = 0; k < mvk_count(); k++) {
    const mvk_impl *impl = mvk_get(k);
    float got_scale = -1.0f;
    q[n] = 12345; /* guard */
    impl->quantize_q16(x, u, n, q, &got_scale);
    if (memcmp(&got_scale, &scale, sizeof scale) ||
        (n && memcmp(q, expect, (size_t)n * sizeof *q)) || q[n] != 12345)
      fail(st, "quantize_q16", impl->name, n, 1, 1, kind, "differs from the contract");
  }
  st->cases++;
  free(x);
  free(u);
  free(expect);
  free(q);
}

/* rows = 0 or batch = 0 must leave y untouched. */
static void test_empty(stats *st) {
  float y[3] = {1.0f, 2.0f, 3.0f};
  const float x[1] = {5.0f};
  const float w[3] = {1.0f, 1.0f, 1.0f};
  const int8_t q[3] = {1, 1, 1};
  const float s[1] = {1.0f};
  for (int k = 0; k < mvk_count(); k++) {
    const mvk_impl *impl = mvk_get(k);
    impl->gemm_f32(y, 3, x, 1, w, 0, 3, 1);
    impl->gemm_f32(y, 3, x, 1, w, 1, 3, 0);
    impl->gemm_q8(y, 3, x, 1, q, s, 3, 0, 3, 1);
    impl->gemm_q8(y, 3, x, 1, q, s, 3, 1, 3, 0);
    impl->axpy_f32(y, 2.0f, w, 0);
    impl->axpy_q8(y, 2.0f, q, s, 3, 0);
    if (y[0] != 1.0f || y[1] != 2.0f || y[2] != 3.0f)
      fail(st, "empty shapes", impl->name, 0, 3, 0, 3, "y changed");
  }
}

int main(void) {
  stats st = {0, 0, 0.0, 0.0, 0.0};
  rng g = {0x5EEDC0DEull};

  if (mvk_count() < 1 || mvk_get(0) != &mvk_scalar || mvk_get(mvk_count()) != NULL ||
      mvk_get(-1) != NULL) {
    fprintf(stderr, "FAIL: mvk_get must list the scalar set first and end at mvk_count()\n");
    return 1;
  }
  int active_listed = 0;
  for (int k = 0; k < mvk_count(); k++)
    active_listed |= mvk_get(k) == mvk_active();
  if (!active_listed) {
    fprintf(stderr, "FAIL: mvk_active() is not among mvk_get()\n");
    return 1;
  }

  test_empty(&st);
  for (int i = 0; i < 150; i++) {
    test_gemm(&g, &st, 0);
    test_gemm(&g, &st, 1);
  }
  for (int i = 0; i < 200; i++)
    test_gemm_q8i(&g, &st);
  for (int i = 0; i < 400; i++)
    test_quantize_q16(&g, &st);
  for (int i = 0; i < 300; i++) {
    test_axpy(&g, &st, 0);
    test_axpy(&g, &st, 1);
  }

  printf("test_kernels: %ld cases on", st.cases);
  for (int k = 0; k < mvk_count(); k++)
    printf(" %s%s", mvk_get(k)->name, mvk_get(k) == mvk_active() ? "*" : "");
  printf("; max rel error gemm_f32 %.2e gemm_q8 %.2e axpy %.2e; %ld failures\n",
         st.max_rel_error_f32, st.max_rel_error_q8, st.max_rel_error_axpy, st.failures);
  return st.failures == 0 ? 0 : 1;
}
