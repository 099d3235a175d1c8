/* fuzz_multitrack.c: libFuzzer target for the multitrack converter (convert_multitrack.h).
 *
 * The bytes are read as: segments - 1, steps per segment - 2, total steps - 1, velocity bins, min
 * and max pitch, total quantized steps (255: none), a flags byte (bit 0: start times, bit 1: notes
 * without velocity), then notes of 8 bytes each (pitch, velocity, start, length, program, is_drum,
 * instrument, start time), folded into their valid ranges. Notes go to tokens, the tokens to an
 * input and back to segment lengths, and any token stream (the same bytes read as tokens) to notes;
 * the invariants below are asserted (abort on failure). Built with -DMVAE_FUZZ=ON. */
#include "notes/convert_multitrack.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SEGMENTS = 8, MAX_SEG = 34, MAX_NOTES = 80, HEADER = 8, NOTE_BYTES = 8 };

#define REQUIRE(cond)                                                                              \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "fuzz_multitrack: %s:%d: invariant failed: %s\n", __FILE__, __LINE__,        \
              #cond);                                                                              \
      abort();                                                                                     \
    }                                                                                              \
  } while (0)

typedef struct fuzz_buffers {
  mvae_note notes[MAX_NOTES], decoded[MAX_SEGMENTS * MAX_SEG];
  double starts[MAX_NOTES];
  unsigned char no_velocity[MAX_NOTES];
  int32_t tokens[MAX_SEGMENTS * MAX_SEG], stream[MAX_SEGMENTS * MAX_SEG];
  int lengths[MAX_SEGMENTS];
  float input[MAX_SEGMENTS * MAX_SEG * 460];
} fuzz_buffers;

static void check_notes(const mvae_note *notes, int n, const mvae_multitrack_params *p) {
  for (int i = 0; i < n; i++) {
    const mvae_note *x = &notes[i];
    REQUIRE(x->pitch >= p->min_pitch && x->pitch <= p->max_pitch);
    REQUIRE(x->start_step >= 0 && x->start_step < x->end_step && x->end_step <= p->total_steps);
    REQUIRE(x->velocity >= 1 && x->velocity <= 127);
    REQUIRE(x->instrument >= 0 && x->instrument < p->num_segments);
    REQUIRE(x->program >= 0 && x->program <= 127 && (x->is_drum == 0 || x->is_drum == 1));
    REQUIRE(!x->is_drum || x->program == 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < HEADER)
    return 0;
  mvae_multitrack_params p;
  p.num_segments = 1 + data[0] % MAX_SEGMENTS;
  p.num_steps = p.num_segments * (2 + data[1] % (MAX_SEG - 1));
  p.total_steps = 1 + data[2] % 48;
  p.velocity_bins = data[3] % 17;
  p.min_pitch = data[4] % 128;
  p.max_pitch = p.min_pitch + data[5] % (128 - p.min_pitch);
  int total_q = data[6] == 255 ? -1 : data[6];
  uint8_t flags = data[7];
  int depth = mvae_multitrack_depth(&p), seg = p.num_steps / p.num_segments;
  int bin_size = p.velocity_bins ? (127 + p.velocity_bins - 1) / p.velocity_bins : 0;
  REQUIRE((depth == 0) == (p.velocity_bins && (p.velocity_bins - 1) * bin_size + 1 > 127));
  if (depth == 0)
    return 0;
  REQUIRE(depth <= 460);
  fuzz_buffers *b = calloc(1, sizeof *b);
  if (!b)
    return 0;
  int n = 0;
  for (size_t o = HEADER; o + NOTE_BYTES <= size && n < MAX_NOTES; o += NOTE_BYTES, n++) {
    const uint8_t *d = data + o;
    int start = d[2] % 64;
    b->notes[n] = (mvae_note){d[0] % 128, d[1] % 128, start,    start + 1 + d[3] % 64,
                              d[4] % 128, d[5] & 1,   d[6] % 70};
    b->starts[n] = (flags & 1) && d[7] != 255 ? d[7] / 16.0 : NAN;
    b->no_velocity[n] = (flags & 2) && (d[7] & 1);
  }
  mvae_sequence_timing timing = {(flags & 1) ? b->starts : NULL, total_q,
                                 (flags & 2) ? b->no_velocity : NULL};
  mvae_convert_error err;
  mvae_status st = mvae_multitrack_notes_to_tokens(b->notes, n, &timing, &p, b->tokens, &err);
  int instruments = 0;
  for (int i = 0; i < n; i++) {
    int seen = 0;
    if (b->notes[i].pitch < p.min_pitch || b->notes[i].pitch > p.max_pitch)
      continue;
    for (int j = 0; j < i && !seen; j++)
      seen = b->notes[j].instrument == b->notes[i].instrument && b->notes[j].pitch >= p.min_pitch &&
             b->notes[j].pitch <= p.max_pitch;
    instruments += !seen;
  }
  REQUIRE((st == MVAE_OK) == (instruments <= MVAE_MULTITRACK_MAX_INSTRUMENTS));
  if (st == MVAE_OK) {
    /* Each segment: a program token (or [end] alone), events, one end token, then pads. */
    int end = depth - 1, program0 = end - MVAE_MULTITRACK_PROGRAMS;
    for (int u = 0; u < p.num_segments; u++) {
      const int32_t *t = b->tokens + u * seg;
      int at = -1;
      for (int k = 0; k < seg; k++) {
        if (at >= 0) {
          REQUIRE(t[k] == MVAE_MULTITRACK_PAD);
          continue;
        }
        REQUIRE(t[k] >= 0 && t[k] < depth);
        if (t[k] == end)
          at = k;
        else if (k > 0)
          REQUIRE(t[k] < program0);
      }
      REQUIRE(at >= 0 && (at == 0) == (u >= instruments));
      REQUIRE(at == 0 || t[0] >= program0 || t[0] == 0);
    }
    REQUIRE(mvae_multitrack_tokens_to_input(b->tokens, &p, depth, b->input, &err) == MVAE_OK);
    REQUIRE(mvae_multitrack_segment_lengths(b->input, depth, &p, b->lengths, &err) == MVAE_OK);
    for (int u = 0; u < p.num_segments; u++)
      REQUIRE(b->tokens[u * seg + b->lengths[u] - 1] == end);
    int count = -1;
    REQUIRE(mvae_multitrack_tokens_to_notes(b->tokens, &p, NULL, 0, &count, &err) ==
                MVAE_ERR_BUFFER_TOO_SMALL ||
            count == 0);
    for (int k = 0; k < p.num_steps; k++)
      b->stream[k] = b->tokens[k] < 0 ? 0 : b->tokens[k];
    REQUIRE(mvae_multitrack_tokens_to_notes(b->stream, &p, b->decoded, p.num_steps, &count, &err) ==
            MVAE_OK);
    check_notes(b->decoded, count, &p);
  }
  /* The bytes as a decoded token stream (any tokens in range; one out of range is refused). */
  for (int k = 0; k < p.num_steps; k++)
    b->stream[k] = size ? (int32_t)(data[k % size] * 7 + k) % (depth + 1) : 0;
  int count = 0, bad = 0;
  for (int k = 0; k < p.num_steps; k++)
    bad |= b->stream[k] == depth;
  st = mvae_multitrack_tokens_to_notes(b->stream, &p, b->decoded, p.num_steps, &count, &err);
  REQUIRE(bad ? st == MVAE_ERR_BAD_INPUT : st == MVAE_OK);
  if (st == MVAE_OK) {
    REQUIRE(count <= p.num_steps);
    check_notes(b->decoded, count, &p);
  }
  free(b);
  return 0;
}
