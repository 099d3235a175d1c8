/* arena.h: one allocation carved into aligned scratch arrays: a model's scratch, reused by its
 * calls. */
#ifndef MVAE_ARENA_H
#define MVAE_ARENA_H

#include "format/size_math.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct mvae_arena {
  unsigned char *base;
  size_t size, used;
} mvae_arena;

#define MVAE_ARENA_ALIGN 64

/* Bytes an array of n floats takes in an arena, padding included; SIZE_MAX if that overflows, so
 * that sizes summed with mvae_size_add_sat make the allocation fail instead of wrapping. */
static inline size_t mvae_arena_floats(size_t n) {
  size_t bytes = mvae_size_mul_sat(n, sizeof(float));
  if (bytes > SIZE_MAX - (MVAE_ARENA_ALIGN - 1))
    return SIZE_MAX;
  return (bytes + MVAE_ARENA_ALIGN - 1) / MVAE_ARENA_ALIGN * MVAE_ARENA_ALIGN;
}

/* mvae_arena_floats(a * b), saturating. */
static inline size_t mvae_arena_floats2(size_t a, size_t b) {
  return mvae_arena_floats(mvae_size_mul_sat(a, b));
}

/* Makes room for `size` bytes and empties the arena. The block is kept across calls and only
 * replaced by a larger one when a call needs more, so a model allocates its scratch once. */
static inline int mvae_arena_reserve(mvae_arena *a, size_t size) {
  a->used = 0;
  if (a->base && size <= a->size)
    return 1;
  free(a->base);
  a->base = size == SIZE_MAX ? NULL : malloc(size ? size : 1);
  a->size = a->base ? size : 0;
  return a->base != NULL;
}

/* n floats, zeroed. The caller sized the arena with mvae_arena_floats, so this cannot run out;
 * NULL is returned rather than overrunning if it ever did. */
static inline float *mvae_arena_take(mvae_arena *a, size_t n) {
  size_t bytes = mvae_arena_floats(n);
  if (bytes > a->size - a->used)
    return NULL;
  float *p = (float *)(void *)(a->base + a->used);
  a->used += bytes;
  for (size_t i = 0; i < n; i++)
    p[i] = 0.0f;
  return p;
}

static inline void mvae_arena_free(mvae_arena *a) {
  free(a->base);
  a->base = NULL;
  a->size = a->used = 0;
}

#endif
