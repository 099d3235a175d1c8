/* arena.h: one allocation carved into aligned scratch arrays for the duration of one call. */
#ifndef MVAE_ARENA_H
#define MVAE_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct mvae_arena {
  unsigned char *base;
  size_t size, used;
} mvae_arena;

#define MVAE_ARENA_ALIGN 64

/* Bytes an array of n floats takes in an arena, padding included. */
static inline size_t mvae_arena_floats(size_t n) {
  return (n * sizeof(float) + MVAE_ARENA_ALIGN - 1) / MVAE_ARENA_ALIGN * MVAE_ARENA_ALIGN;
}

static inline int mvae_arena_init(mvae_arena *a, size_t size) {
  a->base = malloc(size ? size : 1);
  a->size = size;
  a->used = 0;
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
}

#endif
