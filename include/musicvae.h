/* musicvae.h: the public C API of the MusicVAE inference engine.
 *
 * One handle per loaded model (mvae_model), created from a memory buffer holding an MVAE model file
 * (docs/model-format.md) and released with mvae_model_free. Every call returns an mvae_status;
 * after a failure, mvae_last_error(model) says what went wrong. There is no global state: two
 * models may be used from two threads at once, but one model only from one thread at a time (a
 * model holds the scratch memory of its forward passes, allocated once at load and reused by every
 * call, so inference calls allocate only small temporaries).
 *
 * Shapes: a batch of B latent vectors is float[B][z_size]; encoder input is float[B][num_steps]
 * [input_depth] (what mvae_notes_to_input produces); decoded tokens are
 * int32[B][num_tracks][num_steps] (class indices: melody 0 = no event, 1 = note off, k >= 2 = pitch
 * min_pitch + k - 2; drums 0..511 = the set of hit classes as bits). */
#ifndef MUSICVAE_H
#define MUSICVAE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mvae_status {
  MVAE_OK = 0,
  MVAE_ERR_INVALID_ARGUMENT = 1, /* a NULL pointer, a size out of range, NaN, ... */
  MVAE_ERR_BAD_MODEL = 2,        /* the model file is malformed or inconsistent */
  MVAE_ERR_UNSUPPORTED = 3,      /* well-formed, but uses a feature this engine lacks */
  MVAE_ERR_NO_ENCODER = 4,       /* encode on a model whose encoder weights are absent */
  MVAE_ERR_OUT_OF_MEMORY = 5,
  MVAE_ERR_BAD_INPUT = 6, /* notes or tokens that cannot be converted (pitch/step out of range) */
  MVAE_ERR_BUFFER_TOO_SMALL = 7
} mvae_status;

/* Limits. Every size a call computes from its arguments (batch x steps x depth, n x z_size, ...)
 * is checked before anything is allocated or written, with overflow-safe arithmetic, so no input
 * can wrap a size around (a real risk on 32-bit WebAssembly); a call over a limit returns
 * MVAE_ERR_INVALID_ARGUMENT with a message and leaves the model as it was. */
#define MVAE_MAX_TRACKS 4    /* decoded tracks of a model */
#define MVAE_MAX_BATCH 4096  /* sequences or latent vectors in one call (batch, n, points) */
#define MVAE_MAX_Z_SIZE 4096 /* latent size, in a model file and in mvae_interpolate* */
#define MVAE_MAX_STEPS 4096  /* num_steps of a model */
#define MVAE_MAX_DEPTH 65536 /* input depth, output depth, units of one layer */
#define MVAE_MAX_INPUT_NOTES 1048576 /* notes passed to mvae_notes_to_input */
#define MVAE_MAX_THREADS 64          /* mvae_model_set_threads */

typedef enum mvae_converter {
  MVAE_CONVERTER_MELODY = 0,
  MVAE_CONVERTER_DRUMS = 1,
  MVAE_CONVERTER_TRIO = 2,
  /* magenta.js's MultitrackConverter (multitrack*, multitrack_chords*): num_segments tracks of
   * num_steps / num_segments performance events each (one token per event, see
   * src/notes/convert_multitrack.h), one core decoder over them all: num_tracks 1. */
  MVAE_CONVERTER_MULTITRACK = 3,
  /* magenta.js's rhythm and shape models (src/notes/convert.h): the encoder reads a feature of the
   * music; the tokens are onsets (bits, a boolean output layer) or directions. */
  MVAE_CONVERTER_MELODY_RHYTHM = 4, /* MelodyRhythmConverter: input [1], one track of 2 (onset) */
  MVAE_CONVERTER_MELODY_SHAPE =
      5, /* MelodyShapeConverter: input [3], one track of 3 (down/same/up) */
  MVAE_CONVERTER_TRIO_RHYTHM = 6, /* TrioRhythmConverter: input [3], three tracks of 2 (onset) */
  /* GrooVAE (magenta.js's GrooveConverter): per step the hits, velocities and offsets of the 9 drum
   * classes; see "GrooVAE" below. */
  MVAE_CONVERTER_GROOVE = 7
} mvae_converter;

typedef struct mvae_model mvae_model;

/* The decoder's output layer (metadata musicvae.output_layer). */
typedef enum mvae_output_layer {
  /* A softmax over output_depths[t] classes; the chosen class is fed back as a one-hot. */
  MVAE_OUTPUT_CATEGORICAL = 0,
  /* A NADE over log2(output_depths[t]) binary labels (Magenta's MultiLabelRnnNadeDecoder, e.g.
   * magenta.js's drums_2bar_nade_9_q2): the token is the set of labels as bits (label i = bit i, as
   * the drum labels), fed back as the multi-hot of those labels. */
  MVAE_OUTPUT_NADE = 1,
  /* log2(output_depths[t]) independent binary labels, one logit each (magenta.js's BooleanDecoder,
   * config useBooleanDecoder: the rhythm models): label i is on when its logit is >= 0 (greedy),
   * or with probability sigmoid(logit / temperature); the token is the set as bits, fed back as its
   * multi-hot, as the NADE's. */
  MVAE_OUTPUT_BOOLEAN = 2,
  /* GrooVAE (Magenta's GrooveLstmDecoder, magenta.js's GrooveDecoder): output_depths[0] = 3 x 9
   * values per step, [hits | velocities | offsets]; hit c is on when sigmoid(logit) > 0.5 (argmax)
   * or > a uniform draw of sigmoid(logit / temperature), velocities are sigmoid, offsets tanh, and
   * that whole vector is fed back. The token is the set of hits as bits (drum class c = bit c). */
  MVAE_OUTPUT_GROOVE = 3
} mvae_output_layer;

/* How a chord-conditioned model encodes a chord symbol (metadata controls.chord_encoding), as
 * magenta.js's chord encoders (music/src/core/chords.ts). */
typedef enum mvae_chord_encoding {
  MVAE_CHORDS_NONE = 0,
  MVAE_CHORDS_PITCH = 1, /* PitchChordEncoder, 37: [no chord, root (12), pitches (12), bass (12)] */
  MVAE_CHORDS_MAJOR_MINOR = 2, /* MajorMinorChordEncoder, 25: one-hot of N.C., 12 major, 12 minor */
  MVAE_CHORDS_TRIAD = 3 /* TriadChordEncoder, 49: one-hot of N.C., 12 each maj, min, aug, dim */
} mvae_chord_encoding;

/* How drum notes become encoder inputs (metadata converter.drum_encoding; drums and trio models),
 * in src/notes/convert_drums.c. */
typedef enum mvae_drum_encoding {
  /* What magenta.js 1.23 feeds its encoder, quirks included:
   *  - roll: TensorBuffer.set(v, step, -1) does not index from the end, it writes flat index
   *    10 * step - 1, i.e. the "no hit" column of the previous row. So the last column of row t is
   * 1 when t < num_steps - 1 and no note (mapped pitch or not) starts at t + 1; it is 0 in the last
   *    row. Class columns: any note of a mapped pitch starting at t.
   *  - one-hot: labels[t] += 2^class, a sum, not an or: two notes of one class at a step carry into
   * the next class bit, a sum >= 512 gives an all-zero row, and an unmapped pitch makes the sum
   * NaN, which the int32 tensor turns into 0 (no hit) for that whole step. A note starting at or
   * past num_steps grows the label array past num_steps (TrioConverter then throws on the concat):
   * an error here.
   *  - every note counts, whatever its is_drum (DrumsConverter and DrumsOneHotConverter do not
   * filter; the trio's drum track is selected by is_drum before conversion). */
  MVAE_DRUMS_MAGENTA_JS = 0,
  /* What the converters intend: a step's hit set is the OR of the classes of the mapped notes
   * starting there, unmapped pitches and notes past the end are ignored, and the roll's last column
   * is 1 exactly when the step has no hit. */
  MVAE_DRUMS_CLEAN = 1
} mvae_drum_encoding;

typedef struct mvae_info {
  int z_size;
  int num_steps;         /* T, total steps of a sequence */
  int num_segments;      /* U conductor steps (1 for a flat decoder) */
  int steps_per_quarter; /* 4 */
  int steps_per_bar;     /* 16 */
  int hierarchical;      /* 1: conductor + core decoder(s) */
  int has_encoder;       /* 0: encode is refused */
  int has_sigma;         /* 1: encode can return sigma */
  int input_depth;       /* width of one encoder input step */
  int num_tracks;        /* 1 (melody, drums, melody rhythm / shape) or 3 (trio, trio rhythm) */
  int output_depths[MVAE_MAX_TRACKS];
  mvae_converter converter;
  int min_pitch, max_pitch; /* melody range of the converter */
  int drums_roll_input;     /* drums: encoder input is the 10-wide roll */
  int quantized;            /* 1 if any kernel is int8 */
  size_t weight_bytes;      /* bytes of weights held in memory */
  const char *name;         /* general.name, "" if absent; owned by the model */
  const char *kernels;      /* SIMD set running the matrix kernels: "avx2", "wasm_simd128", ... */
  const char *activations;  /* SIMD set running the LSTM activations */
  int max_notes;            /* most notes mvae_tokens_to_notes can produce for one sequence */
  mvae_output_layer output_layer; /* of every track */
  int nade_hidden;                /* NADE hidden units (0 for a categorical output) */
  /* Conditioned models (magenta.js's chord-conditioned checkpoints, controls): the width of the
   * per-step control vector every encode and decode needs (mvae_controls), 0 for none. Its first
   * mvae_chord_encoding_depth(chord_encoding) columns are the encoded chord of the step (see
   * mvae_chords_to_controls); any other columns are the caller's (magenta.js's key and
   * extraControls, in that order). */
  int control_depth;
  mvae_chord_encoding chord_encoding;
  int control_key_depth; /* 12 when the controls hold magenta.js's key one-hot (after the chords) */
  const char
      *control_extra; /* magenta.js's extraControls after those, "name:depth,..." ("" none) */
  /* Steps of a decoded NoteSequence (its totalQuantizedSteps): num_steps, except for a multitrack
   * model, whose num_steps are events and whose sequences are total_steps long (magenta.js's
   * totalSteps, also the longest time shift). */
  int total_steps;
  int velocity_bins; /* multitrack: velocity bins of its events (0: none); 0 otherwise */
  /* Drums and trio: the drum input encoding mvae_notes_to_input uses. MVAE_DRUMS_MAGENTA_JS for
   * magenta.js checkpoints (what magenta.js feeds their encoders), MVAE_DRUMS_CLEAN (the default)
   * for models trained here, as Magenta trains. */
  mvae_drum_encoding drum_encoding;
  /* GrooVAE encoder inputs (magenta.js's GrooveConverter args): humanize zeroes the velocities and
   * offsets, tapify puts every note (any pitch) on class 3, the open hi-hat, with velocity 0
   * (magenta.js's TAPIFY_CHANNEL). */
  int groove_humanize;
  int groove_tapify;
} mvae_info;

/* ---- Model ---------------------------------------------------------------------------------- */

/* Loads a model file from a buffer. The buffer is copied; it may be freed after the call. On
 * failure *out is NULL and a message is written to err (if err_size > 0). */
mvae_status mvae_model_load(const void *data, size_t size, mvae_model **out, char *err,
                            size_t err_size);
void mvae_model_free(mvae_model *model);
mvae_status mvae_model_info(const mvae_model *model, mvae_info *info);
/* Kernel sets. A model runs on the widest set this library holds and the CPU runs (natively AVX2,
 * else SSE2, else scalar; "wasm_simd128" in WebAssembly), unless the environment variable
 * MVAE_KERNELS names another one when it loads (an unknown name fails the load with
 * MVAE_ERR_UNSUPPORTED). Every set gives bit-identical results; only the speed differs.
 * mvae_kernel_set_name(i): the i-th set available here, scalar first, NULL past the last. */
const char *mvae_kernel_set_name(int index);
/* Switches a loaded model to the set `name` (NULL or "auto": the default); MVAE_ERR_UNSUPPORTED if
 * this build or CPU has no such set. mvae_info's kernels and activations then name it. */
mvae_status mvae_model_set_kernels(mvae_model *model, const char *name);
/* Integer compute for int8 models: on (1, what a model loads with), every int8 weight matrix is
 * requantized once with one scale per output column (about 1 byte per weight more memory), and the
 * matrix products run as int8 weights x int16 activations (quantized per chunk of 256 inputs at
 * run time) with exact int32 sums: 2-3x faster. Off (0), they run in float on the stored int8
 * values, as before. Bit-identical across scalar, SSE2, AVX2 and WebAssembly either way; a no-op
 * on fp32 models. */
mvae_status mvae_model_set_int8_compute(mvae_model *model, int on);
/* Threads (natively; the WebAssembly build runs one and refuses more with MVAE_ERR_UNSUPPORTED):
 * decode, sample, similar and encode split a call's batch rows across `threads` threads
 * (1..MVAE_MAX_THREADS, default 1), each with scratch of its own reserved here. Every row is
 * computed on its own and samples from its own stream, so the results are bit-identical for any
 * thread count. The model is still used by one caller at a time. */
mvae_status mvae_model_set_threads(mvae_model *model, int threads);
/* The message for the last failed call on this model ("" if none). Owned by the model. */
const char *mvae_last_error(const mvae_model *model);
const char *mvae_status_string(mvae_status status);

/* ---- Random numbers: same seed, same numbers, on every platform -------------------------------
 */

typedef struct mvae_rng {
  uint64_t state;
  uint64_t inc;
} mvae_rng;

void mvae_rng_seed(mvae_rng *rng, uint64_t seed);
uint32_t mvae_rng_u32(mvae_rng *rng);
double mvae_rng_uniform(mvae_rng *rng); /* [0, 1), 53 random bits */
double mvae_rng_normal(mvae_rng *rng);  /* N(0, 1) */

/* Per-row streams. A call that draws randoms for a batch (mvae_decode at a temperature,
 * mvae_sample, mvae_similar, mvae_latent_sample, the grid and interpolation decodes) gives row b
 * its own generator: the caller's rng skipped b rows (rows are 2^32 draws apart in one PCG32
 * sequence). So a row's result depends only on the rng it started from and its row index, never on
 * the other rows or the batch size, and the call then skips the caller's rng by `batch` rows, so
 * that consecutive calls with one rng draw exactly what one batched call would: four decodes of one
 * sequence each equal the rows of one decode of four. A single decode of row k alone: seed, then
 * mvae_rng_skip_rows(rng, k). */
void mvae_rng_skip_rows(mvae_rng *rng, uint32_t rows);

/* ---- Inference ------------------------------------------------------------------------------ */

/* inputs: float[batch][num_steps][input_depth]. mu (and sigma, if not NULL): float[batch][z_size].
 * A conditioned model (mvae_info.control_depth > 0) needs mvae_encode_with. */
mvae_status mvae_encode(mvae_model *model, const float *inputs, int batch, float *mu, float *sigma);

/* Per-step control vectors of a conditioned model, float[n][num_steps][control_depth]. As in
 * magenta.js they are the last columns of each encoder input step and of each decoder input step
 * (after the previous output and z, or the conductor's output). */
typedef struct mvae_controls {
  const float *values;
  int per_item; /* 0: n = 1, one control sequence for the whole batch (magenta.js's controlArgs);
                   1: n = batch, one per sequence */
} mvae_controls;

/* mvae_encode with controls (required iff the model's control_depth > 0; NULL otherwise). */
mvae_status mvae_encode_with(mvae_model *model, const float *inputs, int batch,
                             const mvae_controls *controls, float *mu, float *sigma);

typedef struct mvae_decode_opts {
  float temperature; /* <= 0: argmax (magenta.js without temperature); > 0: sample */
  mvae_rng *rng;     /* required when temperature > 0; row b samples from rng skipped b rows, and
                        rng (if not NULL) is skipped batch rows when the call succeeds */
  const int32_t *teacher; /* optional int32[batch][num_tracks][num_steps]: feed these tokens as the
                             previous outputs (teacher forcing) instead of the chosen ones */
  float *logits;          /* optional out float[batch][num_steps][sum of output_depths]; for a NADE
                             or boolean track the log-probability of each of its tokens (label
                             sets) */
} mvae_decode_opts;

/* What a decode of a conditioned or NADE model takes beyond mvae_decode_opts (mvae_decode_with,
 * mvae_sample_with, mvae_similar_with; NULL = no controls, nade_sample 0). */
typedef struct mvae_decode_extra {
  const mvae_controls *controls; /* required iff mvae_info.control_depth > 0 */
  /* NADE output layer at temperature > 0: 0 = each label is on when its conditional probability is
   * >= 0.5, whatever the temperature (magenta.js's Nade.sample); 1 = each label is drawn from
   * Bernoulli(sigmoid(logit / temperature)) (Magenta's Nade.sample with a temperature). */
  int nade_sample;
  /* GrooVAE (MVAE_OUTPUT_GROOVE): optional out float[batch][num_steps][output_depths[0]], each
   * step's [hits (0 or 1) | velocities | offsets], what mvae_groove_to_notes reads. NULL: not
   * written. Must be NULL for the other output layers. */
  float *values;
} mvae_decode_extra;

/* z: float[batch][z_size]; tokens: int32[batch][num_tracks][num_steps]. opts NULL = argmax. */
mvae_status mvae_decode(mvae_model *model, const float *z, int batch, const mvae_decode_opts *opts,
                        int32_t *tokens);
mvae_status mvae_decode_with(mvae_model *model, const float *z, int batch,
                             const mvae_decode_opts *opts, const mvae_decode_extra *extra,
                             int32_t *tokens);

/* z ~ N(0, I), then decode at `temperature`: row b draws its z and then its samples from its own
 * generator (rng skipped b rows); rng is then skipped n rows. z_out may be NULL. */
mvae_status mvae_sample(mvae_model *model, int n, float temperature, mvae_rng *rng, float *z_out,
                        int32_t *tokens);

/* z' = similarity * z + (1 - similarity) * N(0, I) for n draws around one z, then decode (row b
 * from its own generator, as mvae_sample). */
mvae_status mvae_similar(mvae_model *model, const float *z, int n, float similarity,
                         float temperature, mvae_rng *rng, float *z_out, int32_t *tokens);

/* mvae_sample and mvae_similar with controls / NADE sampling (extra may be NULL). */
mvae_status mvae_sample_with(mvae_model *model, int n, float temperature, mvae_rng *rng,
                             const mvae_decode_extra *extra, float *z_out, int32_t *tokens);
mvae_status mvae_similar_with(mvae_model *model, const float *z, int n, float similarity,
                              float temperature, mvae_rng *rng, const mvae_decode_extra *extra,
                              float *z_out, int32_t *tokens);

/* ---- Latent-space helpers (no model needed) ------------------------------------------------- */

typedef enum mvae_interp { MVAE_INTERP_LINEAR = 0, MVAE_INTERP_SLERP = 1 } mvae_interp;

/* These take no model, so a refused call (MVAE_ERR_INVALID_ARGUMENT: NULL, z_size not in
 * 1..MVAE_MAX_Z_SIZE, more than MVAE_MAX_BATCH points, NaN, unknown method) writes its message to
 * err (if err_size > 0), as mvae_model_load does; "" on success. */

/* n points from a to b inclusive (t = i / (n - 1); n = 1 gives a): out float[n][z_size]. */
mvae_status mvae_latent_interpolate(const float *a, const float *b, int z_size, int n,
                                    mvae_interp method, float *out, char *err, size_t err_size);
/* Bilinear grid over corners[4][z_size] laid out as magenta.js: A top-left, B bottom-left, C
 * top-right, D bottom-right; out float[rows][cols][z_size], row-major. With slerp, rows are
 * interpolated first (A to B and C to D), then each row from left to right. */
mvae_status mvae_latent_grid(const float *corners, int z_size, int cols, int rows,
                             mvae_interp method, float *out, char *err, size_t err_size);

/* The same without the message (kept for existing callers). */
mvae_status mvae_interpolate(const float *a, const float *b, int z_size, int n, mvae_interp method,
                             float *out);
mvae_status mvae_interpolate_grid(const float *corners, int z_size, int cols, int rows,
                                  mvae_interp method, float *out);

/* n latent vectors z ~ N(0, I) (out float[n][z_size]), row b from its own generator: the z that
 * mvae_sample with this rng decodes. rng is then skipped n rows. */
mvae_status mvae_latent_sample(mvae_rng *rng, int z_size, int n, float *out, char *err,
                               size_t err_size);

/* One batched call for what the explorer shows: the latent grid (mvae_latent_grid: cols x rows,
 * row-major) or the n-point interpolation from a to b (mvae_latent_interpolate), decoded as one
 * batch with opts as mvae_decode (cell i is row i). z_out (float[count][z_size]) may be NULL. */
mvae_status mvae_decode_grid(mvae_model *model, const float *corners, int cols, int rows,
                             mvae_interp method, const mvae_decode_opts *opts, float *z_out,
                             int32_t *tokens);
mvae_status mvae_decode_interpolation(mvae_model *model, const float *a, const float *b, int n,
                                      mvae_interp method, const mvae_decode_opts *opts,
                                      float *z_out, int32_t *tokens);

/* ---- Note sequences ------------------------------------------------------------------------- */

typedef struct mvae_note {
  int32_t pitch;      /* MIDI 0..127 */
  int32_t velocity;   /* 0..127 */
  int32_t start_step; /* quantized, >= 0 */
  int32_t end_step;   /* quantized, > start_step */
  int32_t program;    /* 0..127 */
  int32_t is_drum;    /* 0 or 1 */
  int32_t instrument; /* >= 0 */
} mvae_note;

/* Converts one note sequence (already quantized at steps_per_quarter) to the encoder input
 * float[num_steps][input_depth] of this model, as magenta.js's data converter does. At most
 * MVAE_MAX_INPUT_NOTES notes. */
mvae_status mvae_notes_to_input(mvae_model *model, const mvae_note *notes, int n_notes,
                                float *input);
/* What mvae_notes_to_input_timed knows of a sequence beyond its notes (only the multitrack
 * converter reads it; the others convert as mvae_notes_to_input). */
typedef struct mvae_sequence_timing {
  /* Optional [n_notes]: each note's startTime in seconds, NaN where a note has none; NULL: no note
   * has one. magenta.js orders a track's notes by startTime, then pitch (by pitch alone when the
   * start times are absent), and that order decides the order of events at one step. */
  const double *start_times;
  /* The sequence's totalQuantizedSteps, or -1 if it has none: magenta.js cuts every track to it
   * before cutting (or padding) it to the model's total_steps. */
  int total_quantized_steps;
  /* Optional [n_notes]: 1 where a note has no velocity field (its velocity is then read as 0).
   * magenta.js's velocity bin of such a note is NaN, written as token 0 before its note-on. */
  const unsigned char *no_velocity;
} mvae_sequence_timing;

/* mvae_notes_to_input with the sequence's timing (NULL: as mvae_notes_to_input, which is this call
 * with no start times and no totalQuantizedSteps). */
mvae_status mvae_notes_to_input_timed(mvae_model *model, const mvae_note *notes, int n_notes,
                                      const mvae_sequence_timing *timing, float *input);
/* Converts one decoded sequence int32[num_tracks][num_steps] to notes. Writes at most max_notes and
 * stores the number needed in *n_notes; MVAE_ERR_BUFFER_TOO_SMALL if it did not fit. */
mvae_status mvae_tokens_to_notes(mvae_model *model, const int32_t *tokens, mvae_note *notes,
                                 int max_notes, int *n_notes);

/* ---- GrooVAE (magenta.js's GrooveConverter) --------------------------------------------------
 * A GrooVAE model (converter MVAE_CONVERTER_GROOVE) reads and writes expressive drums: per step and
 * drum class (magenta.js's 9-class map, as the drum models) a hit, its velocity and its offset from
 * the step, in steps. mvae_notes_to_input also works on one (offsets 0, as magenta.js gives notes
 * without startTime) and mvae_tokens_to_notes turns its tokens (hit sets) into plain drum notes. */

typedef struct mvae_groove_note {
  int32_t pitch;     /* MIDI 0..127; unmapped pitches are ignored (unless the model tapifies) */
  int32_t velocity;  /* 0..127 */
  int32_t step;      /* quantized start step, 0..num_steps-1 */
  double start_time; /* start in seconds; NaN when the note has none (its offset is then 0) */
} mvae_groove_note;

/* notes -> the encoder input float[num_steps][3 x 9], as GrooveConverter.toTensor: of the notes of
 * one class at one step the loudest (the first of equals) counts; velocity / 127; offset 2 x (step
 * time - start_time) / step length, at qpm (the sequence's first tempo, 120 if none) and the
 * model's steps_per_quarter; with groove_humanize velocities and offsets 0, with groove_tapify
 * every note (any pitch) on class 3 with velocity 0. A counted note at or past num_steps is
 * refused, as magenta.js refuses it (MVAE_ERR_BAD_INPUT). At most MVAE_MAX_INPUT_NOTES notes. */
mvae_status mvae_groove_to_input(mvae_model *model, const mvae_groove_note *notes, int n_notes,
                                 double qpm, float *input);

typedef struct mvae_groove_hit {
  int32_t pitch;    /* the class's first pitch (mvae_drum_class_pitch) */
  int32_t velocity; /* round(velocity x 127), clipped to 0..127 */
  int32_t step;
  double position; /* start in steps: step - clip(offset / 2, -0.5, 0.5); it lasts one step */
} mvae_groove_hit;

/* One decoded sequence (values float[num_steps][3 x 9], as mvae_decode_extra.values) -> its hits,
 * as GrooveConverter.toNoteSequence: step by step, class by class, a hit where the hit value is
 * > 0.5. Writes at most max_hits, stores the number needed in *n_hits (at most mvae_info.max_notes)
 * and returns MVAE_ERR_BUFFER_TOO_SMALL if they did not fit; non-finite values are refused. */
mvae_status mvae_groove_to_notes(mvae_model *model, const float *values, mvae_groove_hit *hits,
                                 int max_hits, int *n_hits);

/* ---- Chords (magenta.js's chord symbols and chord encoders) ----------------------------------
 * A chord symbol is read as magenta.js 1.23 reads it (ChordSymbols, through tonal 2.2's
 * Chord.tokenize and chord dictionary): "N.C." is no chord; otherwise a root letter (A-G, either
 * case), accidentals (#..., b... or x... = ##), an optional octave number (ignored; but "C5" is
 * C major in octave 5, while 6, 64, 7, 9, 11 and 13 are chord types: "C7" is dominant), optional
 * spaces, then a chord type of tonal's dictionary, exactly as spelt there ("", "M", "maj7", "m7",
 * "m7b5", "dim", "o7", "+", "aug", "sus4", "7#9", ...; 223 names). Slash chords ("C/E") and
 * unknown types are refused (MVAE_ERR_BAD_INPUT), as magenta.js throws for them. */

typedef enum mvae_chord_quality {
  MVAE_CHORD_MAJOR = 0,
  MVAE_CHORD_MINOR = 1,
  MVAE_CHORD_AUGMENTED = 2,
  MVAE_CHORD_DIMINISHED = 3,
  MVAE_CHORD_OTHER = 4
} mvae_chord_quality;

typedef struct mvae_chord {
  int no_chord;               /* 1 for "N.C." (the other fields are then 0) */
  int root;                   /* pitch class 0 (C) .. 11 (B) */
  int pitches;                /* 12-bit mask of the chord's pitch classes, bit p = pitch class p */
  mvae_chord_quality quality; /* the one triad its intervals contain, as magenta.js decides it */
} mvae_chord;

/* These take no model: a refused symbol writes its message to err (if err_size > 0). */
mvae_status mvae_chord_parse(const char *symbol, mvae_chord *chord, char *err, size_t err_size);
/* 37, 25 or 49; 0 for MVAE_CHORDS_NONE or an unknown value. */
int mvae_chord_encoding_depth(mvae_chord_encoding encoding);
/* One chord -> out[depth], as the encoder's encode(chord). The major/minor encoder refuses chords
 * that are neither, the triad encoder those that are no standard triad (MVAE_ERR_BAD_INPUT). */
mvae_status mvae_chord_encode(mvae_chord_encoding encoding, const char *symbol, float *out,
                              char *err, size_t err_size);
/* Which chord of a progression of n_chords over num_steps steps step s plays, as magenta.js's
 * ChordEncoder.encodeProgression spreads them: floor(s * n_chords / num_steps); -1 when an argument
 * is out of range (n_chords or num_steps < 1, s outside 0..num_steps - 1). */
int mvae_chord_of_step(int step, int n_chords, int num_steps);
/* A progression spread over num_steps steps (mvae_chord_of_step); row s is
 * out[s * row_stride .. + depth). n_chords >= 1. */
mvae_status mvae_chord_progression_encode(mvae_chord_encoding encoding, const char *const *chords,
                                          int n_chords, int num_steps, float *out, int row_stride,
                                          char *err, size_t err_size);
/* A chord-conditioned model's controls for a progression (magenta.js's
 * controlArgs.chordProgression): controls float[num_steps][control_depth], the chord columns
 * written and any other columns set to 0 (for the caller to fill). */
mvae_status mvae_chords_to_controls(mvae_model *model, const char *const *chords, int n_chords,
                                    float *controls);

/* ---- Chord inference (accompaniment notes -> chords; src/notes/chord_infer.c) ----------------
 * The chord of each span of span_steps steps (the last span may be shorter), as this project
 * labels accompaniment (POP909's PIANO and BRIDGE tracks) for training chord-conditioned models:
 * each sounding note adds the steps it sounds inside the span to its pitch class (a duration-
 * weighted pitch-class histogram; drum notes ignored, notes clipped to 0..num_steps); the chord is
 * the major or minor triad whose three pitch classes hold the most weight, ties going to the one
 * whose root holds more weight, then to major, then to the lower root (C = 0); a span where nothing
 * sounds is "N.C.". chords[ceil(num_steps / span_steps)] gets no_chord, root, pitches and quality
 * (MVAE_CHORD_MAJOR or MVAE_CHORD_MINOR) as mvae_chord_parse gives them for the chord's symbol. */
mvae_status mvae_chords_infer(const mvae_note *notes, int n_notes, int num_steps, int span_steps,
                              mvae_chord *chords, char *err, size_t err_size);
/* A major or minor triad's (or no chord's) symbol as mvae_chord_parse reads it back: "C", "C#m",
 * "N.C." (sharps for the black keys). At least 5 bytes; MVAE_ERR_INVALID_ARGUMENT for any other
 * quality or too small a buffer. */
mvae_status mvae_chord_symbol(const mvae_chord *chord, char *out, size_t out_size);
/* How long a span of inferred chords is, for a model with steps_per_bar steps a bar: half a bar
 * (steps_per_bar / 2, at least 1), the span this project's chord-conditioned models are trained
 * on (training/chords.py) and the page infers a dropped file's chords over; 0 if steps_per_bar
 * < 1. */
int mvae_chord_span_steps(int steps_per_bar);

/* ---- Refinement: gradient steps on z through the frozen decoder ------------------------------
 * The amortized encoder's mu can miss melodies unlike its training data; a few Adam steps on z
 * that lower the decoder's teacher-forced loss of the sequence itself reconstruct it much better.
 * Flat and hierarchical decoders, one track or several (trio). Deterministic: the same inputs and
 * options give the same z on every platform (a time budget only decides how many steps are taken).
 */

#define MVAE_REFINE_MAX_STEPS 100000
/* The defaults, chosen on mel_2bar_small (tools/refine_eval.py): on melodies from a corpus no part
 * of it trained on (Freedoom's melody and bass lines), 30 steps reconstruct 99% greedily, from mu's
 * 72.5%; the prior term keeps |z| between mu's and a typical N(0, I) draw's (without it, lr 0.2
 * roughly triples |z|^2). The optimizer is Adam (beta1 0.8, beta2 0.999). */
#define MVAE_REFINE_DEFAULT_STEPS 30
#define MVAE_REFINE_DEFAULT_LEARNING_RATE 0.2f
#define MVAE_REFINE_DEFAULT_PRIOR_WEIGHT 0.01f

typedef struct mvae_refine_opts {
  /* Adam steps, 0..MVAE_REFINE_MAX_STEPS (0: return the starting z). */
  int steps;
  /* Adam's step size, > 0. */
  float learning_rate;
  /* > 0: take no further step once this much wall-clock time has passed since the call began (each
   * result is still a deterministic function of the steps taken, see steps_done); 0: no limit. */
  float time_budget_ms;
  /* >= 0: adds prior_weight * |z|^2 / 2 (the N(0, I) prior's negative log-density, up to a
   * constant) to each sequence's loss; 0: none. */
  float prior_weight;
  /* Optional float[batch][z_size]: start here instead of at mu (required without an encoder). */
  const float *z_init;
  /* Optional int32[batch][num_tracks][num_steps]: the tokens to reconstruct. NULL: the inputs' own,
   * and each input step must then be the tracks' one-hot rows side by side. */
  const int32_t *targets;
  float *loss;       /* optional out float[batch]: the returned z's teacher-forced loss */
  float *loss_start; /* optional out float[batch]: the starting z's loss */
  int *steps_done;   /* optional out: Adam steps taken (< steps if the time budget ran out) */
} mvae_refine_opts;

/* Fills opts with the defaults above, no time budget and no optional pointers. */
void mvae_refine_opts_init(mvae_refine_opts *opts);

/* Teacher-forced loss of `targets` (int32[batch][num_tracks][num_steps]) under the decoder at z:
 * loss[b] = -sum over tracks and steps t of log p(targets[b][t] | z[b], targets[b][< t]) in nats
 * (the decoder fed the targets, as mvae_decode with opts->teacher), and if grad is not NULL,
 * grad[b] = d loss[b] / d z[b] (float[batch][z_size]). */
mvae_status mvae_decoder_loss(mvae_model *model, const float *z, const int32_t *targets, int batch,
                              float *loss, float *grad);

/* Encodes inputs (float[batch][num_steps][input_depth], as mvae_encode; may be NULL when
 * opts->z_init and opts->targets are both given) to mu, then takes opts->steps Adam steps on each
 * z against its sequence's teacher-forced loss plus the prior term, and writes to z_out
 * (float[batch][z_size]) the z with the lowest such objective seen, the start included (so never
 * worse than mu by that measure). opts NULL: the defaults (mvae_refine_opts_init). */
mvae_status mvae_encode_refined(mvae_model *model, const float *inputs, int batch,
                                const mvae_refine_opts *opts, float *z_out);

/* ---- Melody attributes (the paper's attribute vectors) --------------------------------------
 * Four numbers of a melody's notes (drum notes and notes starting at or after num_steps are left
 * out), measured at 4 steps per quarter: density, note onsets per bar of 16 steps; pitch, their
 * mean MIDI pitch; range, highest minus lowest pitch; syncopation, the fraction of onsets off the
 * quarter-note beat. A melody without notes has density 0 and NaN for the
 * others. The attribute vectors (mean z of training windows high minus low in one attribute) are
 * computed from these (training/attribute_vectors.py). */

typedef enum mvae_attribute {
  MVAE_ATTR_DENSITY = 0,
  MVAE_ATTR_PITCH = 1,
  MVAE_ATTR_RANGE = 2,
  MVAE_ATTR_SYNCOPATION = 3,
  MVAE_ATTR_COUNT = 4
} mvae_attribute;
#define MVAE_ATTR_STEPS_PER_BAR 16

/* "density", "pitch", "range", "syncopation"; "" outside 0..MVAE_ATTR_COUNT - 1. */
const char *mvae_attribute_name(int attribute);
/* notes[n_notes] -> out[MVAE_ATTR_COUNT]; a refusal's message goes to err (if err_size > 0). */
mvae_status mvae_note_attributes(const mvae_note *notes, int n_notes, int num_steps, float *out,
                                 char *err, size_t err_size);

/* ---- MidiMe: a small VAE over a model's latent space (magenta.js's MidiMe) --------------------
 * Trained on the latent vectors of a few of the user's sequences, it learns where "their" music
 * lies in the model's z space; sampling it and decoding through the main model gives more like
 * it. The network is magenta.js's: an encoder of dense ReLU layers, then two dense layers for mu
 * and sigma (softplus), z = mu + sigma * eps, a decoder of dense ReLU layers and a linear output of
 * input_size; the loss is mean over the batch of sum((y - x)^2) / 2 plus beta times the KL
 * divergence to N(0, I), -mean(sum(1 + log sigma^2 - mu^2 - sigma^2)) / 2; one Adam step (beta1
 * 0.9, beta2 0.999, epsilon 1e-7, tfjs's update in float) per call of mvae_midime_train_step. Its
 * own handle (no model needed), bit-identical on every platform and kernel set. A refused call
 * returns MVAE_ERR_INVALID_ARGUMENT and leaves the handle as it was; mvae_midime_last_error says
 * why. */

#define MVAE_MIDIME_MAX_LAYERS 8         /* hidden layers of its encoder, and of its decoder */
#define MVAE_MIDIME_MAX_PARAMS 67108864u /* weights and biases in all (4 bytes each, x4 held) */

typedef struct mvae_midime mvae_midime;

typedef struct mvae_midime_config {
  int input_size;  /* the main model's z_size, 1..MVAE_MAX_Z_SIZE */
  int latent_size; /* MidiMe's own z, 1..MVAE_MAX_Z_SIZE */
  int n_encoder_layers, encoder_layers[MVAE_MIDIME_MAX_LAYERS]; /* units, 1..MVAE_MAX_DEPTH */
  int n_decoder_layers, decoder_layers[MVAE_MIDIME_MAX_LAYERS];
  float beta;          /* weight of the KL term, >= 0 */
  float learning_rate; /* Adam's, > 0 */
} mvae_midime_config;

/* magenta.js's defaults: input 256, latent 4, encoder [1024, 256, 64], decoder [64, 256, 1024],
 * beta 1, learning rate 0.001. */
void mvae_midime_config_init(mvae_midime_config *config);
/* A new network with Glorot-uniform weights drawn from rng (tfjs's default initializer) and zero
 * biases. On failure *out is NULL and the message goes to err (if err_size > 0). */
mvae_status mvae_midime_create(const mvae_midime_config *config, mvae_rng *rng, mvae_midime **out,
                               char *err, size_t err_size);
void mvae_midime_free(mvae_midime *midime);
const char *mvae_midime_last_error(const mvae_midime *midime);
/* The number of parameters, and all of them as one float array in this order, each layer's kernel
 * [in][out] then bias [out]: the encoder's hidden layers, mu, sigma, the decoder's hidden layers,
 * the output layer (the order magenta.js creates its layers in). set_params also restarts Adam. */
size_t mvae_midime_param_count(const mvae_midime *midime);
mvae_status mvae_midime_get_params(const mvae_midime *midime, float *params, size_t count);
mvae_status mvae_midime_set_params(mvae_midime *midime, const float *params, size_t count);
/* One Adam step on the whole batch x (float[batch][input_size]). eps (float[batch][latent_size])
 * is the reparameterisation noise; NULL draws it from rng (row b from its own stream, then rng is
 * skipped batch rows). losses (may be NULL) receives total, reconstruction and KL at the weights
 * before the step, as magenta.js's train callback reports them. */
mvae_status mvae_midime_train_step(mvae_midime *midime, const float *x, int batch, const float *eps,
                                   mvae_rng *rng, float losses[3]);
/* x float[batch][input_size] -> mu and sigma (float[batch][latent_size], either may be NULL) and,
 * if z is not NULL, z = mu + sigma * eps drawn from rng (per row, as above). */
mvae_status mvae_midime_encode(mvae_midime *midime, const float *x, int batch, mvae_rng *rng,
                               float *z, float *mu, float *sigma);
/* z float[batch][latent_size] -> out float[batch][input_size], a latent of the main model. */
mvae_status mvae_midime_decode(mvae_midime *midime, const float *z, int batch, float *out);
/* n draws z ~ N(0, I) (row b from its own stream), decoded: out float[n][input_size]. */
mvae_status mvae_midime_sample(mvae_midime *midime, int n, mvae_rng *rng, float *out);

#ifdef __cplusplus
}
#endif

#endif /* MUSICVAE_H */
