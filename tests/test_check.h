/* test_check.h: the converter tests' checks, which count the failures of one test program (each
 * program includes this once) and print each with its line. */
#ifndef MVAE_TEST_CHECK_H
#define MVAE_TEST_CHECK_H

#include <stdio.h>

static int failures = 0;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                     \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

#define CHECK_STATUS(expr, expected)                                                               \
  do {                                                                                             \
    mvae_status got_status = (expr);                                                               \
    if (got_status != (expected)) {                                                                \
      fprintf(stderr, "%s:%d: %s gave status %d, expected %d\n", __FILE__, __LINE__, #expr,        \
              (int)got_status, (int)(expected));                                                   \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

#define COUNT(array) ((int)(sizeof(array) / sizeof((array)[0])))

/* The program's exit status, after a line that says how it went. */
static inline int check_report(const char *name) {
  if (failures) {
    fprintf(stderr, "%s: %d failures\n", name, failures);
    return 1;
  }
  printf("%s: all passed\n", name);
  return 0;
}

#endif
