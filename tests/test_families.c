/* test_families.c: chord symbols and encoders (hand-worked against magenta.js's ChordSymbols and
 * chord encoders; tests/js/chords_magenta.test.mjs compares every chord type with magenta.js
 * itself), the controls and NADE options of the public API, and bit-identical results of the NADE
 * and conditioned models on every kernel and activation set compiled in. The models are
 * tests/data/{nade_drums,chords_mel,chords_hier}.mvae (tests/reference/make_cases.py). */
#include "format/model.h"
#include "format/model_file.h"
#include "notes/convert.h"
#include "test_isa.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

static mvae_model *load_case(const char *name) {
  char file[256];
  snprintf(file, sizeof file, "%s.mvae", name);
  return test_load_data_model(file);
}

/* Loads case `name` and flat_small (an unconditioned model, which the control calls refuse) and
 * fills *info for `name`; 0, with neither left loaded, when either fails. */
static int load_with_flat(test_counts *c, const char *name, mvae_model **m, mvae_model **flat,
                          mvae_info *info) {
  *m = load_case(name);
  *flat = load_case("flat_small");
  EXPECT(c, *m && *flat, "%s and flat_small load", name);
  if (!*m || !*flat) {
    mvae_model_free(*m);
    mvae_model_free(*flat);
    return 0;
  }
  mvae_model_info(*m, info);
  return 1;
}

/* The indices of the 1s of out[depth] (all other values 0), as a string "1 13 17 20". */
static void ones_of(const float *out, int depth, char *text, size_t size) {
  size_t n = 0;
  text[0] = '\0';
  for (int i = 0; i < depth; i++) {
    if (out[i] == 1.0f)
      n += (size_t)snprintf(text + n, size - n, n ? " %d" : "%d", i);
    else if (out[i] != 0.0f)
      n += (size_t)snprintf(text + n, size - n, " (%d: %g)", i, (double)out[i]);
    if (n >= size)
      return;
  }
}

static void expect_encoding(test_counts *c, mvae_chord_encoding enc, const char *symbol,
                            const char *want) {
  float out[64];
  char err[256], got[256];
  mvae_status st = mvae_chord_encode(enc, symbol, out, err, sizeof err);
  if (!want) {
    EXPECT(c, st == MVAE_ERR_BAD_INPUT && err[0], "'%s' (encoding %d) is refused (got %d)", symbol,
           (int)enc, (int)st);
    return;
  }
  EXPECT(c, st == MVAE_OK, "'%s' (encoding %d) encodes: %s", symbol, (int)enc, err);
  if (st != MVAE_OK)
    return;
  ones_of(out, mvae_chord_encoding_depth(enc), got, sizeof got);
  EXPECT(c, !strcmp(got, want), "'%s' (encoding %d): ones at %s, expected %s", symbol, (int)enc,
         got, want);
}

/* Hand-worked from magenta.js's encoders: pitch = [N.C. (0), root 1..12, pitch classes 13..24,
 * bass 25..36]; major/minor and triad one-hots 1 + quality * 12 + root. */
static void test_chord_encodings(test_counts *c) {
  EXPECT(c, mvae_chord_encoding_depth(MVAE_CHORDS_PITCH) == 37, "pitch depth 37");
  EXPECT(c, mvae_chord_encoding_depth(MVAE_CHORDS_MAJOR_MINOR) == 25, "major/minor depth 25");
  EXPECT(c, mvae_chord_encoding_depth(MVAE_CHORDS_TRIAD) == 49, "triad depth 49");
  EXPECT(c, mvae_chord_encoding_depth(MVAE_CHORDS_NONE) == 0, "none: depth 0");
  static const struct {
    mvae_chord_encoding encoding;
    const char *symbol, *want; /* want: the ones, or NULL where the encoder refuses */
  } cases[] = {
      /* C = C E G: root 0, pitches 0 4 7. */
      {MVAE_CHORDS_PITCH, "C", "1 13 17 20 25"},
      {MVAE_CHORDS_MAJOR_MINOR, "C", "1"},
      {MVAE_CHORDS_TRIAD, "C", "1"},
      /* Am7 = A C E G (root 9; 9 0 4 7), minor: 1 + 12 + 9 = 22. */
      {MVAE_CHORDS_PITCH, "Am7", "10 13 17 20 22 34"},
      {MVAE_CHORDS_MAJOR_MINOR, "Am7", "22"},
      {MVAE_CHORDS_TRIAD, "Am7", "22"},
      /* F#dim = F# A C (6 9 0): diminished, triad 1 + 36 + 6 = 43; neither major nor minor. */
      {MVAE_CHORDS_PITCH, "F#dim", "7 13 19 22 31"},
      {MVAE_CHORDS_TRIAD, "F#dim", "43"},
      {MVAE_CHORDS_MAJOR_MINOR, "F#dim", NULL},
      /* Bb+ = Bb D F# (10 2 6): augmented, 1 + 24 + 10 = 35. */
      {MVAE_CHORDS_TRIAD, "Bb+", "35"},
      {MVAE_CHORDS_TRIAD, "Bbaug", "35"},
      /* C7 contains the major triad only: major. */
      {MVAE_CHORDS_MAJOR_MINOR, "C7", "1"},
      {MVAE_CHORDS_PITCH, "C7", "1 13 17 20 23 25"},
      /* tonal reads "C5" as C (octave 5) major, and "c#m" as C# minor (1 + 12 + 1 = 14). */
      {MVAE_CHORDS_MAJOR_MINOR, "C5", "1"},
      {MVAE_CHORDS_MAJOR_MINOR, "c#m", "14"},
      {MVAE_CHORDS_MAJOR_MINOR, "Cx", "3"}, /* C## = D major */
      {MVAE_CHORDS_MAJOR_MINOR, "Dbmaj7", "2"},
      {MVAE_CHORDS_MAJOR_MINOR, "G m", "20"}, /* a space before the type */
      /* Csus4 = C F G: no triad (quality other); the pitch encoder still encodes it. */
      {MVAE_CHORDS_PITCH, "Csus4", "1 13 18 20 25"},
      {MVAE_CHORDS_MAJOR_MINOR, "Csus4", NULL},
      {MVAE_CHORDS_TRIAD, "Csus4", NULL},
      /* No chord. */
      {MVAE_CHORDS_PITCH, "N.C.", "0"},
      {MVAE_CHORDS_MAJOR_MINOR, "N.C.", "0"},
      {MVAE_CHORDS_TRIAD, "N.C.", "0"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    expect_encoding(c, cases[i].encoding, cases[i].symbol, cases[i].want);
  /* What magenta.js throws on: unknown root, unknown type, slash chords. */
  static const char *const refused[] = {"", "H", "maj7", "Aug", "C/E", "Cfoo", "NC", "Cm\n7"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    expect_encoding(c, MVAE_CHORDS_PITCH, refused[i], NULL);

  mvae_chord chord;
  char err[256];
  EXPECT(c,
         mvae_chord_parse("Ebm7b5", &chord, err, sizeof err) == MVAE_OK && chord.root == 3 &&
             chord.pitches == ((1 << 3) | (1 << 6) | (1 << 9) | (1 << 1)) &&
             chord.quality == MVAE_CHORD_DIMINISHED,
         "Ebm7b5: root 3, Eb Gb A Db, diminished (%s)", err);
  EXPECT(c, mvae_chord_parse(NULL, &chord, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT,
         "NULL symbol refused");
  float out[37];
  EXPECT(c,
         mvae_chord_encode((mvae_chord_encoding)9, "C", out, err, sizeof err) ==
             MVAE_ERR_INVALID_ARGUMENT,
         "unknown encoding refused");
}

static void test_progressions(test_counts *c) {
  float out[8 * 25];
  char err[256];
  /* encodeProgression: step s gets chord floor(s * n / steps). */
  static const char *const two[] = {"C", "G"};
  EXPECT(c,
         mvae_chord_progression_encode(MVAE_CHORDS_MAJOR_MINOR, two, 2, 4, out, 25, err,
                                       sizeof err) == MVAE_OK,
         "C G over 4 steps: %s", err);
  int want2[4] = {1, 1, 8, 8};
  for (int s = 0; s < 4; s++)
    EXPECT(c, out[s * 25 + want2[s]] == 1.0f, "C G: step %d is chord index %d", s, want2[s]);
  static const char *const three[] = {"C", "F", "G"};
  mvae_chord_progression_encode(MVAE_CHORDS_MAJOR_MINOR, three, 3, 4, out, 25, err, sizeof err);
  int want3[4] = {1, 1, 6, 8}; /* floor(0, 0.75, 1.5, 2.25) = C C F G */
  for (int s = 0; s < 4; s++)
    EXPECT(c, out[s * 25 + want3[s]] == 1.0f, "C F G: step %d is chord index %d", s, want3[s]);
  static const char *const bad[] = {"C", "Csus4"};
  EXPECT(c,
         mvae_chord_progression_encode(MVAE_CHORDS_MAJOR_MINOR, bad, 2, 4, out, 25, err,
                                       sizeof err) == MVAE_ERR_BAD_INPUT &&
             strstr(err, "Csus4"),
         "a chord the encoder cannot encode refuses the progression: %s", err);
  EXPECT(c,
         mvae_chord_progression_encode(MVAE_CHORDS_MAJOR_MINOR, two, 0, 4, out, 25, err,
                                       sizeof err) == MVAE_ERR_INVALID_ARGUMENT,
         "an empty progression is refused");

  mvae_model *m, *flat; /* chords_hier: major/minor + 3 other columns, 32 steps */
  mvae_info info;
  if (!load_with_flat(c, "chords_hier", &m, &flat, &info))
    return;
  EXPECT(c, info.control_depth == 28 && info.chord_encoding == MVAE_CHORDS_MAJOR_MINOR,
         "chords_hier: control depth 28, major/minor chords");
  float controls[32 * 28];
  for (int i = 0; i < 32 * 28; i++)
    controls[i] = 7.0f;
  static const char *const prog[] = {"Am", "F", "C", "G"};
  EXPECT(c, mvae_chords_to_controls(m, prog, 4, controls) == MVAE_OK, "controls from chords: %s",
         mvae_last_error(m));
  int ok = 1;
  static const int index[4] = {22, 6, 1, 8};
  for (int s = 0; s < 32; s++)
    for (int k = 0; k < 28; k++)
      ok &= controls[s * 28 + k] == (k == index[s / 8] ? 1.0f : 0.0f);
  EXPECT(c, ok, "Am F C G over 32 steps: 8 steps each, other columns 0");
  EXPECT(c, mvae_chords_to_controls(flat, prog, 4, controls) == MVAE_ERR_INVALID_ARGUMENT,
         "a model without chords refuses a progression");
  mvae_model_free(m);
  mvae_model_free(flat);
}

/* Decode (with logits) and sample on the current kernel set. */
typedef struct run_result {
  int32_t tokens[3 * 32], sampled[3 * 32];
  float logits[3 * 32 * 512];
  float mu[3 * 16];
} run_result;

static void run_model(mvae_model *m, const float *controls, const float *input, void *out) {
  run_result *r = out;
  mvae_info info;
  mvae_model_info(m, &info);
  float z[3 * 16];
  for (int i = 0; i < 3 * info.z_size; i++)
    z[i] = (float)sin(0.7 * i + 0.3);
  mvae_controls ctl = {controls, 0};
  mvae_decode_extra extra = {controls ? &ctl : NULL, 1, NULL};
  mvae_decode_opts opts = {0, NULL, NULL, r->logits};
  mvae_decode_with(m, z, 3, &opts, &extra, r->tokens);
  mvae_rng rng;
  mvae_rng_seed(&rng, 7);
  mvae_sample_with(m, 3, 0.8f, &rng, &extra, NULL, r->sampled);
  mvae_encode_with(m, input, 3, extra.controls, r->mu, NULL);
}

/* Every kernel and activation set gives the scalar set's bits. */
static void test_bit_identical(test_counts *c, const char *name) {
  mvae_info info;
  mvae_model *m = test_expect_model(c, load_case(name), name, &info);
  if (!m)
    return;
  float *controls = calloc((size_t)info.num_steps * (info.control_depth + 1), sizeof(float));
  float *input = calloc((size_t)3 * info.num_steps * info.input_depth, sizeof(float));
  for (int s = 0; s < info.num_steps; s++) {
    if (info.control_depth)
      controls[s * info.control_depth + (s * 5) % info.control_depth] = 1.0f;
    for (int b = 0; b < 3; b++)
      input[((size_t)b * info.num_steps + s) * info.input_depth + (s + b) % info.input_depth] = 1;
  }
  const float *ctl = info.control_depth ? controls : NULL;
  run_result *want = calloc(1, sizeof *want);
  if (want)
    test_same_bits_every_isa(c, name, m, run_model, ctl, input, want, sizeof *want);
  free(want);
  free(controls);
  free(input);
  mvae_model_free(m);
}

static void test_controls_checks(test_counts *c) {
  mvae_model *m, *flat;
  mvae_info info;
  if (!load_with_flat(c, "chords_mel", &m, &flat, &info))
    return;
  EXPECT(c, info.control_depth == 37 && info.chord_encoding == MVAE_CHORDS_PITCH,
         "chords_mel: 37 pitch-chord controls");
  float z[12] = {0}, input[32 * 38] = {0}, mu[12], controls[32 * 37] = {0};
  int32_t tokens[32];
  EXPECT(c,
         mvae_decode(m, z, 1, NULL, tokens) == MVAE_ERR_INVALID_ARGUMENT &&
             strstr(mvae_last_error(m), "chord"),
         "decode without controls refused: %s", mvae_last_error(m));
  EXPECT(c, mvae_encode(m, input, 1, mu, NULL) == MVAE_ERR_INVALID_ARGUMENT,
         "encode without controls refused");
  mvae_controls ctl = {controls, 0};
  mvae_decode_extra extra = {&ctl, 0, NULL};
  controls[5] = NAN;
  EXPECT(c, mvae_decode_with(m, z, 1, NULL, &extra, tokens) == MVAE_ERR_INVALID_ARGUMENT,
         "NaN controls refused");
  controls[5] = 0;
  mvae_rng rng, before;
  mvae_rng_seed(&rng, 3);
  before = rng;
  EXPECT(c, mvae_sample_with(m, 2, 0.5f, &rng, NULL, NULL, tokens) == MVAE_ERR_INVALID_ARGUMENT,
         "sample without controls refused");
  EXPECT(c, !memcmp(&rng, &before, sizeof rng), "a refused sample leaves the rng as it was");
  static const char *const prog[] = {"C", "Am"};
  EXPECT(c, mvae_chords_to_controls(m, prog, 2, controls) == MVAE_OK, "chords to controls");
  int32_t shared[2 * 32], each[2 * 32];
  float z2[24];
  for (int i = 0; i < 24; i++)
    z2[i] = (float)cos(i);
  float per_item[2 * 32 * 37];
  memcpy(per_item, controls, sizeof controls);
  memcpy(per_item + 32 * 37, controls, sizeof controls);
  mvae_controls each_ctl = {per_item, 1};
  mvae_decode_extra each_extra = {&each_ctl, 0, NULL};
  EXPECT(c,
         mvae_decode_with(m, z2, 2, NULL, &extra, shared) == MVAE_OK &&
             mvae_decode_with(m, z2, 2, NULL, &each_extra, each) == MVAE_OK &&
             !memcmp(shared, each, sizeof shared),
         "shared controls = the same controls per item");
  mvae_controls flat_ctl = {controls, 0};
  mvae_decode_extra flat_extra = {&flat_ctl, 0, NULL};
  float flat_z[16] = {0};
  int32_t flat_tokens[32];
  EXPECT(c,
         mvae_decode_with(flat, flat_z, 1, NULL, &flat_extra, flat_tokens) ==
             MVAE_ERR_INVALID_ARGUMENT,
         "controls for a model without controls refused");
  mvae_refine_opts ro;
  mvae_refine_opts_init(&ro);
  float zr[12];
  EXPECT(c, mvae_encode_refined(m, input, 1, &ro, zr) == MVAE_ERR_UNSUPPORTED,
         "refinement of a conditioned model refused");
  mvae_model_free(m);
  mvae_model_free(flat);
}

static void test_nade_options(test_counts *c) {
  mvae_info info;
  mvae_model *m = test_expect_model(c, load_case("nade_drums"), "nade_drums", &info);
  if (!m)
    return;
  EXPECT(c,
         info.output_layer == MVAE_OUTPUT_NADE && info.nade_hidden == 12 &&
             info.output_depths[0] == 512 && info.control_depth == 0,
         "nade_drums: NADE of 12 hidden units over 512 label sets");
  enum { N = 8, T = 16 };
  float z[N * 8];
  for (int i = 0; i < N * 8; i++)
    z[i] = (float)sin(1.3 * i);
  int32_t greedy[N * T], threshold[N * T], sampled[N * T], again[N * T];
  mvae_decode(m, z, N, NULL, greedy);
  mvae_rng rng;
  mvae_rng_seed(&rng, 11);
  mvae_decode_opts opts = {0.5f, &rng, NULL, NULL};
  mvae_decode_extra magenta = {NULL, 0, NULL}, bernoulli = {NULL, 1, NULL};
  mvae_decode_with(m, z, N, &opts, &magenta, threshold);
  EXPECT(c, !memcmp(greedy, threshold, sizeof greedy),
         "at temperature 0.5 without nade_sample: the greedy labels (as magenta.js)");
  mvae_rng_seed(&rng, 11);
  mvae_decode_with(m, z, N, &opts, &bernoulli, sampled);
  mvae_rng_seed(&rng, 11);
  mvae_decode_with(m, z, N, &opts, &bernoulli, again);
  int differ = 0, in_range = 1;
  for (int i = 0; i < N * T; i++) {
    differ += sampled[i] != greedy[i];
    in_range &= sampled[i] >= 0 && sampled[i] < 512;
  }
  EXPECT(c, !memcmp(sampled, again, sizeof sampled), "Bernoulli sampling: same seed, same labels");
  EXPECT(c, differ > 0 && in_range, "Bernoulli sampling differs from greedy (%d of %d steps)",
         differ, N * T);
  float input[T * 10] = {0};
  mvae_refine_opts ro;
  mvae_refine_opts_init(&ro);
  float zr[8];
  EXPECT(c, mvae_encode_refined(m, input, 1, &ro, zr) == MVAE_ERR_UNSUPPORTED,
         "refinement of a NADE model refused");
  mvae_note notes[16 * 9];
  int n_notes = 0;
  EXPECT(c, mvae_tokens_to_notes(m, greedy, notes, 16 * 9, &n_notes) == MVAE_OK,
         "NADE labels convert to drum notes");
  mvae_model_free(m);
}

/* ---- Refused files: a test model rewritten (as a version 1 file) with changed metadata ------- */

typedef struct byte_buf {
  uint8_t *p;
  size_t n, cap;
} byte_buf;

static void put(byte_buf *b, const void *data, size_t n) {
  if (n == 0)
    return;
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, data, n);
  b->n += n;
}

static void put_u32(byte_buf *b, uint32_t v) {
  uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
  put(b, le, 4);
}

static void put_u64(byte_buf *b, uint64_t v) {
  put_u32(b, (uint32_t)v);
  put_u32(b, (uint32_t)(v >> 32));
}

static void put_str(byte_buf *b, const char *s, size_t n) {
  put_u32(b, (uint32_t)n);
  put(b, s, n);
}

/* A metadata change: key = a string value (str), an i32 (str NULL), or removed (remove). */
typedef struct meta_edit {
  const char *key, *str;
  int32_t i32;
  int remove;
} meta_edit;

/* The model `name` with `edit` applied and the tensor `drop` (if not NULL) left out; loads it and
 * returns the status, the message in err; the model in *keep if keep is not NULL (else freed). */
static mvae_status load_edited_model(const char *name, meta_edit edit, const char *drop,
                                     mvae_model **keep, char *err, size_t err_size) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/%s.mvae", MVAE_SOURCE_DIR, name);
  size_t size = 0;
  uint8_t *bytes = (uint8_t *)tv_read_file(path, &size);
  mvf_file file;
  if (!bytes || mvf_parse(bytes, size, &file, err, err_size) != MVAE_OK) {
    free(bytes);
    return MVAE_ERR_INVALID_ARGUMENT;
  }
  byte_buf head = {0}, data = {0};
  uint32_t n_meta = 0, n_tensors = 0;
  int replaced = 0;
  for (uint32_t i = 0; i < file.n_meta; i++) {
    const mvf_meta *m = &file.meta[i];
    int edited = strlen(edit.key) == m->key_len && !memcmp(edit.key, m->key, m->key_len);
    if (edited && (edit.remove || replaced))
      continue;
    put_str(&head, m->key, m->key_len);
    n_meta++;
    if (edited) {
      replaced = 1;
      put_u32(&head, edit.str ? MVF_META_STR : MVF_META_I32);
      if (edit.str)
        put_str(&head, edit.str, strlen(edit.str));
      else
        put_u32(&head, (uint32_t)edit.i32);
      continue;
    }
    put_u32(&head, m->type);
    if (m->type == MVF_META_STR)
      put_str(&head, m->str, m->str_len);
    else if (m->type == MVF_META_I32_ARRAY) {
      put_u32(&head, m->count);
      put(&head, m->array, 4 * (size_t)m->count);
    } else
      put(&head, m->type == MVF_META_I32 ? (const void *)&m->i32 : (const void *)&m->f32, 4);
  }
  if (!replaced && !edit.remove) {
    put_str(&head, edit.key, strlen(edit.key));
    put_u32(&head, edit.str ? MVF_META_STR : MVF_META_I32);
    if (edit.str)
      put_str(&head, edit.str, strlen(edit.str));
    else
      put_u32(&head, (uint32_t)edit.i32);
    n_meta++;
  }
  for (uint32_t i = 0; i < file.n_tensors; i++) {
    const mvf_tensor *t = &file.tensors[i];
    if (drop && strlen(drop) == t->name_len && !memcmp(drop, t->name, t->name_len))
      continue;
    static const uint8_t zeros[64] = {0};
    put(&data, zeros, (MVF_ALIGN - data.n % MVF_ALIGN) % MVF_ALIGN);
    put_str(&head, t->name, t->name_len);
    put_u32(&head, t->dtype);
    put_u32(&head, (uint32_t)t->n_dims);
    if (t->n_dims == 2)
      put_u32(&head, (uint32_t)t->rows);
    put_u32(&head, (uint32_t)t->cols);
    put_u32(&head, (uint32_t)t->block);
    put_u64(&head, data.n);
    put_u64(&head, t->nbytes);
    put(&data, t->data, t->nbytes);
    n_tensors++;
  }
  byte_buf out = {0};
  size_t data_offset = (MVF_HEADER_V1 + head.n + MVF_ALIGN - 1) / MVF_ALIGN * MVF_ALIGN;
  put(&out, "MVAE", 4);
  put_u32(&out, 1);
  put_u32(&out, n_meta);
  put_u32(&out, n_tensors);
  put_u64(&out, data_offset);
  put_u64(&out, data.n);
  put(&out, head.p, head.n);
  while (out.n < data_offset)
    put(&out, "", 1);
  put(&out, data.p, data.n);
  mvae_model *m = NULL;
  mvae_status st = mvae_model_load(out.p, out.n, &m, err, err_size);
  if (keep)
    *keep = m;
  else
    mvae_model_free(m);
  mvf_release(&file);
  free(bytes);
  free(head.p);
  free(data.p);
  free(out.p);
  return st;
}

static mvae_status load_edited(const char *name, meta_edit edit, const char *drop, char *err,
                               size_t err_size) {
  return load_edited_model(name, edit, drop, NULL, err, err_size);
}

/* converter.drum_encoding picks the drum roll mvae_notes_to_input builds. One kick at step 0 of 16
 * (hand-worked): Magenta's roll has "no hit" in rows 1..15; magenta.js's in rows 0..14 (row s
 * holds it when step s + 1 is empty, the last row never). */
static void test_drum_encoding(test_counts *c) {
  char err[512];
  const mvae_note kick = {36, 80, 0, 1, 0, 1, 0};
  static const struct {
    const char *value;
    mvae_drum_encoding want;
    float row0, row15;
  } cases[] = {{NULL, MVAE_DRUMS_CLEAN, 0.0f, 1.0f},
               {"clean", MVAE_DRUMS_CLEAN, 0.0f, 1.0f},
               {"magenta_js", MVAE_DRUMS_MAGENTA_JS, 1.0f, 0.0f}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    meta_edit edit = {"converter.drum_encoding", cases[i].value, 0, cases[i].value == NULL};
    mvae_model *m = NULL;
    mvae_status st = load_edited_model("nade_drums", edit, NULL, &m, err, sizeof err);
    EXPECT(c, st == MVAE_OK, "nade_drums with drum_encoding %s loads: %s",
           cases[i].value ? cases[i].value : "(absent)", err);
    if (st != MVAE_OK)
      continue;
    mvae_info info;
    mvae_model_info(m, &info);
    float roll[16 * MVAE_DRUM_ROLL_WIDTH];
    EXPECT(c, info.drum_encoding == cases[i].want && info.drums_roll_input && info.num_steps == 16,
           "drum_encoding %d (want %d), a 16-step roll model", (int)info.drum_encoding,
           (int)cases[i].want);
    EXPECT(c, mvae_notes_to_input(m, &kick, 1, roll) == MVAE_OK, "encodes a kick: %s",
           mvae_last_error(m));
    const int no_hit = MVAE_DRUM_ROLL_WIDTH - 1;
    EXPECT(c,
           roll[0] == 1.0f && roll[no_hit] == cases[i].row0 &&
               roll[MVAE_DRUM_ROLL_WIDTH + no_hit] == 1.0f &&
               roll[15 * MVAE_DRUM_ROLL_WIDTH + no_hit] == cases[i].row15,
           "%s: no-hit column rows 0, 1, 15 = %g %g %g",
           cases[i].value ? cases[i].value : "(absent)", (double)roll[no_hit],
           (double)roll[MVAE_DRUM_ROLL_WIDTH + no_hit],
           (double)roll[15 * MVAE_DRUM_ROLL_WIDTH + no_hit]);
    mvae_model_free(m);
  }
}

static void test_refused_files(test_counts *c) {
  char err[512];
  meta_edit none = {"general.description", "unchanged", 0, 0};
  EXPECT(c, load_edited("chords_hier", none, NULL, err, sizeof err) == MVAE_OK,
         "a rewritten chords_hier loads: %s", err);
  EXPECT(c, load_edited("nade_drums", none, NULL, err, sizeof err) == MVAE_OK,
         "a rewritten nade_drums loads: %s", err);
  static const struct {
    const char *name;
    meta_edit edit;
    const char *drop, *message;
  } cases[] = {
      {"chords_hier", {"controls.chord_encoding", "triad", 0, 0}, NULL, "needs 49"},
      {"chords_hier", {"controls.chord_encoding", "jazz", 0, 0}, NULL, "does not know"},
      {"chords_hier", {"controls.extra", "velocity:2", 0, 0}, NULL, "extra 2 columns"},
      {"chords_hier", {"controls.extra", "velocity", 0, 0}, NULL, "name:depth"},
      {"chords_hier", {"controls.extra", "a:1,:2", 0, 0}, NULL, "name:depth"},
      {"chords_hier", {"controls.key_depth", NULL, 7, 0}, NULL, "0 or 12"},
      {"chords_hier", {"musicvae.control_depth", NULL, 0, 1}, NULL, "needs 25"},
      {"chords_mel", {"controls.chord_encoding", NULL, 0, 1}, NULL, NULL}, /* still loads */
      {"chords_mel", {"musicvae.control_depth", NULL, 36, 0}, NULL, "needs 37"},
      {"nade_drums", {"musicvae.output_layer", "categorical", 0, 0}, NULL, "nade/w_enc"},
      {"nade_drums", {"musicvae.output_layer", "bernoulli", 0, 0}, NULL, "does not know"},
      {"nade_drums", {"general.description", "x", 0, 0}, "decoder/nade/w_dec_t", "w_dec_t"},
      {"chords_mel", {"musicvae.output_layer", "nade", 0, 0}, NULL, "not a power of 2"},
      {"chords_mel", {"musicvae.output_layer", "boolean", 0, 0}, NULL, "not a power of 2"},
      {"nade_drums", {"converter.type", "melody_rhythm", 0, 0}, NULL, "onsets need a boolean"},
      {"nade_drums", {"converter.type", "trio_rhythm", 0, 0}, NULL, "onsets need a boolean"},
      {"nade_drums", {"converter.type", "melody_shape", 0, 0}, NULL, "expected 3"},
      {"nade_drums", {"converter.drum_encoding", "magenta", 0, 0}, NULL, "does not know"},
      {"nade_drums", {"converter.drum_encoding", NULL, 1, 0}, NULL, "drum_encoding"},
      /* GrooVAE: its output layer and converter only together, its options 0 or 1, its widths. */
      {"groove", {"musicvae.output_layer", "categorical", 0, 0}, NULL, "goes with converter"},
      {"groove", {"converter.type", "drums", 0, 0}, NULL, "goes with converter"},
      {"nade_drums", {"converter.type", "groove", 0, 0}, NULL, "goes with converter"},
      {"groove", {"converter.groove_tapify", NULL, 2, 0}, NULL, "expected 0..1"},
      {"groove", {"musicvae.input_depth", NULL, 28, 0}, NULL, "input_depth 28, expected 27"},
      {"groove", {"general.description", "x", 0, 0}, "decoder/output_projection/bias", "bias"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mvae_status st = load_edited(cases[i].name, cases[i].edit, cases[i].drop, err, sizeof err);
    if (!cases[i].message)
      EXPECT(c, st == MVAE_OK, "%s with %s changed loads: %s", cases[i].name, cases[i].edit.key,
             err);
    else
      EXPECT(c, st == MVAE_ERR_BAD_MODEL && strstr(err, cases[i].message),
             "%s with %s changed is refused (%d): %s", cases[i].name, cases[i].edit.key, (int)st,
             err);
  }
}

int main(void) {
  test_counts c = {0, 0};
  test_chord_encodings(&c);
  test_progressions(&c);
  test_controls_checks(&c);
  test_nade_options(&c);
  test_refused_files(&c);
  test_drum_encoding(&c);
  static const char *const families[] = {"nade_drums", "chords_mel", "chords_hier", "rhythm_trio",
                                         "controls_hier"};
  for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
    test_bit_identical(&c, families[i]);
  return test_report("test_families", &c);
}
