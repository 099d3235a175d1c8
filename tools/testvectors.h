/* testvectors.h: reads ../shared/testvectors/mel_2bar_small_decode.json (a fixed, trusted layout:
 * {"cases": [{"id", "mu": [...], "source_events": [...], "greedy_events": [...], ...}, ...]}) with
 * a small scanner, so C tests and the CLI need no JSON library. Header-only; for tests and tools.
 */
#ifndef MVAE_TESTVECTORS_H
#define MVAE_TESTVECTORS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TV_Z 256
#define TV_STEPS 32

typedef struct tv_case {
  float mu[TV_Z];
  int source_events[TV_STEPS];
  int greedy_events[TV_STEPS];
} tv_case;

static inline char *tv_read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *data = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long n = ftell(f);
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n + 1))) {
      if (fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
      } else {
        data[n] = '\0';
        if (size)
          *size = (size_t)n;
      }
    }
  }
  fclose(f);
  return data;
}

/* Parses the number array after `"key": [` starting at *pos; returns 1 on success. */
static inline int tv_array(const char **pos, const char *key, double *out, int count) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\"", key);
  const char *p = strstr(*pos, pattern);
  if (!p || !(p = strchr(p, '[')))
    return 0;
  p++;
  for (int i = 0; i < count; i++) {
    char *end;
    out[i] = strtod(p, &end);
    if (end == p)
      return 0;
    p = end;
    while (*p == ' ' || *p == ',' || *p == '\n')
      p++;
  }
  if (*p != ']')
    return 0;
  *pos = p + 1;
  return 1;
}

/* Returns the number of cases read into a malloc'd array (*cases), or -1. */
static inline int tv_load(const char *path, tv_case **cases) {
  char *text = tv_read_file(path, NULL);
  if (!text)
    return -1;
  int capacity = 1024, n = 0;
  tv_case *all = malloc(sizeof *all * capacity);
  const char *pos = strstr(text, "\"cases\"");
  double values[TV_Z];
  while (all && pos && strstr(pos, "\"mu\"") && n < capacity) {
    tv_case *c = &all[n];
    if (!tv_array(&pos, "mu", values, TV_Z))
      break;
    for (int i = 0; i < TV_Z; i++)
      c->mu[i] = (float)values[i];
    if (!tv_array(&pos, "source_events", values, TV_STEPS))
      break;
    for (int i = 0; i < TV_STEPS; i++)
      c->source_events[i] = (int)values[i];
    if (!tv_array(&pos, "greedy_events", values, TV_STEPS))
      break;
    for (int i = 0; i < TV_STEPS; i++)
      c->greedy_events[i] = (int)values[i];
    n++;
  }
  free(text);
  if (!all)
    return -1;
  *cases = all;
  return n;
}

#endif
