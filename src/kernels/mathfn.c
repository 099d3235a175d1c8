/* mathfn.c: exp, log, tanh, sigmoid and softplus from IEEE-754 + - * / and floor only.
 *
 * libm differs between glibc and musl (Emscripten) in the last bit, so a sampled token could differ
 * between the native build and the browser. These versions use only exactly rounded operations in
 * a fixed order, so they give the same bits everywhere (given -ffp-contract=off; every product is
 * also kept apart from its sum so that no compiler can fuse them).
 *
 * Polynomial coefficients are written as exact fractions: 1/k! for k <= 18 and 2/(2k+1) are single
 * correctly rounded divisions, folded identically by every compiler. */
#include "kernels/mathfn.h"

#include <math.h> /* floor only: exact on every platform */
#include <stdint.h>
#include <string.h>

/* ln 2 split so that n * LN2_HI is exact for |n| < 2^21 (LN2_HI has 21 trailing zero bits). */
static const double LN2_HI = 6.93147180369123816490e-01; /* 0x3fe62e42fee00000 */
static const double LN2_LO = 1.90821492927058770002e-10; /* 0x3dea39ef35793c76 */
static const double INV_LN2 = 1.44269504088896338700e+00;
static const double SQRT2 = 1.41421356237309514547e+00;

/* Bit patterns */
static const uint64_t EXPONENT_MASK = 0x7ff0000000000000ull;
static const uint64_t MANTISSA_MASK = 0x000fffffffffffffull;
static const uint64_t ONE_BITS = 0x3ff0000000000000ull;

static uint64_t bits_of(double x) {
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

static double from_bits(uint64_t u) {
  double x;
  memcpy(&x, &u, sizeof x);
  return x;
}

static double infinity(void) {
  return from_bits(EXPONENT_MASK);
}
static double quiet_nan(void) {
  return from_bits(0x7ff8000000000000ull);
}

/* 2^k for -1022 <= k <= 1023 (normal range). */
static double pow2(int k) {
  return from_bits((uint64_t)(k + 1023) << 52);
}

/* coef[0] + t * (coef[1] + t * (... + t * coef[n - 1])) */
static double horner(const double *coef, int n, double t) {
  double p = coef[n - 1];
  for (int i = n - 2; i >= 0; i--) {
    p = p * t;
    p = p + coef[i];
  }
  return p;
}

/* 1/k! for k = 0..18. Its first 14 terms give e^r for |r| <= 0.35 (truncation error below
 * 5e-18); from k = 1, its 18 terms give (e^y - 1) / y for 0 <= y < 1 (below 1e-17). */
static const double INV_FACTORIAL[19] = {1.0,
                                         1.0,
                                         1.0 / 2.0,
                                         1.0 / 6.0,
                                         1.0 / 24.0,
                                         1.0 / 120.0,
                                         1.0 / 720.0,
                                         1.0 / 5040.0,
                                         1.0 / 40320.0,
                                         1.0 / 362880.0,
                                         1.0 / 3628800.0,
                                         1.0 / 39916800.0,
                                         1.0 / 479001600.0,
                                         1.0 / 6227020800.0,
                                         1.0 / 87178291200.0,
                                         1.0 / 1307674368000.0,
                                         1.0 / 20922789888000.0,
                                         1.0 / 355687428096000.0,
                                         1.0 / 6402373705728000.0};

/* 2/(2k+1) for k = 1..11: T(z) = sum 2 z^k / (2k+1), z = s^2 <= 0.0295, error below 2e-19. */
static const double ATANH_SERIES[11] = {2.0 / 3.0,  2.0 / 5.0,  2.0 / 7.0,  2.0 / 9.0,
                                        2.0 / 11.0, 2.0 / 13.0, 2.0 / 15.0, 2.0 / 17.0,
                                        2.0 / 19.0, 2.0 / 21.0, 2.0 / 23.0};

double mvm_exp(double x) {
  if (x != x)
    return x + x;
  if (x > 709.8) /* e^709.8 > DBL_MAX; also +inf */
    return infinity();
  if (x < -745.2) /* below half the smallest subnormal; also -inf */
    return 0.0;
  /* x = n ln2 + r, |r| <= ln2 / 2 (plus rounding) */
  double n = x * INV_LN2;
  n = floor(n + 0.5);
  const double n_hi = n * LN2_HI; /* exact */
  const double n_lo = n * LN2_LO;
  const double r = (x - n_hi) - n_lo;
  const double p = horner(INV_FACTORIAL, 14, r);
  int k = (int)n;
  if (k > 1023) /* only k = 1024: p * 2 is exact, the last product overflows as it should */
    return (p * 2.0) * pow2(k - 1);
  if (k < -1021) /* subnormal result: an exact scaling, then one rounding */
    return (p * pow2(k + 54)) * pow2(-54);
  return p * pow2(k);
}

/* log(1 + f) for m = 1 + f in [sqrt(1/2), sqrt(2)], via s = f / (2 + f), log(1+f) = 2 atanh(s)
 * written as f - s (f - T(s^2)): the correction is small, so the rounding of s barely shows. */
static double log_reduced(double f) {
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double t = z * horner(ATANH_SERIES, 11, z);
  const double correction = s * (f - t);
  return f - correction;
}

double mvm_log(double x) {
  if (x != x)
    return x + x;
  if (x < 0.0)
    return quiet_nan();
  if (x == 0.0)
    return -infinity();
  if (x == infinity())
    return x;
  int e = 0;
  if ((bits_of(x) & EXPONENT_MASK) == 0) { /* subnormal: make it normal first (exact) */
    x = x * pow2(54);
    e = -54;
  }
  const uint64_t u = bits_of(x);
  e += (int)((u & EXPONENT_MASK) >> 52) - 1023;
  double m = from_bits((u & MANTISSA_MASK) | ONE_BITS); /* [1, 2) */
  if (m > SQRT2) {
    m = m * 0.5; /* exact */
    e += 1;
  }
  const double log_m = log_reduced(m - 1.0); /* m - 1 is exact */
  const double e_hi = (double)e * LN2_HI;    /* exact */
  const double e_lo = (double)e * LN2_LO;
  return e_hi + (log_m + e_lo);
}

/* log(1 + u) for 0 <= u <= 1: w = 1 + u is rounded, c = u - (w - 1) is that rounding error exactly
 * (w - 1 is exact), and log(1 + u) = log(w) + c / w to far below an ulp. */
static double log1p_unit(double u) {
  const double w = 1.0 + u;
  if (w == 1.0)
    return u;
  const double c = u - (w - 1.0);
  return mvm_log(w) + c / w;
}

double mvm_tanh(double x) {
  if (x != x || x == 0.0) /* NaN, and +-0 keeps its sign */
    return x + x;
  const double ax = x < 0.0 ? -x : x;
  double t;
  if (ax > 20.0) {
    t = 1.0; /* 1 - tanh(20) < 2^-57 */
  } else if (ax < 0.5) {
    /* tanh(a) = (e^2a - 1) / (e^2a + 1), with e^2a - 1 from its series: relative accuracy holds
     * down to the smallest a, where 1 - 2 / (e^2a + 1) would cancel. */
    const double y = 2.0 * ax;
    const double em1 = y * horner(INV_FACTORIAL + 1, 18, y);
    t = em1 / (em1 + 2.0);
  } else {
    const double e2 = mvm_exp(2.0 * ax);
    t = 1.0 - 2.0 / (e2 + 1.0);
  }
  return x < 0.0 ? -t : t;
}

double mvm_sigmoid(double x) {
  if (x != x)
    return x + x;
  if (x >= 0.0)
    return 1.0 / (1.0 + mvm_exp(-x));
  /* e^x / (1 + e^x): no overflow of e^-x, and tiny results keep their relative accuracy */
  const double e = mvm_exp(x);
  return e / (1.0 + e);
}

double mvm_softplus(double x) {
  if (x != x)
    return x + x;
  if (x > 35.0) /* log(1 + e^x) - x = log(1 + e^-x) < e^-35 / x < ulp(x) / 2; also +inf */
    return x;
  if (x < -35.0) /* log(1 + u) = u (1 - u/2 + ...), u < e^-35; also -inf -> 0 */
    return mvm_exp(x);
  if (x > 0.0) /* x + log(1 + e^-x): both terms positive */
    return x + log1p_unit(mvm_exp(-x));
  return log1p_unit(mvm_exp(x));
}
