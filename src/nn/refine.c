/* refine.c: teacher-forced loss of the decoder and its gradient with respect to z.
 *
 * Forward (as decoder.c, teacher forced, bit for bit). A core decoder starts from
 * tanh(cond W_init + b) split c0, h0, c1, h1, ...; layer 0's gates at step t are
 * b0 + cond W_cond + onehot(previous target) W_prev + h0[t-1] W_h; layer l > 0 reads h[l-1][t];
 * logits = h_top W_out + b_out. Flat decoders: one core, cond = z. Hierarchical decoders: a
 * conductor LSTM started from z runs one step per segment on a zero input, and its output e_u is
 * the cond of every track's core for segment u, whose first input is that track's last target of
 * the segment before. Because the inputs are known, every segment of every sequence decodes as one
 * batch, and the layers run one after the other over all steps, so the input-to-gate products of
 * upper layers, the output projection and their transposes in the backward pass are single large
 * products; only the recurrent products go step by step.
 *
 * Backward, per LSTM step (TF LSTMBlockCell, forget bias 1): with i, j, f, o the activated gates,
 * c' = c f + i j, h = tanh(c') o:
 *   dc' += dh o (1 - tanh(c')^2);  d(pre o) = dh tanh(c') o (1 - o);
 *   d(pre i) = dc' j i (1 - i);  d(pre j) = dc' i (1 - j^2);  d(pre f) = dc' c f (1 - f);
 *   dc = dc' f;  dh[t-1] += dgates W_h^T;  d input = dgates W_x^T.
 * cond enters layer 0 at every step through the same rows W_cond, so its share of d cond is
 * (sum over t of layer 0's gate gradients) W_cond^T: one product, not one per step. */
#include "nn/refine.h"

#include "kernels/mathfn.h"
#include "nn/layers.h"

#include <stdlib.h>
#include <string.h>

/* Scratch of one refinement call stays below this (the chunk of sequences shrinks to fit). */
#define REFINE_SCRATCH_FLOATS ((size_t)16 << 20)

typedef struct refine_layer {
  float *acts;    /* [T][B][4H]: raw gates, then activated gates, then gate gradients */
  float *c, *h;   /* [T + 1][B][H]: index 0 the initial state, t + 1 after step t */
  float *tanh_c;  /* [T][B][H] */
  mvae_matrix wh; /* W_h^T [4H][H] */
  mvae_matrix wx; /* W_x^T [4H][inputs]; layer 0: the conditioning rows, or none (conductor) */
} refine_layer;

/* One LSTM stack over `steps` steps of up to `rows` sequences. */
typedef struct refine_stack {
  const mvae_lstm_stack *rnn;
  int steps, max_units;
  refine_layer layers[MVAE_MAX_LAYERS];
  mvae_matrix init_t; /* W_init^T [2 S][cond] */
  float *init;        /* [rows][2 S]: tanh'd initial states, then the pre-tanh gradients */
  float *dh_in;       /* [T][rows][max H]: gradient arriving at a layer's h from above */
  float *dh, *dc;     /* [rows][max H]: the recurrent gradients */
} refine_stack;

/* One track's core decoder over rows = sequences x segments. */
typedef struct refine_core {
  const mvae_core_decoder *d;
  refine_stack st;
  mvae_matrix out_t; /* W_out^T [depth][H top] */
  float *cond_gates; /* [rows][4 H0]: b0 + cond W_cond */
  float *logits;     /* [S][rows][depth]: logits, then their gradients */
  float *gate_sum;   /* [rows][4 H0]: layer 0's gate gradients summed over steps */
  float *d_cond;     /* [rows][cond]: d loss / d cond */
  int32_t *targets;  /* [rows][S]: this track's targets, row by row */
  int32_t *first;    /* [rows]: the previous token at a row's first step, -1: none */
} refine_core;

struct mvae_refiner {
  mvae_model *m;
  int max_batch, hierarchical, n_tracks, segments, seg_steps, z_size;
  refine_core cores[MVAE_MAX_TRACKS];
  refine_stack conductor; /* hierarchical only */
  float *emb;             /* [max_batch * segments][cond]: conductor outputs, row (b, u) */
  float *weights;         /* the transposed copies, one allocation */
  float *scratch;         /* everything else, one allocation */
  double *exps;           /* [max depth] */
  double *totals;         /* [max_batch] */
};

int refiner_supports(const mvae_model *m, const char **why) {
  if (m->info.output_layer != MVAE_OUTPUT_CATEGORICAL) {
    *why = "refinement supports only a categorical output layer (not a NADE, boolean or GrooVAE "
           "one)";
    return 0;
  }
  if (m->info.control_depth > 0) {
    *why = "refinement does not support conditioned models (controls)";
    return 0;
  }
  if (!m->info.hierarchical && m->n_tracks != 1) {
    *why = "refinement supports flat decoders of one track";
    return 0;
  }
  return 1;
}

/* Carves arrays out of one allocation; with base NULL it only counts. */
typedef struct bump {
  float *base;
  size_t used;
} bump;

static float *bump_take(bump *b, size_t n) {
  float *p = b->base ? b->base + b->used : NULL;
  b->used += (n + 15) / 16 * 16; /* 64-byte steps */
  return p;
}

/* out[c][r] = W[row0 + r][c] for r < nrows, as fp32 (int8 weights dequantized), and the matrix
 * {cols rows, nrows columns} pointing at it. Counting pass (w->base NULL): nothing written. */
static mvae_matrix transpose_rows(const mvae_matrix *w, int row0, int nrows, bump *out_bump) {
  float *out = bump_take(out_bump, (size_t)nrows * w->cols);
  enum { TILE = 16 }; /* 16 source rows at a time: contiguous reads, 64-byte runs of writes */
  for (int r0 = 0; out && r0 < nrows; r0 += TILE) {
    int r1 = r0 + TILE < nrows ? r0 + TILE : nrows;
    for (int c = 0; c < w->cols; c++)
      for (int r = r0; r < r1; r++) {
        size_t row = (size_t)(row0 + r);
        out[(size_t)c * nrows + r] =
            w->f32 ? w->f32[row * w->cols + c]
                   : w->scales[row * w->nblk + c / w->block] * (float)w->q8[row * w->cols + c];
      }
  }
  return (mvae_matrix){w->cols, nrows, out, NULL, NULL, 0, 0, NULL, NULL, NULL};
}

/* Layer 0's input rows [x0_row, x0_row + x0_rows) get a transposed copy (none if x0_rows is 0). */
static void stack_layout(refine_stack *st, const mvae_lstm_stack *rnn, const mvae_dense *init,
                         int x0_row, int x0_rows, size_t rows, int steps, bump *w, bump *s) {
  st->rnn = rnn;
  st->steps = steps;
  st->max_units = rnn->max_units;
  size_t T = (size_t)steps;
  for (int l = 0; l < rnn->n_layers; l++) {
    const mvae_lstm_layer *layer = &rnn->layers[l];
    refine_layer *rl = &st->layers[l];
    size_t H = (size_t)layer->units;
    rl->wx = transpose_rows(&layer->kernel, l ? 0 : x0_row, l ? layer->input_size : x0_rows, w);
    rl->wh = transpose_rows(&layer->kernel, layer->input_size, (int)H, w);
    rl->acts = bump_take(s, T * rows * 4 * H);
    rl->c = bump_take(s, (T + 1) * rows * H);
    rl->h = bump_take(s, (T + 1) * rows * H);
    rl->tanh_c = bump_take(s, T * rows * H);
  }
  st->init_t = transpose_rows(&init->kernel, 0, init->kernel.rows, w);
  st->init = bump_take(s, rows * 2 * (size_t)rnn->state_size);
  st->dh_in = bump_take(s, T * rows * (size_t)st->max_units);
  st->dh = bump_take(s, rows * (size_t)st->max_units);
  st->dc = bump_take(s, rows * (size_t)st->max_units);
}

static void refiner_layout(mvae_refiner *r, bump *w, bump *s) {
  const mvae_model *m = r->m;
  size_t B = (size_t)r->max_batch, rows = B * (size_t)r->segments;
  if (r->hierarchical) {
    stack_layout(&r->conductor, &m->conductor, &m->conductor_init, 0, 0, B, r->segments, w, s);
    r->emb = bump_take(s, rows * (size_t)m->tracks[0].cond_size);
  }
  for (int k = 0; k < r->n_tracks; k++) {
    refine_core *core = &r->cores[k];
    const mvae_core_decoder *d = &m->tracks[k];
    size_t gates0 = 4 * (size_t)d->rnn.layers[0].units;
    core->d = d;
    stack_layout(&core->st, &d->rnn, &d->init, d->depth, d->cond_size, rows, r->seg_steps, w, s);
    core->out_t = transpose_rows(&d->output.kernel, 0, d->output.kernel.rows, w);
    core->cond_gates = bump_take(s, rows * gates0);
    core->gate_sum = bump_take(s, rows * gates0);
    core->logits = bump_take(s, (size_t)r->seg_steps * rows * (size_t)d->depth);
    core->d_cond = bump_take(s, rows * (size_t)d->cond_size);
    core->targets = (int32_t *)(void *)bump_take(s, rows * (size_t)r->seg_steps);
    core->first = (int32_t *)(void *)bump_take(s, rows);
  }
}

mvae_refiner *refiner_create(mvae_model *m, int max_batch) {
  mvae_refiner *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->m = m;
  r->hierarchical = m->info.hierarchical;
  r->n_tracks = m->n_tracks;
  r->segments = r->hierarchical ? m->info.num_segments : 1;
  r->seg_steps = m->info.num_steps / r->segments;
  r->z_size = m->info.z_size;
  /* Count one sequence's scratch, then fit the chunk into the scratch budget. */
  r->max_batch = 1;
  bump w = {NULL, 0}, s = {NULL, 0};
  refiner_layout(r, &w, &s);
  size_t per_sequence = s.used;
  if ((size_t)max_batch * per_sequence > REFINE_SCRATCH_FLOATS)
    max_batch = (int)(REFINE_SCRATCH_FLOATS / per_sequence);
  r->max_batch = max_batch < 1 ? 1 : max_batch;
  s.used = 0;
  w.used = 0;
  refiner_layout(r, &w, &s);
  int max_depth = 1;
  for (int k = 0; k < r->n_tracks; k++)
    if (m->tracks[k].depth > max_depth)
      max_depth = m->tracks[k].depth;
  r->weights = malloc(sizeof(float) * w.used);
  r->scratch = malloc(sizeof(float) * s.used);
  r->exps = malloc(sizeof(double) * (size_t)max_depth);
  r->totals = malloc(sizeof(double) * (size_t)r->max_batch);
  if (!r->weights || !r->scratch || !r->exps || !r->totals) {
    refiner_free(r);
    return NULL;
  }
  w = (bump){r->weights, 0};
  s = (bump){r->scratch, 0};
  refiner_layout(r, &w, &s);
  return r;
}

void refiner_free(mvae_refiner *r) {
  if (!r)
    return;
  free(r->weights);
  free(r->scratch);
  free(r->exps);
  free(r->totals);
  free(r);
}

/* TF's LSTMBlockCell update on gates[B][4H] (bias and products already in): c and h through the
 * model's own cell (so they are the decoder's bits), and for the backward pass tanh(c) and the
 * activated gates, in place. sigmoid(x) = (1 + tanh(x / 2)) / 2 lets one vectorised tanh pass do
 * all four gates; these values feed only the gradient, where its rounding (~1e-7) is harmless. */
static void cell_forward(const mvae_compute *cx, float *gates, const float *c_prev, float *c,
                         float *h, float *tanh_c, int batch, int units) {
  size_t n = (size_t)batch * units;
  memcpy(c, c_prev, sizeof(float) * n);
  for (int b = 0; b < batch; b++)
    cx->activations->lstm_cell(c + (size_t)b * units, h + (size_t)b * units,
                               gates + (size_t)b * 4 * units, units);
  memcpy(tanh_c, c, sizeof(float) * n);
  cx->activations->tanh_inplace(tanh_c, (int)n);
  for (int b = 0; b < batch; b++) {
    float *g = gates + (size_t)b * 4 * units;
    for (int u = 0; u < units; u++) {
      g[u] = 0.5f * g[u];
      g[2 * units + u] = 0.5f * (g[2 * units + u] + 1.0f); /* the forget bias */
      g[3 * units + u] = 0.5f * g[3 * units + u];
    }
    cx->activations->tanh_inplace(g, 4 * units);
    for (int u = 0; u < units; u++) {
      g[u] = 0.5f + 0.5f * g[u];
      g[2 * units + u] = 0.5f + 0.5f * g[2 * units + u];
      g[3 * units + u] = 0.5f + 0.5f * g[3 * units + u];
    }
  }
}

/* One step back through the cell: dh (the gradient at h[t]) and dc (at c[t], updated to c[t-1])
 * turn the activated gates into the gradients of the gates' pre-activations, in place. */
static void cell_backward(float *gates, const float *dh_in, const float *dh_rec, float *dc,
                          const float *c_prev, const float *tanh_c, int batch, int units) {
  for (int b = 0; b < batch; b++) {
    float *g = gates + (size_t)b * 4 * units;
    size_t o = (size_t)b * units;
    for (int u = 0; u < units; u++) {
      float i = g[u], j = g[units + u], f = g[2 * units + u], og = g[3 * units + u];
      float tc = tanh_c[o + u];
      float dh = dh_in[o + u] + dh_rec[o + u];
      float dcell = dc[o + u] + dh * og * (1.0f - tc * tc);
      g[u] = dcell * j * i * (1.0f - i);
      g[units + u] = dcell * i * (1.0f - j * j);
      g[2 * units + u] = dcell * c_prev[o + u] * f * (1.0f - f);
      g[3 * units + u] = dh * tc * og * (1.0f - og);
      dc[o + u] = dcell * f;
    }
  }
}

/* Initial states tanh(cond W_init + b) into each layer's c and h at index 0 (and st->init). */
static void stack_start(const mvae_compute *cx, refine_stack *st, const mvae_dense *init,
                        const float *cond, int ld, int B) {
  float *c0[MVAE_MAX_LAYERS], *h0[MVAE_MAX_LAYERS];
  for (int l = 0; l < st->rnn->n_layers; l++) {
    c0[l] = st->layers[l].c;
    h0[l] = st->layers[l].h;
  }
  lstm_initial_state(cx, init, st->rnn, cond, ld, B, st->init, c0, h0);
}

/* Runs the stack over its steps; layer 0's acts already hold each step's input contribution, bias
 * included, and the states at index 0 are set. */
static void stack_forward(const mvae_compute *cx, refine_stack *st, int B) {
  int T = st->steps;
  for (int l = 0; l < st->rnn->n_layers; l++) {
    const mvae_lstm_layer *layer = &st->rnn->layers[l];
    refine_layer *rl = &st->layers[l];
    int H = layer->units;
    size_t gate_step = (size_t)B * 4 * H, state_step = (size_t)B * H;
    if (l > 0) {
      /* Every step's input products at once: bias, then h below (rows in order, as decoder.c). */
      lstm_gates_from_bias(layer, rl->acts, T * B);
      mat_gemm(cx, &layer->kernel, 0, layer->input_size,
               st->layers[l - 1].h + (size_t)B * layer->input_size, layer->input_size, rl->acts,
               4 * H, T * B);
    }
    for (int t = 0; t < T; t++) {
      float *g = rl->acts + t * gate_step;
      mat_gemm(cx, &layer->kernel, layer->input_size, H, rl->h + t * state_step, H, g, 4 * H, B);
      cell_forward(cx, g, rl->c + t * state_step, rl->c + (t + 1) * state_step,
                   rl->h + (t + 1) * state_step, rl->tanh_c + t * state_step, B, H);
    }
  }
}

/* From st->dh_in (the gradient at the top layer's h, [T][B][H top]): the gate gradients in each
 * layer's acts, and in st->init the gradient of the initial states before their tanh. */
static void stack_backward(const mvae_compute *cx, refine_stack *st, int B) {
  const mvae_lstm_stack *rnn = st->rnn;
  int T = st->steps, L = rnn->n_layers, state_width = 2 * rnn->state_size;
  for (int l = L - 1; l >= 0; l--) {
    const mvae_lstm_layer *layer = &rnn->layers[l];
    refine_layer *rl = &st->layers[l];
    int H = layer->units;
    size_t gate_step = (size_t)B * 4 * H, state_step = (size_t)B * H;
    memset(st->dh, 0, sizeof(float) * state_step);
    memset(st->dc, 0, sizeof(float) * state_step);
    for (int t = T - 1; t >= 0; t--) {
      float *g = rl->acts + t * gate_step;
      cell_backward(g, st->dh_in + t * state_step, st->dh, st->dc, rl->c + t * state_step,
                    rl->tanh_c + t * state_step, B, H);
      memset(st->dh, 0, sizeof(float) * state_step);
      mat_gemm(cx, &rl->wh, 0, 4 * H, g, 4 * H, st->dh, H, B);
    }
    /* st->dh and st->dc now hold the gradients of this layer's initial h and c. */
    int offset = 0;
    for (int k = 0; k < l; k++)
      offset += 2 * rnn->layers[k].units;
    for (int b = 0; b < B; b++) {
      float *ds = st->init + (size_t)b * state_width + offset;
      memcpy(ds, st->dc + (size_t)b * H, sizeof(float) * H);
      memcpy(ds + H, st->dh + (size_t)b * H, sizeof(float) * H);
    }
    if (l > 0) {
      int below = layer->input_size;
      memset(st->dh_in, 0, sizeof(float) * (size_t)T * B * below);
      mat_gemm(cx, &rl->wx, 0, 4 * H, rl->acts, 4 * H, st->dh_in, below, T * B);
    }
  }
  /* d pre = ds (1 - s^2), with s the tanh'd states: each layer's c and h at index 0. */
  for (int b = 0; b < B; b++) {
    float *ds = st->init + (size_t)b * state_width;
    for (int l = 0, offset = 0; l < L; l++) {
      int H = rnn->layers[l].units;
      const float *c = st->layers[l].c + (size_t)b * H, *h = st->layers[l].h + (size_t)b * H;
      for (int u = 0; u < H; u++) {
        ds[offset + u] = ds[offset + u] * (1.0f - c[u] * c[u]);
        ds[offset + H + u] = ds[offset + H + u] * (1.0f - h[u] * h[u]);
      }
      offset += 2 * H;
    }
  }
}

/* A core decoder teacher forced on its rows (cond [R][cond]); logits left in core->logits. */
static void core_forward(const mvae_compute *cx, refine_core *core, const float *cond, int R) {
  const mvae_core_decoder *d = core->d;
  const mvae_lstm_layer *first = &d->rnn.layers[0];
  refine_stack *st = &core->st;
  int S = st->steps, width = 4 * first->units;
  stack_start(cx, st, &d->init, cond, d->cond_size, R);
  lstm_gates_from_bias(first, core->cond_gates, R);
  mat_gemm(cx, &first->kernel, d->depth, d->cond_size, cond, d->cond_size, core->cond_gates, width,
           R);
  float *acts = st->layers[0].acts;
  for (int t = 0; t < S; t++) {
    float *g = acts + (size_t)t * R * width;
    memcpy(g, core->cond_gates, sizeof(float) * (size_t)R * width);
    for (int r = 0; r < R; r++) {
      int previous = t ? core->targets[(size_t)r * S + t - 1] : core->first[r];
      if (previous >= 0) /* the previous target's one-hot selects one kernel row */
        mat_axpy_row(cx, &first->kernel, previous, 1.0f, g + (size_t)r * width);
    }
  }
  stack_forward(cx, st, R);
  int top_units = d->rnn.layers[d->rnn.n_layers - 1].units;
  dense_forward(cx, &d->output, st->layers[d->rnn.n_layers - 1].h + (size_t)R * top_units,
                top_units, core->logits, d->depth, S * R);
}

/* Adds each row's cross-entropy (double, deterministic exp and log) to totals[row / per_seq]; with
 * `gradients`, the logits become d loss / d logits = softmax - onehot. */
static void cross_entropy(mvae_refiner *r, refine_core *core, int R, int gradients) {
  int S = core->st.steps, D = core->d->depth;
  double *e = r->exps;
  for (int row = 0; row < R; row++) {
    double total = 0.0;
    for (int t = 0; t < S; t++) {
      float *x = core->logits + ((size_t)t * R + row) * D;
      int target = core->targets[(size_t)row * S + t];
      double top = x[0], sum = 0.0;
      for (int k = 1; k < D; k++)
        if (x[k] > top)
          top = x[k];
      for (int k = 0; k < D; k++) {
        e[k] = mvm_exp((double)x[k] - top);
        sum += e[k];
      }
      total += top + mvm_log(sum) - (double)x[target];
      if (gradients)
        for (int k = 0; k < D; k++)
          x[k] = (float)(e[k] / sum - (k == target ? 1.0 : 0.0));
    }
    r->totals[row / r->segments] += total;
  }
}

/* From the logits' gradients: core->d_cond = d loss / d cond for each row. */
static void core_backward(const mvae_compute *cx, refine_core *core, int R) {
  const mvae_core_decoder *d = core->d;
  refine_stack *st = &core->st;
  int S = st->steps, L = d->rnn.n_layers, top_units = d->rnn.layers[L - 1].units;
  int width = 4 * d->rnn.layers[0].units;
  memset(st->dh_in, 0, sizeof(float) * (size_t)S * R * top_units);
  mat_gemm(cx, &core->out_t, 0, d->depth, core->logits, d->depth, st->dh_in, top_units, S * R);
  stack_backward(cx, st, R);
  size_t gate_step = (size_t)R * width;
  memset(core->gate_sum, 0, sizeof(float) * gate_step);
  for (int t = 0; t < S; t++)
    for (size_t k = 0; k < gate_step; k++)
      core->gate_sum[k] += st->layers[0].acts[t * gate_step + k];
  memset(core->d_cond, 0, sizeof(float) * (size_t)R * d->cond_size);
  mat_gemm(cx, &st->init_t, 0, 2 * d->rnn.state_size, st->init, 2 * d->rnn.state_size, core->d_cond,
           d->cond_size, R);
  mat_gemm(cx, &st->layers[0].wx, 0, width, core->gate_sum, width, core->d_cond, d->cond_size, R);
}

/* One chunk of B sequences: targets [B][tracks][T]. */
static void chunk_loss_grad(mvae_refiner *r, const float *z, const int32_t *targets, int B,
                            float *loss, float *grad, float *logits) {
  const mvae_compute *cx = &r->m->compute;
  int U = r->segments, S = r->seg_steps, T = U * S, K = r->n_tracks, R = B * U;
  for (int k = 0; k < K; k++) {
    refine_core *core = &r->cores[k];
    for (int b = 0; b < B; b++)
      for (int u = 0; u < U; u++) {
        const int32_t *track = targets + ((size_t)b * K + k) * T;
        memcpy(core->targets + ((size_t)b * U + u) * S, track + (size_t)u * S, sizeof(int32_t) * S);
        core->first[b * U + u] = u ? track[u * S - 1] : -1;
      }
  }
  const float *cond = z;
  refine_stack *cs = &r->conductor;
  int E = r->m->tracks[0].cond_size;
  if (r->hierarchical) {
    const mvae_lstm_stack *rnn = &r->m->conductor;
    stack_start(cx, cs, &r->m->conductor_init, z, r->z_size, B);
    lstm_gates_from_bias(&rnn->layers[0], cs->layers[0].acts, U * B); /* its input is zero */
    stack_forward(cx, cs, B);
    const float *top_h = cs->layers[rnn->n_layers - 1].h; /* [U + 1][B][E] */
    for (int b = 0; b < B; b++)
      for (int u = 0; u < U; u++)
        memcpy(r->emb + ((size_t)b * U + u) * E, top_h + ((size_t)(u + 1) * B + b) * E,
               sizeof(float) * E);
    cond = r->emb;
  }
  for (int b = 0; b < B; b++)
    r->totals[b] = 0.0;
  for (int k = 0, offset = 0; k < K; k++) {
    refine_core *core = &r->cores[k];
    int D = core->d->depth, width = 0;
    for (int j = 0; j < K; j++)
      width += r->cores[j].d->depth;
    core_forward(cx, core, cond, R);
    if (logits)
      for (int row = 0; row < R; row++)
        for (int t = 0; t < S; t++)
          memcpy(logits + ((size_t)(row / U) * T + (size_t)(row % U) * S + t) * width + offset,
                 core->logits + ((size_t)t * R + row) * D, sizeof(float) * D);
    cross_entropy(r, core, R, grad != NULL);
    if (grad)
      core_backward(cx, core, R);
    offset += D;
  }
  for (int b = 0; b < B; b++)
    loss[b] = (float)r->totals[b];
  if (!grad)
    return;
  memset(grad, 0, sizeof(float) * (size_t)B * r->z_size);
  if (!r->hierarchical) {
    memcpy(grad, r->cores[0].d_cond, sizeof(float) * (size_t)B * r->z_size);
    return;
  }
  /* The conductor's output at step u for sequence b gets every track's d cond of row (b, u). */
  const mvae_lstm_stack *rnn = &r->m->conductor;
  for (int u = 0; u < U; u++)
    for (int b = 0; b < B; b++) {
      float *dst = cs->dh_in + ((size_t)u * B + b) * E;
      memset(dst, 0, sizeof(float) * E);
      for (int k = 0; k < K; k++) {
        const float *src = r->cores[k].d_cond + ((size_t)b * U + u) * E;
        for (int i = 0; i < E; i++)
          dst[i] += src[i];
      }
    }
  stack_backward(cx, cs, B);
  mat_gemm(cx, &cs->init_t, 0, 2 * rnn->state_size, cs->init, 2 * rnn->state_size, grad, r->z_size,
           B);
}

void refiner_loss_grad(mvae_refiner *r, const float *z, const int32_t *targets, int batch,
                       float *loss, float *grad, float *logits) {
  const mvae_info *info = &r->m->info;
  size_t seq_tokens = (size_t)info->num_tracks * info->num_steps, logit_width = 0;
  for (int k = 0; k < r->n_tracks; k++)
    logit_width += (size_t)r->cores[k].d->depth;
  for (int b0 = 0; b0 < batch; b0 += r->max_batch) {
    int B = batch - b0 < r->max_batch ? batch - b0 : r->max_batch;
    chunk_loss_grad(r, z + (size_t)b0 * r->z_size, targets + (size_t)b0 * seq_tokens, B, loss + b0,
                    grad ? grad + (size_t)b0 * r->z_size : NULL,
                    logits ? logits + (size_t)b0 * info->num_steps * logit_width : NULL);
  }
}
