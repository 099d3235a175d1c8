/* fuzz_chords.c: libFuzzer target for the chord symbol parser and the chord encoders
 * (src/notes/chords.c). Any bytes, split at '|' into symbols, must either encode or be refused
 * with a message; an encoding must be what its encoder defines (one-hots with a single 1; the pitch
 * encoding's root and bass the same pitch class, which is one of its pitches). */
#include "musicvae.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SYMBOLS = 16, MAX_LEN = 512, STEPS = 48 };

static void check_encoding(mvae_chord_encoding enc, const float *out, const mvae_chord *chord) {
  int depth = mvae_chord_encoding_depth(enc), ones = 0;
  for (int i = 0; i < depth; i++) {
    if (out[i] != 0.0f && out[i] != 1.0f)
      abort();
    ones += out[i] == 1.0f;
  }
  if (enc != MVAE_CHORDS_PITCH || chord->no_chord) {
    if (ones != 1)
      abort();
    return;
  }
  if (out[0] != 0.0f || out[1 + chord->root] != 1.0f || out[25 + chord->root] != 1.0f ||
      out[13 + chord->root] != 1.0f || ones != 2 + __builtin_popcount((unsigned)chord->pitches))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > MAX_LEN)
    return 0;
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  const char *symbols[MAX_SYMBOLS];
  int n = 0;
  for (char *p = text; n < MAX_SYMBOLS;) {
    symbols[n++] = p;
    char *bar = strchr(p, '|');
    if (!bar)
      break;
    *bar = '\0';
    p = bar + 1;
  }
  char err[256];
  float out[64], progression[STEPS * 49];
  for (int i = 0; i < n; i++) {
    mvae_chord chord;
    mvae_status parsed = mvae_chord_parse(symbols[i], &chord, err, sizeof err);
    if (parsed != MVAE_OK && !err[0])
      abort(); /* a refusal says why */
    if (parsed == MVAE_OK && !chord.no_chord &&
        (chord.root < 0 || chord.root > 11 || !(chord.pitches >> chord.root & 1) ||
         chord.pitches >> 12 || (unsigned)chord.quality > MVAE_CHORD_OTHER))
      abort();
    for (int e = MVAE_CHORDS_PITCH; e <= MVAE_CHORDS_TRIAD; e++) {
      mvae_status st = mvae_chord_encode((mvae_chord_encoding)e, symbols[i], out, err, sizeof err);
      if (st == MVAE_OK && parsed == MVAE_OK)
        check_encoding((mvae_chord_encoding)e, out, &chord);
      else if (st == MVAE_OK || !err[0])
        abort(); /* the encoder accepts only what parses, and says why it refuses */
    }
  }
  for (int e = MVAE_CHORDS_PITCH; e <= MVAE_CHORDS_TRIAD; e++)
    mvae_chord_progression_encode((mvae_chord_encoding)e, symbols, n, 1 + (int)(size % STEPS),
                                  progression, 49, err, sizeof err);
  free(text);
  return 0;
}
