/* chord_infer.c: chords from accompaniment notes (mvae_chords_infer), the one rule this project
 * labels its chord-conditioned training data with, and the symbols of the chords it picks.
 *
 * Why this rule: a duration-weighted pitch-class histogram matched against the 24 major and minor
 * triads is the classic template method (Fujishima's pitch-class profiles, with binary triad
 * templates). All templates have three tones, so the cosine match reduces to the weight the
 * triad's tones hold; the ties it leaves (two tones of a triad sounding, shared by two triads)
 * go to the triad whose root sounds more, as a listener hears a root. Only major and minor are
 * picked: they are what magenta.js's chord UI offers most and what the training data can tell
 * apart reliably; every one of them encodes under all three of magenta.js's chord encoders. */
#include "api/errors.h"

#include <string.h>

#define NUM_PITCH_CLASSES 12
#define MAX_INFER_STEPS (1 << 24)

static const char NO_CHORD[] = "N.C.";
static const char *const ROOT_NAMES[NUM_PITCH_CLASSES] = {"C",  "C#", "D",  "D#", "E",  "F",
                                                          "F#", "G",  "G#", "A",  "A#", "B"};
/* Semitones above the root of the third, per quality (major, minor); the fifth is 7 for both. */
static const int THIRD[2] = {4, 3};

static int triad_mask(int root, int quality) {
  int mask = 1 << root | 1 << (root + THIRD[quality]) % NUM_PITCH_CLASSES |
             1 << (root + 7) % NUM_PITCH_CLASSES;
  return mask & 0xfff;
}

/* The best triad for one span's histogram (weights in steps), or no chord when it is empty. */
static mvae_chord pick_chord(const long long weight[NUM_PITCH_CLASSES]) {
  mvae_chord best = {1, 0, 0, MVAE_CHORD_MAJOR};
  long long total = 0;
  for (int pc = 0; pc < NUM_PITCH_CLASSES; pc++)
    total += weight[pc];
  if (total == 0)
    return best;
  long long best_score = -1, best_root_weight = -1;
  /* Quality outer, root inner, strict improvements only: equal scores and root weights keep the
   * earlier candidate, i.e. major before minor, then the lower root. */
  for (int quality = 0; quality < 2; quality++) {
    for (int root = 0; root < NUM_PITCH_CLASSES; root++) {
      int mask = triad_mask(root, quality);
      long long score = 0;
      for (int pc = 0; pc < NUM_PITCH_CLASSES; pc++)
        if (mask >> pc & 1)
          score += weight[pc];
      if (score > best_score || (score == best_score && weight[root] > best_root_weight)) {
        best_score = score;
        best_root_weight = weight[root];
        best = (mvae_chord){0, root, mask, quality ? MVAE_CHORD_MINOR : MVAE_CHORD_MAJOR};
      }
    }
  }
  return best;
}

mvae_status mvae_chords_infer(const mvae_note *notes, int n_notes, int num_steps, int span_steps,
                              mvae_chord *chords, char *err, size_t err_size) {
  if (err && err_size)
    err[0] = '\0';
  if (!chords || (n_notes > 0 && !notes))
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT,
                             "chords (and notes, when n_notes > 0) must not be NULL");
  if (n_notes < 0 || n_notes > MVAE_MAX_INPUT_NOTES)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT,
                             "n_notes %d is outside 0..%d", n_notes, MVAE_MAX_INPUT_NOTES);
  if (num_steps < 1 || num_steps > MAX_INFER_STEPS || span_steps < 1)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT,
                             "num_steps %d (1..%d) or span_steps %d (>= 1) out of range", num_steps,
                             MAX_INFER_STEPS, span_steps);
  for (int i = 0; i < n_notes; i++)
    if (notes[i].pitch < 0 || notes[i].pitch > 127)
      return mvae_format_error(err, err_size, MVAE_ERR_BAD_INPUT, "note %d has pitch %d (0..127)",
                               i, (int)notes[i].pitch);
  int n_spans = (int)(((long long)num_steps + span_steps - 1) / span_steps);
  for (int s = 0; s < n_spans; s++) {
    long long weight[NUM_PITCH_CLASSES] = {0};
    long long lo = (long long)s * span_steps;
    long long hi = lo + span_steps < num_steps ? lo + span_steps : num_steps;
    for (int i = 0; i < n_notes; i++) {
      const mvae_note *n = &notes[i];
      if (n->is_drum)
        continue;
      long long start = n->start_step > lo ? n->start_step : lo;
      long long end = n->end_step < hi ? n->end_step : hi;
      if (end > start)
        weight[n->pitch % NUM_PITCH_CLASSES] += end - start;
    }
    chords[s] = pick_chord(weight);
  }
  return MVAE_OK;
}

mvae_status mvae_chord_symbol(const mvae_chord *chord, char *out, size_t out_size) {
  if (!chord || !out || out_size < sizeof NO_CHORD)
    return MVAE_ERR_INVALID_ARGUMENT;
  if (chord->no_chord) {
    memcpy(out, NO_CHORD, sizeof NO_CHORD);
    return MVAE_OK;
  }
  if (chord->root < 0 || chord->root >= NUM_PITCH_CLASSES ||
      (chord->quality != MVAE_CHORD_MAJOR && chord->quality != MVAE_CHORD_MINOR))
    return MVAE_ERR_INVALID_ARGUMENT;
  const char *root = ROOT_NAMES[chord->root];
  size_t len = strlen(root);
  memcpy(out, root, len);
  if (chord->quality == MVAE_CHORD_MINOR)
    out[len++] = 'm';
  out[len] = '\0';
  return MVAE_OK;
}

int mvae_chord_span_steps(int steps_per_bar) {
  if (steps_per_bar < 1)
    return 0;
  /* Pop harmony changes on the half bar often; a bar whose chord holds gets it twice. */
  return steps_per_bar / 2 > 0 ? steps_per_bar / 2 : 1;
}
