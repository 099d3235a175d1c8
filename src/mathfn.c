/* mathfn.c: exp, log, tanh, sigmoid and softplus from exactly-rounded IEEE operations only (+ - * /,
 * sqrt, floor and exponent-bit arithmetic), so every platform computes the same bits. */
#include "mathfn.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static double from_bits(uint64_t bits) {
  double x;
  memcpy(&x, &bits, sizeof x);
  return x;
}

static uint64_t to_bits(double x) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  return bits;
}

/* 2^n for n in [-1022, 1023] (a normal double). */
static double pow2(int n) { return from_bits((uint64_t)(n + 1023) << 52); }

static const double LN2_HI = 6.93147180369123816490e-01; /* high bits of ln 2: n * LN2_HI is exact */
static const double LN2_LO = 1.90821492927058770002e-10;
static const double INV_LN2 = 1.44269504088896338700e+00;

double mvm_exp(double x) {
  if (x != x)
    return x;
  if (x > 709.782712893384)
    return INFINITY;
  if (x < -745.1332191019412)
    return 0.0;
  /* x = n ln2 + r with |r| <= ln2 / 2; exp(r) by its Taylor series to r^13 (error < 1e-17). */
  double n = floor(x * INV_LN2 + 0.5);
  double r = (x - n * LN2_HI) - n * LN2_LO;
  double p = 1.0 / 6227020800.0; /* 1/13! */
  static const double inv_fact[13] = {1.0,
                                      1.0,
                                      1.0 / 2,
                                      1.0 / 6,
                                      1.0 / 24,
                                      1.0 / 120,
                                      1.0 / 720,
                                      1.0 / 5040,
                                      1.0 / 40320,
                                      1.0 / 362880,
                                      1.0 / 3628800,
                                      1.0 / 39916800,
                                      1.0 / 479001600};
  for (int k = 12; k >= 0; k--)
    p = p * r + inv_fact[k];
  int e = (int)n;
  /* Scale in two steps so that results near the overflow and underflow ends stay exact. */
  if (e > 1000)
    return p * pow2(1000) * pow2(e - 1000);
  if (e < -1000)
    return p * pow2(-1000) * pow2(e + 1000);
  return p * pow2(e);
}

double mvm_log(double x) {
  if (x != x || x < 0.0)
    return NAN;
  if (x == 0.0)
    return -INFINITY;
  if (x == INFINITY)
    return x;
  int e = 0;
  if (x < 2.2250738585072014e-308) { /* subnormal: normalise first */
    x *= 18014398509481984.0;         /* 2^54 */
    e = -54;
  }
  uint64_t bits = to_bits(x);
  e += (int)((bits >> 52) & 0x7ff) - 1023;
  double m = from_bits((bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull); /* [1, 2) */
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e++;
  }
  /* log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716: the odd series to s^27. */
  double s = (m - 1.0) / (m + 1.0), s2 = s * s, sum = 0.0;
  for (int k = 27; k >= 3; k -= 2)
    sum = sum * s2 + 1.0 / k;
  double log_m = 2.0 * s + 2.0 * s * s2 * sum;
  return e * LN2_HI + (log_m + e * LN2_LO);
}

double mvm_tanh(double x) {
  if (x != x)
    return x;
  double a = x < 0 ? -x : x;
  double t;
  if (a > 22.0) {
    t = 1.0;
  } else if (a < 0.5) {
    /* Near 0, 1 - 2/(e^2x + 1) cancels; use exp(2a) - 1 computed as a sum instead:
     * tanh(a) = em1 / (em1 + 2) with em1 = expm1(2a) from its Taylor series (terms to (2a)^22). */
    double y = 2.0 * a, term = y, em1 = y;
    for (int k = 2; k <= 22; k++) {
      term *= y / k;
      em1 += term;
    }
    t = em1 / (em1 + 2.0);
  } else {
    t = 1.0 - 2.0 / (mvm_exp(2.0 * a) + 1.0);
  }
  return x < 0 ? -t : t;
}

double mvm_sigmoid(double x) {
  if (x != x)
    return x;
  if (x >= 0)
    return 1.0 / (1.0 + mvm_exp(-x));
  double e = mvm_exp(x); /* no overflow for very negative x */
  return e / (1.0 + e);
}

double mvm_softplus(double x) {
  if (x != x)
    return x;
  if (x > 36.0)
    return x; /* log(1 + e^x) = x + log(1 + e^-x), and e^-36 is below double precision of x */
  if (x < -36.0)
    return mvm_exp(x);
  double e = mvm_exp(x);
  /* log1p(e) without libm: log(1 + e) corrected by the rounding error of 1 + e. */
  double u = 1.0 + e;
  if (u == 1.0)
    return e;
  return mvm_log(u) * (e / (u - 1.0));
}
