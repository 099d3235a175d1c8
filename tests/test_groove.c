/* test_groove.c: GrooVAE (magenta.js's GrooveConverter and GrooveDecoder). The converter against
 * hand-worked cases from magenta.js's toTensor / toNoteSequence (tests/js/groove_magenta.test.mjs
 * compares with magenta.js 1.23.1 itself); the decoder's values against its own logits (which
 * test_reference checks against the float64 reference), its refusals, and bit-identical results
 * on every kernel and activation set. Models: tests/data/{groove,hier_groove}.mvae
 * (tests/reference/make_cases.py). */
#include "format/model.h"
#include "notes/convert.h"
#include "test_isa.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

#define D MVAE_DRUM_CLASSES
#define W MVAE_GROOVE_DEPTH

static int near(double a, double b) {
  return fabs(a - b) <= 1e-6;
}

/* qpm 120, 4 steps per quarter: a step is 0.125 s. */
static void test_input(test_counts *c) {
  const double nan = NAN;
  mvae_groove_note notes[] = {
      {36, 100, 0, 0.01}, /* kick, 10 ms late: offset 2 (0 - 0.01) / 0.125 = -0.16 */
      {38, 50, 1, 0.125}, /* snare, on time ... */
      {40, 90, 1, 0.12},  /* ... a louder snare-class note at the same step wins: offset 0.08 */
      {37, 90, 1, 0.1},   /* as loud again: the first of equals stays */
      {42, 127, 2, nan},  /* closed hi-hat without a start time: offset 0 */
      {20, 64, 100, 0.0}, /* unmapped pitch: ignored, even past the end */
      {51, 1, 3, 0.3125}, /* ride half a step (0.0625 s) early: offset 1 */
  };
  int n = (int)(sizeof notes / sizeof notes[0]);
  float in[4 * W];
  mvae_convert_error err;
  mvae_groove_options plain = {4, 4, 0, 0};
  EXPECT(c, mvae_groove_input_from_notes(notes, n, &plain, 120.0, in, &err) == MVAE_OK, "%s",
         err.message);
  EXPECT(c, in[0] == 1 && in[D] == (float)(100 / 127.0) && in[2 * D] == (float)-0.16,
         "kick: hit, velocity 100/127, offset -0.16 (%g %g %g)", in[0], in[D], in[2 * D]);
  EXPECT(c,
         in[W + 1] == 1 && in[W + D + 1] == (float)(90 / 127.0) &&
             in[W + 2 * D + 1] == (float)(2 * (0.125 - 0.12) / 0.125),
         "snare: the loudest, first of equals (%g %g)", in[W + D + 1], in[W + 2 * D + 1]);
  EXPECT(c, in[2 * W + 2] == 1 && in[2 * W + D + 2] == 1.0f && in[2 * W + 2 * D + 2] == 0.0f,
         "hi-hat without a start time: offset 0");
  EXPECT(c, in[3 * W + 8] == 1 && in[3 * W + 2 * D + 8] == 1.0f, "ride half a step early: 1");
  float sum = 0;
  for (int k = 0; k < 4 * W; k++)
    sum += in[k] != 0;
  EXPECT(c, sum == 4 * 3 - 1, "nothing else is set (%g non-zero values)", sum);

  mvae_groove_options humanize = {4, 4, 1, 0};
  mvae_groove_input_from_notes(notes, n, &humanize, 120.0, in, &err);
  EXPECT(c, in[0] == 1 && in[D] == 0 && in[2 * D] == 0 && in[W + 1] == 1, "humanize: hits only");
  /* tapify: every note on class 3 (so the unmapped pitch past the end now counts: refused). */
  mvae_groove_options tapify = {4, 4, 0, 1};
  EXPECT(c,
         mvae_groove_input_from_notes(notes, n, &tapify, 120.0, in, &err) == MVAE_ERR_BAD_INPUT &&
             err.index == 5,
         "tapify: the pitch-20 note past the end is refused (note %d)", err.index);
  mvae_groove_input_from_notes(notes, n - 2, &tapify, 120.0, in, &err);
  EXPECT(c, in[3] == 1 && in[D + 3] == 0 && in[2 * D + 3] == (float)-0.16 && in[0] == 0,
         "tapify: the kick on class 3, velocity 0, its offset kept");
  EXPECT(c, in[W + 3] == 1 && in[W + 2 * D + 3] == (float)(2 * (0.125 - 0.12) / 0.125),
         "tapify: the loudest of step 1");

  mvae_groove_note late = {36, 80, 4, 0.5};
  EXPECT(c, mvae_groove_input_from_notes(&late, 1, &plain, 120.0, in, &err) == MVAE_ERR_BAD_INPUT,
         "a kick at step num_steps is refused (magenta.js: more steps than the model)");
  mvae_groove_note bad[] = {{128, 80, 0, 0}, {36, 128, 0, 0}, {36, 80, 0, INFINITY}};
  for (int i = 0; i < 3; i++)
    EXPECT(c,
           mvae_groove_input_from_notes(&bad[i], 1, &plain, 120.0, in, &err) == MVAE_ERR_BAD_INPUT,
           "bad note %d refused", i);
  EXPECT(c, mvae_groove_input_from_notes(notes, 1, &plain, 0.0, in, &err) == MVAE_ERR_BAD_INPUT,
         "qpm 0 refused");
  EXPECT(c, mvae_groove_input_from_notes(notes, 1, &plain, NAN, in, &err) == MVAE_ERR_BAD_INPUT,
         "qpm NaN refused");
  /* 60 qpm: a step is 0.25 s, the kick's offset 2 (0 - 0.01) / 0.25 = -0.08. */
  mvae_groove_input_from_notes(notes, 1, &plain, 60.0, in, &err);
  EXPECT(c, in[2 * D] == (float)-0.08, "the offset is in steps of the sequence's tempo");
}

static void test_hits(test_counts *c) {
  float v[2 * W] = {0};
  v[0] = 0.6f, v[D] = 0.5f, v[2 * D] = 1.6f; /* kick: velocity 63.5 -> 64, offset 0.5 */
  v[1] = 0.5f;                               /* exactly 0.5: no hit */
  v[W + 8] = 1, v[W + D + 8] = 1.2f, v[W + 2 * D + 8] = -0.3f; /* ride: 127, offset -0.15 */
  v[W + 4] = 1, v[W + D + 4] = -0.1f;                          /* low tom: velocity -13 -> 0 */
  mvae_groove_hit hits[4];
  int n = 0;
  mvae_convert_error err;
  EXPECT(c, mvae_groove_hits_from_values(v, 2, hits, 4, &n, &err) == MVAE_OK && n == 3,
         "three hits (%d)", n);
  EXPECT(c,
         hits[0].pitch == 36 && hits[0].velocity == 64 && hits[0].step == 0 &&
             hits[0].position == -0.5,
         "kick: 64 at position -0.5 (%d %g)", hits[0].velocity, hits[0].position);
  EXPECT(c, hits[1].pitch == 45 && hits[1].velocity == 0 && hits[1].position == 1.0,
         "low tom first in its step (class order): velocity 0 (%d)", hits[1].velocity);
  EXPECT(c, hits[2].pitch == 51 && hits[2].velocity == 127 && near(hits[2].position, 1.15),
         "ride: 127 at position 1.15 (%g)", hits[2].position);
  EXPECT(c,
         mvae_groove_hits_from_values(v, 2, hits, 2, &n, &err) == MVAE_ERR_BUFFER_TOO_SMALL &&
             n == 3,
         "too small a buffer: the count needed");
  v[W + 2 * D] = NAN;
  EXPECT(c,
         mvae_groove_hits_from_values(v, 2, hits, 4, &n, &err) == MVAE_ERR_BAD_INPUT &&
             err.index == 1,
         "a NaN value is refused at its step");
}

static double sigmoid(double x) {
  return 1.0 / (1.0 + exp(-x));
}

/* Decoded values: the hits of the tokens, sigmoid and tanh of the engine's own logits. */
static void test_values(test_counts *c, const char *name) {
  char file[64];
  snprintf(file, sizeof file, "%s.mvae", name);
  mvae_model *m = test_load_data_model(file);
  EXPECT(c, m != NULL, "%s loads", name);
  if (!m)
    return;
  mvae_info info;
  mvae_model_info(m, &info);
  EXPECT(c,
         info.converter == MVAE_CONVERTER_GROOVE && info.output_layer == MVAE_OUTPUT_GROOVE &&
             info.output_depths[0] == W && info.input_depth == W &&
             info.max_notes == info.num_steps * D,
         "%s: a GrooVAE model of %d values per step", name, W);
  enum { B = 3 };
  int t = info.num_steps, zs = info.z_size;
  float *z = malloc(sizeof(float) * B * zs), *logits = malloc(sizeof(float) * B * t * W);
  float *values = malloc(sizeof(float) * B * t * W);
  int32_t *tokens = malloc(sizeof(int32_t) * B * t);
  for (int i = 0; i < B * zs; i++)
    z[i] = (float)sin(0.7 * i + 0.3);
  mvae_decode_opts opts = {0, NULL, NULL, logits};
  mvae_decode_extra extra = {NULL, 0, values};
  EXPECT(c, mvae_decode_with(m, z, B, &opts, &extra, tokens) == MVAE_OK, "%s: decode: %s", name,
         mvae_last_error(m));
  int bad = 0, hits = 0;
  for (int i = 0; i < B * t; i++) {
    const float *l = logits + (size_t)i * W, *v = values + (size_t)i * W;
    for (int k = 0; k < D; k++) {
      int hit = (tokens[i] >> k) & 1;
      hits += hit;
      bad += v[k] != (float)hit || hit != (l[k] > 0);
      bad += !near(v[D + k], sigmoid(l[D + k])) || !near(v[2 * D + k], tanh(l[2 * D + k]));
    }
    bad += tokens[i] >> D != 0;
  }
  EXPECT(c, bad == 0 && hits > 0,
         "%s: values = [hits, sigmoid, tanh] of the logits (%d bad, %d hits)", name, bad, hits);
  mvae_groove_hit *out = malloc(sizeof *out * info.max_notes);
  int n = 0;
  EXPECT(c, mvae_groove_to_notes(m, values, out, info.max_notes, &n) == MVAE_OK, "to notes: %s",
         mvae_last_error(m));
  int first = 0;
  for (int k = 0; k < t; k++)
    first += __builtin_popcount((unsigned)tokens[k]);
  EXPECT(c, n == first, "%s: one note per hit of sequence 0 (%d, %d)", name, n, first);
  mvae_note notes[32 * 9];
  EXPECT(c, mvae_tokens_to_notes(m, tokens, notes, 32 * 9, &n) == MVAE_OK && n == first,
         "%s: its tokens (hit sets) convert to drum notes", name);

  /* Refused: teacher forcing, refinement. */
  opts.teacher = tokens;
  EXPECT(c, mvae_decode_with(m, z, B, &opts, &extra, tokens) == MVAE_ERR_UNSUPPORTED,
         "%s: teacher forcing refused: %s", name, mvae_last_error(m));
  mvae_refine_opts ro;
  mvae_refine_opts_init(&ro);
  EXPECT(c, mvae_encode_refined(m, values, 1, &ro, z) == MVAE_ERR_UNSUPPORTED,
         "%s: refinement refused", name);
  free(out);
  free(z);
  free(logits);
  free(values);
  free(tokens);
  mvae_model_free(m);
}

/* The converter calls through a model, and the calls other models refuse. */
static void test_model_calls(test_counts *c) {
  mvae_model *m = test_load_data_model("groove.mvae"),
             *drums = test_load_data_model("nade_drums.mvae");
  EXPECT(c, m && drums, "groove and nade_drums load");
  if (!m || !drums) {
    mvae_model_free(m);
    mvae_model_free(drums);
    return;
  }
  mvae_groove_note notes[] = {{36, 100, 0, 0.01}, {42, 80, 31, 31 * 0.125}};
  float *in = malloc(sizeof(float) * 32 * W), *want = malloc(sizeof(float) * 32 * W);
  mvae_convert_error err;
  mvae_groove_options options = {32, 4, 0, 0};
  mvae_groove_input_from_notes(notes, 2, &options, 120.0, want, &err);
  EXPECT(c,
         mvae_groove_to_input(m, notes, 2, 120.0, in) == MVAE_OK &&
             !memcmp(in, want, sizeof(float) * 32 * W),
         "mvae_groove_to_input: the model's converter");
  mvae_note plain[] = {{36, 100, 0, 1, 0, 1, 0}};
  EXPECT(c, mvae_notes_to_input(m, plain, 1, in) == MVAE_OK && in[0] == 1 && in[2 * D] == 0,
         "mvae_notes_to_input on a GrooVAE model: offsets 0");
  notes[1].step = 32;
  EXPECT(c,
         mvae_groove_to_input(m, notes, 2, 120.0, in) == MVAE_ERR_BAD_INPUT &&
             strstr(mvae_last_error(m), "note 1"),
         "past the end: %s", mvae_last_error(m));
  float z[8] = {0}, v[16 * W];
  int32_t tokens[16];
  mvae_groove_hit hit;
  int n;
  EXPECT(c, mvae_groove_to_input(drums, notes, 1, 120.0, in) == MVAE_ERR_UNSUPPORTED,
         "groove input on a drums model refused: %s", mvae_last_error(drums));
  EXPECT(c, mvae_groove_to_notes(drums, v, &hit, 1, &n) == MVAE_ERR_UNSUPPORTED,
         "groove notes on a drums model refused");
  mvae_decode_extra extra = {NULL, 0, v};
  EXPECT(c, mvae_decode_with(drums, z, 1, NULL, &extra, tokens) == MVAE_ERR_INVALID_ARGUMENT,
         "values asked of a NADE model refused: %s", mvae_last_error(drums));
  free(in);
  free(want);
  mvae_model_free(m);
  mvae_model_free(drums);
}

/* Greedy and sampled decodes (tokens and values) and encodings: the same bits on every set. */
typedef struct groove_run {
  int32_t tokens[2][4 * 32];
  float values[2][4 * 32 * W];
  float mu[4 * 8];
} groove_run;

static void run(mvae_model *m, const float *z, const float *input, void *out) {
  groove_run *r = out;
  mvae_rng rng;
  mvae_rng_seed(&rng, 7);
  mvae_decode_opts greedy = {0, NULL, NULL, NULL}, warm = {0.7f, &rng, NULL, NULL};
  mvae_decode_extra e0 = {NULL, 0, r->values[0]}, e1 = {NULL, 0, r->values[1]};
  mvae_decode_with(m, z, 4, &greedy, &e0, r->tokens[0]);
  mvae_decode_with(m, z, 4, &warm, &e1, r->tokens[1]);
  mvae_encode(m, input, 4, r->mu, NULL);
}

static void test_bit_identical(test_counts *c, const char *name) {
  char file[64];
  snprintf(file, sizeof file, "%s.mvae", name);
  mvae_model *m = test_load_data_model(file);
  if (!m)
    return;
  mvae_info info;
  mvae_model_info(m, &info);
  float z[4 * 8], *input = calloc((size_t)4 * info.num_steps * W, sizeof(float));
  for (int i = 0; i < 4 * 8; i++)
    z[i] = (float)cos(0.9 * i);
  for (int i = 0; i < 4 * info.num_steps; i++) {
    input[(size_t)i * W + i % D] = 1;
    input[(size_t)i * W + D + i % D] = 0.75f;
    input[(size_t)i * W + 2 * D + i % D] = -0.25f;
  }
  groove_run *want = calloc(1, sizeof *want);
  if (want) {
    test_same_bits_every_isa(c, name, m, run, z, input, want, sizeof *want);
    int sampled_differs = memcmp(want->tokens[0], want->tokens[1], sizeof want->tokens[0]) != 0;
    EXPECT(c, sampled_differs, "%s: sampling at 0.7 differs from greedy", name);
  }
  free(want);
  free(input);
  mvae_model_free(m);
}

int main(void) {
  test_counts c = {0, 0};
  test_input(&c);
  test_hits(&c);
  static const char *const models[] = {"groove", "hier_groove"};
  for (int i = 0; i < 2; i++)
    test_values(&c, models[i]);
  test_model_calls(&c);
  for (int i = 0; i < 2; i++)
    test_bit_identical(&c, models[i]);
  return test_report("test_groove", &c);
}
