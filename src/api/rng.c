/* rng.c: PCG32 (O'Neill, pcg-random.org, XSH-RR 64/32) and normals by Marsaglia's polar method.
 * Only integer arithmetic, IEEE-exact double operations and the deterministic mvm_log, so a seed
 * gives the same stream natively and in WebAssembly.
 *
 * Row streams: row k of a batch draws from the generator's sequence jumped ahead by k * 2^32 draws
 * (block splitting of one PCG sequence; a row draws far fewer than 2^32 numbers), so a row's
 * randoms depend on the seed and its row index only, never on the other rows. */
#include "api/rng.h"

#include "kernels/mathfn.h"

#include <math.h>

#define PCG_MULTIPLIER 6364136223846793005ULL

void mvae_rng_seed(mvae_rng *rng, uint64_t seed) {
  if (!rng)
    return;
  /* Stream selector fixed; the seed picks the starting point, as pcg32_srandom does. */
  rng->state = 0;
  rng->inc = (0xda3e39cb94b95bdbULL << 1u) | 1u;
  mvae_rng_u32(rng);
  rng->state += seed;
  mvae_rng_u32(rng);
}

void mvae_rng_advance(mvae_rng *rng, uint64_t delta) {
  /* Brown, "Random number generation with arbitrary strides" (1994), as pcg_advance_lcg_64: the
   * LCG's affine map applied delta times, by squaring. */
  uint64_t acc_mult = 1, acc_plus = 0, cur_mult = PCG_MULTIPLIER, cur_plus = rng->inc;
  while (delta > 0) {
    if (delta & 1u) {
      acc_mult *= cur_mult;
      acc_plus = acc_plus * cur_mult + cur_plus;
    }
    cur_plus = (cur_mult + 1) * cur_plus;
    cur_mult *= cur_mult;
    delta >>= 1u;
  }
  rng->state = acc_mult * rng->state + acc_plus;
}

void mvae_rng_skip_rows(mvae_rng *rng, uint32_t rows) {
  if (rng)
    mvae_rng_advance(rng, (uint64_t)rows << MVAE_RNG_ROW_BITS);
}

void mvae_rng_rows(const mvae_rng *base, int n, mvae_rng *rows) {
  for (int b = 0; b < n; b++) {
    rows[b] = *base;
    mvae_rng_skip_rows(&rows[b], (uint32_t)b);
  }
}

void mvae_rng_normal_rows(const mvae_rng *base, int n, int width, float *out,
                          mvae_rng *rows_after) {
  for (int b = 0; b < n; b++) {
    mvae_rng row = *base;
    mvae_rng_skip_rows(&row, (uint32_t)b);
    for (int j = 0; j < width; j++)
      out[(size_t)b * width + j] = (float)mvae_rng_normal(&row);
    if (rows_after)
      rows_after[b] = row;
  }
}

uint32_t mvae_rng_u32(mvae_rng *rng) {
  uint64_t old = rng->state;
  rng->state = old * PCG_MULTIPLIER + rng->inc;
  uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
  uint32_t rot = (uint32_t)(old >> 59u);
  return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

double mvae_rng_uniform(mvae_rng *rng) {
  uint64_t hi = mvae_rng_u32(rng) >> 5; /* 27 bits */
  uint64_t lo = mvae_rng_u32(rng) >> 6; /* 26 bits */
  return (double)((hi << 26) | lo) * (1.0 / 9007199254740992.0);
}

double mvae_rng_normal(mvae_rng *rng) {
  /* One of the pair is discarded: keeping no spare in the state keeps the stream position a pure
   * function of the number of calls, which matters for reproducible batches. */
  for (;;) {
    double u = 2.0 * mvae_rng_uniform(rng) - 1.0;
    double v = 2.0 * mvae_rng_uniform(rng) - 1.0;
    double s = u * u + v * v;
    if (s > 0.0 && s < 1.0)
      return u * sqrt(-2.0 * mvm_log(s) / s);
  }
}
