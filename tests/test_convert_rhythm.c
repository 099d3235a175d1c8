/* test_convert_rhythm.c: the rhythm and shape converters (convert.h: MelodyRhythmConverter,
 * MelodyShapeConverter, TrioRhythmConverter) against hand-worked cases from magenta.js's rules
 * (music/src/core/melodies.ts MelodyRhythm / MelodyShape, data.ts); tests/js/
 * wasm_magenta_families.test.mjs compares whole models with magenta.js itself. */
#include "notes/convert.h"
#include "test_check.h"

#include <stdio.h>
#include <string.h>

enum { D = MVAE_SHAPE_DOWN, S = MVAE_SHAPE_SAME, U = MVAE_SHAPE_UP, NONE = -1 };

/* The shape rows of events[n] are one-hot at want[t] (NONE: an all-zero row). */
static void expect_shape(const int32_t *events, int n, const int *want) {
  float shape[16 * MVAE_SHAPE_DEPTH];
  mvae_convert_error error;
  CHECK(n <= 16);
  CHECK(mvae_melody_shape_from_events(events, n, shape, &error) == MVAE_OK);
  for (int t = 0; t < n; t++)
    for (int k = 0; k < MVAE_SHAPE_DEPTH; k++)
      if (shape[t * MVAE_SHAPE_DEPTH + k] != (k == want[t] ? 1.0f : 0.0f)) {
        fprintf(stderr, "shape row %d column %d is %g (want direction %d)\n", t, k,
                (double)shape[t * MVAE_SHAPE_DEPTH + k], want[t]);
        failures++;
      }
}

static void test_shape(void) {
  /* Onsets at 1 (event 10), 3 (12: up from 10) and 6 (12: same): steps 0..3 up (the first pair
   * runs from step 0), 4..6 same, 7 after the last onset keeps its direction. Note-offs (1) and
   * holds (0) are not onsets. */
  const int32_t three[8] = {0, 10, 1, 12, 0, 1, 12, 0};
  expect_shape(three, 8, (const int[]){U, U, U, U, S, S, S, S});
  /* Two onsets, the last on the last step: down throughout, nothing after it. */
  expect_shape((const int32_t[]){10, 0, 0, 5}, 4, (const int[]){D, D, D, D});
  /* Fewer than two onsets: same everywhere ... */
  expect_shape((const int32_t[]){0, 0, 9, 1}, 4, (const int[]){S, S, S, S});
  expect_shape((const int32_t[]){0, 0, 0, 0}, 4, (const int[]){S, S, S, S});
  /* ... except a single onset on the last step, which leaves every row empty (magenta.js). */
  expect_shape((const int32_t[]){0, 1, 0, 30}, 4, (const int[]){NONE, NONE, NONE, NONE});
  float shape[3];
  CHECK(mvae_melody_shape_from_events(NULL, 1, shape, NULL) == MVAE_ERR_INVALID_ARGUMENT);
  CHECK(mvae_melody_shape_from_events(three, 0, shape, NULL) == MVAE_ERR_INVALID_ARGUMENT);
}

static void test_rhythm_input(void) {
  /* 60 [0, 2), 62 [2, 3), 64 [5, 8): onsets at 0, 2 and 5 (62's onset overwrites 60's note-off). */
  const mvae_note notes[] = {
      {60, 90, 0, 2, 0, 0, 0}, {62, 90, 2, 3, 0, 0, 0}, {64, 90, 5, 8, 0, 0, 0}};
  float input[8];
  CHECK(mvae_melody_rhythm_notes_to_input(notes, COUNT(notes), 8, 21, 108, input, NULL) == MVAE_OK);
  const float want[8] = {1, 0, 1, 0, 0, 1, 0, 0};
  CHECK(!memcmp(input, want, sizeof want));
  /* Shapes of the same melody: 62 > 60 up over 0..2, 64 > 62 up over 3..5, then up. */
  float shape[8 * 3];
  CHECK(mvae_melody_shape_notes_to_input(notes, COUNT(notes), 8, 21, 108, shape, NULL) == MVAE_OK);
  for (int t = 0; t < 8; t++)
    CHECK(shape[t * 3 + U] == 1.0f && shape[t * 3 + D] == 0.0f && shape[t * 3 + S] == 0.0f);
  /* A pitch outside the range is refused, as magenta.js throws. */
  const mvae_note low = {20, 90, 0, 1, 0, 0, 0};
  mvae_convert_error error;
  CHECK(mvae_melody_rhythm_notes_to_input(&low, 1, 8, 21, 108, input, &error) ==
        MVAE_ERR_BAD_INPUT);
  CHECK(mvae_melody_shape_notes_to_input(&low, 1, 8, 21, 108, shape, &error) == MVAE_ERR_BAD_INPUT);
}

static void test_trio_rhythm_input(void) {
  /* Melody (program 0) at 0, bass (program 33) at 1, a kick at 2, two rides at 3 (magenta.js's
   * summed label 512 is an all-zero one-hot row, whose argmax is 0: no hit), an unmapped drum
   * pitch at 4 (magenta.js: NaN, no hit; clean: ignored). */
  const mvae_note notes[] = {{70, 90, 0, 1, 0, 0, 0}, {40, 90, 1, 2, 33, 0, 1},
                             {36, 90, 2, 3, 0, 1, 2}, {51, 90, 3, 4, 0, 1, 2},
                             {51, 90, 3, 4, 0, 1, 2}, {100, 90, 4, 5, 0, 1, 2}};
  float input[6 * 3];
  const float magenta_js[6 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const float clean[6 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  CHECK(mvae_trio_rhythm_notes_to_input(notes, COUNT(notes), 6, 21, 108, MVAE_DRUMS_MAGENTA_JS,
                                        input, NULL) == MVAE_OK);
  CHECK(!memcmp(input, magenta_js, sizeof input));
  CHECK(mvae_trio_rhythm_notes_to_input(notes, COUNT(notes), 6, 21, 108, MVAE_DRUMS_CLEAN, input,
                                        NULL) == MVAE_OK);
  CHECK(!memcmp(input, clean, sizeof input));
}

static void test_tokens_to_notes(void) {
  mvae_note notes[8];
  int n = 0;
  mvae_convert_error error;
  /* Rhythm: a snare (38, is_drum) at each onset. */
  CHECK(mvae_melody_rhythm_tokens_to_notes((const int32_t[]){0, 1, 1, 0}, 4, notes, 8, &n,
                                           &error) == MVAE_OK);
  CHECK(n == 2 && notes[0].pitch == 38 && notes[0].start_step == 1 && notes[0].end_step == 2 &&
        notes[0].is_drum == 1 && notes[1].start_step == 2);
  CHECK(mvae_melody_rhythm_tokens_to_notes((const int32_t[]){0, 1, 1, 0}, 4, notes, 1, &n,
                                           &error) == MVAE_ERR_BUFFER_TOO_SMALL &&
        n == 2);
  CHECK(mvae_melody_rhythm_tokens_to_notes((const int32_t[]){0, 2}, 2, notes, 8, &n, &error) ==
            MVAE_ERR_BAD_INPUT &&
        error.index == 1);
  /* Shape over 60..62: from Math.round(61) = 61, up to 62, held there, down to 61, same, down to
   * 60, held at 60. */
  const int32_t shape[7] = {U, U, D, S, D, D, D};
  const int want[7] = {62, 62, 61, 61, 60, 60, 60};
  CHECK(mvae_melody_shape_tokens_to_notes(shape, 7, 60, 62, notes, 8, &n, &error) == MVAE_OK);
  CHECK(n == 7);
  for (int t = 0; t < 7 && t < n; t++)
    CHECK(notes[t].pitch == want[t] && notes[t].start_step == t && notes[t].end_step == t + 1 &&
          notes[t].is_drum == 0);
  /* 60..61: Math.round(60.5) = 61 (halves up). */
  CHECK(mvae_melody_shape_tokens_to_notes((const int32_t[]){S}, 1, 60, 61, notes, 8, &n, &error) ==
            MVAE_OK &&
        notes[0].pitch == 61);
  CHECK(mvae_melody_shape_tokens_to_notes((const int32_t[]){3}, 1, 60, 61, notes, 8, &n, &error) ==
        MVAE_ERR_BAD_INPUT);
  /* Trio rhythm, step by step: melody 72 (instrument 0), bass 36 (instrument 1, program 32),
   * drums 38 (instrument 2, is_drum). Tracks: melody [1, 0], bass [1, 1], drums [0, 1]. */
  const int32_t trio[6] = {1, 0, 1, 1, 0, 1};
  CHECK(mvae_trio_rhythm_tokens_to_notes(trio, 2, notes, 8, &n, &error) == MVAE_OK);
  CHECK(n == 4);
  if (n == 4) {
    CHECK(notes[0].pitch == 72 && notes[0].instrument == 0 && notes[0].start_step == 0);
    CHECK(notes[1].pitch == 36 && notes[1].instrument == 1 && notes[1].program == 32 &&
          notes[1].start_step == 0);
    CHECK(notes[2].pitch == 36 && notes[2].start_step == 1);
    CHECK(notes[3].pitch == 38 && notes[3].instrument == 2 && notes[3].is_drum == 1 &&
          notes[3].start_step == 1);
  }
  CHECK(mvae_trio_rhythm_tokens_to_notes((const int32_t[]){0, 0, 0, 0, 5, 0}, 2, notes, 8, &n,
                                         &error) == MVAE_ERR_BAD_INPUT &&
        error.index == 4);
  CHECK(mvae_trio_rhythm_tokens_to_notes(NULL, 2, notes, 8, &n, &error) ==
        MVAE_ERR_INVALID_ARGUMENT);
}

int main(void) {
  test_shape();
  test_rhythm_input();
  test_trio_rhythm_input();
  test_tokens_to_notes();
  return check_report("test_convert_rhythm");
}
