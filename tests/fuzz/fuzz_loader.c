/* fuzz_loader.c: libFuzzer target for the model loader and the calls on a loaded model. Any bytes
 * must give either a model that runs safely or an error with a message; never a crash, an
 * out-of-bounds read or a leak.
 *
 * A mutated version 2 file almost always fails its checksum, which would keep the fuzzer out of
 * everything behind it; so an input refused for its checksum alone is loaded a second time with
 * the checksum recomputed (the library itself is not changed for fuzzing). */
#include "format/model_file.h"
#include "musicvae.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bounds the work a mutated configuration can ask for. */
enum { MAX_WORK_STEPS = 4096, MAX_WORK_Z = 4096 };

/* GrooVAE: the decoded values to hits, and the hits (with times) back to an encoder input. */
static void exercise_groove(mvae_model *m, const mvae_info *info, const mvae_decode_opts *opts,
                            mvae_decode_extra *extra, const float *z, int32_t *tokens, float *x) {
  size_t steps = (size_t)info->num_steps;
  float *values = malloc(sizeof(float) * steps * (size_t)info->output_depths[0]);
  mvae_groove_hit *hits =
      malloc(sizeof *hits * (size_t)(info->max_notes > 0 ? info->max_notes : 1));
  mvae_groove_note *notes =
      malloc(sizeof *notes * (size_t)(info->max_notes > 0 ? info->max_notes : 1));
  int n = 0;
  extra->values = values;
  if (values && hits && notes && mvae_decode_with(m, z, 1, opts, extra, tokens) == MVAE_OK &&
      mvae_groove_to_notes(m, values, hits, info->max_notes, &n) == MVAE_OK) {
    for (int i = 0; i < n; i++)
      notes[i] = (mvae_groove_note){hits[i].pitch, hits[i].velocity, hits[i].step,
                                    hits[i].position * 0.125};
    mvae_groove_to_input(m, notes, n, 120.0, x);
  }
  extra->values = NULL;
  free(values);
  free(hits);
  free(notes);
}

static void exercise(mvae_model *m, uint64_t seed) {
  mvae_info info;
  mvae_model_info(m, &info);
  if ((long)info.num_steps * info.num_tracks > MAX_WORK_STEPS || info.z_size > MAX_WORK_Z)
    return;
  size_t steps = (size_t)info.num_steps, tokens_n = (size_t)info.num_tracks * steps;
  float *z = calloc((size_t)info.z_size, sizeof(float));
  int32_t *tokens = calloc(tokens_n, sizeof(int32_t));
  mvae_note *notes = malloc(sizeof(mvae_note) * (size_t)(info.max_notes > 0 ? info.max_notes : 1));
  float *x = calloc(steps * (size_t)info.input_depth, sizeof(float));
  float *mu = malloc(sizeof(float) * (size_t)info.z_size);
  /* A conditioned model's controls (all zero), and NADE sampling, so those paths run too. */
  float *control_values = calloc(steps * (size_t)info.control_depth + 1, sizeof(float));
  mvae_controls controls = {control_values, 0};
  mvae_decode_extra extra = {info.control_depth > 0 ? &controls : NULL, (int)(seed & 1), NULL};
  if (z && tokens && notes && x && mu && control_values) {
    mvae_rng rng;
    mvae_rng_seed(&rng, seed);
    mvae_decode_opts opts = {1.0f, &rng, NULL, NULL};
    mvae_decode_with(m, z, 1, &opts, &extra, tokens);
    int n_notes = 0;
    if (mvae_tokens_to_notes(m, tokens, notes, info.max_notes, &n_notes) == MVAE_OK &&
        mvae_notes_to_input(m, notes, n_notes, x) == MVAE_OK && info.has_encoder)
      mvae_encode_with(m, x, 1, extra.controls, mu, info.has_sigma ? z : NULL);
    if (info.output_layer == MVAE_OUTPUT_GROOVE)
      exercise_groove(m, &info, &opts, &extra, z, tokens, x);
  }
  free(control_values);
  free(z);
  free(tokens);
  free(notes);
  free(x);
  free(mu);
}

static int load_and_run(const uint8_t *data, size_t size, char *err, size_t err_size) {
  mvae_model *m = NULL;
  if (mvae_model_load(data, size, &m, err, err_size) != MVAE_OK) {
    if (m || !err[0])
      abort(); /* a failed load must return no model and say why */
    return 0;
  }
  exercise(m, size);
  mvae_model_free(m);
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256] = "";
  if (load_and_run(data, size, err, sizeof err) || !strstr(err, "checksum mismatch"))
    return 0;
  uint8_t *sealed = malloc(size);
  if (!sealed)
    return 0;
  memcpy(sealed, data, size);
  uint32_t crc = mvf_file_crc32(sealed, size);
  for (int i = 0; i < 4; i++)
    sealed[MVF_CRC_OFFSET + i] = (uint8_t)(crc >> (8 * i));
  err[0] = '\0';
  load_and_run(sealed, size, err, sizeof err);
  free(sealed);
  return 0;
}
