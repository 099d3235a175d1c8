/* refine.c: teacher-forced loss of the flat decoder and its gradient with respect to z.
 *
 * Forward (as decoder.c, teacher forced, bit for bit): initial states s = tanh(z W_init + b),
 * split c0, h0, c1, h1, ...; layer 0's gates at step t are b0 + z W_z + onehot(target[t-1]) W_prev
 * + h0[t-1] W_h; layer l > 0 reads h[l-1][t]; logits = h_top W_out + b_out. Because the inputs are
 * known, the layers run one after the other, each over all steps, so the input-to-gate products of
 * the upper layers, the output projection and their transposes in the backward pass are single
 * large products over all steps; only the recurrent products go step by step.
 *
 * Backward, per LSTM step (TF LSTMBlockCell, forget bias 1): with i, j, f, o the activated gates,
 * c' = c f + i j, h = tanh(c') o:
 *   dc' += dh o (1 - tanh(c')^2);  d(pre o) = dh tanh(c') o (1 - o);
 *   d(pre i) = dc' j i (1 - i);  d(pre j) = dc' i (1 - j^2);  d(pre f) = dc' c f (1 - f);
 *   dc = dc' f;  dh[t-1] += dgates W_h^T;  d input = dgates W_x^T.
 * z enters layer 0 at every step through the same rows W_z, so its share of dz is (sum over t of
 * layer 0's gate gradients) W_z^T: one product, not one per step. */
#include "nn/refine.h"

#include "kernels/mathfn.h"
#include "nn/layers.h"

#include <stdlib.h>
#include <string.h>

typedef struct refine_layer {
  float *acts;    /* [T][B][4H]: raw gates, then activated gates, then gate gradients */
  float *c, *h;   /* [T + 1][B][H]: index 0 the initial state, t + 1 after step t */
  float *tanh_c;  /* [T][B][H] */
  mvae_matrix wh; /* W_h^T [4H][H] */
  mvae_matrix wx; /* layer 0: W_z^T [4H][Z]; above: W_x^T [4H][H below] */
} refine_layer;

struct mvae_refiner {
  mvae_model *m;
  const mvae_core_decoder *d;
  int max_batch, steps, z_size, depth, n_layers, max_units;
  refine_layer layers[MVAE_MAX_LAYERS];
  mvae_matrix out_t;  /* W_out^T [depth][H top] */
  mvae_matrix init_t; /* W_init^T [2 S][Z] */
  float *weights;     /* the transposed copies, one allocation */
  float *scratch;     /* everything below, one allocation */
  float *init;        /* [B][2 S]: tanh'd initial states, then their gradients */
  float *cond;        /* [B][4 H0]: b0 + z W_z */
  float *logits;      /* [T][B][depth]: logits, then their gradients */
  float *dh_in;       /* [T][B][max H]: gradient arriving at a layer's h from above */
  float *dh, *dc;     /* [B][max H]: the recurrent gradients */
  float *gate_sum;    /* [B][4 H0]: layer 0's gate gradients summed over steps */
  double *exps;       /* [depth]: exp(logit - max) of one step */
};

int refiner_supports(const mvae_model *m, const char **why) {
  if (m->info.hierarchical) {
    *why = "refinement supports flat decoders only (this model's decoder is hierarchical)";
    return 0;
  }
  if (m->n_tracks != 1) {
    *why = "refinement supports one-track decoders only";
    return 0;
  }
  return 1;
}

/* out[c][r] = W[row0 + r][c] for r < nrows, as fp32 (int8 weights dequantized), and the matrix
 * {cols rows, nrows columns} pointing at it. */
static mvae_matrix transpose_rows(const mvae_matrix *w, int row0, int nrows, float *out) {
  enum { TILE = 16 }; /* 16 source rows at a time: contiguous reads, 64-byte runs of writes */
  for (int r0 = 0; r0 < nrows; r0 += TILE) {
    int r1 = r0 + TILE < nrows ? r0 + TILE : nrows;
    for (int c = 0; c < w->cols; c++)
      for (int r = r0; r < r1; r++) {
        size_t row = (size_t)(row0 + r);
        out[(size_t)c * nrows + r] =
            w->f32 ? w->f32[row * w->cols + c]
                   : w->scales[row * w->nblk + c / w->block] * (float)w->q8[row * w->cols + c];
      }
  }
  return (mvae_matrix){w->cols, nrows, out, NULL, NULL, 0, 0};
}

mvae_refiner *refiner_create(mvae_model *m, int max_batch) {
  mvae_refiner *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  const mvae_core_decoder *d = &m->tracks[0];
  r->m = m;
  r->d = d;
  r->max_batch = max_batch;
  r->steps = m->info.num_steps;
  r->z_size = m->info.z_size;
  r->depth = d->depth;
  r->n_layers = d->rnn.n_layers;
  for (int l = 0; l < r->n_layers; l++)
    if (d->rnn.layers[l].units > r->max_units)
      r->max_units = d->rnn.layers[l].units;

  size_t B = (size_t)max_batch, T = (size_t)r->steps, Z = (size_t)r->z_size;
  size_t top = (size_t)d->rnn.layers[r->n_layers - 1].units, state = 2 * (size_t)d->rnn.state_size;
  size_t weight_floats = (size_t)r->depth * top + state * Z, scratch_floats = 0;
  for (int l = 0; l < r->n_layers; l++) {
    const mvae_lstm_layer *layer = &d->rnn.layers[l];
    size_t H = (size_t)layer->units, x_rows = l ? (size_t)layer->input_size : Z;
    weight_floats += 4 * H * (H + x_rows);
    scratch_floats += T * B * 4 * H + 2 * (T + 1) * B * H + T * B * H;
  }
  size_t H0 = (size_t)d->rnn.layers[0].units, Hmax = (size_t)r->max_units;
  scratch_floats +=
      B * state + 2 * B * 4 * H0 + T * B * (size_t)r->depth + T * B * Hmax + 2 * B * Hmax;
  r->weights = malloc(sizeof(float) * weight_floats);
  r->scratch = malloc(sizeof(float) * scratch_floats);
  r->exps = malloc(sizeof(double) * (size_t)r->depth);
  if (!r->weights || !r->scratch || !r->exps) {
    refiner_free(r);
    return NULL;
  }

  float *w = r->weights;
  r->out_t = transpose_rows(&d->output.kernel, 0, (int)top, w);
  w += (size_t)r->depth * top;
  r->init_t = transpose_rows(&d->init.kernel, 0, (int)Z, w);
  w += state * Z;
  float *s = r->scratch;
  for (int l = 0; l < r->n_layers; l++) {
    const mvae_lstm_layer *layer = &d->rnn.layers[l];
    refine_layer *rl = &r->layers[l];
    size_t H = (size_t)layer->units;
    /* Layer 0's kernel rows are [previous output (no gradient needed); z; h]. */
    int x_row0 = l ? 0 : r->depth, x_rows = l ? layer->input_size : r->z_size;
    rl->wx = transpose_rows(&layer->kernel, x_row0, x_rows, w);
    w += 4 * H * (size_t)x_rows;
    rl->wh = transpose_rows(&layer->kernel, layer->input_size, (int)H, w);
    w += 4 * H * H;
    rl->acts = s;
    s += T * B * 4 * H;
    rl->c = s;
    s += (T + 1) * B * H;
    rl->h = s;
    s += (T + 1) * B * H;
    rl->tanh_c = s;
    s += T * B * H;
  }
  r->init = s;
  s += B * state;
  r->cond = s;
  s += B * 4 * H0;
  r->gate_sum = s;
  s += B * 4 * H0;
  r->logits = s;
  s += T * B * (size_t)r->depth;
  r->dh_in = s;
  s += T * B * Hmax;
  r->dh = s;
  s += B * Hmax;
  r->dc = s;
  return r;
}

void refiner_free(mvae_refiner *r) {
  if (!r)
    return;
  free(r->weights);
  free(r->scratch);
  free(r->exps);
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

/* Teacher-forced forward over one chunk; leaves logits [T][B][depth] in r->logits. */
static void forward(mvae_refiner *r, const float *z, const int32_t *targets, int B) {
  const mvae_compute *cx = &r->m->compute;
  const mvae_core_decoder *d = r->d;
  int T = r->steps, Z = r->z_size;
  float *c0[MVAE_MAX_LAYERS], *h0[MVAE_MAX_LAYERS];
  for (int l = 0; l < r->n_layers; l++) {
    c0[l] = r->layers[l].c;
    h0[l] = r->layers[l].h;
  }
  lstm_initial_state(cx, &d->init, &d->rnn, z, Z, B, r->init, c0, h0);

  for (int l = 0; l < r->n_layers; l++) {
    const mvae_lstm_layer *layer = &d->rnn.layers[l];
    refine_layer *rl = &r->layers[l];
    int H = layer->units;
    size_t gate_step = (size_t)B * 4 * H, state_step = (size_t)B * H;
    if (l == 0) {
      lstm_gates_from_bias(layer, r->cond, B);
      mat_gemm(cx, &layer->kernel, r->depth, Z, z, Z, r->cond, 4 * H, B);
    } else {
      /* Every step's input products at once: bias, then h below (rows in order, as decoder.c). */
      const refine_layer *below = &r->layers[l - 1];
      lstm_gates_from_bias(layer, rl->acts, T * B);
      mat_gemm(cx, &layer->kernel, 0, layer->input_size, below->h + (size_t)B * layer->input_size,
               layer->input_size, rl->acts, 4 * H, T * B);
    }
    for (int t = 0; t < T; t++) {
      float *g = rl->acts + t * gate_step;
      if (l == 0) {
        memcpy(g, r->cond, sizeof(float) * gate_step);
        if (t > 0) /* the previous target's one-hot selects one kernel row */
          for (int b = 0; b < B; b++)
            mat_axpy_row(cx, &layer->kernel, targets[(size_t)b * T + t - 1], 1.0f,
                         g + (size_t)b * 4 * H);
      }
      mat_gemm(cx, &layer->kernel, layer->input_size, H, rl->h + t * state_step, H, g, 4 * H, B);
      cell_forward(cx, g, rl->c + t * state_step, rl->c + (t + 1) * state_step,
                   rl->h + (t + 1) * state_step, rl->tanh_c + t * state_step, B, H);
    }
  }
  const refine_layer *top = &r->layers[r->n_layers - 1];
  int top_units = d->rnn.layers[r->n_layers - 1].units;
  dense_forward(cx, &d->output, top->h + (size_t)B * top_units, top_units, r->logits, r->depth,
                T * B);
}

/* Cross-entropy per sequence (double, deterministic exp and log); with `gradients`, the logits
 * are replaced by d loss / d logits = softmax - onehot. */
static void cross_entropy(mvae_refiner *r, const int32_t *targets, int B, float *loss,
                          int gradients) {
  int T = r->steps, D = r->depth;
  double *e = r->exps;
  for (int b = 0; b < B; b++) {
    double total = 0.0;
    for (int t = 0; t < T; t++) {
      float *x = r->logits + ((size_t)t * B + b) * D;
      int target = targets[(size_t)b * T + t];
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
    loss[b] = (float)total;
  }
}

static void backward(mvae_refiner *r, int B, float *grad) {
  const mvae_compute *cx = &r->m->compute;
  const mvae_core_decoder *d = r->d;
  int T = r->steps, Z = r->z_size, L = r->n_layers;
  int top_units = d->rnn.layers[L - 1].units;
  int state_width = 2 * d->rnn.state_size;

  /* Output projection, all steps at once. */
  memset(r->dh_in, 0, sizeof(float) * (size_t)T * B * top_units);
  mat_gemm(cx, &r->out_t, 0, r->depth, r->logits, r->depth, r->dh_in, top_units, T * B);

  for (int l = L - 1; l >= 0; l--) {
    const mvae_lstm_layer *layer = &d->rnn.layers[l];
    refine_layer *rl = &r->layers[l];
    int H = layer->units;
    size_t gate_step = (size_t)B * 4 * H, state_step = (size_t)B * H;
    memset(r->dh, 0, sizeof(float) * state_step);
    memset(r->dc, 0, sizeof(float) * state_step);
    for (int t = T - 1; t >= 0; t--) {
      float *g = rl->acts + t * gate_step;
      cell_backward(g, r->dh_in + t * state_step, r->dh, r->dc, rl->c + t * state_step,
                    rl->tanh_c + t * state_step, B, H);
      memset(r->dh, 0, sizeof(float) * state_step);
      mat_gemm(cx, &rl->wh, 0, 4 * H, g, 4 * H, r->dh, H, B);
    }
    /* r->dh and r->dc now hold the gradients of this layer's initial h and c. */
    int offset = 0;
    for (int k = 0; k < l; k++)
      offset += 2 * d->rnn.layers[k].units;
    for (int b = 0; b < B; b++) {
      memcpy(r->init + (size_t)b * state_width + offset, r->dc + (size_t)b * H, sizeof(float) * H);
      memcpy(r->init + (size_t)b * state_width + offset + H, r->dh + (size_t)b * H,
             sizeof(float) * H);
    }
    if (l > 0) {
      int below = layer->input_size;
      memset(r->dh_in, 0, sizeof(float) * (size_t)T * B * below);
      mat_gemm(cx, &rl->wx, 0, 4 * H, rl->acts, 4 * H, r->dh_in, below, T * B);
    } else {
      memset(r->gate_sum, 0, sizeof(float) * gate_step);
      for (int t = 0; t < T; t++)
        for (size_t k = 0; k < gate_step; k++)
          r->gate_sum[k] += rl->acts[t * gate_step + k];
    }
  }
  /* The forward pass left tanh'd states s in r->init; the loop above overwrote them with ds.
   * d pre = ds (1 - s^2) needs s again: s is the c and h at index 0 of each layer. */
  for (int b = 0; b < B; b++) {
    float *ds = r->init + (size_t)b * state_width;
    for (int l = 0, offset = 0; l < L; l++) {
      int H = d->rnn.layers[l].units;
      const float *c = r->layers[l].c + (size_t)b * H, *h = r->layers[l].h + (size_t)b * H;
      for (int u = 0; u < H; u++) {
        ds[offset + u] = ds[offset + u] * (1.0f - c[u] * c[u]);
        ds[offset + H + u] = ds[offset + H + u] * (1.0f - h[u] * h[u]);
      }
      offset += 2 * H;
    }
  }
  memset(grad, 0, sizeof(float) * (size_t)B * Z);
  mat_gemm(cx, &r->init_t, 0, state_width, r->init, state_width, grad, Z, B);
  mat_gemm(cx, &r->layers[0].wx, 0, 4 * d->rnn.layers[0].units, r->gate_sum,
           4 * d->rnn.layers[0].units, grad, Z, B);
}

void refiner_loss_grad(mvae_refiner *r, const float *z, const int32_t *targets, int batch,
                       float *loss, float *grad, float *logits) {
  int T = r->steps, Z = r->z_size, D = r->depth;
  for (int b0 = 0; b0 < batch; b0 += r->max_batch) {
    int B = batch - b0 < r->max_batch ? batch - b0 : r->max_batch;
    const int32_t *tg = targets + (size_t)b0 * T;
    forward(r, z + (size_t)b0 * Z, tg, B);
    if (logits)
      for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
          memcpy(logits + (((size_t)b0 + b) * T + t) * D, r->logits + ((size_t)t * B + b) * D,
                 sizeof(float) * D);
    cross_entropy(r, tg, B, loss + b0, grad != NULL);
    if (grad)
      backward(r, B, grad + (size_t)b0 * Z);
  }
}
