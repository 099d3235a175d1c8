/* kernels.c: which kernel and activation sets this library holds, which of them this CPU runs, and
 * which one a model uses.
 *
 * One binary holds every set its compiler can build: scalar, SSE2 (part of every x86-64 target) and
 * AVX2 (kernels_avx2.c alone is compiled with -mavx2; the build says so by MVAE_HAVE_AVX2), or WASM
 * SIMD128 in the WebAssembly build. The AVX2 set is listed only where the CPU reports AVX2
 * (__builtin_cpu_supports), so the library runs on any x86-64 and uses the widest set the machine
 * has. All sets give the same bits (kernels.h), so the choice changes speed only. MVAE_USE_SCALAR
 * (CMake MVAE_SIMD=scalar) makes scalar the default; the others stay listed for tests. */
#include "kernels/kernels.h"
#include "kernels/activations.h"

#include <stddef.h>
#include <string.h>

#if defined(__SSE2__)
extern const mvk_impl mvk_sse2;
extern const mva_impl mva_sse2;
#endif
#if defined(MVAE_HAVE_AVX2) && (defined(__x86_64__) || defined(__i386__))
#define MVK_HAVE_AVX2 1
extern const mvk_impl mvk_avx2;
extern const mva_impl mva_avx2;
#endif
#if defined(__wasm_simd128__)
extern const mvk_impl mvk_wasm_simd128;
extern const mva_impl mva_wasm_simd128;
#endif

typedef struct isa_set {
  const mvk_impl *kernels;
  const mva_impl *activations;
  int needs_avx2; /* listed only where the CPU runs AVX2 */
} isa_set;

/* Scalar first, then from narrowest to widest. */
static const isa_set all_sets[] = {
    {&mvk_scalar, &mva_scalar, 0},
#if defined(__SSE2__)
    {&mvk_sse2, &mva_sse2, 0},
#endif
#if defined(MVK_HAVE_AVX2)
    {&mvk_avx2, &mva_avx2, 1},
#endif
#if defined(__wasm_simd128__)
    {&mvk_wasm_simd128, &mva_wasm_simd128, 0},
#endif
};

enum { set_count = (int)(sizeof all_sets / sizeof all_sets[0]) };

static int cpu_runs_avx2(void) {
#if defined(MVK_HAVE_AVX2) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init(); /* idempotent; needed if called before constructors ran */
  return __builtin_cpu_supports("avx2");
#else
  return 0;
#endif
}

/* The i-th set this CPU runs, or NULL. */
static const isa_set *usable_set(int index) {
  const int avx2 = cpu_runs_avx2();
  for (int k = 0, n = 0; k < set_count; k++) {
    if (all_sets[k].needs_avx2 && !avx2)
      continue;
    if (n++ == index)
      return &all_sets[k];
  }
  return NULL;
}

int mvk_count(void) {
  int n = 0;
  while (usable_set(n))
    n++;
  return n;
}

const mvk_impl *mvk_get(int index) {
  const isa_set *s = index >= 0 ? usable_set(index) : NULL;
  return s ? s->kernels : NULL;
}

int mva_count(void) {
  return mvk_count();
}

const mva_impl *mva_get(int index) {
  const isa_set *s = index >= 0 ? usable_set(index) : NULL;
  return s ? s->activations : NULL;
}

const mvk_impl *mvk_active(void) {
#if defined(MVAE_USE_SCALAR)
  return &mvk_scalar;
#else
  return mvk_get(mvk_count() - 1);
#endif
}

const mva_impl *mva_active(void) {
#if defined(MVAE_USE_SCALAR)
  return &mva_scalar;
#else
  return mva_get(mva_count() - 1);
#endif
}

int mvk_select(const char *name, const mvk_impl **kernels, const mva_impl **activations) {
  if (!name || !name[0] || !strcmp(name, "auto")) {
    *kernels = mvk_active();
    *activations = mva_active();
    return 1;
  }
  for (int k = 0; k < mvk_count(); k++)
    if (!strcmp(mvk_get(k)->name, name)) {
      *kernels = mvk_get(k);
      *activations = mva_get(k);
      return 1;
    }
  return 0;
}
