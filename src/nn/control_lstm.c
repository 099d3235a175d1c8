/* control_lstm.c: the control preprocessing LSTM (control_lstm.h). */
#include "nn/control_lstm.h"

#include "nn/arena.h"
#include "nn/layers.h"

#include <string.h>

static int sequences_of(const step_controls *controls, int batch) {
  return controls->seq_stride ? batch : 1;
}

/* Steps each decoder of the model runs: a segment (hierarchical) or the whole sequence. */
static int run_steps(const mvae_model *m) {
  return m->info.hierarchical ? m->info.num_steps / m->info.num_segments : m->info.num_steps;
}

size_t control_lstm_scratch_bytes(const mvae_model *m, int batch) {
  if (!m->has_control_lstm)
    return 0;
  size_t units = (size_t)m->control_lstm.max_units;
  size_t out = mvae_arena_floats2((size_t)batch * m->info.num_steps, 2 * units);
  size_t gates = mvae_arena_floats2((size_t)run_steps(m), 4 * units);
  size_t state = mvae_arena_floats(units);
  return mvae_size_add_sat(mvae_size_add_sat(out, gates), mvae_size_add_sat(state, state));
}

step_controls control_lstm_forward(const mvae_model *m, const step_controls *controls, int batch,
                                   mvae_arena *arena) {
  const mvae_compute *cx = &m->compute;
  const mvae_bidi_stack *bidi = &m->control_lstm;
  int steps = m->info.num_steps, depth = m->info.control_depth, run = run_steps(m);
  int width = bidi->output_size, n = sequences_of(controls, batch);
  float *out = mvae_arena_take(arena, (size_t)n * steps * width);
  float *gates = mvae_arena_take(arena, (size_t)run * 4 * bidi->max_units);
  float *c = mvae_arena_take(arena, (size_t)bidi->max_units);
  float *h = mvae_arena_take(arena, (size_t)bidi->max_units);
  for (int s = 0; s < n; s++) {
    const float *seq = controls->values + (size_t)s * controls->seq_stride;
    for (int t0 = 0; t0 < steps; t0 += run) {
      for (int dir = 0; dir < 2; dir++) {
        const mvae_lstm_layer *layer = dir ? &bidi->bw.layers[0] : &bidi->fw.layers[0];
        int units = layer->units, offset = dir ? bidi->fw.layers[0].units : 0;
        /* The inputs of every step at once (the steps as the rows of one product), then the
         * recurrence forward, or backward for bw, from zero states. */
        lstm_gates_from_bias(layer, gates, run);
        mat_gemm(cx, &layer->kernel, 0, depth, seq + (size_t)t0 * depth, depth, gates, 4 * units,
                 run);
        memset(c, 0, sizeof(float) * (size_t)units);
        memset(h, 0, sizeof(float) * (size_t)units);
        for (int i = 0; i < run; i++) {
          int t = dir ? run - 1 - i : i;
          lstm_finish_step(cx, layer, gates + (size_t)t * 4 * units, c, h, 1);
          memcpy(out + ((size_t)s * steps + t0 + t) * width + offset, h, sizeof(float) * units);
        }
      }
    }
  }
  step_controls result = {out, controls->seq_stride ? (size_t)steps * width : 0};
  return result;
}
