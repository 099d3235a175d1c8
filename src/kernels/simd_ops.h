/* simd_ops.h: the lane-wise float arithmetic of the SIMD files, written once over the ISA's
 * intrinsic names. A file defines `vf` and VF_OP(op), the intrinsic for one operation (SSE2
 * _mm_##op##_ps, AVX2 _mm256_##op##_ps, WASM wasm_f32x4_##op), then includes this. Each is one IEEE
 * operation per lane; max and min return their second operand when either is NaN on x86 and NaN
 * on WASM, so callers pass the constant first (a NaN input then stays NaN on every ISA). */
#ifndef MVAE_SIMD_OPS_H
#define MVAE_SIMD_OPS_H

static inline vf vf_add(vf a, vf b) {
  return VF_OP(add)(a, b);
}
static inline vf vf_sub(vf a, vf b) {
  return VF_OP(sub)(a, b);
}
static inline vf vf_mul(vf a, vf b) {
  return VF_OP(mul)(a, b);
}
static inline vf vf_div(vf a, vf b) {
  return VF_OP(div)(a, b);
}
static inline vf vf_max(vf a, vf b) {
  return VF_OP(max)(a, b);
}
static inline vf vf_min(vf a, vf b) {
  return VF_OP(min)(a, b);
}

#endif
