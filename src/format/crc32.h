/* crc32.h: the CRC-32 of the model file format (ISO-HDLC, as zlib's crc32 and Node's
 * zlib.crc32): reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF. */
#ifndef MVAE_CRC32_H
#define MVAE_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC over n more bytes: crc = mvf_crc32(0, a, na); crc = mvf_crc32(crc, b, nb). */
uint32_t mvf_crc32(uint32_t crc, const uint8_t *data, size_t n);

#endif
