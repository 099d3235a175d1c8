/* test_mathfn.c: the deterministic functions against long-double libm.
 *
 * About a million points over wide ranges plus the special values. The error measure is
 * |f - ref| / max(|ref|, DBL_MIN): relative for normal results, and absolute at the subnormal
 * scale, where no function can keep 53 bits. A checksum of the bits at fixed points guards the
 * cross-platform promise: it must be the same on every compiler and target. */
#include "kernels/mathfn.h"
#include "test_splitmix.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DOUBLE_BOUND 1e-13
#define FLOAT_BOUND 3e-7

/* uniform in [0, 1) */
static double rng_unit(rng *g) {
  return (double)(rng_next(g) >> 11) * 0x1p-53;
}

static double uniform(rng *g, double lo, double hi) {
  return lo + (hi - lo) * rng_unit(g);
}

/* +-10^e with e uniform in [lo_exp, hi_exp]: covers every scale. */
static double log_uniform(rng *g, double lo_exp, double hi_exp) {
  const double v = pow(10.0, uniform(g, lo_exp, hi_exp));
  return (rng_next(g) & 1) ? -v : v;
}

typedef enum { F_EXP, F_LOG, F_TANH, F_SIGMOID, F_SOFTPLUS, F_COUNT } function_id;

static const char *const function_names[F_COUNT] = {"exp", "log", "tanh", "sigmoid", "softplus"};

static double evaluate(function_id f, double x) {
  switch (f) {
  case F_EXP:
    return mvm_exp(x);
  case F_LOG:
    return mvm_log(x);
  case F_TANH:
    return mvm_tanh(x);
  case F_SIGMOID:
    return mvm_sigmoid(x);
  default:
    return mvm_softplus(x);
  }
}

static long double reference(function_id f, double x) {
  const long double lx = x;
  switch (f) {
  case F_EXP:
    return expl(lx);
  case F_LOG:
    return logl(lx);
  case F_TANH:
    return tanhl(lx);
  case F_SIGMOID:
    return 1.0L / (1.0L + expl(-lx));
  default:
    return lx > 0 ? lx + log1pl(expl(-lx)) : log1pl(expl(lx));
  }
}

typedef struct stats {
  long points;
  long failures;
  double max_error[F_COUNT];
  double worst_x[F_COUNT];
  double max_float_error[2];
} stats;

static double error_of(long double got, long double ref, double floor_scale) {
  if (isnan(ref))
    return isnan(got) ? 0.0 : INFINITY;
  if (isinf((double)ref)) /* beyond DBL_MAX after rounding: the double result is infinite */
    return got == (double)ref ? 0.0 : INFINITY;
  const long double scale = fabsl(ref) > floor_scale ? fabsl(ref) : floor_scale;
  const double e = (double)(fabsl(got - ref) / scale);
  return e == e ? e : INFINITY;
}

static void check(stats *st, function_id f, double x) {
  const double got = evaluate(f, x);
  const double e = error_of(got, reference(f, x), DBL_MIN);
  st->points++;
  if (e > st->max_error[f]) {
    st->max_error[f] = e;
    st->worst_x[f] = x;
  }
  if (!(e < DOUBLE_BOUND)) {
    if (st->failures < 20)
      fprintf(stderr, "FAIL %s(%.17g) = %.17g, expected %.17Lg (error %.3g)\n", function_names[f],
              x, got, reference(f, x), e);
    st->failures++;
  }
}

static void check_float(stats *st, int sigmoid, float x) {
  const float got = sigmoid ? mvm_sigmoidf(x) : mvm_tanhf(x);
  const double ref = sigmoid ? 1.0 / (1.0 + exp(-(double)x)) : tanh((double)x);
  const double e = error_of(got, ref, FLT_MIN);
  st->points++;
  if (e > st->max_float_error[sigmoid])
    st->max_float_error[sigmoid] = e;
  if (!(e < FLOAT_BOUND)) {
    if (st->failures < 20)
      fprintf(stderr, "FAIL %s(%.9g) = %.9g, expected %.9g (error %.3g)\n",
              sigmoid ? "sigmoidf" : "tanhf", (double)x, (double)got, ref, e);
    st->failures++;
  }
}

/* The exact result required, bit for bit (sign of zero included). */
static void expect_exactly(stats *st, const char *what, double got, double want) {
  uint64_t a, b;
  memcpy(&a, &got, sizeof a);
  memcpy(&b, &want, sizeof b);
  const int same = isnan(want) ? isnan(got) : a == b;
  st->points++;
  if (!same) {
    fprintf(stderr, "FAIL %s = %.17g, expected %.17g\n", what, got, want);
    st->failures++;
  }
}

static void special_values(stats *st) {
  const double inf = INFINITY, nan = NAN;
  expect_exactly(st, "exp(0)", mvm_exp(0.0), 1.0);
  expect_exactly(st, "exp(-0)", mvm_exp(-0.0), 1.0);
  expect_exactly(st, "exp(inf)", mvm_exp(inf), inf);
  expect_exactly(st, "exp(-inf)", mvm_exp(-inf), 0.0);
  expect_exactly(st, "exp(nan)", mvm_exp(nan), nan);
  expect_exactly(st, "exp(710)", mvm_exp(710.0), inf);
  expect_exactly(st, "exp(1e308)", mvm_exp(1e308), inf);
  expect_exactly(st, "exp(-746)", mvm_exp(-746.0), 0.0);
  expect_exactly(st, "exp(-1e308)", mvm_exp(-1e308), 0.0);
  expect_exactly(st, "exp(5e-324)", mvm_exp(5e-324), 1.0);
  expect_exactly(st, "exp(-745.13)", mvm_exp(-745.13), 5e-324);
  expect_exactly(st, "log(1)", mvm_log(1.0), 0.0);
  expect_exactly(st, "log(0)", mvm_log(0.0), -inf);
  expect_exactly(st, "log(-0)", mvm_log(-0.0), -inf);
  expect_exactly(st, "log(-1)", mvm_log(-1.0), nan);
  expect_exactly(st, "log(-inf)", mvm_log(-inf), nan);
  expect_exactly(st, "log(inf)", mvm_log(inf), inf);
  expect_exactly(st, "log(nan)", mvm_log(nan), nan);
  expect_exactly(st, "tanh(0)", mvm_tanh(0.0), 0.0);
  expect_exactly(st, "tanh(-0)", mvm_tanh(-0.0), -0.0);
  expect_exactly(st, "tanh(inf)", mvm_tanh(inf), 1.0);
  expect_exactly(st, "tanh(-inf)", mvm_tanh(-inf), -1.0);
  expect_exactly(st, "tanh(nan)", mvm_tanh(nan), nan);
  expect_exactly(st, "tanh(5e-324)", mvm_tanh(5e-324), 5e-324);
  expect_exactly(st, "sigmoid(0)", mvm_sigmoid(0.0), 0.5);
  expect_exactly(st, "sigmoid(inf)", mvm_sigmoid(inf), 1.0);
  expect_exactly(st, "sigmoid(-inf)", mvm_sigmoid(-inf), 0.0);
  expect_exactly(st, "sigmoid(nan)", mvm_sigmoid(nan), nan);
  expect_exactly(st, "softplus(inf)", mvm_softplus(inf), inf);
  expect_exactly(st, "softplus(-inf)", mvm_softplus(-inf), 0.0);
  expect_exactly(st, "softplus(nan)", mvm_softplus(nan), nan);
  expect_exactly(st, "softplus(1e300)", mvm_softplus(1e300), 1e300);
  expect_exactly(st, "tanhf(-0)", (double)mvm_tanhf(-0.0f), -0.0);
  expect_exactly(st, "sigmoidf(0)", (double)mvm_sigmoidf(0.0f), 0.5);

  /* tanh must keep relative accuracy near 0, where 1 - 2/(e^2x + 1) would cancel */
  const double tiny[] = {1e-10, -1e-10, 1e-300, 2.2250738585072014e-308, 1e-320, 1e-5, 0.4999};
  for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++)
    check(st, F_TANH, tiny[i]);

  const double edges[] = {0.0,
                          -0.0,
                          5e-324,
                          -5e-324,
                          1e-310,
                          DBL_MIN,
                          DBL_EPSILON,
                          0.5,
                          0.49999999999999994,
                          0.5000000000000001,
                          1.0,
                          1.0 - DBL_EPSILON / 2,
                          1.0 + DBL_EPSILON,
                          0.7071067811865476,
                          1.4142135623730951,
                          2.0,
                          20.0,
                          22.0,
                          35.0,
                          36.0,
                          37.0,
                          700.0,
                          709.78,
                          709.782712893384,
                          -708.0,
                          -709.0,
                          -740.0,
                          -745.0,
                          -745.13,
                          DBL_MAX};
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
    for (int sign = 0; sign < 2; sign++) {
      const double x = sign ? -edges[i] : edges[i];
      for (int f = 0; f < F_COUNT; f++)
        if (f != F_LOG || x > 0.0)
          check(st, (function_id)f, x);
    }
}

/* FNV-1a over the result bits at fixed points: one number for every compiler and platform. */
static uint64_t bits_checksum(void) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (int i = -4000; i <= 4000; i++) {
    const double x = i * 0.1875 + i * 1e-7; /* exactly representable steps, off the round numbers */
    const double results[5] = {mvm_exp(x), mvm_log(x < 0 ? -x : x + 1e-300), mvm_tanh(x / 64),
                               mvm_sigmoid(x / 16), mvm_softplus(x / 16)};
    for (int k = 0; k < 5; k++) {
      uint64_t u;
      memcpy(&u, &results[k], sizeof u);
      for (int byte = 0; byte < 8; byte++) {
        h ^= (u >> (8 * byte)) & 0xff;
        h *= 0x100000001b3ull;
      }
    }
  }
  return h;
}

int main(void) {
  stats st;
  memset(&st, 0, sizeof st);
  rng g = {0x0DDBA11ull};

  special_values(&st);
  for (int i = 0; i < 100000; i++) {
    check(&st, F_EXP, uniform(&g, -745.2, 709.8));
    check(&st, F_EXP, log_uniform(&g, -320, 2.85));
    check(&st, F_LOG, pow(10.0, uniform(&g, -323.0, 308.0)));
    check(&st, F_LOG, 1.0 + log_uniform(&g, -16, 0)); /* near 1, where log cancels */
    check(&st, F_LOG, uniform(&g, 0.5, 2.0));
    check(&st, F_TANH, log_uniform(&g, -320, 1.5));
    check(&st, F_SIGMOID, uniform(&g, -750.0, 750.0));
    check(&st, F_SIGMOID, log_uniform(&g, -320, 2.0));
    check(&st, F_SOFTPLUS, uniform(&g, -750.0, 750.0));
    check(&st, F_SOFTPLUS, log_uniform(&g, -320, 2.0));
  }
  for (int i = 0; i < 50000; i++) {
    check_float(&st, 0, (float)log_uniform(&g, -40, 1.5));
    check_float(&st, 1, (float)uniform(&g, -100.0, 100.0));
    check_float(&st, 0, (float)uniform(&g, -10.0, 10.0));
    check_float(&st, 1, (float)uniform(&g, -10.0, 10.0));
  }

  /* Measured with gcc and clang on x86-64 (with and without FMA contraction) and clang for wasm32
   * under V8. Update it only when mathfn.c changes on purpose. */
  const uint64_t expected_checksum = 0x18dc0fed1568c768ull;
  const uint64_t checksum = bits_checksum();
  if (checksum != expected_checksum) {
    fprintf(stderr, "FAIL: result bits differ from the reference platforms (checksum %016llx)\n",
            (unsigned long long)checksum);
    st.failures++;
  }

  printf("test_mathfn: %ld points, max relative error", st.points);
  for (int f = 0; f < F_COUNT; f++)
    printf(" %s %.2e", function_names[f], st.max_error[f]);
  printf(" tanhf %.2e sigmoidf %.2e; checksum %016llx; %ld failures\n", st.max_float_error[0],
         st.max_float_error[1], (unsigned long long)checksum, st.failures);
  return st.failures == 0 ? 0 : 1;
}
