/* rng.h: the generator's internals that the batch calls and the tests use (the public part is in
 * musicvae.h). */
#ifndef MVAE_RNG_H
#define MVAE_RNG_H

#include "musicvae.h"

/* log2 of the draws between two row streams. */
#define MVAE_RNG_ROW_BITS 32

/* Jumps rng ahead by delta draws of mvae_rng_u32, in O(log delta). */
void mvae_rng_advance(mvae_rng *rng, uint64_t delta);

/* rows[b] = base skipped b rows (mvae_rng_skip_rows), for b < n: each batch row's generator. */
void mvae_rng_rows(const mvae_rng *base, int n, mvae_rng *rows);

/* How every batch call draws a row's latent noise: out[b * width + j] = the j-th normal of row b's
 * generator (base skipped b rows), for b < n. When rows_after is not NULL, rows_after[b] is that
 * generator after its draws (a decode then goes on from it); base itself is not moved. */
void mvae_rng_normal_rows(const mvae_rng *base, int n, int width, float *out, mvae_rng *rows_after);

#endif
