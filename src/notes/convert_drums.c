/* convert_drums.c: the drum converters, following magenta.js's DrumsConverter (roll input),
 * DrumsOneHotConverter (512-way input) and DrumsConverter.toNoteSequence (decoded hit sets). */
#include "notes/convert.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* magenta.js's DEFAULT_DRUM_PITCH_CLASSES, as class + 1 per pitch (0: the pitch has no class).
 * magenta.js keeps the pre-2019 map (Magenta Python later moved 22, 26, 43 and 52). */
/* clang-format off */
static const uint8_t drum_class_plus_one[128] = {
    /* 0 kick */
    [36] = 1, [35] = 1,
    /* 1 snare */
    [38] = 2, [27] = 2, [28] = 2, [31] = 2, [32] = 2, [33] = 2, [34] = 2, [37] = 2, [39] = 2,
    [40] = 2, [56] = 2, [65] = 2, [66] = 2, [75] = 2, [85] = 2,
    /* 2 closed hi-hat */
    [42] = 3, [44] = 3, [54] = 3, [68] = 3, [69] = 3, [70] = 3, [71] = 3, [73] = 3, [78] = 3,
    [80] = 3,
    /* 3 open hi-hat */
    [46] = 4, [67] = 4, [72] = 4, [74] = 4, [79] = 4, [81] = 4,
    /* 4 low tom */
    [45] = 5, [29] = 5, [41] = 5, [61] = 5, [64] = 5, [84] = 5,
    /* 5 mid tom */
    [48] = 6, [47] = 6, [60] = 6, [63] = 6, [77] = 6, [86] = 6, [87] = 6,
    /* 6 high tom */
    [50] = 7, [30] = 7, [43] = 7, [62] = 7, [76] = 7, [83] = 7,
    /* 7 crash */
    [49] = 8, [55] = 8, [57] = 8, [58] = 8,
    /* 8 ride */
    [51] = 9, [52] = 9, [53] = 9, [59] = 9, [82] = 9,
};
/* clang-format on */
/* The first pitch of each class: the one decoded hits get. */
static const int16_t drum_class_first_pitch[MVAE_DRUM_CLASSES] = {36, 38, 42, 46, 45,
                                                                  48, 50, 49, 51};

int mvae_drum_class_of_pitch(int pitch) {
  if (pitch < 0 || pitch > 127)
    return -1;
  return (int)drum_class_plus_one[pitch] - 1;
}

int mvae_drum_class_pitch(int drum_class) {
  if (drum_class < 0 || drum_class >= MVAE_DRUM_CLASSES)
    return -1;
  return drum_class_first_pitch[drum_class];
}

static mvae_status check_drum_arguments(const mvae_note *notes, int n_notes, int num_steps,
                                        mvae_drum_encoding encoding, const void *out,
                                        mvae_convert_error *error) {
  mvae_status status =
      mvae_check_conversion(notes, n_notes, out, "output is NULL", num_steps, error);
  if (status != MVAE_OK)
    return status;
  if (encoding != MVAE_DRUMS_MAGENTA_JS && encoding != MVAE_DRUMS_CLEAN)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "unknown drum encoding", -1,
                             (int)encoding);
  return MVAE_OK;
}

/* A step whose label sum went NaN in magenta.js (an unmapped pitch); becomes 0 at the end. */
#define LABEL_NAN (-1)

mvae_status mvae_drum_labels_from_notes(const mvae_note *notes, int n_notes,
                                        mvae_note_selection selection, int num_steps,
                                        mvae_drum_encoding encoding, int32_t *labels,
                                        mvae_convert_error *error) {
  mvae_status status = check_drum_arguments(notes, n_notes, num_steps, encoding, labels, error);
  if (status != MVAE_OK)
    return status;
  for (int t = 0; t < num_steps; t++)
    labels[t] = 0;
  for (int i = 0; i < n_notes; i++) {
    const mvae_note *note = &notes[i];
    if (!mvae_note_is_selected(note, selection))
      continue;
    int step = note->start_step;
    int drum_class = mvae_drum_class_of_pitch(note->pitch);
    if (encoding == MVAE_DRUMS_CLEAN) {
      if (step < num_steps && drum_class >= 0)
        labels[step] |= 1 << drum_class;
      continue;
    }
    /* magenta.js: labels[step] += 2^class on a plain JS array sized num_steps. */
    if (step >= num_steps)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT,
                               "drum note starts at or past num_steps (magenta.js's one-hot drum "
                               "input would grow past num_steps)",
                               i, step);
    if (labels[step] == LABEL_NAN)
      continue;
    if (drum_class < 0) {
      labels[step] = LABEL_NAN; /* 2^undefined is NaN, and NaN + x stays NaN */
      continue;
    }
    /* The sum only grows, so holding it at 512 (an all-zero one-hot row) loses nothing. */
    int32_t sum = labels[step] + (1 << drum_class);
    labels[step] = sum < MVAE_DRUM_LABEL_ZERO_ROW ? sum : MVAE_DRUM_LABEL_ZERO_ROW;
  }
  for (int t = 0; t < num_steps; t++)
    if (labels[t] == LABEL_NAN)
      labels[t] = 0; /* a NaN in an int32 tensor becomes 0: no hit at this step */
  return MVAE_OK;
}

mvae_status mvae_drum_labels_to_one_hot(const int32_t *labels, int num_steps, int row_stride,
                                        float *out, mvae_convert_error *error) {
  mvae_convert_clear_error(error);
  if (!labels || !out)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "NULL buffer", -1, 0);
  if (!mvae_num_steps_ok(num_steps) || row_stride < MVAE_DRUM_LABELS)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "bad size", -1, num_steps);
  for (int t = 0; t < num_steps; t++)
    if (labels[t] < 0 || labels[t] > MVAE_DRUM_LABEL_ZERO_ROW)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "drum label outside 0..512", t,
                               labels[t]);
  for (int t = 0; t < num_steps; t++) {
    float *row = out + (size_t)t * (size_t)row_stride;
    for (int k = 0; k < MVAE_DRUM_LABELS; k++)
      row[k] = 0.0f;
    /* tf.oneHot gives an all-zero row for an index >= depth. */
    if (labels[t] < MVAE_DRUM_LABELS)
      row[labels[t]] = 1.0f;
  }
  return MVAE_OK;
}

mvae_status mvae_drum_roll_from_notes(const mvae_note *notes, int n_notes,
                                      mvae_note_selection selection, int num_steps,
                                      mvae_drum_encoding encoding, float *roll,
                                      mvae_convert_error *error) {
  mvae_status status = check_drum_arguments(notes, n_notes, num_steps, encoding, roll, error);
  if (status != MVAE_OK)
    return status;
  const int no_hit = MVAE_DRUM_ROLL_WIDTH - 1;
  for (size_t k = 0; k < (size_t)num_steps * MVAE_DRUM_ROLL_WIDTH; k++)
    roll[k] = 0.0f;
  if (encoding == MVAE_DRUMS_MAGENTA_JS) {
    /* drumRoll.set(1, t, -1) lands on flat index 10 t - 1: the last column of row t - 1 (and
     * nowhere for t = 0). So rows 0..num_steps-2 start with the "no hit" column set, the last row
     * without. */
    for (int t = 0; t + 1 < num_steps; t++)
      roll[(size_t)t * MVAE_DRUM_ROLL_WIDTH + (size_t)no_hit] = 1.0f;
  }
  for (int i = 0; i < n_notes; i++) {
    const mvae_note *note = &notes[i];
    if (!mvae_note_is_selected(note, selection))
      continue;
    int step = note->start_step;
    int drum_class = mvae_drum_class_of_pitch(note->pitch);
    /* Writes past the end of the buffer are ignored (truncation), as is an unmapped class (its flat
     * index is NaN in magenta.js). */
    if (step < num_steps && drum_class >= 0)
      roll[(size_t)step * MVAE_DRUM_ROLL_WIDTH + (size_t)drum_class] = 1.0f;
    /* magenta.js: drumRoll.set(0, step, -1) clears the "no hit" column of row step - 1, for every
     * note, mapped or not. Row num_steps - 1 is only reached from step == num_steps, and is 0. */
    if (encoding == MVAE_DRUMS_MAGENTA_JS && step >= 1 && step < num_steps)
      roll[(size_t)(step - 1) * MVAE_DRUM_ROLL_WIDTH + (size_t)no_hit] = 0.0f;
  }
  if (encoding == MVAE_DRUMS_CLEAN) {
    for (int t = 0; t < num_steps; t++) {
      float *row = roll + (size_t)t * MVAE_DRUM_ROLL_WIDTH;
      int any_hit = 0;
      for (int c = 0; c < MVAE_DRUM_CLASSES; c++)
        any_hit |= row[c] != 0.0f;
      row[no_hit] = any_hit ? 0.0f : 1.0f;
    }
  }
  return MVAE_OK;
}

mvae_status mvae_drum_labels_to_notes(const int32_t *labels, int num_steps, int instrument,
                                      mvae_note *notes, int max_notes, int *n_notes,
                                      mvae_convert_error *error) {
  mvae_status status = mvae_check_note_buffers(labels, num_steps, notes, max_notes, n_notes,
                                               instrument >= 0, "bad size or instrument", error);
  if (status != MVAE_OK)
    return status;
  *n_notes = 0;
  for (int t = 0; t < num_steps; t++)
    if (labels[t] < 0 || labels[t] >= MVAE_DRUM_LABELS)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "drum token outside 0..511", t,
                               labels[t]);
  int count = 0;
  for (int t = 0; t < num_steps; t++) {
    for (int c = 0; c < MVAE_DRUM_CLASSES; c++) {
      if (!((labels[t] >> c) & 1))
        continue;
      if (count < max_notes) {
        mvae_note note = {
            mvae_drum_class_pitch(c), MVAE_DECODED_VELOCITY, t, t + 1, 0, 1, instrument};
        notes[count] = note;
      }
      count++;
    }
  }
  return mvae_notes_counted(count, max_notes, n_notes, error);
}

mvae_status mvae_drums_notes_to_input(const mvae_note *notes, int n_notes, int num_steps,
                                      int roll_input, mvae_drum_encoding encoding, float *input,
                                      mvae_convert_error *error) {
  if (roll_input)
    return mvae_drum_roll_from_notes(notes, n_notes, MVAE_SELECT_ALL, num_steps, encoding, input,
                                     error);
  mvae_status status = check_drum_arguments(notes, n_notes, num_steps, encoding, input, error);
  if (status != MVAE_OK)
    return status;
  int32_t *labels = malloc((size_t)num_steps * sizeof *labels);
  if (!labels)
    return mvae_convert_fail(error, MVAE_ERR_OUT_OF_MEMORY, "no memory for labels", -1, num_steps);
  status = mvae_drum_labels_from_notes(notes, n_notes, MVAE_SELECT_ALL, num_steps, encoding, labels,
                                       error);
  if (status == MVAE_OK)
    status = mvae_drum_labels_to_one_hot(labels, num_steps, MVAE_DRUM_LABELS, input, error);
  free(labels);
  return status;
}
