/* test_multitrack.c: the multitrack converter (src/notes/convert_multitrack.c) on hand-worked cases
 * (tokens worked out from magenta.js's MultitrackConverter and Performance, quirks included), its
 * refusals, and the model tests/data/multitrack_small.mvae against what magenta.js 1.23.1 made of
 * it (tests/data/multitrack_small.json, tests/reference/make_multitrack_case.mjs): greedy decodes,
 * the input tokens of hand-made sequences and their encodings; bit-identical on every kernel set
 * and thread count. */
#include "notes/convert_multitrack.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

/* magenta.js's hosted multitrack configuration: depth 490, end token 489, programs from 360. */
static const mvae_multitrack_params P = {512, 8, 96, 8, 0, 127};
enum { SEG = 64, END = 489, PROGRAM0 = 360, DRUMS = 488, VELOCITY1 = 352, SHIFT1 = 256 };

static mvae_note note(int instrument, int program, int pitch, int velocity, int start, int end,
                      int is_drum) {
  return (mvae_note){pitch, velocity, start, end, program, is_drum, instrument};
}

/* Tokens of segment u as a string "360 358 60 ..." (up to its end token). */
static void segment_text(const int32_t *tokens, int u, char *out, size_t size) {
  size_t n = 0;
  out[0] = '\0';
  for (int k = 0; k < SEG && n < size; k++) {
    int32_t t = tokens[u * SEG + k];
    n += (size_t)snprintf(out + n, size - n, k ? " %d" : "%d", (int)t);
    if (t == END)
      break;
  }
}

static void expect_segment(test_counts *c, const int32_t *tokens, int u, const char *want) {
  char got[1024];
  segment_text(tokens, u, got, sizeof got);
  EXPECT(c, !strcmp(got, want), "segment %d: %s, expected %s", u, got, want);
  int pads = 1;
  for (int k = (int)(strlen(want) ? 1 : 0); k < SEG; k++)
    if (tokens[u * SEG + k] == END) {
      for (int j = k + 1; j < SEG; j++)
        pads &= tokens[u * SEG + j] == MVAE_MULTITRACK_PAD;
      break;
    }
  EXPECT(c, pads, "segment %d: zero rows after its end token", u);
}

static void test_notes_to_tokens(test_counts *c) {
  int32_t tokens[512];
  mvae_convert_error err;
  EXPECT(c, mvae_multitrack_depth(&P) == 490 && mvae_multitrack_end_token(&P) == END, "depth %d",
         mvae_multitrack_depth(&P));

  /* One note, C4 velocity 100 for a quarter: program 0, velocity bin floor(99 / 16) + 1 = 7, note
   * on, shift 24, note off, the pad to 96 steps (a shift of 72), end; empty tracks are [end]. */
  mvae_note one = note(0, 0, 60, 100, 0, 24, 0);
  mvae_sequence_timing at96 = {NULL, 96, NULL};
  EXPECT(c, mvae_multitrack_notes_to_tokens(&one, 1, &at96, &P, tokens, &err) == MVAE_OK, "%s",
         err.message);
  expect_segment(c, tokens, 0, "360 358 60 279 188 327 489");
  expect_segment(c, tokens, 7, "489");

  /* Tracks: bass (program 33) before piano (0) in the input; drums sort last; instrument 4 holds
   * two programs (magenta.js: an undefined program, a NaN token stored as 0); velocity 0 is bin 0,
   * whose token is the 96-step shift's (351); a note without velocity gets a NaN bin: token 0. */
  mvae_note mix[] = {
      note(2, 0, 36, 127, 0, 6, 1), note(1, 33, 40, 17, 0, 48, 0), note(0, 0, 64, 0, 0, 96, 0),
      note(4, 10, 70, 1, 0, 12, 0), note(4, 11, 72, 1, 12, 24, 0), note(5, 3, 50, 90, 12, 13, 0),
  };
  unsigned char no_velocity[6] = {0, 0, 0, 0, 0, 1};
  mvae_sequence_timing t = {NULL, 96, no_velocity};
  EXPECT(c, mvae_multitrack_notes_to_tokens(mix, 6, &t, &P, tokens, &err) == MVAE_OK, "%s",
         err.message);
  /* Instruments in order [2 drums, 1 (33), 0 (0), 4 (undefined), 5 (3)]; V8's sort: the run
   * [2, 1, 0] is strictly descending (drums last, then 0 - 33 < 0) and reversed; 4 compares 0 with
   * 1 and goes before the drums; 5 likewise: [0, 1, 4, 5, 2]. */
  expect_segment(c, tokens, 0, "360 351 64 351 192 489");
  expect_segment(c, tokens, 1, "393 353 40 303 168 303 489");
  expect_segment(c, tokens, 2, "0 352 70 267 198 72 267 200 327 489");
  expect_segment(c, tokens, 3, "363 267 0 50 256 178 338 489");
  expect_segment(c, tokens, 4, "488 36 261 164 345 489"); /* velocity 127: bin 8, the start bin */
  expect_segment(c, tokens, 5, "489");

  /* Refusals: 64 instruments; a bad note. */
  mvae_note many[64];
  for (int i = 0; i < 64; i++)
    many[i] = note(i, 0, 60, 80, 0, 1, 0);
  EXPECT(c, mvae_multitrack_notes_to_tokens(many, 63, NULL, &P, tokens, &err) == MVAE_OK, "63 ok");
  EXPECT(c,
         mvae_multitrack_notes_to_tokens(many, 64, NULL, &P, tokens, &err) == MVAE_ERR_BAD_INPUT &&
             err.index == 63 && strstr(err.message, "63 instruments"),
         "64 instruments refused (%s)", err.message);
  many[3].end_step = many[3].start_step;
  EXPECT(c, mvae_multitrack_notes_to_tokens(many, 10, NULL, &P, tokens, &err) == MVAE_ERR_BAD_INPUT,
         "an empty note is refused");
  mvae_multitrack_params bad = P;
  bad.num_segments = 512; /* segments of one step cannot hold [program, end] */
  EXPECT(c, mvae_multitrack_depth(&bad) == 0, "one-step segments refused");
}

static void test_tokens_to_notes(test_counts *c) {
  int32_t tokens[512];
  for (int k = 0; k < 512; k++)
    tokens[k] = k % SEG ? 0 : END; /* every segment empty; what follows an end token is unread */
  /* Segment 0: drums, velocity bin 2 (17), kick for 6 steps, snare left open (ends at 96). */
  int32_t drums[] = {DRUMS, VELOCITY1 + 1, 36, SHIFT1 + 5, 128 + 36, 38, END};
  memcpy(tokens, drums, sizeof drums);
  /* Segment 1: program 5, an empty note (dropped), 24 steps, a note without velocity (80), a
   * second program token (ignored), a note-off with no note-on (ignored). */
  int32_t keys[] = {PROGRAM0 + 5, 60, 128 + 60, SHIFT1 + 23, 64, PROGRAM0 + 9, 128 + 70, END};
  memcpy(tokens + SEG, keys, sizeof keys);
  /* Segment 2: no program token (program 0); shifts past the bar cut it at 96: the note-off at 120
   * goes, the note ends at 96; a note-on after the cut goes. */
  int32_t cut[] = {67, SHIFT1 + 95, SHIFT1 + 23, 128 + 67, 69, END};
  memcpy(tokens + 2 * SEG, cut, sizeof cut);
  mvae_note notes[16];
  int n = 0;
  mvae_convert_error err;
  EXPECT(c, mvae_multitrack_tokens_to_notes(tokens, &P, notes, 16, &n, &err) == MVAE_OK, "%s",
         err.message);
  mvae_note want[] = {note(0, 0, 36, 17, 0, 6, 1), note(0, 0, 38, 17, 6, 96, 1),
                      note(1, 5, 64, 80, 24, 96, 0), note(2, 0, 67, 80, 0, 96, 0)};
  EXPECT(c, n == 4, "%d notes, expected 4", n);
  for (int i = 0; i < 4 && i < n; i++)
    EXPECT(c, !memcmp(&notes[i], &want[i], sizeof want[i]),
           "note %d: pitch %d vel %d %d..%d program %d drum %d instrument %d", i, notes[i].pitch,
           notes[i].velocity, notes[i].start_step, notes[i].end_step, notes[i].program,
           notes[i].is_drum, notes[i].instrument);
  EXPECT(c,
         mvae_multitrack_tokens_to_notes(tokens, &P, notes, 2, &n, &err) ==
                 MVAE_ERR_BUFFER_TOO_SMALL &&
             n == 4,
         "a short buffer: the count needed");
  tokens[100] = 490;
  EXPECT(c,
         mvae_multitrack_tokens_to_notes(tokens, &P, notes, 16, &n, &err) == MVAE_ERR_BAD_INPUT &&
             err.index == 100,
         "token 490 refused");
}

/* ---- The model against magenta.js ------------------------------------------------------------ */

enum { MAX_SEQS = 16, MAX_NOTES = 256, Z = 8 };

typedef struct mt_case {
  double z[4 * Z], greedy[4 * 512], counts[MAX_SEQS], totals[MAX_SEQS];
  double notes[7 * MAX_NOTES], starts[MAX_NOTES], no_velocity[MAX_NOTES];
  double tokens[MAX_SEQS * 512], mu[MAX_SEQS * Z];
  int n_seqs, n_notes;
} mt_case;

static int read_case(mt_case *k) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/multitrack_small.json", MVAE_SOURCE_DIR);
  char *text = tv_read_file(path, NULL);
  if (!text)
    return 0;
  const char *p = text;
  int ok = tv_array(&p, "z", k->z, 4 * Z) && tv_array(&p, "greedy_tokens", k->greedy, 4 * 512);
  /* sequence_notes: as many counts as sequences (the array's length is not stored). */
  const char *q = strstr(p, "\"sequence_notes\"");
  k->n_seqs = 0;
  if (ok && q && (q = strchr(q, '['))) {
    for (const char *r = q + 1; *r && *r != ']'; r++)
      if (*r == ',' || (r == q + 1))
        k->n_seqs++;
  }
  ok = ok && k->n_seqs > 0 && k->n_seqs <= MAX_SEQS &&
       tv_array(&p, "sequence_notes", k->counts, k->n_seqs) &&
       tv_array(&p, "total_quantized_steps", k->totals, k->n_seqs);
  k->n_notes = 0;
  for (int s = 0; ok && s < k->n_seqs; s++)
    k->n_notes += (int)k->counts[s];
  ok = ok && k->n_notes <= MAX_NOTES && tv_array(&p, "notes", k->notes, 7 * k->n_notes) &&
       tv_array(&p, "start_times", k->starts, k->n_notes) &&
       tv_array(&p, "no_velocity", k->no_velocity, k->n_notes) &&
       tv_array(&p, "input_tokens", k->tokens, 512 * k->n_seqs) &&
       tv_array(&p, "mu", k->mu, Z * k->n_seqs);
  free(text);
  return ok;
}

/* Sequence s of the case: its notes, start times and flags (arrays of MAX_NOTES). */
static int case_sequence(const mt_case *k, int s, mvae_note *notes, double *starts,
                         unsigned char *no_velocity, mvae_sequence_timing *timing) {
  int first = 0;
  for (int i = 0; i < s; i++)
    first += (int)k->counts[i];
  int n = (int)k->counts[s];
  for (int i = 0; i < n; i++) {
    const double *v = &k->notes[7 * (first + i)];
    notes[i] =
        (mvae_note){(int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4], (int)v[5], (int)v[6]};
    starts[i] = k->starts[first + i] < 0 ? NAN : k->starts[first + i];
    no_velocity[i] = (unsigned char)k->no_velocity[first + i];
  }
  *timing = (mvae_sequence_timing){starts, (int)k->totals[s], no_velocity};
  return n;
}

static double rel_error(const float *a, const double *b, int n) {
  double num = 0, den = 0;
  for (int i = 0; i < n; i++) {
    num += (a[i] - b[i]) * (a[i] - b[i]);
    den += b[i] * b[i];
  }
  return sqrt(num / (den > 0 ? den : 1));
}

static void test_model(test_counts *c) {
  static mt_case k;
  if (!read_case(&k)) {
    EXPECT(c, 0, "cannot read tests/data/multitrack_small.json");
    return;
  }
  mvae_model *m = test_load_data_model("multitrack_small.mvae");
  EXPECT(c, m != NULL, "multitrack_small.mvae loads");
  if (!m)
    return;
  mvae_info info;
  mvae_model_info(m, &info);
  EXPECT(c,
         info.converter == MVAE_CONVERTER_MULTITRACK && info.num_steps == 512 &&
             info.num_segments == 8 && info.total_steps == 96 && info.velocity_bins == 8 &&
             info.steps_per_quarter == 24 && info.input_depth == 490 && info.max_notes == 512,
         "info of the multitrack model");

  static float z[4 * Z], input[MAX_SEQS * 512 * 490], mu[MAX_SEQS * Z], first_mu[MAX_SEQS * Z];
  static int32_t tokens[4 * 512], first_tokens[4 * 512], seq_tokens[512];
  for (int i = 0; i < 4 * Z; i++)
    z[i] = (float)k.z[i];
  mvae_note notes[MAX_NOTES];
  double starts[MAX_NOTES];
  unsigned char flags[MAX_NOTES];
  for (int s = 0; s < k.n_seqs; s++) {
    mvae_sequence_timing timing;
    int n = case_sequence(&k, s, notes, starts, flags, &timing);
    mvae_convert_error err;
    mvae_multitrack_params p = mvae_multitrack_params_of(&info);
    EXPECT(c, mvae_multitrack_notes_to_tokens(notes, n, &timing, &p, seq_tokens, &err) == MVAE_OK,
           "sequence %d: %s", s, err.message);
    int same = 1, at = -1;
    for (int t = 0; t < 512 && same; t++)
      if (seq_tokens[t] != (int32_t)k.tokens[s * 512 + t]) {
        same = 0;
        at = t;
      }
    EXPECT(c, same, "sequence %d: input tokens as magenta.js's (first difference at %d: %d vs %d)",
           s, at, at >= 0 ? seq_tokens[at] : 0, at >= 0 ? (int)k.tokens[s * 512 + at] : 0);
    EXPECT(c,
           mvae_notes_to_input_timed(m, notes, n, &timing, input + (size_t)s * 512 * 490) ==
               MVAE_OK,
           "sequence %d converts: %s", s, mvae_last_error(m));
  }

  int sets = 0;
  for (int set = 0; mvae_kernel_set_name(set); set++) {
    if (mvae_model_set_kernels(m, mvae_kernel_set_name(set)) != MVAE_OK)
      continue;
    for (int threads = 1; threads <= 2; threads++) {
      if (mvae_model_set_threads(m, threads) != MVAE_OK)
        continue;
      EXPECT(c, mvae_decode(m, z, 4, NULL, tokens) == MVAE_OK, "decode: %s", mvae_last_error(m));
      EXPECT(c, mvae_encode(m, input, k.n_seqs, mu, NULL) == MVAE_OK, "encode: %s",
             mvae_last_error(m));
      if (sets++ == 0) {
        int same = 1;
        for (int i = 0; i < 4 * 512; i++)
          same &= tokens[i] == (int32_t)k.greedy[i];
        EXPECT(c, same, "greedy decodes as magenta.js's");
        for (int s = 0; s < k.n_seqs; s++) {
          double e = rel_error(mu + s * Z, k.mu + s * Z, Z);
          EXPECT(c, e < 1e-5, "encoding %d: relative error %g to magenta.js's", s, e);
        }
        memcpy(first_tokens, tokens, sizeof tokens);
        memcpy(first_mu, mu, sizeof mu);
      } else {
        EXPECT(c,
               !memcmp(tokens, first_tokens, sizeof tokens) &&
                   !memcmp(mu, first_mu, sizeof(float) * Z * k.n_seqs),
               "kernels %s, %d threads: bit-identical", mvae_kernel_set_name(set), threads);
      }
    }
  }
  mvae_model_set_kernels(m, NULL);
  mvae_model_set_threads(m, 1);

  /* Each sequence alone gives its row of the batch, bit for bit (segment lengths per row). */
  float one[Z];
  EXPECT(c, mvae_encode(m, input + (size_t)2 * 512 * 490, 1, one, NULL) == MVAE_OK, "encode one");
  EXPECT(c, !memcmp(one, first_mu + 2 * Z, sizeof one), "a row alone = its row in the batch");

  /* Refusals: a segment without its end token; NaN; chords on a model without them. */
  for (int r = 0; r < SEG; r++)
    input[(size_t)r * 490 + END] = 0.0f;
  EXPECT(c,
         mvae_encode(m, input, 1, mu, NULL) == MVAE_ERR_BAD_INPUT &&
             strstr(mvae_last_error(m), "no end token"),
         "a segment without an end token is refused (%s)", mvae_last_error(m));
  input[3] = NAN;
  EXPECT(c, mvae_encode(m, input, 1, mu, NULL) == MVAE_ERR_INVALID_ARGUMENT, "NaN refused");
  const char *chord[] = {"C"};
  float controls[8];
  EXPECT(c, mvae_chords_to_controls(m, chord, 1, controls) == MVAE_ERR_INVALID_ARGUMENT,
         "no chords on the plain multitrack model");
  mvae_model_free(m);
}

int main(void) {
  test_counts c = {0, 0};
  test_notes_to_tokens(&c);
  test_tokens_to_notes(&c);
  test_model(&c);
  return test_report("test_multitrack", &c);
}
