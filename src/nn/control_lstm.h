/* control_lstm.h: magenta.js's control preprocessing, a bidirectional LSTM over a decoder's control
 * sequence whose per-step [fw; bw] outputs the decoder reads in place of the controls. */
#ifndef MVAE_CONTROL_LSTM_H
#define MVAE_CONTROL_LSTM_H

#include "nn/forward.h"

/* Scratch bytes control_lstm_forward takes (output included) for `batch` sequences; 0 for a model
 * without the LSTM. */
size_t control_lstm_scratch_bytes(const mvae_model *m, int batch);

/* The preprocessed controls of `controls` (one sequence, or `batch` with a seq_stride): taken from
 * `arena`, [sequences][num_steps][2 x units], and returned as step_controls the decoder reads. The
 * LSTM runs over each decoder's steps, from zero states: the whole sequence for a flat decoder,
 * each segment on its own for a hierarchical one (each core decoder processes the controls of its
 * segment, as magenta.js's ConductorDecoder hands them out). */
step_controls control_lstm_forward(const mvae_model *m, const step_controls *controls, int batch,
                                   mvae_arena *arena);

#endif
