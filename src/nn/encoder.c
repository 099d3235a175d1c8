/* encoder.c: bidirectional LSTM encoders (flat, and hierarchical over segments) and mu / sigma.
 * A conditioned model's controls follow each input step, as magenta.js concatenates them. */
#include "api/errors.h"
#include "api/threads.h"
#include "kernels/mathfn.h"
#include "nn/arena.h"
#include "nn/forward.h"
#include "nn/layers.h"

#include <string.h>

/* Input of one bidirectional pass: step t of sequence b starts at base + b * seq_stride +
 * t * step_stride and has `width` values. */
typedef struct step_input {
  const float *base;
  size_t seq_stride, step_stride;
  int width;
  int sparse; /* one-hot / multi-hot: skip zeros */
  /* Controls appended to each step (the next `control_width` rows of the kernel), or NULL:
   * sequence b's step t at controls + b * control_seq_stride + t * control_width. */
  const float *controls;
  size_t control_seq_stride;
  int control_width;
} step_input;

/* Scratch bytes one direction of one layer takes for `steps` steps of `batch` sequences: its gates
 * and its state (saturating). */
static size_t direction_scratch(const mvae_bidi_stack *bidi, int steps, int batch) {
  size_t units = (size_t)bidi->max_units, rows = (size_t)steps * batch;
  size_t state = mvae_arena_floats2(batch, units);
  return mvae_size_add_sat(mvae_arena_floats2(rows, 4 * units), mvae_size_add_sat(state, state));
}

/* Scratch bytes bidi_forward takes for `steps` steps of `batch` sequences (saturating): two layer
 * outputs and one direction's working set (with threads the second direction's is a thread's own).
 */
static size_t bidi_scratch(const mvae_bidi_stack *bidi, int steps, int batch) {
  size_t units = (size_t)bidi->max_units, rows = (size_t)steps * batch;
  size_t one_output = mvae_arena_floats2(rows, 2 * units);
  return mvae_size_add_sat(mvae_size_add_sat(one_output, one_output),
                           direction_scratch(bidi, steps, batch));
}

/* Sequence b's length: lengths[b * length_stride], or all `steps` when lengths is NULL. */
typedef struct step_lengths {
  const int *lengths;
  int stride;
} step_lengths;

static int length_of(step_lengths len, int b, int steps) {
  return len.lengths ? len.lengths[(size_t)b * len.stride] : steps;
}

/* One layer of a bidirectional pass: what both directions read, and where they write (disjoint
 * columns: fw first, then bw). */
typedef struct layer_pass {
  const mvae_model *m;
  const mvae_bidi_stack *bidi;
  step_input in;
  int steps;
  step_lengths len; /* each sequence's steps (lengths NULL: all `steps`) */
  int batch, layer;
  const float *prev; /* [steps][batch][prev_width]: the layer below's output (layer > 0) */
  float *cur;        /* [steps][batch][cur_width]: this layer's output, if a layer follows */
  float *out;        /* [batch][ldo]: the last h of each direction, for the top layer */
  int ldo;
  const mvae_arena *caller_scratch; /* the arena bidi_forward carves from (its layer outputs) */
} layer_pass;

/* Runs direction `dir` (0 fw, 1 bw) of the layer with gates and state taken from `arena`. */
static void run_direction(const layer_pass *p, int dir, mvae_arena *arena) {
  const mvae_compute *cx = &p->m->compute;
  const mvae_bidi_stack *bidi = p->bidi;
  const int l = p->layer, steps = p->steps, batch = p->batch;
  const int last = l + 1 == bidi->fw.n_layers;
  const step_input in = p->in;
  const size_t rows = (size_t)steps * batch, mark = arena->used;
  const mvae_lstm_layer *layer = dir ? &bidi->bw.layers[l] : &bidi->fw.layers[l];
  const int h_units = layer->units, gate_width = 4 * layer->units;
  const int prev_width = l ? bidi->fw.layers[l - 1].units + bidi->bw.layers[l - 1].units : 0;
  const int cur_width = bidi->fw.layers[l].units + bidi->bw.layers[l].units;
  const int column = dir ? bidi->fw.layers[l].units : 0;
  float *gates = mvae_arena_take(arena, rows * 4 * bidi->max_units);
  float *c = mvae_arena_take(arena, (size_t)batch * bidi->max_units);
  float *h = mvae_arena_take(arena, (size_t)batch * bidi->max_units);
  /* Input contributions of every step first: for layers above the first this is one large
   * matrix product, much faster than one per step. */
  lstm_gates_from_bias(layer, gates, (int)rows);
  if (l == 0) {
    for (int t = 0; t < steps; t++) {
      const float *x = in.base + (size_t)t * in.step_stride;
      float *g = gates + (size_t)t * batch * gate_width;
      if (in.sparse)
        mat_gemm_sparse(cx, &layer->kernel, 0, in.width, x, (int)in.seq_stride, g, gate_width,
                        batch);
      else
        mat_gemm(cx, &layer->kernel, 0, in.width, x, (int)in.seq_stride, g, gate_width, batch);
      if (in.controls)
        mat_gemm_sparse(cx, &layer->kernel, in.width, in.control_width,
                        in.controls + (size_t)t * in.control_width, (int)in.control_seq_stride, g,
                        gate_width, batch);
    }
  } else {
    mat_gemm(cx, &layer->kernel, 0, prev_width, p->prev, prev_width, gates, gate_width, (int)rows);
  }
  for (int i = 0; i < steps; i++) {
    int t = dir ? steps - 1 - i : i;
    lstm_finish_step(cx, layer, gates + (size_t)t * batch * gate_width, c, h, batch);
    if (!last)
      for (int b = 0; b < batch; b++)
        memcpy(p->cur + ((size_t)t * batch + b) * cur_width + column, h + (size_t)b * h_units,
               sizeof(float) * h_units);
    if (!p->len.lengths)
      continue;
    for (int b = 0; b < batch; b++) {
      int n = length_of(p->len, b, steps);
      if (dir && t >= n) { /* past the end: the backward pass has not started yet */
        memset(c + (size_t)b * h_units, 0, sizeof(float) * h_units);
        memset(h + (size_t)b * h_units, 0, sizeof(float) * h_units);
      } else if (!dir && last && t == n - 1) {
        memcpy(p->out + (size_t)b * p->ldo, h + (size_t)b * h_units, sizeof(float) * h_units);
      }
    }
  }
  if (last)
    for (int b = 0; b < batch; b++)
      if (dir || !p->len.lengths)
        memcpy(p->out + (size_t)b * p->ldo + column, h + (size_t)b * h_units,
               sizeof(float) * h_units);
  arena->used = mark;
}

/* mvae_rows_job over the two directions of a layer (row 0 fw, row 1 bw): a thread's view brings
 * an arena of its own, reserved here; the calling thread's continues after the layer outputs. */
static mvae_status direction_job(mvae_model *view, int first, int count, void *arg) {
  const layer_pass *p = arg;
  mvae_arena *arena = &view->scratch;
  if (arena != p->caller_scratch &&
      !mvae_arena_reserve(arena, direction_scratch(p->bidi, p->steps, p->batch)))
    return mvae_fail(view, MVAE_ERR_OUT_OF_MEMORY, "out of memory in the encoder");
  for (int dir = first; dir < first + count; dir++)
    run_direction(p, dir, arena);
  return MVAE_OK;
}

/* Runs `bidi` over `steps` steps and writes [last fw h; last bw h] of the top layer to out[b]. Its
 * scratch comes from `arena` (sized with bidi_scratch) and is handed back on return. With threads
 * (m->threads > 1: the call was not split by rows) the two directions of each layer run at once;
 * they share nothing but what they read, so the bits are the same. A sequence shorter than `steps`
 * (len) is encoded as its first len steps alone, as magenta.js slices a variable-length segment:
 * its forward state is taken at step len - 1, and its backward pass starts there from zeros (its
 * state is cleared after every later step). */
static mvae_status bidi_forward(mvae_model *m, const mvae_bidi_stack *bidi, step_input in,
                                int steps, step_lengths len, int batch, float *out, int ldo,
                                mvae_arena *arena) {
  size_t seq_width = 2 * (size_t)bidi->max_units; /* a layer's [fw; bw] output at one step */
  size_t rows = (size_t)steps * batch, mark = arena->used;
  float *layer_out[2] = {mvae_arena_take(arena, rows * seq_width),
                         mvae_arena_take(arena, rows * seq_width)};
  mvae_status status = MVAE_OK;
  for (int l = 0; l < bidi->fw.n_layers && status == MVAE_OK; l++) {
    layer_pass pass = {
        m,   bidi, in,   steps, len, batch, l, layer_out[(l + 1) % 2], layer_out[l % 2],
        out, ldo,  arena};
    if (m->threads > 1) {
      status = mvae_run_rows(m, 2, direction_job, &pass);
    } else {
      run_direction(&pass, 0, arena);
      run_direction(&pass, 1, arena);
    }
  }
  arena->used = mark;
  return status;
}

size_t encoder_scratch_bytes(const mvae_model *m, int batch) {
  const mvae_info *info = &m->info;
  int steps = info->num_steps, segments = info->num_segments;
  if (m->encoder_levels == 0)
    return 0;
  const mvae_bidi_stack *top = &m->encoder[m->encoder_levels - 1];
  if (m->encoder_levels == 1)
    return mvae_size_add_sat(mvae_arena_floats2(batch, top->output_size),
                             bidi_scratch(top, steps, batch));
  size_t passes = bidi_scratch(&m->encoder[0], steps / segments, batch);
  if (bidi_scratch(top, segments, batch) > passes)
    passes = bidi_scratch(top, segments, batch);
  size_t embeddings = mvae_arena_floats2((size_t)batch * segments, m->encoder[0].output_size);
  return mvae_size_add_sat(mvae_size_add_sat(mvae_arena_floats2(batch, top->output_size), passes),
                           embeddings);
}

mvae_status encoder_forward(mvae_model *m, const float *inputs, const step_controls *controls,
                            const int *segment_lengths, int batch, float *mu, float *sigma) {
  const mvae_info *info = &m->info;
  int steps = info->num_steps, depth = info->input_depth;
  int hierarchical = m->encoder_levels == 2, segments = info->num_segments;
  const mvae_bidi_stack *top = &m->encoder[m->encoder_levels - 1];
  int width0 = m->encoder[0].output_size;
  mvae_arena *arena = &m->scratch;
  if (!mvae_arena_reserve(arena, encoder_scratch_bytes(m, batch)))
    return mvae_fail(m, MVAE_ERR_OUT_OF_MEMORY, "out of memory in the encoder");
  float *final_state = mvae_arena_take(arena, (size_t)batch * top->output_size);
  step_input in = {inputs, (size_t)steps * depth, (size_t)depth,        depth,
                   1,      controls->values,      controls->seq_stride, info->control_depth};
  step_lengths full = {NULL, 0};
  mvae_status status = MVAE_OK;
  if (!hierarchical) {
    status = bidi_forward(m, top, in, steps, full, batch, final_state, top->output_size, arena);
  } else {
    /* Level 0 encodes each segment on its own; level 1 reads the segment embeddings. */
    int seg_steps = steps / segments;
    float *embeddings = mvae_arena_take(arena, (size_t)batch * segments * width0);
    for (int u = 0; u < segments && status == MVAE_OK; u++) {
      step_input seg = in;
      seg.base = inputs + (size_t)u * seg_steps * depth;
      if (seg.controls)
        seg.controls += (size_t)u * seg_steps * info->control_depth;
      step_lengths len = {segment_lengths ? segment_lengths + u : NULL, segments};
      int longest = 0; /* the batch runs as many steps as its longest segment u */
      for (int b = 0; b < batch; b++)
        if (length_of(len, b, seg_steps) > longest)
          longest = length_of(len, b, seg_steps);
      if (status == MVAE_OK)
        status = bidi_forward(m, &m->encoder[0], seg, longest, len, batch,
                              embeddings + (size_t)u * width0, segments * width0, arena);
    }
    step_input level1 = {embeddings, (size_t)segments * width0, (size_t)width0, width0, 0, NULL, 0,
                         0};
    if (status == MVAE_OK)
      status =
          bidi_forward(m, top, level1, segments, full, batch, final_state, top->output_size, arena);
  }
  if (status != MVAE_OK)
    return status;
  dense_forward(&m->compute, &m->mu, final_state, top->output_size, mu, info->z_size, batch);
  if (sigma) {
    dense_forward(&m->compute, &m->sigma, final_state, top->output_size, sigma, info->z_size,
                  batch);
    for (size_t i = 0; i < (size_t)batch * info->z_size; i++)
      sigma[i] = (float)mvm_softplus(sigma[i]);
  }
  return MVAE_OK;
}
