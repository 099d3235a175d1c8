/* decoder.c: the flat autoregressive decoder and the hierarchical (conductor) decoder.
 *
 * Flat: the decoder's LSTM starts from tanh(dense(z)) and at each step reads [previous output
 * one-hot, z]. Hierarchical: a conductor LSTM started from z runs once per segment on a zero input;
 * its output e_u starts each track's core decoder for that segment (through the core decoder's own
 * z_to_initial_state) and is its conditioning vector, and a segment's first previous output is the
 * last output of the segment before, as in magenta.js's ConductorDecoder. A conditioned model's
 * step-t controls are the last part of cell 0's input at step t (the conductor reads none), and a
 * NADE output layer (nn/nade.c) or a boolean one (independent labels, magenta.js's BooleanDecoder)
 * chooses a set of labels, fed back as their multi-hot; a GrooVAE output layer (nn/groove.c) makes
 * a step of hits, velocities and offsets, fed back as it is. */
#include "api/errors.h"
#include "kernels/mathfn.h"
#include "nn/arena.h"
#include "nn/control_lstm.h"
#include "nn/forward.h"
#include "nn/groove.h"
#include "nn/layers.h"
#include "nn/nade.h"

#include <string.h>

/* Scratch for one track's core decoder over a batch. */
typedef struct core_state {
  float *c[MVAE_MAX_LAYERS], *h[MVAE_MAX_LAYERS];
  float *gates;      /* [batch][4 * max units] */
  float *cond_gates; /* [batch][4 * units_0]: bias + conditioning * W, fixed for a segment */
  float *logits;     /* [batch][output width]: logits, or a NADE's biases */
  float *nade;       /* NADE scratch (nade.h), one sequence at a time */
  float *init;       /* [batch][2 * state size] */
  int32_t *previous; /* [batch]: previous output class, -1 for none (zeros) */
  float *fed;        /* GrooVAE: [batch][depth], the previous step's output values */
} core_state;

/* Scratch bytes of the c and h states of every layer of `stack`, its gates and its initial-state
 * projection, for `batch` sequences. */
static size_t stack_state_bytes(const mvae_lstm_stack *stack, int batch) {
  size_t n = 0;
  for (int l = 0; l < stack->n_layers; l++)
    n = mvae_size_add_sat(n, 2 * mvae_arena_floats2(batch, stack->layers[l].units));
  n = mvae_size_add_sat(n, mvae_arena_floats2(batch, 4 * (size_t)stack->max_units));
  return mvae_size_add_sat(n, mvae_arena_floats2(batch, 2 * (size_t)stack->state_size));
}

/* The output projection's width, and the NADE's scratch (with nade_log_probs's). */
static int output_width(const mvae_core_decoder *d) {
  return d->output.kernel.cols;
}

static size_t nade_floats(const mvae_core_decoder *d) {
  return d->has_nade ? nade_scratch_floats(&d->nade) + ((size_t)d->nade.dims + 1) * d->nade.hidden
                     : 0;
}

/* The previous outputs a GrooVAE track feeds back (none for the others). */
static size_t fed_floats(const mvae_core_decoder *d) {
  return d->has_groove ? (size_t)d->depth : 0;
}

static size_t core_state_bytes(const mvae_core_decoder *d, int batch) {
  size_t n = stack_state_bytes(&d->rnn, batch);
  n = mvae_size_add_sat(n, mvae_arena_floats2(batch, fed_floats(d)));
  n = mvae_size_add_sat(n, mvae_arena_floats2(batch, 4 * (size_t)d->rnn.layers[0].units));
  n = mvae_size_add_sat(n, mvae_arena_floats2(batch, (size_t)output_width(d)));
  n = mvae_size_add_sat(n, mvae_arena_floats(nade_floats(d)));
  return mvae_size_add_sat(n, mvae_arena_floats(batch)); /* previous, as int32 */
}

static void core_state_take(core_state *s, const mvae_core_decoder *d, int batch, mvae_arena *a) {
  for (int l = 0; l < d->rnn.n_layers; l++) {
    s->c[l] = mvae_arena_take(a, (size_t)batch * d->rnn.layers[l].units);
    s->h[l] = mvae_arena_take(a, (size_t)batch * d->rnn.layers[l].units);
  }
  s->gates = mvae_arena_take(a, (size_t)batch * 4 * d->rnn.max_units);
  s->cond_gates = mvae_arena_take(a, (size_t)batch * 4 * d->rnn.layers[0].units);
  s->logits = mvae_arena_take(a, (size_t)batch * output_width(d));
  s->nade = mvae_arena_take(a, nade_floats(d));
  s->init = mvae_arena_take(a, (size_t)batch * 2 * d->rnn.state_size);
  s->fed = mvae_arena_take(a, (size_t)batch * fed_floats(d));
  s->previous = (int32_t *)(void *)mvae_arena_take(a, (size_t)batch);
  for (int b = 0; b < batch; b++)
    s->previous[b] = -1;
}

static int argmax(const float *x, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (x[i] > x[best])
      best = i;
  return best;
}

/* Draws from softmax(logits / temperature), in double with deterministic exp. */
static int sample_categorical(const float *logits, int n, float temperature, mvae_rng *rng) {
  double top = (double)logits[argmax(logits, n)] / temperature, total = 0.0;
  for (int i = 0; i < n; i++)
    total += mvm_exp((double)logits[i] / temperature - top);
  double u = mvae_rng_uniform(rng) * total, running = 0.0;
  for (int i = 0; i < n; i++) {
    running += mvm_exp((double)logits[i] / temperature - top);
    if (u < running)
      return i;
  }
  return argmax(logits, n); /* only reached through rounding at the very top */
}

typedef struct track_output {
  int track;
  int num_tracks, num_steps, logit_width, logit_offset;
  const mvae_decode_opts *opts;
  const step_controls *controls;
  int nade_sample;
  int32_t *tokens; /* [batch][num_tracks][num_steps] */
  mvae_rng *rows;  /* [batch]: each row's generator, when sampling */
  float *values;   /* GrooVAE: [batch][num_steps][depth] out, or NULL */
} track_output;

/* Adds the previous output's rows of layer 0's kernel to each row's gates: the one-hot's row, a
 * label set's multi-hot label rows in label order, or a GrooVAE step's values times its rows. */
static void add_previous(const mvae_compute *cx, const mvae_core_decoder *d, const core_state *s,
                         float *gates, size_t width, int batch) {
  const mvae_matrix *kernel = &d->rnn.layers[0].kernel;
  const int32_t *previous = s->previous;
  if (d->has_groove) { /* every row is at the same step: all first (zeros) or none */
    if (previous[0] >= 0)
      mat_gemm(cx, kernel, 0, d->depth, s->fed, d->depth, gates, (int)width, batch);
    return;
  }
  for (int b = 0; b < batch; b++) {
    if (previous[b] < 0)
      continue; /* the first step: zeros */
    if (!d->has_nade && !d->has_boolean) {
      mat_axpy_row(cx, kernel, previous[b], 1.0f, gates + b * width);
      continue;
    }
    for (int i = 0; i < d->input_width; i++)
      if (previous[b] >> i & 1)
        mat_axpy_row(cx, kernel, i, 1.0f, gates + b * width);
  }
}

/* A boolean output layer's label set from its logits[labels]: label i is on when logits[i] >= 0
 * (magenta.js: greaterEqual(logits, 0)), or, sampling, when a uniform draw is below
 * sigmoid(logit / temperature) (one draw per label, in label order). log_probs (if not NULL) gets
 * log p of each of the 2^labels sets. */
static int32_t boolean_choose(const float *logits, int labels, float temperature, mvae_rng *rng,
                              float *log_probs) {
  int32_t chosen = 0;
  for (int i = 0; i < labels; i++) {
    int on = rng ? mvae_rng_uniform(rng) < mvm_sigmoid((double)logits[i] / temperature)
                 : logits[i] >= 0.0f;
    chosen |= (int32_t)on << i;
  }
  if (log_probs)
    for (int32_t k = 0; k < (int32_t)1 << labels; k++) {
      double log_p = 0.0;
      for (int i = 0; i < labels; i++) /* log sigmoid(x) = -softplus(-x) */
        log_p -= mvm_softplus(k >> i & 1 ? -(double)logits[i] : (double)logits[i]);
      log_probs[k] = (float)log_p;
    }
  return chosen;
}

/* Chooses row b's token at step t (writing the logits out if asked). */
static int32_t choose_token(const mvae_model *m, const mvae_core_decoder *d, core_state *s, int b,
                            int t, const track_output *out) {
  const mvae_decode_opts *opts = out->opts;
  const float *row = s->logits + (size_t)b * output_width(d);
  float *logits_out =
      opts->logits
          ? opts->logits + ((size_t)b * out->num_steps + t) * out->logit_width + out->logit_offset
          : NULL;
  if (d->has_groove) {
    if (logits_out)
      memcpy(logits_out, row, sizeof(float) * d->depth);
    float *fed = s->fed + (size_t)b * d->depth;
    int32_t hits =
        groove_choose(row, d->depth / 3, opts->temperature, out->rows ? &out->rows[b] : NULL, fed);
    if (out->values)
      memcpy(out->values + ((size_t)b * out->num_steps + t) * d->depth, fed,
             sizeof(float) * d->depth);
    return hits;
  }
  if (d->has_nade) {
    if (logits_out)
      nade_log_probs(&m->compute, &d->nade, row, logits_out, s->nade);
    return nade_choose(&m->compute, &d->nade, row, opts->temperature, out->nade_sample,
                       out->rows ? &out->rows[b] : NULL, s->nade);
  }
  if (d->has_boolean)
    return boolean_choose(row, d->input_width, opts->temperature,
                          opts->temperature > 0.0f ? &out->rows[b] : NULL, logits_out);
  if (logits_out)
    memcpy(logits_out, row, sizeof(float) * d->depth);
  return opts->temperature > 0.0f
             ? sample_categorical(row, d->depth, opts->temperature, &out->rows[b])
             : argmax(row, d->depth);
}

/* Starts a core decoder from the conditioning vectors cond[b] (initial state and the fixed part of
 * layer 0's gates) and runs it for `steps` steps from step t0. */
static void core_decode(const mvae_model *m, const mvae_core_decoder *d, core_state *s,
                        const float *cond, int ldc, int batch, int t0, int steps,
                        const track_output *out) {
  const mvae_compute *cx = &m->compute;
  const mvae_lstm_layer *first = &d->rnn.layers[0];
  int top = d->rnn.n_layers - 1;
  const mvae_decode_opts *opts = out->opts;
  const step_controls *controls = out->controls;

  lstm_initial_state(cx, &d->init, &d->rnn, cond, ldc, batch, s->init, s->c, s->h);
  lstm_gates_from_bias(first, s->cond_gates, batch);
  mat_gemm(cx, &first->kernel, d->input_width, d->cond_size, cond, ldc, s->cond_gates,
           4 * first->units, batch);

  for (int t = t0; t < t0 + steps; t++) {
    size_t width0 = 4 * (size_t)first->units;
    memcpy(s->gates, s->cond_gates, sizeof(float) * batch * width0);
    add_previous(cx, d, s, s->gates, width0, batch);
    if (controls->values) /* step t's controls: the last rows of layer 0's input */
      mat_gemm_sparse(cx, &first->kernel, d->input_width + d->cond_size, d->control_size,
                      controls->values + (size_t)t * d->control_size, (int)controls->seq_stride,
                      s->gates, (int)width0, batch);
    lstm_finish_step(cx, first, s->gates, s->c[0], s->h[0], batch);
    for (int l = 1; l <= top; l++) {
      const mvae_lstm_layer *layer = &d->rnn.layers[l];
      lstm_gates_from_bias(layer, s->gates, batch);
      mat_gemm(cx, &layer->kernel, 0, layer->input_size, s->h[l - 1], layer->input_size, s->gates,
               4 * layer->units, batch);
      lstm_finish_step(cx, layer, s->gates, s->c[l], s->h[l], batch);
    }
    dense_forward(cx, &d->output, s->h[top], d->rnn.layers[top].units, s->logits, output_width(d),
                  batch);

    for (int b = 0; b < batch; b++) {
      int32_t chosen = choose_token(m, d, s, b, t, out);
      size_t token_index = ((size_t)b * out->num_tracks + out->track) * out->num_steps + t;
      out->tokens[token_index] = chosen;
      s->previous[b] = opts->teacher ? opts->teacher[token_index] : chosen;
    }
  }
}

/* One conductor step on its zero input; the output is the top layer's h. */
static void conductor_step(const mvae_model *m, float **c, float **h, float *gates, int batch) {
  const mvae_lstm_stack *st = &m->conductor;
  for (int l = 0; l < st->n_layers; l++) {
    const mvae_lstm_layer *layer = &st->layers[l];
    lstm_gates_from_bias(layer, gates, batch);
    if (l > 0) /* layer 0's input is a single zero: it adds nothing */
      mat_gemm(&m->compute, &layer->kernel, 0, layer->input_size, h[l - 1], layer->input_size,
               gates, 4 * layer->units, batch);
    lstm_finish_step(&m->compute, layer, gates, c[l], h[l], batch);
  }
}

size_t decoder_scratch_bytes(const mvae_model *m, int batch) {
  size_t need = 0;
  for (int t = 0; t < m->n_tracks; t++)
    need = mvae_size_add_sat(need, core_state_bytes(&m->tracks[t], batch));
  if (m->info.hierarchical)
    need = mvae_size_add_sat(need, stack_state_bytes(&m->conductor, batch));
  return mvae_size_add_sat(need, control_lstm_scratch_bytes(m, batch));
}

mvae_status decoder_forward(mvae_model *m, const float *z, int batch, const mvae_decode_opts *opts,
                            const step_controls *controls, int nade_sample, mvae_rng *rows,
                            float *values, int32_t *tokens) {
  const mvae_info *info = &m->info;
  int z_size = info->z_size, num_tracks = m->n_tracks;
  track_output out[MVAE_MAX_TRACKS];
  int logit_width = 0;
  for (int t = 0; t < num_tracks; t++)
    logit_width += info->output_depths[t];
  for (int t = 0, offset = 0; t < num_tracks; t++) {
    out[t] = (track_output){t,        num_tracks,  info->num_steps, logit_width, offset, opts,
                            controls, nade_sample, tokens,          rows,        values};
    offset += info->output_depths[t];
  }

  const mvae_lstm_stack *cs = &m->conductor;
  mvae_arena *arena = &m->scratch;
  if (!mvae_arena_reserve(arena, decoder_scratch_bytes(m, batch)))
    return mvae_fail(m, MVAE_ERR_OUT_OF_MEMORY, "out of memory in the decoder");
  core_state state[MVAE_MAX_TRACKS];
  for (int t = 0; t < num_tracks; t++)
    core_state_take(&state[t], &m->tracks[t], batch, arena);
  /* With control preprocessing the decoders read its outputs in place of the controls. */
  step_controls preprocessed;
  if (m->has_control_lstm && controls->values) {
    preprocessed = control_lstm_forward(m, controls, batch, arena);
    for (int t = 0; t < num_tracks; t++)
      out[t].controls = &preprocessed;
  }

  if (!info->hierarchical) {
    core_decode(m, &m->tracks[0], &state[0], z, z_size, batch, 0, info->num_steps, &out[0]);
  } else {
    float *c[MVAE_MAX_LAYERS], *h[MVAE_MAX_LAYERS];
    for (int l = 0; l < cs->n_layers; l++) {
      c[l] = mvae_arena_take(arena, (size_t)batch * cs->layers[l].units);
      h[l] = mvae_arena_take(arena, (size_t)batch * cs->layers[l].units);
    }
    float *gates = mvae_arena_take(arena, (size_t)batch * 4 * cs->max_units);
    float *init = mvae_arena_take(arena, (size_t)batch * 2 * cs->state_size);
    lstm_initial_state(&m->compute, &m->conductor_init, cs, z, z_size, batch, init, c, h);
    int seg_steps = info->num_steps / info->num_segments;
    int top_units = cs->layers[cs->n_layers - 1].units;
    for (int u = 0; u < info->num_segments; u++) {
      conductor_step(m, c, h, gates, batch);
      /* state[t].previous carries each track's last output into the next segment. */
      for (int t = 0; t < num_tracks; t++)
        core_decode(m, &m->tracks[t], &state[t], h[cs->n_layers - 1], top_units, batch,
                    u * seg_steps, seg_steps, &out[t]);
    }
  }
  return MVAE_OK;
}
