/* test_util.h: tiny helpers shared by the C tests: checks that count, and file loading. */
#ifndef MVAE_TEST_UTIL_H
#define MVAE_TEST_UTIL_H

#include "musicvae.h"
#include "testvectors.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct test_counts {
  int passed, failed;
} test_counts;

#define EXPECT(counts, cond, ...)                                                                  \
  do {                                                                                             \
    if (cond) {                                                                                    \
      (counts)->passed++;                                                                          \
    } else {                                                                                       \
      (counts)->failed++;                                                                          \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                  \
      printf(__VA_ARGS__);                                                                         \
      printf("\n");                                                                                \
    }                                                                                              \
  } while (0)

static inline int test_report(const char *name, const test_counts *c) {
  printf("%s: %d passed, %d failed\n", name, c->passed, c->failed);
  return c->failed ? 1 : 0;
}

/* Loads a model file; prints why and returns NULL on failure. */
static inline mvae_model *test_load_model(const char *path) {
  size_t size = 0;
  char *data = tv_read_file(path, &size);
  if (!data) {
    printf("cannot read %s\n", path);
    return NULL;
  }
  char err[512];
  mvae_model *m = NULL;
  if (mvae_model_load(data, size, &m, err, sizeof err) != MVAE_OK)
    printf("cannot load %s: %s\n", path, err);
  free(data);
  return m;
}

/* Counts whether `m`, just loaded from `what`, loaded; fills *info when it did. Returns m. */
static inline mvae_model *test_expect_model(test_counts *c, mvae_model *m, const char *what,
                                            mvae_info *info) {
  EXPECT(c, m != NULL, "%s loads", what);
  if (m)
    mvae_model_info(m, info);
  return m;
}

#ifdef MVAE_SOURCE_DIR
/* Loads tests/data/FILE (FILE with its extension) of the source tree, as test_load_model. */
static inline mvae_model *test_load_data_model(const char *file) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/%s", MVAE_SOURCE_DIR, file);
  return test_load_model(path);
}
#endif

#endif
