/* test_melody.h: what a melody's events look like after events -> notes -> events, written here
 * independently of the converter (the round-trip tests and the converter fuzzer compare with it).
 */
#ifndef MVAE_TEST_MELODY_H
#define MVAE_TEST_MELODY_H

#include "notes/convert.h"

#include <stdint.h>

/* `events` without the note-offs that come while nothing sounds (they make no note). */
static inline void test_canonical_melody(const int32_t *events, int num_steps, int32_t *out) {
  int sounding = 0;
  for (int t = 0; t < num_steps; t++) {
    out[t] = events[t];
    if (events[t] >= MVAE_MELODY_FIRST_PITCH)
      sounding = 1;
    else if (events[t] == MVAE_MELODY_NOTE_OFF) {
      if (!sounding)
        out[t] = MVAE_MELODY_NO_EVENT;
      sounding = 0;
    }
  }
}

#endif
