/* quantize_scalar.h: the per-value steps of quantize_q16 (kernels.h), shared by the scalar set and
 * the SIMD sets' tails so that every set performs the same operations. Not a public header. */
#ifndef MVAE_QUANTIZE_SCALAR_H
#define MVAE_QUANTIZE_SCALAR_H

#include <math.h>
#include <stdint.h>

/* The running max of |x * u|: a NaN is never taken (the comparison is false). */
static inline float mvk_q16_top(float top, float xu) {
  return fabsf(xu) > top ? fabsf(xu) : top;
}

/* 32767 / top, or 0 for an all-zero span. */
static inline float mvk_q16_inv(float top) {
  return top > 0.0f ? 32767.0f / top : 0.0f;
}

/* round(xu * inv) ties to even (adding and subtracting 1.5 * 2^23 rounds |v| < 2^22 so), clamped
 * to +-32767; NaN (activations overflowed to infinity) becomes 0, not undefined behaviour. */
static inline int16_t mvk_q16_value(float xu, float inv) {
  const float magic = 12582912.0f;
  float v = xu * inv;
  v = (v + magic) - magic;
  v = v > 32767.0f ? 32767.0f : v < -32767.0f ? -32767.0f : v;
  return v == v ? (int16_t)v : 0;
}

#endif
