/* test_chord_infer.c: mvae_chords_infer and mvae_chord_symbol on hand-worked accompaniments (the
 * weights below are counted by hand from the notes: steps each pitch class sounds in the span). */
#include "musicvae.h"
#include "test_check.h"

#include <string.h>

static mvae_note note(int pitch, int start, int end) {
  mvae_note n = {pitch, 80, start, end, 0, 0, 0};
  return n;
}

/* Infers over `num_steps` in spans of `span` and compares each span's symbol with want[]. */
static void expect_chords(const mvae_note *notes, int n, int num_steps, int span,
                          const char *const *want, int n_want, const char *what) {
  mvae_chord chords[16];
  char err[256];
  mvae_status st = mvae_chords_infer(notes, n, num_steps, span, chords, err, sizeof err);
  if (st != MVAE_OK) {
    fprintf(stderr, "%s: status %d (%s)\n", what, (int)st, err);
    failures++;
    return;
  }
  for (int s = 0; s < n_want; s++) {
    char symbol[8];
    CHECK_STATUS(mvae_chord_symbol(&chords[s], symbol, sizeof symbol), MVAE_OK);
    if (strcmp(symbol, want[s]) != 0) {
      fprintf(stderr, "%s: span %d is %s, expected %s\n", what, s, symbol, want[s]);
      failures++;
    }
    /* The chord is what its symbol parses to (root, pitch classes, quality). */
    mvae_chord parsed;
    CHECK_STATUS(mvae_chord_parse(symbol, &parsed, err, sizeof err), MVAE_OK);
    CHECK(parsed.no_chord == chords[s].no_chord && parsed.root == chords[s].root &&
          parsed.pitches == chords[s].pitches && parsed.quality == chords[s].quality);
  }
}

static void test_progression(void) {
  mvae_note drum = note(36, 32, 40);
  drum.is_drum = 1;
  mvae_note notes[] = {
      /* span 0 (0-7): C 8, E 8, G 4, D 2 -> C major 20 beats A minor 16 and E minor 12 */
      note(60, 0, 8), note(64, 0, 8), note(67, 0, 4), note(62, 4, 6),
      /* span 1 (8-15): A 8, C 8, E 4, G 4 -> A minor 20 beats C major 16 and F major 16 */
      note(57, 8, 16), note(72, 8, 16), note(76, 8, 12), note(79, 12, 16),
      /* span 2 (16-23): A 8, F 4 (a note held into span 3) -> F major 12 ties D minor 12; F's
       * root holds 4 steps, D's none: F */
      note(69, 16, 24), note(53, 20, 28),
      /* span 3 (24-31): D 8, F 4 (the held note) -> D minor 12 ties B-flat major 12; D's root
       * holds 8, B-flat's none: Dm */
      note(62, 24, 32),
      /* span 4 (32-39): a drum only: nothing sounds, N.C. */
      drum};
  const char *want[] = {"C", "Am", "F", "Dm", "N.C."};
  expect_chords(notes, COUNT(notes), 40, 8, want, COUNT(want), "progression");
}

static void test_ties_and_edges(void) {
  /* One pitch class only: C major, C minor, F major, F minor, G-sharp major and A minor all hold
   * 8; C major and C minor's root holds it too; major goes first: C. */
  mvae_note lone[] = {note(48, 0, 8)};
  const char *want_lone[] = {"C"};
  expect_chords(lone, COUNT(lone), 8, 8, want_lone, 1, "lone C");

  /* Clipping: E sounds 4..20 but the window ends at 8 (4 steps), G 0..2 (2): E minor 6 ties
   * C major 6; E's root holds 4, C's none: Em. A note ending at the span start adds nothing. */
  mvae_note clipped[] = {note(64, 4, 20), note(67, 0, 2), note(61, -4, 0)};
  const char *want_clipped[] = {"Em"};
  expect_chords(clipped, COUNT(clipped), 8, 8, want_clipped, 1, "clipped");

  /* A short last span (steps 16..19 of 20): F-sharp minor from F#, A, C# in it. */
  mvae_note last[] = {note(66, 16, 20), note(69, 16, 18), note(73, 18, 20)};
  const char *want_last[] = {"N.C.", "N.C.", "F#m"};
  expect_chords(last, COUNT(last), 20, 8, want_last, 3, "short last span");
}

static void test_refusals(void) {
  mvae_chord chords[4];
  char err[256];
  mvae_note bad = note(128, 0, 4);
  CHECK_STATUS(mvae_chords_infer(NULL, 0, 0, 8, chords, err, sizeof err),
               MVAE_ERR_INVALID_ARGUMENT);
  CHECK(err[0] != '\0');
  CHECK_STATUS(mvae_chords_infer(NULL, 0, 8, 0, chords, err, sizeof err),
               MVAE_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(mvae_chords_infer(NULL, 1, 8, 8, chords, err, sizeof err),
               MVAE_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(mvae_chords_infer(&bad, 1, 8, 8, NULL, err, sizeof err), MVAE_ERR_INVALID_ARGUMENT);
  CHECK_STATUS(mvae_chords_infer(&bad, 1, 8, 8, chords, err, sizeof err), MVAE_ERR_BAD_INPUT);
  CHECK_STATUS(mvae_chords_infer(NULL, 0, 8, 8, chords, NULL, 0), MVAE_OK);
  CHECK(chords[0].no_chord == 1);

  char small[4];
  mvae_chord c = {0, 1, 0, MVAE_CHORD_MINOR};
  CHECK_STATUS(mvae_chord_symbol(&c, small, sizeof small), MVAE_ERR_INVALID_ARGUMENT);
  c.quality = MVAE_CHORD_DIMINISHED;
  char symbol[8];
  CHECK_STATUS(mvae_chord_symbol(&c, symbol, sizeof symbol), MVAE_ERR_INVALID_ARGUMENT);
  c.quality = MVAE_CHORD_MINOR;
  CHECK_STATUS(mvae_chord_symbol(&c, symbol, sizeof symbol), MVAE_OK);
  CHECK(strcmp(symbol, "C#m") == 0);
}

/* Half a bar: 16 steps a bar (4/4 at 4 steps a quarter) -> 8; 12 (triplets) -> 6; a 1-step bar
 * still spans 1; no bar, no span. */
static void test_span_steps(void) {
  CHECK(mvae_chord_span_steps(16) == 8);
  CHECK(mvae_chord_span_steps(12) == 6);
  CHECK(mvae_chord_span_steps(1) == 1);
  CHECK(mvae_chord_span_steps(0) == 0);
  CHECK(mvae_chord_span_steps(-16) == 0);
}

int main(void) {
  test_span_steps();
  test_progression();
  test_ties_and_edges();
  test_refusals();
  return check_report("test_chord_infer");
}
