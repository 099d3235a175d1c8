/* size_math.h: overflow-safe size arithmetic for sizes computed from caller input or file fields.
 * On a 32-bit target (WebAssembly) a product such as batch x steps x depth x 4 bytes can wrap
 * around size_t; every such size goes through these helpers first. */
#ifndef MVAE_SIZE_MATH_H
#define MVAE_SIZE_MATH_H

#include <stddef.h>
#include <stdint.h>

/* *out = a * b; returns 0 (and leaves *out SIZE_MAX) if that does not fit in size_t. */
static inline int mvae_size_mul(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a) {
    *out = SIZE_MAX;
    return 0;
  }
  *out = a * b;
  return 1;
}

/* *out = a * b * c; 0 on overflow. */
static inline int mvae_size_mul3(size_t a, size_t b, size_t c, size_t *out) {
  size_t ab;
  return mvae_size_mul(a, b, &ab) && mvae_size_mul(ab, c, out);
}

/* a + b, saturating at SIZE_MAX (a later allocation of SIZE_MAX bytes then simply fails). */
static inline size_t mvae_size_add_sat(size_t a, size_t b) {
  return b > SIZE_MAX - a ? SIZE_MAX : a + b;
}

/* a * b, saturating at SIZE_MAX. */
static inline size_t mvae_size_mul_sat(size_t a, size_t b) {
  size_t out;
  mvae_size_mul(a, b, &out);
  return out;
}

#endif
