/* model.h: the loaded model, as the forward pass sees it. */
#ifndef MVAE_MODEL_H
#define MVAE_MODEL_H

#include "format/model_file.h"
#include "kernels/activations.h"
#include "kernels/kernels.h"
#include "musicvae.h"
#include "nn/arena.h"

#define MVAE_MAX_LAYERS 8

/* The numeric implementations a model runs on (chosen at build time). */
typedef struct mvae_compute {
  const mvk_impl *kernels;
  const mva_impl *activations;
  int float_int8; /* 1: int8 matrices in float even where integer compute is on (refinement) */
} mvae_compute;

/* A weight matrix [rows][cols] (TF kernel [in][out]), f32 or q8, pointing into the model's memory.
 */
typedef struct mvae_matrix {
  int rows, cols;
  const float *f32;    /* f32 weights, or NULL for q8 */
  const int8_t *q8;    /* q8 values [rows][cols] */
  const float *scales; /* q8 scales [rows][nblk] */
  int block, nblk;
  /* Integer compute (src/nn/int8_compute.c), NULL when off: W[r][c] ~ row_scales[r] *
   * col_scales[c] * pairs[r / 2][c][r % 2], the int8 values stored rows two by two. */
  const int8_t *pairs;
  const float *col_scales; /* [cols] */
  const float *row_scales; /* [rows] */
} mvae_matrix;

typedef struct mvae_dense {
  mvae_matrix kernel;
  const float *bias; /* [kernel.cols] */
} mvae_dense;

/* One TF LSTMBlockCell: kernel rows [input; h], gate columns i, j, f, o. */
typedef struct mvae_lstm_layer {
  mvae_matrix kernel;
  const float *bias; /* [4 * units] */
  int input_size, units;
} mvae_lstm_layer;

typedef struct mvae_lstm_stack {
  int n_layers;
  mvae_lstm_layer layers[MVAE_MAX_LAYERS];
  int state_size; /* sum of units: the c and h halves of an initial-state projection */
  int max_units;  /* the widest layer: what per-layer scratch must hold */
} mvae_lstm_stack;

/* A bidirectional stack: forward and backward LSTMs, layer l > 0 reading [fw; bw] of layer l-1. */
typedef struct mvae_bidi_stack {
  mvae_lstm_stack fw, bw;
  int output_size; /* 2 * top units */
  int max_units;   /* the widest layer of either direction */
} mvae_bidi_stack;

/* A NADE output layer (Magenta's common/nade.py without internal biases): its biases are the
 * output projection's [hidden encoder bias; dims decoder bias]. */
typedef struct mvae_nade {
  mvae_matrix w_enc;   /* [dims][hidden]: row i is added to the hidden pre-activation if label i */
  mvae_matrix w_dec_t; /* [dims][hidden]: label i's logit is its bias + sigmoid(a) . row i */
  int dims, hidden;
} mvae_nade;

/* One track's autoregressive LSTM decoder (the whole flat decoder, or a core decoder). Layer 0
 * reads [previous output (input_width), conditioning (cond_size), controls (control_size)]. */
typedef struct mvae_core_decoder {
  mvae_dense init; /* z_to_initial_state: tanh, split c0, h0, c1, h1, ... */
  mvae_lstm_stack rnn;
  mvae_dense output; /* output_projection: depth logits, or the NADE's hidden + dims biases */
  int depth;         /* output classes (tokens 0..depth-1) */
  int cond_size;     /* conditioning size: z, or the conductor's output */
  int input_width;   /* previous output: its one-hot (depth), or a NADE's or boolean layer's
                        multi-hot (its labels, log2(depth)) */
  int control_size;  /* per-step controls: control_depth, or the control LSTM's output width */
  int has_nade;
  int has_boolean; /* MVAE_OUTPUT_BOOLEAN: input_width labels, one logit each */
  mvae_nade nade;
  int has_groove; /* GrooVAE: depth = 3 x classes, the step's values fed back (nn/groove.h) */
} mvae_core_decoder;

struct mvae_model {
  uint8_t *blob;      /* owned copy of the file */
  float *widened_f16; /* owned f32 copies of f16 tensors */
  mvf_file file;
  mvae_info info;
  char name[64];
  char control_extra[256]; /* controls.extra */
  mvae_compute compute;

  int encoder_levels; /* 0: no encoder; 1: bidirectional; 2: hierarchical */
  mvae_bidi_stack encoder[2];
  mvae_dense mu, sigma;
  int has_mu, has_sigma;

  mvae_dense conductor_init; /* hierarchical only */
  mvae_lstm_stack conductor;
  int n_tracks;
  mvae_core_decoder tracks[MVAE_MAX_TRACKS];
  /* magenta.js's control preprocessing (MVS_CONTROL_LSTM): one bidirectional layer over each
   * decoder's control sequence, whose [fw; bw] outputs the decoders read in place of the controls
   * (nn/control_lstm.c). has_control_lstm 0: the decoders read the controls themselves. */
  int has_control_lstm;
  mvae_bidi_stack control_lstm;

  /* Scratch of the forward passes, allocated once at load for the largest chunk a call runs, then
   * reused by every call: a model handle serves one caller at a time, as musicvae.h says. */
  mvae_arena scratch;
  int encode_chunk; /* sequences the encoder runs together (fits the scratch) */

  char last_error[512];
  /* owned: every matrix's pairs and scales while integer compute is on */
  void *integer_weights;
  int threads;                /* a call's rows split across this many threads (api/threads.c) */
  mvae_arena *worker_scratch; /* owned: [threads - 1], the extra threads' scratch */
};

mvae_status mvae_model_build(mvae_model *model, char *err, size_t err_size);

#endif
