/* test_convert.c: the note-sequence converters (convert.h) against hand-worked expectations from
 * magenta.js's rules (music/src/core/melodies.ts and data.ts), plus round trips and error cases.
 * Uses only convert.h, so it needs no model. */
#include "notes/convert.h"
#include "test_check.h"
#include "test_melody.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The default melody range of magenta.js's 2-bar models: event = pitch - 19. */
enum { MIN_PITCH = 21, MAX_PITCH = 108, DEPTH = 90 };

static mvae_note make_note(int pitch, int start, int end) {
  mvae_note note = {pitch, 100, start, end, 0, 0, 0};
  return note;
}

static mvae_note make_drum(int pitch, int start) {
  mvae_note note = {pitch, 100, start, start + 1, 0, 1, 9};
  return note;
}

static mvae_note make_program_note(int pitch, int start, int end, int program, int instrument) {
  mvae_note note = {pitch, 90, start, end, program, 0, instrument};
  return note;
}

static int same_events(const int32_t *got, const int32_t *expected, int n, const char *what) {
  if (memcmp(got, expected, (size_t)n * sizeof *got) == 0)
    return 1;
  fprintf(stderr, "%s: got", what);
  for (int t = 0; t < n; t++)
    fprintf(stderr, " %d", (int)got[t]);
  fprintf(stderr, ", expected");
  for (int t = 0; t < n; t++)
    fprintf(stderr, " %d", (int)expected[t]);
  fprintf(stderr, "\n");
  return 0;
}

static void expect_melody(const mvae_note *notes, int n_notes, int num_steps, int min_pitch,
                          int max_pitch, const int32_t *expected, const char *what) {
  int32_t events[64];
  mvae_convert_error error;
  CHECK_STATUS(mvae_melody_from_notes(notes, n_notes, MVAE_SELECT_ALL, num_steps, min_pitch,
                                      max_pitch, events, &error),
               MVAE_OK);
  CHECK(same_events(events, expected, num_steps, what));
}

static int same_note(const mvae_note *a, const mvae_note *b) {
  return a->pitch == b->pitch && a->velocity == b->velocity && a->start_step == b->start_step &&
         a->end_step == b->end_step && a->program == b->program && a->is_drum == b->is_drum &&
         a->instrument == b->instrument;
}

/* notes[n] are expected[count]. */
static void expect_notes(const mvae_note *notes, int n, const mvae_note *expected, int count) {
  CHECK(n == count);
  for (int i = 0; i < count && i < n; i++)
    CHECK(same_note(&notes[i], &expected[i]));
}

/* A small deterministic generator for the random round trips (xorshift32). */
static uint32_t next_random(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return x;
}

/* ---- Melody: notes -> events ---------------------------------------------------------------- */

static void test_melody_simple(void) {
  /* C D E, the last held to the end: onsets at 0, 2, 4, no note-off where the next note starts. */
  mvae_note notes[] = {make_note(60, 0, 2), make_note(62, 2, 4), make_note(64, 4, 8)};
  int32_t expected[8] = {41, 0, 43, 0, 45, 0, 0, 0};
  expect_melody(notes, COUNT(notes), 8, MIN_PITCH, MAX_PITCH, expected, "simple melody");

  /* The same notes given in reverse order: sorted by start first. */
  mvae_note reversed[] = {notes[2], notes[1], notes[0]};
  expect_melody(reversed, COUNT(reversed), 8, MIN_PITCH, MAX_PITCH, expected, "reversed input");
}

static void test_melody_rests(void) {
  mvae_note notes[] = {make_note(60, 1, 3), make_note(62, 5, 6)};
  int32_t expected[8] = {0, 41, 0, 1, 0, 43, 1, 0};
  expect_melody(notes, COUNT(notes), 8, MIN_PITCH, MAX_PITCH, expected, "rests");

  int32_t silence[4] = {0, 0, 0, 0};
  expect_melody(NULL, 0, 4, MIN_PITCH, MAX_PITCH, silence, "no notes");
}

static void test_melody_ties(void) {
  /* Two notes of one pitch back to back: the second onset overwrites the first note-off. */
  mvae_note notes[] = {make_note(60, 0, 2), make_note(60, 2, 4)};
  int32_t expected[6] = {41, 0, 41, 0, 1, 0};
  expect_melody(notes, COUNT(notes), 6, MIN_PITCH, MAX_PITCH, expected, "repeated pitch");

  /* A long note is one onset followed by no-events. */
  mvae_note held[] = {make_note(70, 1, 7)};
  int32_t expected_held[8] = {0, 51, 0, 0, 0, 0, 0, 1};
  expect_melody(held, COUNT(held), 8, MIN_PITCH, MAX_PITCH, expected_held, "held note");
}

static void test_melody_polyphony(void) {
  /* magenta.js's own test (melodies_test.ts): range 60..72, so event = pitch - 58; 65 and 67 start
   * together at step 6 and only 67 is kept. */
  mvae_note notes[] = {make_note(60, 1, 3), make_note(62, 4, 5), make_note(64, 5, 6),
                       make_note(65, 6, 7), make_note(67, 6, 7)};
  int32_t expected[8] = {0, 2, 0, 1, 4, 6, 9, 1};
  expect_melody(notes, COUNT(notes), 8, 60, 72, expected, "melodies_test polyphony");
  int32_t expected_long[12] = {0, 2, 0, 1, 4, 6, 9, 1, 0, 0, 0, 0};
  expect_melody(notes, COUNT(notes), 12, 60, 72, expected_long, "melodies_test extra steps");

  /* A chord: the highest pitch wins, its end decides the note-off. */
  mvae_note chord[] = {make_note(60, 0, 2), make_note(67, 0, 4), make_note(64, 0, 3)};
  int32_t expected_chord[6] = {48, 0, 0, 0, 1, 0};
  expect_melody(chord, COUNT(chord), 6, MIN_PITCH, MAX_PITCH, expected_chord, "chord");

  /* Equal start and pitch: the first given is kept (JS's sort is stable). */
  mvae_note twins[] = {make_note(60, 0, 2), make_note(60, 0, 5)};
  int32_t expected_twins[6] = {41, 0, 1, 0, 0, 0};
  expect_melody(twins, COUNT(twins), 6, MIN_PITCH, MAX_PITCH, expected_twins, "twins");
  mvae_note twins_swapped[] = {twins[1], twins[0]};
  int32_t expected_swapped[6] = {41, 0, 0, 0, 0, 1};
  expect_melody(twins_swapped, COUNT(twins_swapped), 6, MIN_PITCH, MAX_PITCH, expected_swapped,
                "twins swapped");
}

static void test_melody_overlaps(void) {
  /* B starts while A sounds and ends first: B cuts in, and A's own note-off at 6 is still written.
   */
  mvae_note notes[] = {make_note(60, 0, 6), make_note(64, 2, 4)};
  int32_t expected[8] = {41, 0, 45, 0, 1, 0, 1, 0};
  expect_melody(notes, COUNT(notes), 8, MIN_PITCH, MAX_PITCH, expected, "overlap inside");

  /* B starts while A sounds and lasts longer: A's note-off at 4 cuts B short. */
  mvae_note longer[] = {make_note(64, 2, 8), make_note(60, 0, 4)};
  int32_t expected_longer[8] = {41, 0, 45, 0, 1, 0, 0, 0};
  expect_melody(longer, COUNT(longer), 8, MIN_PITCH, MAX_PITCH, expected_longer, "overlap across");

  /* A lower note starting later still replaces a higher one: only equal starts are compared. */
  mvae_note lower_later[] = {make_note(80, 0, 4), make_note(50, 1, 2)};
  int32_t expected_lower[5] = {61, 31, 1, 0, 1};
  expect_melody(lower_later, COUNT(lower_later), 5, MIN_PITCH, MAX_PITCH, expected_lower,
                "lower note later");
}

/* mvae_melody_from_notes refuses the notes as out of the default range, naming note index with
 * its pitch (index -1: where is not checked). */
static void expect_out_of_range(const mvae_note *notes, int n_notes, int num_steps, int index,
                                int pitch) {
  int32_t events[8];
  mvae_convert_error error;
  CHECK(num_steps <= 8);
  CHECK_STATUS(mvae_melody_from_notes(notes, n_notes, MVAE_SELECT_ALL, num_steps, MIN_PITCH,
                                      MAX_PITCH, events, &error),
               MVAE_ERR_BAD_INPUT);
  CHECK(index < 0 || (error.index == index && error.value == pitch));
}

static void test_melody_range(void) {
  /* The range ends are events 2 and 89. */
  mvae_note ends[] = {make_note(21, 0, 1), make_note(108, 1, 2)};
  int32_t expected[3] = {2, 89, 1};
  expect_melody(ends, COUNT(ends), 3, MIN_PITCH, MAX_PITCH, expected, "range ends");

  /* A lower out-of-range note under a kept one is dropped before the range check. */
  mvae_note hidden[] = {make_note(10, 0, 2), make_note(60, 0, 2)};
  int32_t expected_hidden[3] = {41, 0, 1};
  expect_melody(hidden, COUNT(hidden), 3, MIN_PITCH, MAX_PITCH, expected_hidden, "hidden low");

  const struct {
    mvae_note notes[2];
    int n_notes, num_steps, index, pitch;
  } refused[] = {
      {{make_note(60, 0, 1), make_note(20, 1, 2)}, 2, 8, 1, 20}, /* below */
      {{make_note(109, 3, 4)}, 1, 8, 0, 109},                    /* above */
      /* A higher out-of-range note is the kept one, and throws. */
      {{make_note(60, 0, 2), make_note(120, 0, 2)}, 2, 3, 1, 120},
      /* magenta.js checks the range before writing, so past the end still throws. */
      {{make_note(110, 40, 41)}, 1, 8, -1, 0},
  };
  for (int i = 0; i < COUNT(refused); i++)
    expect_out_of_range(refused[i].notes, refused[i].n_notes, refused[i].num_steps,
                        refused[i].index, refused[i].pitch);
}

static void test_melody_past_end(void) {
  mvae_note notes[] = {make_note(60, 2, 6), make_note(62, 5, 7)};
  int32_t expected[4] = {0, 0, 41, 0};
  expect_melody(notes, COUNT(notes), 4, MIN_PITCH, MAX_PITCH, expected, "truncated");
  mvae_note at_end[] = {make_note(60, 3, 4)};
  int32_t expected_at_end[4] = {0, 0, 0, 41};
  expect_melody(at_end, COUNT(at_end), 4, MIN_PITCH, MAX_PITCH, expected_at_end, "ends at T");
}

static void test_melody_takes_drum_notes(void) {
  /* MelodyConverter does not look at is_drum: a drum note is a melody note like any other. */
  mvae_note notes[] = {make_drum(36, 0)};
  int32_t expected[3] = {17, 1, 0};
  expect_melody(notes, COUNT(notes), 3, MIN_PITCH, MAX_PITCH, expected, "drum note in melody");
}

/* ---- Melody: events -> one-hot and notes ---------------------------------------------------- */

static void test_melody_one_hot(void) {
  int32_t events[3] = {41, 0, 1};
  float input[3 * DEPTH];
  mvae_convert_error error;
  CHECK_STATUS(mvae_events_to_one_hot(events, 3, DEPTH, DEPTH, input, &error), MVAE_OK);
  for (int t = 0; t < 3; t++)
    for (int k = 0; k < DEPTH; k++)
      CHECK(input[t * DEPTH + k] == (k == events[t] ? 1.0f : 0.0f));

  mvae_note notes[] = {make_note(60, 0, 2)};
  float from_notes[3 * DEPTH];
  CHECK_STATUS(mvae_melody_notes_to_input(notes, 1, 3, MIN_PITCH, MAX_PITCH, from_notes, &error),
               MVAE_OK);
  CHECK(memcmp(from_notes, input, sizeof input) == 0);

  int32_t bad[2] = {0, DEPTH};
  CHECK_STATUS(mvae_events_to_one_hot(bad, 2, DEPTH, DEPTH, input, &error), MVAE_ERR_BAD_INPUT);
  CHECK(error.index == 1 && error.value == DEPTH);
}

static void test_melody_to_notes(void) {
  mvae_note notes[8];
  int n = -1;
  mvae_convert_error error;
  int32_t events[8] = {0, 41, 0, 1, 0, 43, 1, 0};
  CHECK_STATUS(mvae_events_to_notes(events, 8, MIN_PITCH, MAX_PITCH, 0, 0, notes, 8, &n, &error),
               MVAE_OK);
  mvae_note expected[2] = {{60, MVAE_DECODED_VELOCITY, 1, 3, 0, 0, 0},
                           {62, MVAE_DECODED_VELOCITY, 5, 6, 0, 0, 0}};
  CHECK(n == 2 && same_note(&notes[0], &expected[0]) && same_note(&notes[1], &expected[1]));

  /* An onset ends the sounding note; the last note lasts to the end. Program/instrument as given.
   */
  int32_t legato[4] = {41, 43, 0, 0};
  CHECK_STATUS(mvae_events_to_notes(legato, 4, MIN_PITCH, MAX_PITCH, 32, 1, notes, 8, &n, &error),
               MVAE_OK);
  mvae_note expected_legato[2] = {{60, 80, 0, 1, 32, 0, 1}, {62, 80, 1, 4, 32, 0, 1}};
  CHECK(n == 2 && same_note(&notes[0], &expected_legato[0]) &&
        same_note(&notes[1], &expected_legato[1]));

  /* Note-offs with nothing sounding make no notes. */
  int32_t stray[3] = {1, 1, 0};
  CHECK_STATUS(mvae_events_to_notes(stray, 3, MIN_PITCH, MAX_PITCH, 0, 0, notes, 8, &n, &error),
               MVAE_OK);
  CHECK(n == 0);

  /* Too small a buffer: the count needed is stored, the first notes written. */
  CHECK_STATUS(mvae_events_to_notes(events, 8, MIN_PITCH, MAX_PITCH, 0, 0, notes, 1, &n, &error),
               MVAE_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 2 && same_note(&notes[0], &expected[0]));
  CHECK_STATUS(mvae_events_to_notes(events, 8, MIN_PITCH, MAX_PITCH, 0, 0, NULL, 0, &n, &error),
               MVAE_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 2);

  int32_t bad[2] = {0, -1};
  CHECK_STATUS(mvae_events_to_notes(bad, 2, MIN_PITCH, MAX_PITCH, 0, 0, notes, 8, &n, &error),
               MVAE_ERR_BAD_INPUT);
  CHECK(error.index == 1);
  int32_t too_high[1] = {DEPTH};
  CHECK_STATUS(mvae_events_to_notes(too_high, 1, MIN_PITCH, MAX_PITCH, 0, 0, notes, 8, &n, &error),
               MVAE_ERR_BAD_INPUT);
}

static void test_melody_round_trips(void) {
  enum { STEPS = 32 };
  uint32_t seed = 12345;
  mvae_convert_error error;
  for (int trial = 0; trial < 4000; trial++) {
    int kind = trial % 4;
    int32_t events[STEPS], canonical[STEPS], back[STEPS];
    for (int t = 0; t < STEPS; t++) {
      uint32_t r = next_random(&seed);
      switch (kind) {
      case 0: /* any event at all */
        events[t] = (int32_t)(r % DEPTH);
        break;
      case 1: /* sparse: mostly holds */
        events[t] = r % 8 == 0 ? (int32_t)(2 + (r >> 8) % (DEPTH - 2)) : (r % 8 == 1 ? 1 : 0);
        break;
      case 2: /* dense onsets in a narrow range, like a real melody */
        events[t] = r % 3 == 0 ? 0 : (int32_t)(40 + (r >> 8) % 12);
        break;
      default: /* mostly note-offs, many of them stray */
        events[t] = r % 2 ? 1 : (int32_t)(r % DEPTH);
        break;
      }
    }
    test_canonical_melody(events, STEPS, canonical);
    mvae_note notes[STEPS];
    int n = 0;
    CHECK_STATUS(
        mvae_events_to_notes(events, STEPS, MIN_PITCH, MAX_PITCH, 0, 0, notes, STEPS, &n, &error),
        MVAE_OK);
    CHECK_STATUS(mvae_melody_from_notes(notes, n, MVAE_SELECT_ALL, STEPS, MIN_PITCH, MAX_PITCH,
                                        back, &error),
                 MVAE_OK);
    if (!same_events(back, canonical, STEPS, "melody round trip")) {
      failures++;
      return;
    }
    /* Canonical sequences come back unchanged. */
    mvae_note again[STEPS];
    int n_again = 0;
    CHECK_STATUS(mvae_events_to_notes(back, STEPS, MIN_PITCH, MAX_PITCH, 0, 0, again, STEPS,
                                      &n_again, &error),
                 MVAE_OK);
    CHECK(n_again == n);
    for (int i = 0; i < n && i < n_again; i++)
      CHECK(same_note(&notes[i], &again[i]));
  }
}

/* ---- Drums ---------------------------------------------------------------------------------- */

static void test_drum_map(void) {
  /* magenta.js's DEFAULT_DRUM_PITCH_CLASSES, written out per class. */
  static const int kick[] = {36, 35};
  static const int snare[] = {38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85};
  static const int closed_hat[] = {42, 44, 54, 68, 69, 70, 71, 73, 78, 80};
  static const int open_hat[] = {46, 67, 72, 74, 79, 81};
  static const int low_tom[] = {45, 29, 41, 61, 64, 84};
  static const int mid_tom[] = {48, 47, 60, 63, 77, 86, 87};
  static const int high_tom[] = {50, 30, 43, 62, 76, 83};
  static const int crash[] = {49, 55, 57, 58};
  static const int ride[] = {51, 52, 53, 59, 82};
  static const struct {
    const int *pitches;
    int count;
  } classes[9] = {{kick, 2},    {snare, 15},   {closed_hat, 10}, {open_hat, 6}, {low_tom, 6},
                  {mid_tom, 7}, {high_tom, 6}, {crash, 4},       {ride, 5}};
  int expected[128];
  for (int p = 0; p < 128; p++)
    expected[p] = -1;
  int mapped = 0;
  for (int c = 0; c < 9; c++) {
    for (int k = 0; k < classes[c].count; k++) {
      expected[classes[c].pitches[k]] = c;
      mapped++;
    }
    CHECK(mvae_drum_class_pitch(c) == classes[c].pitches[0]);
  }
  CHECK(mapped == 61);
  for (int p = 0; p < 128; p++)
    if (mvae_drum_class_of_pitch(p) != expected[p]) {
      fprintf(stderr, "drum pitch %d: class %d, expected %d\n", p, mvae_drum_class_of_pitch(p),
              expected[p]);
      failures++;
    }
  /* The pitches Magenta Python moved in 2019 keep their old buckets. */
  CHECK(mvae_drum_class_of_pitch(22) == -1 && mvae_drum_class_of_pitch(26) == -1);
  CHECK(mvae_drum_class_of_pitch(43) == 6 && mvae_drum_class_of_pitch(52) == 8);
  CHECK(mvae_drum_class_of_pitch(-1) == -1 && mvae_drum_class_of_pitch(128) == -1);
  CHECK(mvae_drum_class_pitch(-1) == -1 && mvae_drum_class_pitch(9) == -1);
}

static void test_drum_labels(void) {
  mvae_convert_error error;
  int32_t labels[4];
  /* Kick + snare at 0, closed hi-hat at 2. */
  mvae_note simple[] = {make_drum(36, 0), make_drum(38, 0), make_drum(42, 2)};
  int32_t expected_simple[4] = {3, 0, 4, 0};
  for (int encoding = 0; encoding < 2; encoding++) {
    CHECK_STATUS(mvae_drum_labels_from_notes(simple, 3, MVAE_SELECT_ALL, 4,
                                             (mvae_drum_encoding)encoding, labels, &error),
                 MVAE_OK);
    CHECK(same_events(labels, expected_simple, 4, "drum labels"));
  }

  /* Two kicks (36, 35) at 1; hi-hat plus an unmapped pitch (22) at 2; two rides (51, 59) at 3. */
  mvae_note quirky[] = {make_drum(36, 0), make_drum(36, 1), make_drum(35, 1), make_drum(42, 2),
                        make_drum(22, 2), make_drum(51, 3), make_drum(59, 3)};
  /* magenta.js sums: 1 + 1 = 2 (a snare), NaN -> 0, 256 + 256 = 512 (all-zero row). */
  int32_t expected_js[4] = {1, 2, 0, MVAE_DRUM_LABEL_ZERO_ROW};
  CHECK_STATUS(mvae_drum_labels_from_notes(quirky, COUNT(quirky), MVAE_SELECT_ALL, 4,
                                           MVAE_DRUMS_MAGENTA_JS, labels, &error),
               MVAE_OK);
  CHECK(same_events(labels, expected_js, 4, "magenta.js drum labels"));
  int32_t expected_clean[4] = {1, 1, 4, 256};
  CHECK_STATUS(mvae_drum_labels_from_notes(quirky, COUNT(quirky), MVAE_SELECT_ALL, 4,
                                           MVAE_DRUMS_CLEAN, labels, &error),
               MVAE_OK);
  CHECK(same_events(labels, expected_clean, 4, "clean drum labels"));

  /* Every note counts, whatever its is_drum; the trio selection takes only is_drum notes. */
  mvae_note not_drum[] = {make_note(38, 1, 2), make_drum(36, 1)};
  int32_t expected_all[4] = {0, 3, 0, 0}, expected_drums_only[4] = {0, 1, 0, 0};
  CHECK_STATUS(mvae_drum_labels_from_notes(not_drum, 2, MVAE_SELECT_ALL, 4, MVAE_DRUMS_MAGENTA_JS,
                                           labels, &error),
               MVAE_OK);
  CHECK(same_events(labels, expected_all, 4, "non-drum notes count"));
  CHECK_STATUS(mvae_drum_labels_from_notes(not_drum, 2, MVAE_SELECT_DRUMS, 4, MVAE_DRUMS_MAGENTA_JS,
                                           labels, &error),
               MVAE_OK);
  CHECK(same_events(labels, expected_drums_only, 4, "drums selection"));

  /* Past the end: magenta.js's label array would grow (an error here); clean drops the note. */
  mvae_note late[] = {make_drum(36, 0), make_drum(38, 4)};
  CHECK_STATUS(mvae_drum_labels_from_notes(late, 2, MVAE_SELECT_ALL, 4, MVAE_DRUMS_MAGENTA_JS,
                                           labels, &error),
               MVAE_ERR_BAD_INPUT);
  CHECK(error.index == 1 && error.value == 4);
  int32_t expected_late[4] = {1, 0, 0, 0};
  CHECK_STATUS(
      mvae_drum_labels_from_notes(late, 2, MVAE_SELECT_ALL, 4, MVAE_DRUMS_CLEAN, labels, &error),
      MVAE_OK);
  CHECK(same_events(labels, expected_late, 4, "clean drops late notes"));

  /* Labels -> 512-wide one-hot; 512 is an all-zero row. */
  int32_t one_hot_labels[4] = {3, 0, MVAE_DRUM_LABEL_ZERO_ROW, 256};
  static float one_hot[4 * MVAE_DRUM_LABELS];
  CHECK_STATUS(mvae_drum_labels_to_one_hot(one_hot_labels, 4, MVAE_DRUM_LABELS, one_hot, &error),
               MVAE_OK);
  for (int t = 0; t < 4; t++)
    for (int k = 0; k < MVAE_DRUM_LABELS; k++)
      CHECK(one_hot[t * MVAE_DRUM_LABELS + k] == (k == one_hot_labels[t] ? 1.0f : 0.0f));
  int32_t bad_labels[2] = {0, 513};
  CHECK_STATUS(mvae_drum_labels_to_one_hot(bad_labels, 2, MVAE_DRUM_LABELS, one_hot, &error),
               MVAE_ERR_BAD_INPUT);

  /* The whole 512-input path. */
  static float input[4 * MVAE_DRUM_LABELS];
  CHECK_STATUS(
      mvae_drums_notes_to_input(quirky, COUNT(quirky), 4, 0, MVAE_DRUMS_MAGENTA_JS, input, &error),
      MVAE_OK);
  for (int t = 0; t < 4; t++)
    for (int k = 0; k < MVAE_DRUM_LABELS; k++)
      CHECK(input[t * MVAE_DRUM_LABELS + k] == (k == expected_js[t] ? 1.0f : 0.0f));
}

static void check_roll(const float *roll, const float expected[][MVAE_DRUM_ROLL_WIDTH], int rows,
                       const char *what) {
  for (int t = 0; t < rows; t++)
    for (int k = 0; k < MVAE_DRUM_ROLL_WIDTH; k++)
      if (roll[t * MVAE_DRUM_ROLL_WIDTH + k] != expected[t][k]) {
        fprintf(stderr, "%s: roll[%d][%d] = %g, expected %g\n", what, t, k,
                (double)roll[t * MVAE_DRUM_ROLL_WIDTH + k], (double)expected[t][k]);
        failures++;
      }
}

/* The 4-step drum roll of all the notes in the encoding is expected[4]. */
static void expect_roll(const mvae_note *notes, int n_notes, mvae_drum_encoding encoding,
                        const float expected[][MVAE_DRUM_ROLL_WIDTH], const char *what) {
  float roll[4 * MVAE_DRUM_ROLL_WIDTH];
  mvae_convert_error error;
  CHECK_STATUS(
      mvae_drum_roll_from_notes(notes, n_notes, MVAE_SELECT_ALL, 4, encoding, roll, &error),
      MVAE_OK);
  check_roll(roll, expected, 4, what);
}

static void test_drum_roll(void) {
  mvae_convert_error error;
  float roll[5 * MVAE_DRUM_ROLL_WIDTH];
  mvae_note notes[] = {make_drum(36, 0), make_drum(42, 2)};
  /* magenta.js: "no hit" set on rows 0..2 (the -1 index lands one row early, never on row 3), then
   * cleared on the row before each note: row 1 (the hi-hat at 2); the kick at 0 clears nothing. */
  const float expected_js[4][MVAE_DRUM_ROLL_WIDTH] = {{1, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                                      {0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                                                      {0, 0, 1, 0, 0, 0, 0, 0, 0, 1},
                                                      {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
  expect_roll(notes, 2, MVAE_DRUMS_MAGENTA_JS, expected_js, "magenta.js roll");
  const float expected_clean[4][MVAE_DRUM_ROLL_WIDTH] = {{1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                                                         {0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                                         {0, 0, 1, 0, 0, 0, 0, 0, 0, 0},
                                                         {0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  expect_roll(notes, 2, MVAE_DRUMS_CLEAN, expected_clean, "clean roll");

  /* An unmapped pitch (22) at 3 still clears row 2's "no hit" in magenta.js; notes at 4 (= T) and
   * 9 change nothing; the clean roll ignores all three. */
  mvae_note odd[] = {make_drum(36, 0), make_drum(42, 2), make_drum(22, 3), make_drum(38, 4),
                     make_drum(38, 9)};
  const float expected_odd_js[4][MVAE_DRUM_ROLL_WIDTH] = {{1, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                                          {0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                                                          {0, 0, 1, 0, 0, 0, 0, 0, 0, 0},
                                                          {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
  expect_roll(odd, COUNT(odd), MVAE_DRUMS_MAGENTA_JS, expected_odd_js,
              "magenta.js roll, odd notes");
  expect_roll(odd, COUNT(odd), MVAE_DRUMS_CLEAN, expected_clean, "clean roll, odd notes");

  /* A single step: the only row is the last one, so magenta.js never sets its "no hit". */
  const float expected_single[1][MVAE_DRUM_ROLL_WIDTH] = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
  CHECK_STATUS(mvae_drums_notes_to_input(NULL, 0, 1, 1, MVAE_DRUMS_MAGENTA_JS, roll, &error),
               MVAE_OK);
  check_roll(roll, expected_single, 1, "single step");
}

static void test_drum_notes(void) {
  mvae_convert_error error;
  mvae_note notes[16];
  int n = 0;
  int32_t labels[3] = {3, 0, 256 + 4};
  CHECK_STATUS(mvae_drum_labels_to_notes(labels, 3, 0, notes, 16, &n, &error), MVAE_OK);
  mvae_note expected[4] = {{36, 80, 0, 1, 0, 1, 0},
                           {38, 80, 0, 1, 0, 1, 0},
                           {42, 80, 2, 3, 0, 1, 0},
                           {51, 80, 2, 3, 0, 1, 0}};
  expect_notes(notes, n, expected, 4);

  CHECK_STATUS(mvae_drum_labels_to_notes(labels, 3, 0, notes, 3, &n, &error),
               MVAE_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 4);
  int32_t bad[2] = {511, 512};
  CHECK_STATUS(mvae_drum_labels_to_notes(bad, 2, 0, notes, 16, &n, &error), MVAE_ERR_BAD_INPUT);
  CHECK(error.index == 1 && error.value == 512);
  bad[1] = -1;
  CHECK_STATUS(mvae_drum_labels_to_notes(bad, 2, 0, notes, 16, &n, &error), MVAE_ERR_BAD_INPUT);

  /* Round trips: labels -> notes -> labels, both encodings, all 512 hit sets. */
  enum { STEPS = 32 };
  uint32_t seed = 777;
  static mvae_note many[STEPS * MVAE_DRUM_CLASSES];
  for (int trial = 0; trial < 600; trial++) {
    int32_t source[STEPS], back[STEPS];
    for (int t = 0; t < STEPS; t++)
      source[t] = trial < 16 ? (trial * STEPS + t) % MVAE_DRUM_LABELS
                             : (int32_t)(next_random(&seed) % MVAE_DRUM_LABELS);
    CHECK_STATUS(mvae_drum_labels_to_notes(source, STEPS, 0, many, COUNT(many), &n, &error),
                 MVAE_OK);
    for (int encoding = 0; encoding < 2; encoding++) {
      CHECK_STATUS(mvae_drum_labels_from_notes(many, n, MVAE_SELECT_ALL, STEPS,
                                               (mvae_drum_encoding)encoding, back, &error),
                   MVAE_OK);
      if (!same_events(back, source, STEPS, "drum round trip")) {
        failures++;
        return;
      }
    }
  }
}

/* ---- Trio ----------------------------------------------------------------------------------- */

static void test_trio(void) {
  enum { STEPS = 4, WIDTH = 2 * DEPTH + MVAE_DRUM_LABELS };
  CHECK(mvae_trio_input_depth(MIN_PITCH, MAX_PITCH) == 692);
  mvae_convert_error error;
  mvae_note notes[] = {
      make_program_note(72, 0, 2, 0, 0),  /* melody, instrument 0 */
      make_program_note(76, 0, 1, 5, 3),  /* melody range, another instrument: merged, higher */
      make_program_note(40, 0, 4, 33, 1), /* bass */
      make_program_note(90, 1, 3, 48, 4), /* strings: in no track */
      make_drum(36, 0),
      make_drum(42, 1),
  };
  /* A drum-flagged note with a bass program is a drum. */
  notes[5].program = 33;
  static float input[STEPS * WIDTH];
  CHECK_STATUS(mvae_trio_notes_to_input(notes, COUNT(notes), STEPS, MIN_PITCH, MAX_PITCH,
                                        MVAE_DRUMS_MAGENTA_JS, input, &error),
               MVAE_OK);
  /* Melody 76 at 0 (event 57), off at 1; bass 40 (event 21) to the end; drums kick, hi-hat. */
  const int32_t melody[STEPS] = {57, 1, 0, 0}, bass[STEPS] = {21, 0, 0, 0},
                drums[STEPS] = {1, 4, 0, 0};
  for (int t = 0; t < STEPS; t++) {
    for (int k = 0; k < WIDTH; k++) {
      float expected = 0.0f;
      if (k == melody[t] || k == DEPTH + bass[t] || k == 2 * DEPTH + drums[t])
        expected = 1.0f;
      if (input[t * WIDTH + k] != expected) {
        fprintf(stderr, "trio input[%d][%d] = %g\n", t, k, (double)input[t * WIDTH + k]);
        failures++;
      }
    }
  }

  /* Tokens -> notes: melody, then bass, then drums, with magenta.js's instruments and programs. */
  int32_t tokens[3 * STEPS];
  memcpy(tokens, melody, sizeof melody);
  memcpy(tokens + STEPS, bass, sizeof bass);
  memcpy(tokens + 2 * STEPS, drums, sizeof drums);
  mvae_note decoded[16];
  int n = 0;
  CHECK_STATUS(
      mvae_trio_tokens_to_notes(tokens, STEPS, MIN_PITCH, MAX_PITCH, decoded, 16, &n, &error),
      MVAE_OK);
  mvae_note expected[4] = {{76, 80, 0, 1, 0, 0, 0},
                           {40, 80, 0, 4, 32, 0, 1},
                           {36, 80, 0, 1, 0, 1, 2},
                           {42, 80, 1, 2, 0, 1, 2}};
  expect_notes(decoded, n, expected, 4);
  /* Buffer too small: the count covers all three tracks. */
  CHECK_STATUS(
      mvae_trio_tokens_to_notes(tokens, STEPS, MIN_PITCH, MAX_PITCH, decoded, 2, &n, &error),
      MVAE_ERR_BUFFER_TOO_SMALL);
  CHECK(n == 4 && same_note(&decoded[0], &expected[0]) && same_note(&decoded[1], &expected[1]));

  /* Bad tokens, one per track; error->index = track * T + step. */
  tokens[2] = DEPTH;
  CHECK_STATUS(
      mvae_trio_tokens_to_notes(tokens, STEPS, MIN_PITCH, MAX_PITCH, decoded, 16, &n, &error),
      MVAE_ERR_BAD_INPUT);
  CHECK(error.index == 2);
  tokens[2] = 0;
  tokens[STEPS + 3] = -1;
  CHECK_STATUS(
      mvae_trio_tokens_to_notes(tokens, STEPS, MIN_PITCH, MAX_PITCH, decoded, 16, &n, &error),
      MVAE_ERR_BAD_INPUT);
  CHECK(error.index == STEPS + 3);
  tokens[STEPS + 3] = 0;
  tokens[2 * STEPS + 1] = MVAE_DRUM_LABELS;
  CHECK_STATUS(
      mvae_trio_tokens_to_notes(tokens, STEPS, MIN_PITCH, MAX_PITCH, decoded, 16, &n, &error),
      MVAE_ERR_BAD_INPUT);
  CHECK(error.index == 2 * STEPS + 1);

  /* A bass pitch out of range throws in magenta.js; so does a drum past the end (the concat). */
  mvae_note bad_bass[] = {make_program_note(110, 0, 1, 34, 0)};
  CHECK_STATUS(mvae_trio_notes_to_input(bad_bass, 1, STEPS, MIN_PITCH, MAX_PITCH,
                                        MVAE_DRUMS_MAGENTA_JS, input, &error),
               MVAE_ERR_BAD_INPUT);
  mvae_note late_drum[] = {make_drum(36, STEPS)};
  CHECK_STATUS(mvae_trio_notes_to_input(late_drum, 1, STEPS, MIN_PITCH, MAX_PITCH,
                                        MVAE_DRUMS_MAGENTA_JS, input, &error),
               MVAE_ERR_BAD_INPUT);
  CHECK_STATUS(mvae_trio_notes_to_input(late_drum, 1, STEPS, MIN_PITCH, MAX_PITCH, MVAE_DRUMS_CLEAN,
                                        input, &error),
               MVAE_OK);
  /* Out-of-range pitches in an unused program are never looked at. */
  mvae_note unused[] = {make_program_note(120, 0, 1, 60, 0)};
  CHECK_STATUS(mvae_trio_notes_to_input(unused, 1, STEPS, MIN_PITCH, MAX_PITCH,
                                        MVAE_DRUMS_MAGENTA_JS, input, &error),
               MVAE_OK);
}

static void test_trio_round_trips(void) {
  enum { STEPS = 16, WIDTH = 2 * DEPTH + MVAE_DRUM_LABELS };
  uint32_t seed = 4242;
  mvae_convert_error error;
  static float input[STEPS * WIDTH];
  static mvae_note notes[STEPS * 11];
  for (int trial = 0; trial < 300; trial++) {
    int32_t tokens[3 * STEPS];
    /* Melody and bass: canonical events (note-offs only while a note sounds); drums: any set. */
    for (int track = 0; track < 2; track++) {
      int sounding = 0;
      for (int t = 0; t < STEPS; t++) {
        uint32_t r = next_random(&seed) % 6;
        int32_t event = r < 2 ? 0 : (r == 2 ? 1 : (int32_t)(2 + next_random(&seed) % (DEPTH - 2)));
        if (event == 1 && !sounding)
          event = 0;
        sounding = event >= 2 ? 1 : (event == 1 ? 0 : sounding);
        tokens[track * STEPS + t] = event;
      }
    }
    for (int t = 0; t < STEPS; t++)
      tokens[2 * STEPS + t] = (int32_t)(next_random(&seed) % MVAE_DRUM_LABELS);
    int n = 0;
    CHECK_STATUS(mvae_trio_tokens_to_notes(tokens, STEPS, MIN_PITCH, MAX_PITCH, notes, COUNT(notes),
                                           &n, &error),
                 MVAE_OK);
    CHECK_STATUS(mvae_trio_notes_to_input(notes, n, STEPS, MIN_PITCH, MAX_PITCH,
                                          MVAE_DRUMS_MAGENTA_JS, input, &error),
                 MVAE_OK);
    static const int offsets[3] = {0, DEPTH, 2 * DEPTH}, depths[3] = {DEPTH, DEPTH, 512};
    for (int track = 0; track < 3; track++) {
      for (int t = 0; t < STEPS; t++) {
        const float *row = input + t * WIDTH + offsets[track];
        int hot = -1, n_hot = 0;
        for (int k = 0; k < depths[track]; k++)
          if (row[k] != 0.0f) {
            hot = k;
            n_hot++;
          }
        if (n_hot != 1 || hot != tokens[track * STEPS + t]) {
          fprintf(stderr, "trio round trip: track %d step %d: %d hot at %d, token %d\n", track, t,
                  n_hot, hot, tokens[track * STEPS + t]);
          failures++;
          return;
        }
      }
    }
  }
}

/* ---- Invalid input -------------------------------------------------------------------------- */

/* Every converter that takes notes must refuse each kind of invalid note. */
static void expect_refused(const mvae_note *notes, int n_notes, mvae_status expected_status,
                           int expected_index, const char *what) {
  int32_t events[8];
  float roll[8 * MVAE_DRUM_ROLL_WIDTH];
  static float trio[8 * 692];
  mvae_convert_error error;
  mvae_status statuses[5];
  int indices[5];
  statuses[0] = mvae_check_notes(notes, n_notes, &error);
  indices[0] = error.index;
  statuses[1] = mvae_melody_from_notes(notes, n_notes, MVAE_SELECT_ALL, 8, MIN_PITCH, MAX_PITCH,
                                       events, &error);
  indices[1] = error.index;
  statuses[2] = mvae_drum_labels_from_notes(notes, n_notes, MVAE_SELECT_ALL, 8, MVAE_DRUMS_CLEAN,
                                            events, &error);
  indices[2] = error.index;
  statuses[3] = mvae_drum_roll_from_notes(notes, n_notes, MVAE_SELECT_DRUMS, 8,
                                          MVAE_DRUMS_MAGENTA_JS, roll, &error);
  indices[3] = error.index;
  statuses[4] = mvae_trio_notes_to_input(notes, n_notes, 8, MIN_PITCH, MAX_PITCH,
                                         MVAE_DRUMS_MAGENTA_JS, trio, &error);
  indices[4] = error.index;
  for (int k = 0; k < 5; k++)
    if (statuses[k] != expected_status || indices[k] != expected_index) {
      fprintf(stderr, "%s: converter %d gave status %d at note %d, expected %d at %d\n", what, k,
              (int)statuses[k], indices[k], (int)expected_status, expected_index);
      failures++;
    }
}

static void test_invalid_notes(void) {
  mvae_note good = make_note(60, 0, 2);
  struct {
    const char *what;
    mvae_note bad;
  } cases[] = {
      {"pitch -1", {-1, 100, 0, 1, 0, 0, 0}},       {"pitch 128", {128, 100, 0, 1, 0, 0, 0}},
      {"velocity -1", {60, -1, 0, 1, 0, 0, 0}},     {"velocity 128", {60, 128, 0, 1, 0, 0, 0}},
      {"start -1", {60, 100, -1, 1, 0, 0, 0}},      {"end == start", {60, 100, 3, 3, 0, 0, 0}},
      {"end < start", {60, 100, 3, 2, 0, 0, 0}},    {"program -1", {60, 100, 0, 1, -1, 0, 0}},
      {"program 128", {60, 100, 0, 1, 128, 0, 0}},  {"is_drum 2", {60, 100, 0, 1, 0, 2, 0}},
      {"instrument -1", {60, 100, 0, 1, 0, 0, -1}},
  };
  for (int k = 0; k < COUNT(cases); k++) {
    mvae_note pair[2] = {good, cases[k].bad};
    expect_refused(pair, 2, MVAE_ERR_BAD_INPUT, 1, cases[k].what);
  }
  expect_refused(&good, -1, MVAE_ERR_INVALID_ARGUMENT, -1, "negative count");
  expect_refused(NULL, 1, MVAE_ERR_INVALID_ARGUMENT, -1, "NULL notes");
  expect_refused(NULL, 0, MVAE_OK, -1, "no notes");

  /* Bad sizes and buffers. */
  int32_t events[4];
  mvae_convert_error error;
  CHECK_STATUS(
      mvae_melody_from_notes(&good, 1, MVAE_SELECT_ALL, 0, MIN_PITCH, MAX_PITCH, events, &error),
      MVAE_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(mvae_melody_from_notes(&good, 1, MVAE_SELECT_ALL, 4, 50, 40, events, &error),
               MVAE_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(mvae_melody_from_notes(&good, 1, MVAE_SELECT_ALL, 4, MIN_PITCH, 128, events, &error),
               MVAE_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(
      mvae_melody_from_notes(&good, 1, MVAE_SELECT_ALL, 4, MIN_PITCH, MAX_PITCH, NULL, &error),
      MVAE_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(mvae_drum_labels_from_notes(&good, 1, MVAE_SELECT_ALL, 4, (mvae_drum_encoding)7,
                                           events, NULL),
               MVAE_ERR_INVALID_ARGUMENT);
  int n = 0;
  CHECK_STATUS(mvae_events_to_notes(events, 4, MIN_PITCH, MAX_PITCH, 0, 0, NULL, 3, &n, &error),
               MVAE_ERR_INVALID_ARGUMENT);
  CHECK(mvae_melody_depth(21, 108) == 90 && mvae_melody_depth(0, 127) == 130);
  CHECK(mvae_melody_depth(-1, 10) == 0 && mvae_trio_input_depth(5, 4) == 0);
}

int main(void) {
  test_melody_simple();
  test_melody_rests();
  test_melody_ties();
  test_melody_polyphony();
  test_melody_overlaps();
  test_melody_range();
  test_melody_past_end();
  test_melody_takes_drum_notes();
  test_melody_one_hot();
  test_melody_to_notes();
  test_melody_round_trips();
  test_drum_map();
  test_drum_labels();
  test_drum_roll();
  test_drum_notes();
  test_trio();
  test_trio_round_trips();
  test_invalid_notes();
  return check_report("test_convert");
}
