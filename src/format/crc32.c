/* crc32.c: CRC-32 by slicing-by-4 over a table built on the stack (no global state; building the
 * 4 KiB table costs about as much as checksumming 16 KiB, far below a model's size). */
#include "format/crc32.h"

typedef struct crc_tables {
  uint32_t t[4][256];
} crc_tables;

static void build_tables(crc_tables *tables) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    tables->t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; i++)
    for (int s = 1; s < 4; s++)
      tables->t[s][i] = (tables->t[s - 1][i] >> 8) ^ tables->t[0][tables->t[s - 1][i] & 0xffu];
}

uint32_t mvf_crc32(uint32_t crc, const uint8_t *data, size_t n) {
  crc_tables tables;
  build_tables(&tables);
  const uint32_t(*t)[256] = tables.t;
  uint32_t c = ~crc;
  for (; n >= 4; n -= 4, data += 4) {
    c ^= (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
         (uint32_t)data[3] << 24;
    c = t[3][c & 0xffu] ^ t[2][(c >> 8) & 0xffu] ^ t[1][(c >> 16) & 0xffu] ^ t[0][c >> 24];
  }
  for (; n > 0; n--, data++)
    c = t[0][(c ^ *data) & 0xffu] ^ (c >> 8);
  return ~c;
}
