/* simd_ops.h: the lane-wise float arithmetic of the SIMD files, written once over the ISA's
 * intrinsic names. A file defines `vf` and VF_OP(op), the intrinsic for one operation (SSE2
 * _mm_##op##_ps, AVX2 _mm256_##op##_ps, WASM wasm_f32x4_##op), then includes this. Each is one IEEE
 * operation per lane; max and min return their second operand when either is NaN on x86 and NaN
 * on WASM, so callers pass the constant first (a NaN input then stays NaN on every ISA). */
#ifndef MVAE_SIMD_OPS_H
#define MVAE_SIMD_OPS_H

#define MVK_VF_BINARY(name, op)                                                                    \
  static inline vf name(vf a, vf b) {                                                              \
    return VF_OP(op)(a, b);                                                                        \
  }
MVK_VF_BINARY(vf_add, add)
MVK_VF_BINARY(vf_sub, sub)
MVK_VF_BINARY(vf_mul, mul)
MVK_VF_BINARY(vf_div, div)
MVK_VF_BINARY(vf_max, max)
MVK_VF_BINARY(vf_min, min)
#undef MVK_VF_BINARY

#endif
