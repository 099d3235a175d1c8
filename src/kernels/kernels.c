/* kernels.c: which kernel sets this build holds, and which one it uses.
 *
 * Each SIMD source compiles to nothing unless its instruction set is enabled, so the same
 * conditions decide here which `mvk_<name>` objects exist. This file itself is compiled without
 * -mavx2, so the AVX2 set is known by MVAE_USE_AVX2, which the build defines exactly when it
 * compiles kernels_avx2.c with -mavx2. SSE2 is part of every x86-64 target. MVAE_USE_SCALAR=1
 * forces the scalar set to be the active one (the others stay listed for tests). */
#include "kernels/kernels.h"

#include <stddef.h>

#if defined(__SSE2__)
extern const mvk_impl mvk_sse2;
#endif
#if defined(MVAE_USE_AVX2) && (defined(__x86_64__) || defined(__i386__))
#define MVK_HAVE_AVX2 1
extern const mvk_impl mvk_avx2;
#endif
#if defined(__wasm_simd128__)
extern const mvk_impl mvk_wasm_simd128;
#endif

/* Scalar first, then from narrowest to widest; the last entry is the active set. */
static const mvk_impl *const all_impls[] = {
    &mvk_scalar,
#if defined(__SSE2__)
    &mvk_sse2,
#endif
#if defined(MVK_HAVE_AVX2)
    &mvk_avx2,
#endif
#if defined(__wasm_simd128__)
    &mvk_wasm_simd128,
#endif
};

enum { impl_count = (int)(sizeof all_impls / sizeof all_impls[0]) };

const mvk_impl *mvk_active(void) {
#if defined(MVAE_USE_SCALAR)
  return &mvk_scalar;
#else
  return all_impls[impl_count - 1];
#endif
}

int mvk_count(void) {
  return impl_count;
}

const mvk_impl *mvk_get(int index) {
  return index >= 0 && index < impl_count ? all_impls[index] : NULL;
}
