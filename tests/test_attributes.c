/* test_attributes.c: the melody attributes (src/notes/attributes.c) on hand-worked melodies, and
 * refusals of hostile input. */
#include "test_util.h"

#include <math.h>
#include <string.h>

static mvae_note note(int pitch, int start, int end) {
  mvae_note n = {pitch, 100, start, end, 0, 0, 0};
  return n;
}

int main(void) {
  test_counts c = {0, 0};
  float a[MVAE_ATTR_COUNT];
  char err[256];
  /* 2 bars: onsets 0, 3, 8, 13 (3 and 13 off the beat), pitches 60 64 67 72; a drum note and a
   * note past the end are left out. */
  mvae_note notes[] = {note(60, 0, 3),   note(64, 3, 8), note(67, 8, 13),
                       note(72, 13, 20), note(36, 4, 5), note(90, 32, 33)};
  notes[4].is_drum = 1;
  EXPECT(&c, mvae_note_attributes(notes, 6, 32, a, err, sizeof err) == MVAE_OK, "%s", err);
  EXPECT(&c, a[MVAE_ATTR_DENSITY] == 2.0f, "density %g", (double)a[MVAE_ATTR_DENSITY]);
  EXPECT(&c, a[MVAE_ATTR_PITCH] == 65.75f, "pitch %g", (double)a[MVAE_ATTR_PITCH]);
  EXPECT(&c, a[MVAE_ATTR_RANGE] == 12.0f, "range %g", (double)a[MVAE_ATTR_RANGE]);
  EXPECT(&c, a[MVAE_ATTR_SYNCOPATION] == 0.5f, "syncopation %g", (double)a[MVAE_ATTR_SYNCOPATION]);
  EXPECT(&c,
         mvae_note_attributes(NULL, 0, 32, a, err, sizeof err) == MVAE_OK &&
             a[MVAE_ATTR_DENSITY] == 0.0f && isnan(a[MVAE_ATTR_PITCH]),
         "no notes: density 0, pitch NaN");
  EXPECT(&c,
         !strcmp(mvae_attribute_name(MVAE_ATTR_SYNCOPATION), "syncopation") &&
             !strcmp(mvae_attribute_name(MVAE_ATTR_COUNT), "") &&
             !strcmp(mvae_attribute_name(-1), ""),
         "names");
  notes[0].pitch = 200;
  EXPECT(&c, mvae_note_attributes(notes, 6, 32, a, err, sizeof err) == MVAE_ERR_BAD_INPUT && err[0],
         "pitch 200 refused");
  EXPECT(&c, mvae_note_attributes(notes, -1, 32, a, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT,
         "negative count refused");
  EXPECT(&c, mvae_note_attributes(notes, 6, 0, a, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT,
         "num_steps 0 refused");
  EXPECT(&c, mvae_note_attributes(notes, 6, 32, NULL, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT,
         "NULL out refused");
  return test_report("test_attributes", &c);
}
