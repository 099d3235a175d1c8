/* activations.c: which activation implementation this build uses (the same choice as kernels.c). */
#include "kernels/activations.h"

#include <stddef.h>

/* Compiled without -mavx2: the build says by MVAE_USE_AVX2 that kernels_avx2.c (which holds the
 * AVX2 activations too) has AVX2. */
#if defined(MVAE_USE_AVX2) && (defined(__x86_64__) || defined(__i386__))
#define MVA_HAVE_AVX2 1
extern const mva_impl mva_avx2;
#endif
#if defined(__SSE2__)
extern const mva_impl mva_sse2;
#endif
#if defined(__wasm_simd128__)
extern const mva_impl mva_wasm_simd128;
#endif

static const mva_impl *const all_impls[] = {
    &mva_scalar,
#if defined(__SSE2__)
    &mva_sse2,
#endif
#if defined(MVA_HAVE_AVX2)
    &mva_avx2,
#endif
#if defined(__wasm_simd128__)
    &mva_wasm_simd128,
#endif
};

const mva_impl *mva_active(void) {
#if defined(MVAE_USE_SCALAR)
  return &mva_scalar;
#else
  return all_impls[sizeof all_impls / sizeof all_impls[0] - 1];
#endif
}
int mva_count(void) {
  return (int)(sizeof all_impls / sizeof all_impls[0]);
}
const mva_impl *mva_get(int index) {
  return index >= 0 && index < mva_count() ? all_impls[index] : NULL;
}
