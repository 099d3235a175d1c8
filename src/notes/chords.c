/* chords.c: chord symbols and chord encodings, as magenta.js 1.23 reads and encodes them
 * (music/src/core/chords.ts: ChordSymbols over tonal 2.2's Chord.tokenize and chord dictionary;
 * PitchChordEncoder, MajorMinorChordEncoder, TriadChordEncoder and encodeProgression). The one home
 * of these rules: the model's controls (mvae_chords_to_controls) and the WebAssembly build call
 * them. The chord types are tonal's dictionary itself (chord_table.h, generated from it). */
#include "api/errors.h"
#include "format/model.h"
#include "notes/chord_table.h"

#include <stdlib.h>
#include <string.h>

#define NUM_PITCH_CLASSES 12
/* More accidentals than this are refused (tonal would wrap them into odd pitch classes). */
#define MAX_ACCIDENTALS 12

static const char NO_CHORD[] = "N.C."; /* magenta.js's constants.NO_CHORD */

enum { TYPE_COUNT = (int)(sizeof MVAE_CHORD_TYPES / sizeof MVAE_CHORD_TYPES[0]) };

static const mvae_chord_type *find_type(const char *name, size_t len) {
  int lo = 0, hi = TYPE_COUNT - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    const char *key = MVAE_CHORD_TYPES[mid].name;
    int cmp = strncmp(key, name, len);
    if (cmp == 0)
      cmp = key[len] == '\0' ? 0 : 1; /* key is longer than name */
    if (cmp == 0)
      return &MVAE_CHORD_TYPES[mid];
    if (cmp < 0)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return NULL;
}

/* JavaScript's \s over ASCII (tonal's note pattern skips it between the octave and the type). */
static int is_js_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* tonal's Chord.tokenize's test for the "octave" digits that are chord types instead. */
static int is_number_type(const char *s, size_t len) {
  static const char *const types[] = {"6", "64", "7", "9", "11", "13"};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strlen(types[i]) == len && !strncmp(types[i], s, len))
      return 1;
  return 0;
}

mvae_status mvae_chord_parse(const char *symbol, mvae_chord *chord, char *err, size_t err_size) {
  if (err && err_size)
    err[0] = '\0';
  if (!symbol || !chord)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT,
                             "chord symbol and chord must not be NULL");
  memset(chord, 0, sizeof *chord);
  if (!strcmp(symbol, NO_CHORD)) {
    chord->no_chord = 1;
    return MVAE_OK;
  }
  /* tonal's note pattern /^([a-gA-G]?)(#{1,}|b{1,}|x{1,}|)(-?\d*)\s*(.*)$/: letter, accidentals,
   * octave, spaces, the rest (the chord type). '.' stops at a line break, so JavaScript's match
   * fails (magenta.js throws) on a line break inside the type; so do we, on any control byte. */
  for (const char *p = symbol; *p; p++)
    if ((unsigned char)*p < 0x20 && !is_js_space(*p))
      return mvae_format_error(err, err_size, MVAE_ERR_BAD_INPUT,
                               "chord symbol contains a control character");
  const char *p = symbol;
  char letter = 0;
  if ((*p >= 'a' && *p <= 'g') || (*p >= 'A' && *p <= 'G'))
    letter = (char)(*p++ & ~0x20); /* upper case */
  int alt = 0, n_acc = 0;
  char acc = *p == '#' || *p == 'b' || *p == 'x' ? *p : 0;
  while (acc && *p == acc) {
    alt += acc == 'b' ? -1 : acc == 'x' ? 2 : 1;
    n_acc++;
    p++;
  }
  const char *octave = p;
  if (*p == '-')
    p++;
  while (*p >= '0' && *p <= '9')
    p++;
  size_t octave_len = (size_t)(p - octave);
  while (is_js_space(*p))
    p++;
  const char *rest = p;
  /* Line breaks end '.': one inside the type makes the JavaScript pattern fail. */
  if (strpbrk(rest, "\n\r"))
    return mvae_format_error(err, err_size, MVAE_ERR_BAD_INPUT,
                             "chord symbol contains a line break");

  /* Chord.tokenize: no letter (or "Aug") is a type without a root, which magenta.js refuses. */
  if (!letter || (letter == 'A' && !strcmp(rest, "ug")))
    return mvae_format_error(err, err_size, MVAE_ERR_BAD_INPUT,
                             "chord symbol has unknown root: %.64s", symbol);
  if (n_acc > MAX_ACCIDENTALS)
    return mvae_format_error(err, err_size, MVAE_ERR_BAD_INPUT,
                             "chord symbol has more than %d accidentals: %.64s", MAX_ACCIDENTALS,
                             symbol);
  /* The octave digits 6, 64, 7, 9, 11 and 13 are the type (with the rest, spaces dropped); any
   * other octave belongs to the root, and the type is the rest. */
  char type[256];
  size_t type_len;
  if (is_number_type(octave, octave_len)) {
    type_len = octave_len + strlen(rest);
    if (type_len >= sizeof type)
      return mvae_format_error(err, err_size, MVAE_ERR_BAD_INPUT, "chord symbol is too long");
    memcpy(type, octave, octave_len);
    memcpy(type + octave_len, rest, strlen(rest) + 1);
  } else {
    /* So "C-7" is C major (octave -7) and "C-M9" C major 9: tonal takes a '-' after the root as
     * the start of an octave number, and magenta.js with it. */
    type_len = strlen(rest);
    if (type_len >= sizeof type)
      return mvae_format_error(err, err_size, MVAE_ERR_BAD_INPUT, "chord symbol is too long");
    memcpy(type, rest, type_len + 1);
  }
  const mvae_chord_type *found = find_type(type, type_len);
  if (!found)
    return mvae_format_error(err, err_size, MVAE_ERR_BAD_INPUT, "unrecognized chord symbol: %.64s",
                             symbol);
  static const int semitones[7] = {9, 11, 0, 2, 4, 5, 7}; /* A B C D E F G */
  int root =
      ((semitones[letter - 'A'] + alt) % NUM_PITCH_CLASSES + NUM_PITCH_CLASSES) % NUM_PITCH_CLASSES;
  int mask = found->pitches;
  chord->root = root;
  chord->pitches = ((mask << root) | (mask >> (NUM_PITCH_CLASSES - root))) & 0xfff;
  chord->quality = (mvae_chord_quality)found->quality;
  return MVAE_OK;
}

int mvae_chord_encoding_depth(mvae_chord_encoding encoding) {
  switch (encoding) {
  case MVAE_CHORDS_PITCH:
    return 1 + 3 * NUM_PITCH_CLASSES;
  case MVAE_CHORDS_MAJOR_MINOR:
    return 1 + 2 * NUM_PITCH_CLASSES;
  case MVAE_CHORDS_TRIAD:
    return 1 + 4 * NUM_PITCH_CLASSES;
  default:
    return 0;
  }
}

/* Clears err and finds the depth of `encoding`; an unknown encoding is refused. */
static mvae_status start_encoding(mvae_chord_encoding encoding, int *depth, char *err,
                                  size_t err_size) {
  *depth = mvae_chord_encoding_depth(encoding);
  if (err && err_size)
    err[0] = '\0';
  if (*depth == 0)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT, "unknown chord encoding %d",
                             (int)encoding);
  return MVAE_OK;
}

mvae_status mvae_chord_encode(mvae_chord_encoding encoding, const char *symbol, float *out,
                              char *err, size_t err_size) {
  int depth = 0;
  mvae_status status = start_encoding(encoding, &depth, err, err_size);
  if (status != MVAE_OK)
    return status;
  if (!out)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT, "out must not be NULL");
  mvae_chord chord;
  status = mvae_chord_parse(symbol, &chord, err, err_size);
  if (status != MVAE_OK)
    return status;
  int index = 0; /* the one-hot encoders' index; N.C. is 0 for all three */
  if (!chord.no_chord && encoding != MVAE_CHORDS_PITCH) {
    index = 1 + (int)chord.quality * NUM_PITCH_CLASSES + chord.root;
    if (index >= depth)
      return mvae_format_error(err, err_size, MVAE_ERR_BAD_INPUT,
                               encoding == MVAE_CHORDS_MAJOR_MINOR
                                   ? "chord is neither major nor minor: %.64s"
                                   : "chord is not a standard triad: %.64s",
                               symbol);
  }
  memset(out, 0, sizeof(float) * (size_t)depth);
  if (encoding != MVAE_CHORDS_PITCH || chord.no_chord) {
    out[index] = 1.0f;
    return MVAE_OK;
  }
  /* [no chord, root one-hot, pitch classes, bass one-hot (= the root: no slash chords)] */
  out[1 + chord.root] = 1.0f;
  for (int pc = 0; pc < NUM_PITCH_CLASSES; pc++)
    if (chord.pitches >> pc & 1)
      out[1 + NUM_PITCH_CLASSES + pc] = 1.0f;
  out[1 + 2 * NUM_PITCH_CLASSES + chord.root] = 1.0f;
  return MVAE_OK;
}

int mvae_chord_of_step(int step, int n_chords, int num_steps) {
  if (n_chords < 1 || num_steps < 1 || step < 0 || step >= num_steps)
    return -1;
  return (int)((long long)step * n_chords / num_steps);
}

mvae_status mvae_chord_progression_encode(mvae_chord_encoding encoding, const char *const *chords,
                                          int n_chords, int num_steps, float *out, int row_stride,
                                          char *err, size_t err_size) {
  int depth = 0;
  mvae_status status = start_encoding(encoding, &depth, err, err_size);
  if (status != MVAE_OK)
    return status;
  if (!chords || !out)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT,
                             "chords and out must not be NULL");
  if (n_chords < 1 || n_chords > MVAE_MAX_STEPS)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT,
                             "a chord progression needs 1..%d chords, got %d", MVAE_MAX_STEPS,
                             n_chords);
  if (num_steps < 1 || num_steps > MVAE_MAX_STEPS || row_stride < depth)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT,
                             "num_steps %d (1..%d) or row stride %d (>= %d) out of range",
                             num_steps, MVAE_MAX_STEPS, row_stride, depth);
  /* Every chord is encoded (and checked) once, in order, as magenta.js maps encode over them. */
  float *encoded = malloc(sizeof(float) * (size_t)n_chords * (size_t)depth);
  if (!encoded)
    return mvae_format_error(err, err_size, MVAE_ERR_OUT_OF_MEMORY,
                             "out of memory encoding %d chords", n_chords);
  for (int i = 0; i < n_chords; i++) {
    status = mvae_chord_encode(encoding, chords[i], encoded + (size_t)i * depth, err, err_size);
    if (status != MVAE_OK) {
      free(encoded);
      return status;
    }
  }
  for (int s = 0; s < num_steps; s++) {
    int chord = mvae_chord_of_step(s, n_chords, num_steps);
    memcpy(out + (size_t)s * row_stride, encoded + (size_t)chord * depth,
           sizeof(float) * (size_t)depth);
  }
  free(encoded);
  return MVAE_OK;
}

mvae_status mvae_chords_to_controls(mvae_model *model, const char *const *chords, int n_chords,
                                    float *controls) {
  if (!model)
    return MVAE_ERR_INVALID_ARGUMENT;
  mvae_clear_error(model);
  const mvae_info *info = &model->info;
  if (info->chord_encoding == MVAE_CHORDS_NONE)
    return mvae_fail(model, MVAE_ERR_INVALID_ARGUMENT,
                     "this model is not conditioned on chords (unexpected chord progression)");
  if (!controls)
    return mvae_fail(model, MVAE_ERR_INVALID_ARGUMENT, "controls must not be NULL");
  char message[256];
  mvae_status status;
  if (info->converter == MVAE_CONVERTER_MULTITRACK) {
    /* magenta.js's encodeChordProgression for a converter segmented by track: each segment is
     * [no chord (its program token's step), the progression over the other steps]; and with
     * variable-length segments it takes one chord only. */
    if (n_chords > 1)
      return mvae_fail(model, MVAE_ERR_INVALID_ARGUMENT,
                       "Multiple chords not supported when using variable-length segments.");
    int seg = info->num_steps / info->num_segments;
    static const char *const no_chord[] = {"N.C."};
    status = mvae_chord_progression_encode(info->chord_encoding, no_chord, 1, 1, controls,
                                           info->control_depth, message, sizeof message);
    if (status == MVAE_OK)
      status = mvae_chord_progression_encode(info->chord_encoding, chords, n_chords, seg - 1,
                                             controls + info->control_depth, info->control_depth,
                                             message, sizeof message);
    for (int u = 1; u < info->num_segments && status == MVAE_OK; u++)
      memcpy(controls + (size_t)u * seg * info->control_depth, controls,
             sizeof(float) * (size_t)seg * info->control_depth);
  } else {
    status = mvae_chord_progression_encode(info->chord_encoding, chords, n_chords, info->num_steps,
                                           controls, info->control_depth, message, sizeof message);
  }
  if (status != MVAE_OK)
    return mvae_fail(model, status, "%s", message);
  int depth = mvae_chord_encoding_depth(info->chord_encoding);
  for (int s = 0; s < info->num_steps; s++)
    memset(controls + (size_t)s * info->control_depth + depth, 0,
           sizeof(float) * (size_t)(info->control_depth - depth));
  return MVAE_OK;
}
