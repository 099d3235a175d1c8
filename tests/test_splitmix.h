/* test_splitmix.h: the tests' own random numbers (splitmix64), independent of the engine's PCG32 so
 * that a test's inputs never depend on the code under test. */
#ifndef MVAE_TEST_SPLITMIX_H
#define MVAE_TEST_SPLITMIX_H

#include <stdint.h>

typedef struct rng {
  uint64_t state;
} rng;

static inline uint64_t rng_next(rng *g) {
  uint64_t z = (g->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

#endif
