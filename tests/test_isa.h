/* test_isa.h: runs a model under every kernel set and activation set this build has, for the
 * tests that a family's results are bit-identical across them. */
#ifndef MVAE_TEST_ISA_H
#define MVAE_TEST_ISA_H

#include "format/model.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

/* One run of a model on two inputs into out, a plain struct compared by its bytes. */
typedef void (*test_model_run)(mvae_model *m, const float *first, const float *second, void *out);

/* Runs run with the scalar kernels and activations into want (size bytes, kept for more checks),
 * then with every pair of sets, expecting want's bytes each time; the model computes as before. */
static inline void test_same_bits_every_isa(test_counts *c, const char *name, mvae_model *m,
                                            test_model_run run, const float *first,
                                            const float *second, void *want, size_t size) {
  void *got = calloc(1, size);
  EXPECT(c, got != NULL, "%s: no memory for a run", name);
  if (!got)
    return;
  mvae_compute saved = m->compute;
  m->compute.kernels = mvk_get(0);
  m->compute.activations = mva_get(0);
  run(m, first, second, want);
  for (int k = 0; k < mvk_count(); k++)
    for (int a = 0; a < mva_count(); a++) {
      m->compute.kernels = mvk_get(k);
      m->compute.activations = mva_get(a);
      memset(got, 0, size);
      run(m, first, second, got);
      EXPECT(c, !memcmp(want, got, size), "%s: kernels %s, activations %s: same bits", name,
             mvk_get(k)->name, mva_get(a)->name);
    }
  m->compute = saved;
  free(got);
}

#endif
