/* mvae: the native command-line tool for trying, checking and benchmarking models.
 *
 *   mvae info MODEL
 *   mvae sample MODEL [-n N] [-t TEMPERATURE] [-s SEED] [-c CHORDS]   (chord models: C,G,Am,F)
 *   mvae encode MODEL EVENT...            (melody models: num_steps event classes)
 *   mvae testvectors MODEL JSON           (agreement with the shared greedy decodes)
 *   mvae bench MODEL [MODEL...]           (timing table)
 */
#define _POSIX_C_SOURCE 199309L
#include "format/model.h"
#include "musicvae.h"
#include "testvectors.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const usage =
    "usage:\n"
    "  mvae info MODEL\n"
    "  mvae sample MODEL [-n N] [-t TEMPERATURE] [-s SEED] [-j THREADS]   (temperature 0 = "
    "argmax)\n"
    "              [-c CHORDS]     a chord model's progression, comma-separated: C,G,Am,F\n"
    "  mvae encode MODEL EVENT...      melody events (0 rest, 1 off, k>=2 pitch min+k-2)\n"
    "  mvae testvectors MODEL JSON     greedy decodes of the shared test vectors\n"
    "  mvae bench MODEL [MODEL...]     timing table (ms, GFLOP/s)\n";

/* ---- Strict number parsing: the whole argument, in range, or a message and exit status 2 -------
 */

static int bad_number(const char *what, const char *text, const char *expected) {
  fprintf(stderr, "mvae: %s must be %s, got '%s'\n", what, expected, text);
  return 0;
}

/* An integer in lo..hi, decimal, nothing before or after it. */
static int parse_int(const char *text, const char *what, long lo, long hi, long *out) {
  char expected[96];
  snprintf(expected, sizeof expected, "an integer in %ld..%ld", lo, hi);
  if (!text[0] || text[0] == ' ' || text[0] == '+' || (text[0] == '-' && lo >= 0))
    return bad_number(what, text, expected);
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || *end || end == text || v < lo || v > hi)
    return bad_number(what, text, expected);
  *out = v;
  return 1;
}

/* A 64-bit seed: 0..2^64-1, decimal. */
static int parse_seed(const char *text, unsigned long long *out) {
  const char *expected = "an integer in 0..18446744073709551615";
  if (text[0] < '0' || text[0] > '9')
    return bad_number("-s (seed)", text, expected);
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || *end)
    return bad_number("-s (seed)", text, expected);
  *out = v;
  return 1;
}

/* A finite number in lo..hi. */
static int parse_real(const char *text, const char *what, double lo, double hi, double *out) {
  char expected[96];
  snprintf(expected, sizeof expected, "a number in %g..%g", lo, hi);
  if (!text[0] || text[0] == ' ')
    return bad_number(what, text, expected);
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || *end || end == text || !isfinite(v) || v < lo || v > hi)
    return bad_number(what, text, expected);
  *out = v;
  return 1;
}

static mvae_model *load_model(const char *path) {
  size_t size = 0;
  char *data = tv_read_file(path, &size);
  if (!data) {
    fprintf(stderr, "mvae: cannot read %s\n", path);
    return NULL;
  }
  char err[512];
  mvae_model *model = NULL;
  if (mvae_model_load(data, size, &model, err, sizeof err) != MVAE_OK)
    fprintf(stderr, "mvae: %s: %s\n", path, err);
  free(data);
  return model;
}

/* In mvae_converter order. */
static const char *const converter_names[] = {"melody",      "drums",         "trio",
                                              "multitrack",  "melody_rhythm", "melody_shape",
                                              "trio_rhythm", "groove"};

static int cmd_info(mvae_model *m) {
  mvae_info in;
  mvae_model_info(m, &in);
  printf("name            %s\n", in.name[0] ? in.name : "(unnamed)");
  printf("converter       %s (pitches %d..%d)\n", converter_names[in.converter], in.min_pitch,
         in.max_pitch);
  printf("decoder         %s, %d track(s), depths", in.hierarchical ? "hierarchical" : "flat",
         in.num_tracks);
  for (int t = 0; t < in.num_tracks; t++)
    printf(" %d", in.output_depths[t]);
  printf("\nsteps           %d (%d bars, %d segment(s))\n", in.num_steps,
         in.num_steps / in.steps_per_bar, in.num_segments);
  printf("z size          %d\n", in.z_size);
  printf("encoder         %s\n", in.has_encoder ? "yes" : "absent (decode-only)");
  printf("weights         %.2f MB%s\n", (double)in.weight_bytes / 1e6,
         in.quantized ? " (int8 kernels)" : "");
  printf("kernels         %s (activations %s)\n", in.kernels, in.activations);
  return 0;
}

static const char *const pitch_names[] = {"C",  "C#", "D",  "D#", "E",  "F",
                                          "F#", "G",  "G#", "A",  "A#", "B"};

/* One line per track: '.' sustain/no event, '-' note off, a pitch name at each onset. */
static void print_tokens(const mvae_info *in, const int32_t *tokens) {
  for (int t = 0; t < in->num_tracks; t++) {
    const int32_t *row = tokens + (size_t)t * in->num_steps;
    int drums = in->output_depths[t] == 512, groove = in->output_layer == MVAE_OUTPUT_GROOVE;
    printf("  %s:", groove ? "groove" : drums ? "drums " : t == 1 ? "bass  " : "melody");
    for (int s = 0; s < in->num_steps; s++) {
      if (s % in->steps_per_bar == 0)
        printf(" |");
      if (groove) {
        printf(" %03x", (unsigned)row[s]); /* the step's hit set, drum class c = bit c */
      } else if (drums) {
        printf(" %s", row[s] ? "x" : ".");
      } else if (row[s] == 0) {
        printf(" .");
      } else if (row[s] == 1) {
        printf(" -");
      } else {
        int pitch = in->min_pitch + row[s] - 2;
        printf(" %s%d", pitch_names[pitch % 12], pitch / 12 - 1);
      }
    }
    printf(" |\n");
  }
}

/* A chord model's controls for a comma-separated progression ("C,G,Am,F"): malloc'd
 * float[num_steps][control_depth], or NULL after a message. */
static float *chord_controls(mvae_model *m, const mvae_info *in, const char *list) {
  enum { MAX_CHORDS = 64 };
  char buf[1024];
  const char *symbols[MAX_CHORDS];
  int n = 0;
  if (strlen(list) >= sizeof buf) {
    fprintf(stderr, "mvae: -c (chords) is too long\n");
    return NULL;
  }
  strcpy(buf, list);
  for (char *tok = buf; tok && n < MAX_CHORDS;) { /* split at the commas, in place */
    symbols[n++] = tok;
    char *comma = strchr(tok, ',');
    if (comma)
      *comma = '\0';
    tok = comma ? comma + 1 : NULL;
  }
  float *controls = malloc(sizeof(float) * (size_t)in->num_steps * (size_t)in->control_depth + 1);
  if (!controls || mvae_chords_to_controls(m, symbols, n, controls) != MVAE_OK) {
    fprintf(stderr, "mvae: -c (chords): %s\n", controls ? mvae_last_error(m) : "out of memory");
    free(controls);
    return NULL;
  }
  return controls;
}

static int cmd_sample(mvae_model *m, int argc, char **argv) {
  long n = 4;
  double temperature = 0.5;
  unsigned long long seed = 1;
  long threads = 1; /* -j: the rows split across threads (the same tokens for any count) */
  const char *chords = NULL;
  for (int i = 0; i < argc; i += 2) {
    int known = !strcmp(argv[i], "-n") || !strcmp(argv[i], "-t") || !strcmp(argv[i], "-s") ||
                !strcmp(argv[i], "-j") || !strcmp(argv[i], "-c");
    if (!known || i + 1 >= argc) {
      fprintf(stderr, known ? "mvae: %s needs a value\n%s" : "mvae: unknown option '%s'\n%s",
              argv[i], usage);
      return 2;
    }
    const char *value = argv[i + 1];
    if (!strcmp(argv[i], "-c")) {
      chords = value;
      continue;
    }
    int ok = !strcmp(argv[i], "-n")   ? parse_int(value, "-n (samples)", 1, 1000, &n)
             : !strcmp(argv[i], "-t") ? parse_real(value, "-t (temperature)", 0, 100, &temperature)
             : !strcmp(argv[i], "-j")
                 ? parse_int(value, "-j (threads)", 1, MVAE_MAX_THREADS, &threads)
                 : parse_seed(value, &seed);
    if (!ok)
      return 2;
  }
  if (threads > 1 && mvae_model_set_threads(m, (int)threads) != MVAE_OK) {
    fprintf(stderr, "mvae: %s\n", mvae_last_error(m));
    return 1;
  }
  mvae_info in;
  mvae_model_info(m, &in);
  int32_t *tokens = malloc(sizeof(int32_t) * (size_t)n * in.num_tracks * in.num_steps);
  mvae_rng rng;
  mvae_rng_seed(&rng, seed);
  /* GrooVAE: also each step's velocities and offsets (printed exactly, %.9g). */
  int groove = in.output_layer == MVAE_OUTPUT_GROOVE;
  size_t seq_values = (size_t)in.num_steps * in.output_depths[0];
  float *values = groove ? malloc(sizeof(float) * (size_t)n * seq_values) : NULL;
  float *controls = chords ? chord_controls(m, &in, chords) : NULL;
  if (chords && !controls) {
    free(tokens);
    free(values);
    return 2;
  }
  mvae_controls ctl = {controls, 0};
  mvae_decode_extra extra = {controls ? &ctl : NULL, 0, values};
  mvae_status st = tokens && (values || !groove)
                       ? mvae_sample_with(m, (int)n, (float)temperature, &rng, &extra, NULL, tokens)
                       : MVAE_ERR_OUT_OF_MEMORY;
  free(controls);
  if (st != MVAE_OK) {
    fprintf(stderr, "mvae: sample: %s\n", mvae_last_error(m));
    free(tokens);
    free(values);
    return 1;
  }
  printf("%ld sample(s) from %s, temperature %g, seed %llu\n", n, in.name, temperature, seed);
  for (long i = 0; i < n; i++) {
    printf("sample %ld\n", i + 1);
    print_tokens(&in, tokens + (size_t)i * in.num_tracks * in.num_steps);
    for (int step = 0; groove && step < in.num_steps; step++) {
      const float *v = values + (size_t)i * seq_values + (size_t)step * in.output_depths[0];
      printf("  step %d:", step);
      for (int k = 0; k < in.output_depths[0]; k++)
        printf(" %.9g", (double)v[k]);
      printf("\n");
    }
  }
  free(tokens);
  free(values);
  return 0;
}

static int cmd_encode(mvae_model *m, int argc, char **argv) {
  mvae_info in;
  mvae_model_info(m, &in);
  if (in.converter != MVAE_CONVERTER_MELODY) {
    fprintf(stderr, "mvae: encode takes melody events; this is a %s model\n",
            converter_names[in.converter]);
    return 2;
  }
  if (argc != in.num_steps) {
    fprintf(stderr, "mvae: encode takes %d melody events (one per step), got %d\n", in.num_steps,
            argc);
    return 2;
  }
  float *x = calloc((size_t)in.num_steps * in.input_depth, sizeof(float));
  float *mu = malloc(sizeof(float) * in.z_size);
  int status = 1;
  if (x && mu) {
    for (int s = 0; s < in.num_steps; s++) {
      long e;
      char what[32];
      snprintf(what, sizeof what, "event %d", s + 1);
      if (!parse_int(argv[s], what, 0, in.input_depth - 1, &e)) {
        status = 2;
        goto done;
      }
      x[(size_t)s * in.input_depth + e] = 1.0f;
    }
    if (mvae_encode(m, x, 1, mu, NULL) != MVAE_OK) {
      fprintf(stderr, "mvae: encode: %s\n", mvae_last_error(m));
      goto done;
    }
    for (int i = 0; i < in.z_size; i++)
      printf("%.9g%c", mu[i], i + 1 == in.z_size ? '\n' : ' ');
    status = 0;
  }
done:
  free(x);
  free(mu);
  return status;
}

static int cmd_testvectors(mvae_model *m, const char *json) {
  tv_case *cases = NULL;
  int n = tv_load(json, &cases);
  mvae_info in;
  mvae_model_info(m, &in);
  if (n <= 0 || in.z_size != TV_Z || in.num_steps != TV_STEPS || in.num_tracks != 1) {
    fprintf(stderr, "mvae: cannot use %s with this model\n", json);
    free(cases);
    return 1;
  }
  float *z = malloc(sizeof(float) * TV_Z * (size_t)n);
  int32_t *tokens = malloc(sizeof(int32_t) * TV_STEPS * (size_t)n);
  int exact = 0, steps_agree = 0, source_agree = 0;
  if (!z || !tokens) {
    fprintf(stderr, "mvae: out of memory\n");
    exact = -1;
  } else {
    for (int i = 0; i < n; i++)
      memcpy(z + (size_t)i * TV_Z, cases[i].mu, sizeof cases[i].mu);
    if (mvae_decode(m, z, n, NULL, tokens) != MVAE_OK) {
      fprintf(stderr, "mvae: decode: %s\n", mvae_last_error(m));
      exact = -1;
    }
  }
  if (exact < 0) {
    free(cases);
    free(z);
    free(tokens);
    return 1;
  }
  for (int i = 0; i < n; i++) {
    int same = 0;
    for (int s = 0; s < TV_STEPS; s++) {
      same += tokens[i * TV_STEPS + s] == cases[i].greedy_events[s];
      source_agree += tokens[i * TV_STEPS + s] == cases[i].source_events[s];
    }
    steps_agree += same;
    exact += same == TV_STEPS;
  }
  printf("%d cases: %d decoded exactly; per-step agreement with greedy_events %.4f%%; with the "
         "source melodies %.4f%%\n",
         n, exact, 100.0 * steps_agree / (n * TV_STEPS), 100.0 * source_agree / (n * TV_STEPS));
  free(cases);
  free(z);
  free(tokens);
  return exact == n ? 0 : 3;
}

/* ---- bench ---------------------------------------------------------------------------------- */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double lstm_step_flops(const mvae_lstm_layer *l, int dense_input) {
  return 2.0 * (dense_input + l->units) * 4.0 * l->units + 10.0 * l->units;
}

/* FLOP the engine performs per decoded sequence (one-hot inputs cost one row, as it computes). */
static double decode_flops(const mvae_model *m) {
  const mvae_info *in = &m->info;
  double flops = 0;
  int segments = in->hierarchical ? in->num_segments : 1;
  int seg_steps = in->num_steps / segments;
  if (in->hierarchical) {
    flops += 2.0 * m->conductor_init.kernel.rows * m->conductor_init.kernel.cols;
    for (int l = 0; l < m->conductor.n_layers; l++)
      flops += segments *
               lstm_step_flops(&m->conductor.layers[l], l ? m->conductor.layers[l].input_size : 0);
  }
  for (int t = 0; t < m->n_tracks; t++) {
    const mvae_core_decoder *d = &m->tracks[t];
    double per_segment = 2.0 * d->init.kernel.rows * d->init.kernel.cols +
                         2.0 * d->cond_size * 4 * d->rnn.layers[0].units;
    double per_step = lstm_step_flops(&d->rnn.layers[0], 0) + 4.0 * d->rnn.layers[0].units +
                      2.0 * d->output.kernel.rows * d->output.kernel.cols;
    for (int l = 1; l < d->rnn.n_layers; l++)
      per_step += lstm_step_flops(&d->rnn.layers[l], d->rnn.layers[l].input_size);
    flops += segments * (per_segment + seg_steps * per_step);
  }
  return flops;
}

static double encode_flops(const mvae_model *m) {
  const mvae_info *in = &m->info;
  double flops = 0;
  for (int level = 0; level < m->encoder_levels; level++) {
    const mvae_bidi_stack *b = &m->encoder[level];
    int steps = level == 0 ? in->num_steps : in->num_segments;
    for (int l = 0; l < b->fw.n_layers; l++) {
      const mvae_lstm_layer *dirs[2] = {&b->fw.layers[l], &b->bw.layers[l]};
      for (int d = 0; d < 2; d++)
        flops += steps * (lstm_step_flops(dirs[d], level == 0 && l == 0 ? 0 : dirs[d]->input_size) +
                          (level == 0 && l == 0 ? 4.0 * dirs[d]->units : 0));
    }
  }
  return flops + 2.0 * m->mu.kernel.rows * m->mu.kernel.cols;
}

typedef struct bench_op {
  const char *name;
  int batch;
  int kind; /* 0 decode, 1 sample, 2 encode */
} bench_op;

static double time_op(mvae_model *m, const bench_op *op, float *z, float *x, int32_t *tokens,
                      float *mu) {
  enum { RUNS = 15 };
  double times[RUNS];
  mvae_rng rng;
  mvae_rng_seed(&rng, 7);
  for (int r = -2; r < RUNS; r++) {
    double t0 = now_ms();
    mvae_status st = op->kind == 0   ? mvae_decode(m, z, op->batch, NULL, tokens)
                     : op->kind == 1 ? mvae_sample(m, op->batch, 0.5f, &rng, NULL, tokens)
                                     : mvae_encode(m, x, op->batch, mu, NULL);
    if (st != MVAE_OK)
      return -1;
    if (r >= 0)
      times[r] = now_ms() - t0;
  }
  for (int i = 1; i < RUNS; i++) /* median by insertion sort */
    for (int j = i; j > 0 && times[j] < times[j - 1]; j--) {
      double t = times[j];
      times[j] = times[j - 1];
      times[j - 1] = t;
    }
  return times[RUNS / 2];
}

static int cmd_bench(int argc, char **argv) {
  static const bench_op ops[] = {{"decode", 1, 0},
                                 {"decode", 16, 0},
                                 {"sample(0.5)", 1, 1},
                                 {"encode", 1, 2},
                                 {"encode", 16, 2}};
  printf("| model | kernels | op | batch | ms (median of 15) | ms per sequence | MFLOP per "
         "sequence | GFLOP/s |\n| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (int f = 0; f < argc; f++) {
    mvae_model *m = load_model(argv[f]);
    if (!m)
      return 1;
    const mvae_info *in = &m->info;
    const char *label = strrchr(argv[f], '/') ? strrchr(argv[f], '/') + 1 : argv[f];
    size_t z_n = 16 * (size_t)in->z_size, x_n = 16 * (size_t)in->num_steps * in->input_depth;
    float *z = malloc(sizeof(float) * z_n), *x = calloc(x_n, sizeof(float));
    float *mu = malloc(sizeof(float) * z_n);
    int32_t *tokens = malloc(sizeof(int32_t) * 16 * in->num_tracks * in->num_steps);
    mvae_rng rng;
    mvae_rng_seed(&rng, 3);
    for (size_t i = 0; i < z_n; i++)
      z[i] = (float)mvae_rng_normal(&rng);
    for (size_t s = 0; s < 16 * (size_t)in->num_steps; s++) /* random one-hot steps */
      x[s * in->input_depth + mvae_rng_u32(&rng) % (uint32_t)in->input_depth] = 1.0f;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
      const bench_op *op = &ops[i];
      if (op->kind == 2 && !in->has_encoder) {
        printf("| %s | %s | %s | %d | n/a (no encoder) | | | |\n", label, m->compute.kernels->name,
               op->name, op->batch);
        continue;
      }
      double ms = time_op(m, op, z, x, tokens, mu);
      double flops = op->kind == 2 ? encode_flops(m) : decode_flops(m);
      printf("| %s | %s | %s | %d | %.3f | %.3f | %.1f | %.2f |\n", label, m->compute.kernels->name,
             op->name, op->batch, ms, ms / op->batch, flops / 1e6, flops * op->batch / (ms * 1e6));
    }
    free(z);
    free(x);
    free(mu);
    free(tokens);
    mvae_model_free(m);
  }
  return 0;
}

/* Whether `cmd` got a usable number of arguments after MODEL; says what is wrong if not. */
static int arguments_ok(const char *cmd, int extra) {
  int ok = !strcmp(cmd, "info")          ? extra == 0
           : !strcmp(cmd, "testvectors") ? extra == 1
           : !strcmp(cmd, "sample")      ? 1 /* options, checked by cmd_sample */
           : !strcmp(cmd, "encode")      ? extra >= 1
                                         : -1;
  if (ok == -1)
    fprintf(stderr, "mvae: unknown command '%s'\n%s", cmd, usage);
  else if (!ok)
    fprintf(stderr, "mvae: wrong number of arguments for '%s'\n%s", cmd, usage);
  return ok == 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fputs(usage, stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "bench"))
    return cmd_bench(argc - 2, argv + 2);
  if (!arguments_ok(cmd, argc - 3))
    return 2;
  mvae_model *m = load_model(argv[2]);
  if (!m)
    return 1;
  int status = 2;
  if (!strcmp(cmd, "info"))
    status = cmd_info(m);
  else if (!strcmp(cmd, "sample"))
    status = cmd_sample(m, argc - 3, argv + 3);
  else if (!strcmp(cmd, "encode"))
    status = cmd_encode(m, argc - 3, argv + 3);
  else
    status = cmd_testvectors(m, argv[3]);
  mvae_model_free(m);
  return status;
}
