/* fuzz_convert.c: libFuzzer target for the note-sequence converters (convert.h).
 *
 * The bytes are read as: num_steps, min and max pitch, a flags byte, then notes of 7 bytes each
 * (pitch, velocity, start, length, program, is_drum, instrument). With flag bit 2 clear every field
 * is folded into its valid range; with it set fields are taken raw, so invalid notes appear. Every
 * converter and its inverse is run, and the invariants below are asserted (abort on failure).
 *
 * Built by CMake with -DMVAE_FUZZ=ON (see CMakeLists.txt), over the instrumented library. */
#include "../test_melody.h"
#include "notes/convert.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_STEPS = 64, MAX_NOTES = 96, TRIO_MAX_WIDTH = 2 * 130 + MVAE_DRUM_LABELS };

#define REQUIRE(cond)                                                                              \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "fuzz_convert: %s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);   \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

/* Checking helpers are left out of coverage tracing: they walk 512-wide rows on every run and
 * their branches say nothing about the converters. */
#if defined(__clang__) && __clang_major__ >= 13
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

enum { ROW_ALL_ZERO = -1, ROW_NOT_ONE_HOT = -2 };

/* The index of the single 1 in a row of 0s and 1s, ROW_ALL_ZERO, or ROW_NOT_ONE_HOT. */
NO_COVERAGE static int one_hot_index(const float *row, int depth) {
  int index = ROW_ALL_ZERO;
  for (int k = 0; k < depth; k++) {
    if (row[k] == 0.0f)
      continue;
    if (row[k] != 1.0f || index != ROW_ALL_ZERO)
      return ROW_NOT_ONE_HOT;
    index = k;
  }
  return index;
}

typedef struct fuzz_case {
  int num_steps, min_pitch, max_pitch;
  mvae_drum_encoding encoding;
  int roll_input, raw_fields;
  int n_notes;
  mvae_note notes[MAX_NOTES];
} fuzz_case;

/* The buffers are large; keep them per call (no globals), on the heap. */
typedef struct fuzz_buffers {
  int32_t events[MAX_STEPS], events_back[MAX_STEPS], canonical[MAX_STEPS];
  int32_t labels[MAX_STEPS], labels_clean[MAX_STEPS], tokens[3 * MAX_STEPS];
  float one_hot[MAX_STEPS * 130];
  float roll_js[MAX_STEPS * MVAE_DRUM_ROLL_WIDTH], roll_clean[MAX_STEPS * MVAE_DRUM_ROLL_WIDTH];
  float drums_one_hot[MAX_STEPS * MVAE_DRUM_LABELS];
  float trio[MAX_STEPS * TRIO_MAX_WIDTH], trio_back[MAX_STEPS * TRIO_MAX_WIDTH];
  mvae_note decoded[MAX_STEPS * 11];
  mvae_groove_note groove_notes[MAX_NOTES];
  float groove[MAX_STEPS * MVAE_GROOVE_DEPTH];
  mvae_groove_hit hits[MAX_STEPS * MVAE_DRUM_CLASSES];
} fuzz_buffers;

static int note_is_valid(const mvae_note *n) {
  return n->pitch >= 0 && n->pitch <= 127 && n->velocity >= 0 && n->velocity <= 127 &&
         n->start_step >= 0 && n->end_step > n->start_step && n->program >= 0 &&
         n->program <= 127 && (n->is_drum == 0 || n->is_drum == 1) && n->instrument >= 0;
}

static void parse_case(const uint8_t *data, size_t size, fuzz_case *c) {
  memset(c, 0, sizeof *c);
  c->num_steps = 1 + (size > 0 ? data[0] : 0) % MAX_STEPS;
  c->min_pitch = size > 1 ? data[1] % 128 : 21;
  c->max_pitch = size > 2 ? data[2] % 128 : 108;
  uint8_t flags = size > 3 ? data[3] : 0;
  c->encoding = (flags & 1) ? MVAE_DRUMS_CLEAN : MVAE_DRUMS_MAGENTA_JS;
  c->roll_input = (flags >> 1) & 1;
  c->raw_fields = (flags >> 2) & 1;
  for (size_t offset = 4; offset + 7 <= size && c->n_notes < MAX_NOTES; offset += 7) {
    const uint8_t *b = data + offset;
    mvae_note *n = &c->notes[c->n_notes++];
    if (c->raw_fields) {
      n->pitch = (int8_t)b[0] * 2;
      n->velocity = (int8_t)b[1] * 2;
      n->start_step = (int8_t)b[2];
      n->end_step = n->start_step + (int8_t)b[3] / 8;
      n->program = (int8_t)b[4] * 2;
      n->is_drum = b[5] % 3;
      n->instrument = (int8_t)b[6];
    } else {
      n->pitch = b[0] % 128;
      n->velocity = b[1] % 128;
      n->start_step = b[2] % (c->num_steps + 8); /* some past the end */
      n->end_step = n->start_step + 1 + b[3] % 24;
      n->program = b[4] % 48; /* melody, bass and other programs */
      n->is_drum = b[5] & 1;
      n->instrument = b[6] % 4;
    }
  }
}

/* Whether note i is the one Melody.fromNoteSequence keeps at its start step (highest pitch, first
 * of equal pitches), among the selected notes. Written independently of the converter. */
static int is_kept(const fuzz_case *c, mvae_note_selection selection, int i) {
  const mvae_note *a = &c->notes[i];
  for (int j = 0; j < c->n_notes; j++) {
    const mvae_note *b = &c->notes[j];
    if (j == i || !mvae_note_is_selected(b, selection) || b->start_step != a->start_step)
      continue;
    if (b->pitch > a->pitch || (b->pitch == a->pitch && j < i))
      return 0;
  }
  return 1;
}

static void require_notes_well_formed(const mvae_note *notes, int n, int num_steps,
                                      int monophonic) {
  mvae_convert_error error;
  REQUIRE(mvae_check_notes(notes, n, &error) == MVAE_OK);
  for (int i = 0; i < n; i++) {
    REQUIRE(notes[i].end_step <= num_steps);
    REQUIRE(notes[i].velocity == MVAE_DECODED_VELOCITY);
    if (monophonic && i > 0)
      REQUIRE(notes[i].start_step >= notes[i - 1].end_step);
  }
}

static void fuzz_melody(const fuzz_case *c, fuzz_buffers *buf, mvae_note_selection selection) {
  const int T = c->num_steps, depth = mvae_melody_depth(c->min_pitch, c->max_pitch);
  mvae_convert_error error;
  mvae_status status = mvae_melody_from_notes(c->notes, c->n_notes, selection, T, c->min_pitch,
                                              c->max_pitch, buf->events, &error);
  int all_valid = 1;
  for (int i = 0; i < c->n_notes; i++)
    all_valid &= note_is_valid(&c->notes[i]);
  if (!all_valid) {
    REQUIRE(status == MVAE_ERR_BAD_INPUT && error.index >= 0 && error.index < c->n_notes);
    REQUIRE(!note_is_valid(&c->notes[error.index]));
    return;
  }
  if (depth == 0) {
    REQUIRE(status == MVAE_ERR_INVALID_ARGUMENT);
    return;
  }
  /* An error exactly when some kept note is out of range. */
  int kept_out_of_range = 0;
  unsigned char kept[MAX_NOTES];
  for (int i = 0; i < c->n_notes; i++) {
    kept[i] = mvae_note_is_selected(&c->notes[i], selection) && is_kept(c, selection, i);
    if (kept[i] && (c->notes[i].pitch < c->min_pitch || c->notes[i].pitch > c->max_pitch))
      kept_out_of_range = 1;
  }
  if (kept_out_of_range) {
    REQUIRE(status == MVAE_ERR_BAD_INPUT);
    REQUIRE(c->notes[error.index].pitch < c->min_pitch ||
            c->notes[error.index].pitch > c->max_pitch);
    return;
  }
  REQUIRE(status == MVAE_OK);

  /* Each step: the kept note starting there, else a note-off where a kept note ends, else nothing.
   */
  for (int t = 0; t < T; t++) {
    int32_t expected = MVAE_MELODY_NO_EVENT;
    for (int i = 0; i < c->n_notes; i++) {
      const mvae_note *n = &c->notes[i];
      if (!kept[i])
        continue;
      if (n->start_step == t)
        expected = n->pitch - c->min_pitch + MVAE_MELODY_FIRST_PITCH;
      else if (n->end_step == t && expected == MVAE_MELODY_NO_EVENT)
        expected = MVAE_MELODY_NOTE_OFF;
    }
    /* An onset wins over a note-off at the same step, whatever order they were found in. */
    if (expected == MVAE_MELODY_NOTE_OFF)
      for (int i = 0; i < c->n_notes; i++)
        REQUIRE(!(mvae_note_is_selected(&c->notes[i], selection) && c->notes[i].start_step == t));
    REQUIRE(buf->events[t] == expected);
  }

  /* One-hot rows hold exactly one 1. */
  REQUIRE(mvae_events_to_one_hot(buf->events, T, depth, depth, buf->one_hot, &error) == MVAE_OK);
  for (int t = 0; t < T; t++)
    REQUIRE(one_hot_index(buf->one_hot + t * depth, depth) == buf->events[t]);

  /* events -> notes -> events gives the canonical events; again gives the same notes. */
  int n = 0;
  REQUIRE(mvae_events_to_notes(buf->events, T, c->min_pitch, c->max_pitch, 0, 0, buf->decoded,
                               MAX_STEPS, &n, &error) == MVAE_OK);
  require_notes_well_formed(buf->decoded, n, T, 1);
  REQUIRE(mvae_melody_from_notes(buf->decoded, n, MVAE_SELECT_ALL, T, c->min_pitch, c->max_pitch,
                                 buf->events_back, &error) == MVAE_OK);
  test_canonical_melody(buf->events, T, buf->canonical);
  REQUIRE(memcmp(buf->events_back, buf->canonical, (size_t)T * sizeof(int32_t)) == 0);
  if (n > 0) {
    int needed = 0;
    REQUIRE(mvae_events_to_notes(buf->events, T, c->min_pitch, c->max_pitch, 0, 0, buf->decoded,
                                 n - 1, &needed, &error) == MVAE_ERR_BUFFER_TOO_SMALL);
    REQUIRE(needed == n);
  }
}

static void fuzz_drums(const fuzz_case *c, fuzz_buffers *buf) {
  const int T = c->num_steps;
  mvae_convert_error error;
  mvae_status clean = mvae_drum_labels_from_notes(c->notes, c->n_notes, MVAE_SELECT_ALL, T,
                                                  MVAE_DRUMS_CLEAN, buf->labels_clean, &error);
  mvae_status js = mvae_drum_labels_from_notes(c->notes, c->n_notes, MVAE_SELECT_ALL, T,
                                               MVAE_DRUMS_MAGENTA_JS, buf->labels, &error);
  mvae_status roll_js = mvae_drum_roll_from_notes(c->notes, c->n_notes, MVAE_SELECT_ALL, T,
                                                  MVAE_DRUMS_MAGENTA_JS, buf->roll_js, &error);
  mvae_status roll_clean = mvae_drum_roll_from_notes(c->notes, c->n_notes, MVAE_SELECT_ALL, T,
                                                     MVAE_DRUMS_CLEAN, buf->roll_clean, &error);
  int all_valid = 1, any_late = 0;
  for (int i = 0; i < c->n_notes; i++) {
    all_valid &= note_is_valid(&c->notes[i]);
    any_late |= c->notes[i].start_step >= T;
  }
  if (!all_valid) {
    REQUIRE(clean == MVAE_ERR_BAD_INPUT && js == MVAE_ERR_BAD_INPUT);
    REQUIRE(roll_js == MVAE_ERR_BAD_INPUT && roll_clean == MVAE_ERR_BAD_INPUT);
    return;
  }
  REQUIRE(clean == MVAE_OK && roll_js == MVAE_OK && roll_clean == MVAE_OK);
  REQUIRE(js == (any_late ? MVAE_ERR_BAD_INPUT : MVAE_OK));

  for (int t = 0; t < T; t++) {
    /* Clean labels: the OR of the mapped classes starting at t. */
    int32_t expected = 0, any_unmapped = 0, any_onset_next = 0, duplicate = 0;
    for (int i = 0; i < c->n_notes; i++) {
      const mvae_note *n = &c->notes[i];
      int drum_class = mvae_drum_class_of_pitch(n->pitch);
      if (n->start_step == t + 1)
        any_onset_next = 1;
      if (n->start_step != t)
        continue;
      if (drum_class < 0) {
        any_unmapped = 1;
        continue;
      }
      duplicate |= (expected >> drum_class) & 1;
      expected |= 1 << drum_class;
    }
    REQUIRE(buf->labels_clean[t] == expected);
    if (js == MVAE_OK) {
      REQUIRE(buf->labels[t] >= 0 && buf->labels[t] <= MVAE_DRUM_LABEL_ZERO_ROW);
      if (any_unmapped)
        REQUIRE(buf->labels[t] == 0);
      else if (!duplicate)
        REQUIRE(buf->labels[t] == expected);
    }
    /* Rolls: the same class columns; "no hit" as each encoding defines it. */
    for (int k = 0; k < MVAE_DRUM_CLASSES; k++) {
      float bit = ((expected >> k) & 1) ? 1.0f : 0.0f;
      REQUIRE(buf->roll_js[t * MVAE_DRUM_ROLL_WIDTH + k] == bit);
      REQUIRE(buf->roll_clean[t * MVAE_DRUM_ROLL_WIDTH + k] == bit);
    }
    float no_hit_js = (t < T - 1 && !any_onset_next) ? 1.0f : 0.0f;
    REQUIRE(buf->roll_js[t * MVAE_DRUM_ROLL_WIDTH + MVAE_DRUM_CLASSES] == no_hit_js);
    REQUIRE(buf->roll_clean[t * MVAE_DRUM_ROLL_WIDTH + MVAE_DRUM_CLASSES] ==
            (expected == 0 ? 1.0f : 0.0f));
  }

  /* One-hot of either encoding: one 1 per row, or none for the zero-row label. */
  const int32_t *labels = js == MVAE_OK ? buf->labels : buf->labels_clean;
  REQUIRE(mvae_drum_labels_to_one_hot(labels, T, MVAE_DRUM_LABELS, buf->drums_one_hot, &error) ==
          MVAE_OK);
  for (int t = 0; t < T; t++)
    REQUIRE(one_hot_index(buf->drums_one_hot + t * MVAE_DRUM_LABELS, MVAE_DRUM_LABELS) ==
            (labels[t] == MVAE_DRUM_LABEL_ZERO_ROW ? ROW_ALL_ZERO : labels[t]));
  REQUIRE(mvae_drums_notes_to_input(c->notes, c->n_notes, T, c->roll_input, c->encoding,
                                    buf->drums_one_hot, &error) ==
          (c->encoding == MVAE_DRUMS_MAGENTA_JS && !c->roll_input ? js : MVAE_OK));

  /* Clean labels -> notes -> labels is the identity, in both encodings. */
  int n = 0;
  REQUIRE(mvae_drum_labels_to_notes(buf->labels_clean, T, 0, buf->decoded, MAX_STEPS * 11, &n,
                                    &error) == MVAE_OK);
  require_notes_well_formed(buf->decoded, n, T, 0);
  for (int encoding = 0; encoding < 2; encoding++) {
    REQUIRE(mvae_drum_labels_from_notes(buf->decoded, n, MVAE_SELECT_ALL, T,
                                        (mvae_drum_encoding)encoding, buf->events_back,
                                        &error) == MVAE_OK);
    REQUIRE(memcmp(buf->events_back, buf->labels_clean, (size_t)T * sizeof(int32_t)) == 0);
  }
}

static void fuzz_trio(const fuzz_case *c, fuzz_buffers *buf) {
  const int T = c->num_steps, depth = mvae_melody_depth(c->min_pitch, c->max_pitch);
  const int width = mvae_trio_input_depth(c->min_pitch, c->max_pitch);
  mvae_convert_error error;
  mvae_status status = mvae_trio_notes_to_input(c->notes, c->n_notes, T, c->min_pitch, c->max_pitch,
                                                c->encoding, buf->trio, &error);
  if (status != MVAE_OK) {
    REQUIRE(status == MVAE_ERR_BAD_INPUT || status == MVAE_ERR_INVALID_ARGUMENT);
    REQUIRE(error.message && error.message[0] != '\0');
    return;
  }
  REQUIRE(depth > 0 && width == 2 * depth + MVAE_DRUM_LABELS);
  /* Each track's part of a row holds at most one 1 (the drums none for the zero-row label). */
  const int offsets[3] = {0, depth, 2 * depth}, depths[3] = {depth, depth, MVAE_DRUM_LABELS};
  for (int t = 0; t < T; t++) {
    for (int track = 0; track < 3; track++) {
      int hot = one_hot_index(buf->trio + t * width + offsets[track], depths[track]);
      REQUIRE(hot >= 0 || (track == 2 && hot == ROW_ALL_ZERO));
      buf->tokens[track * T + t] = hot >= 0 ? hot : 0; /* argmax of an all-zero row */
    }
  }
  /* The parts are the single-track converters over the trio's note selections. */
  REQUIRE(mvae_melody_from_notes(c->notes, c->n_notes, MVAE_SELECT_TRIO_MELODY, T, c->min_pitch,
                                 c->max_pitch, buf->events, &error) == MVAE_OK);
  REQUIRE(memcmp(buf->events, buf->tokens, (size_t)T * sizeof(int32_t)) == 0);
  REQUIRE(mvae_melody_from_notes(c->notes, c->n_notes, MVAE_SELECT_TRIO_BASS, T, c->min_pitch,
                                 c->max_pitch, buf->events, &error) == MVAE_OK);
  REQUIRE(memcmp(buf->events, buf->tokens + T, (size_t)T * sizeof(int32_t)) == 0);
  REQUIRE(mvae_drum_labels_from_notes(c->notes, c->n_notes, MVAE_SELECT_DRUMS, T, c->encoding,
                                      buf->labels, &error) == MVAE_OK);
  for (int t = 0; t < T; t++)
    REQUIRE(buf->tokens[2 * T + t] ==
            (buf->labels[t] == MVAE_DRUM_LABEL_ZERO_ROW ? 0 : buf->labels[t]));
  /* tokens -> notes -> input: the same tokens, up to stray note-offs (canonical events). */
  int n = 0;
  REQUIRE(mvae_trio_tokens_to_notes(buf->tokens, T, c->min_pitch, c->max_pitch, buf->decoded,
                                    MAX_STEPS * 11, &n, &error) == MVAE_OK);
  require_notes_well_formed(buf->decoded, n, T, 0);
  REQUIRE(mvae_trio_notes_to_input(buf->decoded, n, T, c->min_pitch, c->max_pitch,
                                   MVAE_DRUMS_MAGENTA_JS, buf->trio_back, &error) == MVAE_OK);
  for (int track = 0; track < 3; track++) {
    if (track < 2)
      test_canonical_melody(buf->tokens + track * T, T, buf->canonical);
    else
      memcpy(buf->canonical, buf->tokens + 2 * T, (size_t)T * sizeof(int32_t));
    for (int t = 0; t < T; t++)
      REQUIRE(one_hot_index(buf->trio_back + t * width + offsets[track], depths[track]) ==
              buf->canonical[t]);
  }
}

/* Rhythm and shape inputs are features of the melody (or trio) inputs: onsets where the events or
 * tokens are onsets, shape rows one-hot (or all zero, magenta.js's one-onset-at-the-end case); the
 * decoded placeholder notes are one step each, in range. */
static void fuzz_rhythm_shape(const fuzz_case *c, fuzz_buffers *buf) {
  const int T = c->num_steps;
  mvae_convert_error error;
  float *rhythm = buf->trio, *shape = buf->trio_back;
  mvae_status status = mvae_melody_rhythm_notes_to_input(c->notes, c->n_notes, T, c->min_pitch,
                                                         c->max_pitch, rhythm, &error);
  mvae_status melody = mvae_melody_from_notes(c->notes, c->n_notes, MVAE_SELECT_ALL, T,
                                              c->min_pitch, c->max_pitch, buf->events, &error);
  REQUIRE((status == MVAE_OK) == (melody == MVAE_OK)); /* (which check fails first may differ) */
  if (status == MVAE_OK) {
    for (int t = 0; t < T; t++)
      REQUIRE(rhythm[t] == (buf->events[t] >= MVAE_MELODY_FIRST_PITCH ? 1.0f : 0.0f));
    REQUIRE(mvae_melody_shape_notes_to_input(c->notes, c->n_notes, T, c->min_pitch, c->max_pitch,
                                             shape, &error) == MVAE_OK);
    int empty = 0;
    for (int t = 0; t < T; t++) {
      int hot = one_hot_index(shape + t * MVAE_SHAPE_DEPTH, MVAE_SHAPE_DEPTH);
      REQUIRE(hot >= 0 || hot == ROW_ALL_ZERO);
      empty += hot == ROW_ALL_ZERO;
      buf->tokens[t] = hot >= 0 ? hot : MVAE_SHAPE_SAME;
    }
    REQUIRE(empty == 0 || empty == T);
    int n = 0;
    if (mvae_melody_depth(c->min_pitch, c->max_pitch) > 0) {
      REQUIRE(mvae_melody_shape_tokens_to_notes(buf->tokens, T, c->min_pitch, c->max_pitch,
                                                buf->decoded, MAX_STEPS, &n, &error) == MVAE_OK);
      REQUIRE(n == T);
      for (int t = 0; t < n; t++)
        REQUIRE(buf->decoded[t].start_step == t && buf->decoded[t].pitch >= c->min_pitch &&
                buf->decoded[t].pitch <= c->max_pitch);
    }
  } else {
    REQUIRE(mvae_melody_shape_notes_to_input(c->notes, c->n_notes, T, c->min_pitch, c->max_pitch,
                                             shape, &error) == status);
  }
  status = mvae_trio_rhythm_notes_to_input(c->notes, c->n_notes, T, c->min_pitch, c->max_pitch,
                                           c->encoding, rhythm, &error);
  mvae_status trio = mvae_trio_notes_to_input(c->notes, c->n_notes, T, c->min_pitch, c->max_pitch,
                                              c->encoding, buf->trio_back, &error);
  REQUIRE((status == MVAE_OK) == (trio == MVAE_OK));
  if (status != MVAE_OK)
    return;
  for (int k = 0; k < 3 * T; k++) {
    REQUIRE(rhythm[k] == 0.0f || rhythm[k] == 1.0f);
    buf->tokens[(k % 3) * T + k / 3] = rhythm[k] != 0.0f;
  }
  int n = 0;
  REQUIRE(mvae_trio_rhythm_tokens_to_notes(buf->tokens, T, buf->decoded, MAX_STEPS * 11, &n,
                                           &error) == MVAE_OK);
  require_notes_well_formed(buf->decoded, n, T, 0);
  int onsets = 0;
  for (int k = 0; k < 3 * T; k++)
    onsets += buf->tokens[k];
  REQUIRE(n == onsets);
}

/* GrooVAE: the notes with start times near their steps (none on odd programs), humanize from the
 * roll flag, tapify from the clean-encoding flag; refused exactly for an invalid note or a counted
 * one outside the steps; the values in their ranges, and their hits back. */
static void fuzz_groove(const fuzz_case *c, fuzz_buffers *buf) {
  const int T = c->num_steps;
  mvae_groove_options options = {T, 4, c->roll_input, c->encoding == MVAE_DRUMS_CLEAN};
  int invalid = 0, outside = 0;
  for (int i = 0; i < c->n_notes; i++) {
    const mvae_note *n = &c->notes[i];
    double jitter = 0.01 * (n->instrument % 7 - 3);
    buf->groove_notes[i] =
        (mvae_groove_note){n->pitch, n->velocity, n->start_step,
                           n->program & 1 ? NAN : n->start_step * 0.125 + jitter};
    invalid |= n->pitch < 0 || n->pitch > 127 || n->velocity < 0 || n->velocity > 127;
  }
  for (int i = 0; i < c->n_notes && !invalid; i++) {
    const mvae_note *n = &c->notes[i];
    int counted = options.tapify || mvae_drum_class_of_pitch(n->pitch) >= 0;
    outside |= counted && (n->start_step < 0 || n->start_step >= T);
  }
  mvae_convert_error error;
  mvae_status status = mvae_groove_input_from_notes(buf->groove_notes, c->n_notes, &options, 120.0,
                                                    buf->groove, &error);
  REQUIRE(status == (invalid || outside ? MVAE_ERR_BAD_INPUT : MVAE_OK));
  if (status != MVAE_OK)
    return;
  int hits = 0;
  for (int s = 0; s < T; s++)
    for (int k = 0; k < MVAE_DRUM_CLASSES; k++) {
      const float *row = buf->groove + (size_t)s * MVAE_GROOVE_DEPTH;
      float hit = row[k], velocity = row[MVAE_DRUM_CLASSES + k],
            offset = row[2 * MVAE_DRUM_CLASSES + k];
      REQUIRE(hit == 0.0f || hit == 1.0f);
      REQUIRE(velocity >= 0.0f && velocity <= 1.0f && isfinite(offset));
      REQUIRE(hit == 1.0f || (velocity == 0.0f && offset == 0.0f));
      REQUIRE(!(options.humanize || options.tapify) || velocity == 0.0f);
      REQUIRE(!options.humanize || offset == 0.0f);
      REQUIRE(!options.tapify || hit == 0.0f || k == MVAE_GROOVE_TAPIFY_CLASS);
      hits += hit == 1.0f;
    }
  int n = 0;
  REQUIRE(mvae_groove_hits_from_values(buf->groove, T, buf->hits, MAX_STEPS * MVAE_DRUM_CLASSES, &n,
                                       &error) == MVAE_OK);
  REQUIRE(n == hits);
  for (int i = 0; i < n; i++) {
    const mvae_groove_hit *h = &buf->hits[i];
    REQUIRE(h->velocity >= 0 && h->velocity <= 127 && h->step >= 0 && h->step < T);
    REQUIRE(h->position >= h->step - 0.5 && h->position <= h->step + 0.5);
    REQUIRE(mvae_drum_class_of_pitch(h->pitch) >= 0);
  }
}

/* The raw bytes as decoded tokens: accepted exactly when every token is in its track's range. */
static void fuzz_tokens(const uint8_t *data, size_t size, const fuzz_case *c, fuzz_buffers *buf) {
  const int T = c->num_steps, depth = mvae_melody_depth(c->min_pitch, c->max_pitch);
  if (depth == 0)
    return;
  int in_range = 1;
  for (int k = 0; k < 3 * T; k++) {
    /* Two bytes a token, spread a little past each track's range. */
    size_t at = 4 + 2 * (size_t)k;
    int raw = at + 1 < size ? (data[at] | data[at + 1] << 8) : 0;
    int track_depth = k < 2 * T ? depth : MVAE_DRUM_LABELS;
    buf->tokens[k] = raw % (track_depth + 2) - (raw & 0x8000 ? 1 : 0);
    in_range &= buf->tokens[k] >= 0 && buf->tokens[k] < track_depth;
  }
  mvae_convert_error error;
  int n = 0;
  mvae_status status = mvae_trio_tokens_to_notes(buf->tokens, T, c->min_pitch, c->max_pitch,
                                                 buf->decoded, MAX_STEPS * 11, &n, &error);
  REQUIRE(status == (in_range ? MVAE_OK : MVAE_ERR_BAD_INPUT));
  if (status != MVAE_OK) {
    REQUIRE(error.index >= 0 && error.index < 3 * T);
    return;
  }
  require_notes_well_formed(buf->decoded, n, T, 0);
  int small = 0;
  REQUIRE(mvae_trio_tokens_to_notes(buf->tokens, T, c->min_pitch, c->max_pitch, buf->decoded, n / 2,
                                    &small,
                                    &error) == (n / 2 < n ? MVAE_ERR_BUFFER_TOO_SMALL : MVAE_OK));
  REQUIRE(small == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_case *c = malloc(sizeof *c);
  fuzz_buffers *buf = malloc(sizeof *buf);
  if (!c || !buf) {
    free(c);
    free(buf);
    return 0;
  }
  parse_case(data, size, c);
  fuzz_melody(c, buf, MVAE_SELECT_ALL);
  fuzz_melody(c, buf, MVAE_SELECT_TRIO_BASS);
  fuzz_drums(c, buf);
  fuzz_trio(c, buf);
  fuzz_rhythm_shape(c, buf);
  fuzz_tokens(data, size, c, buf);
  fuzz_groove(c, buf);
  free(c);
  free(buf);
  return 0;
}
