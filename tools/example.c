/* example.c: the C API end to end, as the README shows it. Encodes a melody given as notes,
 * interpolates (slerp) to a random sample in 5 steps, decodes, and prints each result as notes.
 *   build/mvae_example models/mel_2bar_small.q8.mvae */
#include "musicvae.h"

#include <stdio.h>
#include <stdlib.h>

static void *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  void *data = NULL;
  if (f && fseek(f, 0, SEEK_END) == 0) {
    long n = ftell(f);
    rewind(f);
    if (n > 0 && (data = malloc((size_t)n)) && fread(data, 1, (size_t)n, f) != (size_t)n) {
      free(data);
      data = NULL;
    }
    *size = (size_t)n;
  }
  if (f)
    fclose(f);
  return data;
}

int main(int argc, char **argv) {
  size_t size = 0;
  void *bytes = argc == 2 ? read_file(argv[1], &size) : NULL;
  if (!bytes) {
    fprintf(stderr, "usage: mvae_example MODEL.mvae\n");
    return 2;
  }
  mvae_model *model;
  char err[256];
  mvae_status st = mvae_model_load(bytes, size, &model, err, sizeof err);
  free(bytes); /* the model keeps its own copy */
  if (st != MVAE_OK) {
    fprintf(stderr, "load: %s\n", err);
    return 1;
  }
  mvae_info info;
  mvae_model_info(model, &info);
  if (info.converter != MVAE_CONVERTER_MELODY || !info.has_encoder || info.z_size > 512 ||
      info.num_steps > 64) {
    fprintf(stderr, "this example needs a melody model with an encoder\n");
    mvae_model_free(model);
    return 1;
  }

  /* C major arpeggio, quarter notes, 2 bars (steps of a 16th). */
  mvae_note melody[8];
  for (int i = 0; i < 8; i++)
    melody[i] =
        (mvae_note){60 + (int[]){0, 4, 7, 12, 7, 4, 0, -5}[i], 80, 4 * i, 4 * i + 4, 0, 0, 0};
  float *input = calloc((size_t)info.num_steps * info.input_depth, sizeof(float));
  float z[2 * 512], path[5 * 512];
  int32_t tokens[5 * 64];
  mvae_rng rng;
  mvae_rng_seed(&rng, 42); /* same seed, same result on every platform */

  if ((st = mvae_notes_to_input(model, melody, 8, input)) == MVAE_OK &&
      (st = mvae_encode(model, input, 1, z, NULL)) == MVAE_OK &&
      (st = mvae_sample(model, 1, 0.5f, &rng, z + info.z_size, tokens)) == MVAE_OK &&
      (st = mvae_interpolate(z, z + info.z_size, info.z_size, 5, MVAE_INTERP_SLERP, path)) ==
          MVAE_OK &&
      (st = mvae_decode(model, path, 5, NULL, tokens)) == MVAE_OK) { /* NULL: argmax */
    for (int i = 0; i < 5; i++) {
      mvae_note notes[64];
      int n = 0;
      mvae_tokens_to_notes(model, tokens + i * info.num_steps, notes, 64, &n);
      printf("step %d of 5:", i + 1);
      for (int k = 0; k < n; k++)
        printf(" %d@%d-%d", notes[k].pitch, notes[k].start_step, notes[k].end_step);
      printf("\n");
    }
  } else {
    fprintf(stderr, "error: %s\n", mvae_last_error(model));
  }
  free(input);
  mvae_model_free(model);
  return st == MVAE_OK ? 0 : 1;
}
