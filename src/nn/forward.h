/* forward.h: the encoder and decoder passes (no argument checking: api.c does that). */
#ifndef MVAE_FORWARD_H
#define MVAE_FORWARD_H

#include "format/model.h"

/* Scratch bytes each pass takes for `batch` sequences (SIZE_MAX if that overflows). The model
 * reserves the most its calls can ask for once, at load (api.c), so the passes never allocate. */
size_t encoder_scratch_bytes(const mvae_model *m, int batch);
size_t decoder_scratch_bytes(const mvae_model *m, int batch);

/* Per-step controls of a conditioned model: sequence b's step t starts at values + b * seq_stride +
 * t * control_depth (seq_stride 0: one sequence shared by the batch). values NULL: none. */
typedef struct step_controls {
  const float *values;
  size_t seq_stride;
} step_controls;

/* inputs [batch][num_steps][input_depth] -> mu (and sigma if not NULL) [batch][z_size].
 * segment_lengths: [batch][num_segments] steps of each segment the hierarchical encoder reads (a
 * multitrack model's variable-length segments), or NULL for whole segments. */
mvae_status encoder_forward(mvae_model *m, const float *inputs, const step_controls *controls,
                            const int *segment_lengths, int batch, float *mu, float *sigma);

/* z [batch][z_size] -> tokens [batch][num_tracks][num_steps] (+ logits if opts->logits).
 * nade_sample and values (GrooVAE's step vectors, may be NULL) as mvae_decode_extra. When
 * opts->temperature > 0, row b samples from rows[b] (opts->rng is not used). */
mvae_status decoder_forward(mvae_model *m, const float *z, int batch, const mvae_decode_opts *opts,
                            const step_controls *controls, int nade_sample, mvae_rng *rows,
                            float *values, int32_t *tokens);

#endif
