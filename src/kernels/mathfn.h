/* mathfn.h: deterministic elementary functions.
 *
 * Built only from IEEE-754 +, -, *, /, sqrt and floor (exactly rounded everywhere), so they give
 * the same bits on every platform and libm (glibc natively, musl under Emscripten). Accuracy:
 * relative error below 1e-14 for the double functions; the float wrappers compute in double and
 * round once. */
#ifndef MVAE_MATHFN_H
#define MVAE_MATHFN_H

double mvm_exp(double x); /* overflow -> +inf, underflow -> 0; NaN -> NaN */
double mvm_log(double x); /* x <= 0 -> -inf (0) or NaN (negative) */
double mvm_tanh(double x);
double mvm_sigmoid(double x);
double mvm_softplus(double x); /* log(1 + exp(x)), exact for large |x| */

static inline float mvm_tanhf(float x) {
  return (float)mvm_tanh((double)x);
}
static inline float mvm_sigmoidf(float x) {
  return (float)mvm_sigmoid((double)x);
}

#endif
