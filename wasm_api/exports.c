/* exports.c: the C functions the WebAssembly module exports, on top of the public API
 * (include/musicvae.h). The public calls that take only pointers and numbers are exported as they
 * are (see build.sh); the ones below wrap what JavaScript cannot pass easily: the rng struct (made
 * on the heap from a 64-bit seed in two 32-bit halves), the decode options struct, the info struct
 * (flattened into an int32 array) and the load error string.
 *
 * Every wrapper returns an mvae_status (0 = OK); the message is mvae_last_error(model). */
#include "kernels/activations.h"
#include "kernels/kernels.h"
#include "musicvae.h"

#include <emscripten/emscripten.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The kernel and activation sets compiled in and used ("wasm_simd128" when built with -msimd128).
 */
EMSCRIPTEN_KEEPALIVE const char *mvw_kernels(void) {
  return mvk_active()->name;
}

EMSCRIPTEN_KEEPALIVE const char *mvw_activations(void) {
  return mva_active()->name;
}

/* The message of the last failed mvw_load (loading has no model to hold it). */
static char load_error[512];

EMSCRIPTEN_KEEPALIVE const char *mvw_load_error(void) {
  return load_error;
}

/* Loads a model from bytes; *status_out gets the status. Returns the model or NULL. */
EMSCRIPTEN_KEEPALIVE mvae_model *mvw_load(const void *data, int size, int *status_out) {
  mvae_model *model = NULL;
  load_error[0] = '\0';
  mvae_status status =
      size > 0 ? mvae_model_load(data, (size_t)size, &model, load_error, sizeof load_error)
               : MVAE_ERR_INVALID_ARGUMENT;
  if (size <= 0)
    strcpy(load_error, "model data is empty");
  if (status_out)
    *status_out = (int)status;
  return status == MVAE_OK ? model : NULL;
}

/* The info fields, in this order (see MVW_INFO_* in musicvae.mjs): z_size, num_steps, num_segments,
 * steps_per_quarter, steps_per_bar, hierarchical, has_encoder, has_sigma, input_depth, num_tracks,
 * output_depths[4], converter, min_pitch, max_pitch, drums_roll_input, quantized, weight_bytes
 * (saturated at 2^31 - 1). */
enum { MVW_INFO_COUNT = 20 };

EMSCRIPTEN_KEEPALIVE int mvw_info(const mvae_model *model, int32_t *out) {
  mvae_info in;
  mvae_status status = mvae_model_info(model, &in);
  if (status != MVAE_OK || !out)
    return status != MVAE_OK ? (int)status : MVAE_ERR_INVALID_ARGUMENT;
  int32_t values[MVW_INFO_COUNT] = {in.z_size,
                                    in.num_steps,
                                    in.num_segments,
                                    in.steps_per_quarter,
                                    in.steps_per_bar,
                                    in.hierarchical,
                                    in.has_encoder,
                                    in.has_sigma,
                                    in.input_depth,
                                    in.num_tracks,
                                    in.output_depths[0],
                                    in.output_depths[1],
                                    in.output_depths[2],
                                    in.output_depths[3],
                                    (int32_t)in.converter,
                                    in.min_pitch,
                                    in.max_pitch,
                                    in.drums_roll_input,
                                    in.quantized,
                                    in.weight_bytes > 0x7fffffff ? 0x7fffffff
                                                                 : (int32_t)in.weight_bytes};
  memcpy(out, values, sizeof values);
  return MVAE_OK;
}

EMSCRIPTEN_KEEPALIVE const char *mvw_name(const mvae_model *model) {
  mvae_info in;
  if (mvae_model_info(model, &in) != MVAE_OK || !in.name)
    return "";
  return in.name;
}

/* A seeded rng on the heap, so that one stream can run across several calls (a long batch decoded
 * in chunks of 64 draws exactly what one call would). Freed with free(). */
EMSCRIPTEN_KEEPALIVE mvae_rng *mvw_rng_new(uint32_t seed_lo, uint32_t seed_hi) {
  mvae_rng *rng = malloc(sizeof *rng);
  if (rng)
    mvae_rng_seed(rng, ((uint64_t)seed_hi << 32) | seed_lo);
  return rng;
}

/* decode with options: temperature <= 0 is argmax (rng unused, may be NULL); teacher and logits may
 * be NULL. */
EMSCRIPTEN_KEEPALIVE int mvw_decode(mvae_model *model, const float *z, int batch, float temperature,
                                    mvae_rng *rng, const int32_t *teacher, float *logits,
                                    int32_t *tokens) {
  mvae_decode_opts opts = {temperature, rng, teacher, logits};
  return (int)mvae_decode(model, z, batch, &opts, tokens);
}

EMSCRIPTEN_KEEPALIVE int mvw_sample(mvae_model *model, int n, float temperature, mvae_rng *rng,
                                    float *z_out, int32_t *tokens) {
  return (int)mvae_sample(model, n, temperature, rng, z_out, tokens);
}

EMSCRIPTEN_KEEPALIVE int mvw_similar(mvae_model *model, const float *z, int n, float similarity,
                                     float temperature, mvae_rng *rng, float *z_out,
                                     int32_t *tokens) {
  return (int)mvae_similar(model, z, n, similarity, temperature, rng, z_out, tokens);
}

/* n draws of N(0, 1) from rng, as mvae_sample draws its z before decoding. */
EMSCRIPTEN_KEEPALIVE void mvw_normal(mvae_rng *rng, float *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = (float)mvae_rng_normal(rng);
}

/* Bytes of heap in use (malloc'd and not freed), for leak tests. */
EMSCRIPTEN_KEEPALIVE int mvw_heap_used(void) {
  return (int)mallinfo().uordblks;
}
