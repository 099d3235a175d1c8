/* model_file.h: parsing and validating an MVAE file held in memory (docs/model-format.md).
 * The parsed tables point into the caller's buffer, which must outlive them. */
#ifndef MVAE_MODEL_FILE_H
#define MVAE_MODEL_FILE_H

#include "musicvae.h"

#include <stddef.h>
#include <stdint.h>

#define MVF_MAGIC "MVAE"
#define MVF_VERSION 2u        /* what writers write: version 1's layout plus a CRC-32 */
#define MVF_VERSION_OLDEST 1u /* version 1 files (no checksum) still load */
#define MVF_HEADER_V1 32u
#define MVF_HEADER_V2 40u /* ... then u32 crc32 at 32 and u32 reserved (0) at 36 */
#define MVF_CRC_OFFSET 32u
#define MVF_MAX_META 256u
#define MVF_MAX_TENSORS 1024u
#define MVF_MAX_NAME 255u
#define MVF_MAX_STRING 65535u
#define MVF_MAX_ARRAY 64u
#define MVF_ALIGN 64u

typedef enum mvf_dtype { MVF_F32 = 0, MVF_F16 = 1, MVF_Q8 = 2 } mvf_dtype;
typedef enum mvf_meta_type {
  MVF_META_I32 = 1,
  MVF_META_F32 = 2,
  MVF_META_STR = 3,
  MVF_META_I32_ARRAY = 4
} mvf_meta_type;

typedef struct mvf_meta {
  const char *key; /* not NUL-terminated: key_len bytes */
  uint32_t key_len;
  mvf_meta_type type;
  int32_t i32;
  float f32;
  const char *str; /* STR: str_len bytes */
  uint32_t str_len;
  const uint8_t *array; /* I32_ARRAY: count little-endian i32 */
  uint32_t count;
} mvf_meta;

typedef struct mvf_tensor {
  const char *name; /* name_len bytes */
  uint32_t name_len;
  mvf_dtype dtype;
  int n_dims;
  int rows, cols; /* a 1-D tensor is one row */
  int block;      /* q8: elements per scale */
  const uint8_t *data;
  size_t nbytes;
  int bound; /* set by the model builder for each tensor its configuration uses */
} mvf_tensor;

typedef struct mvf_file {
  uint32_t version;
  mvf_meta *meta;
  uint32_t n_meta;
  mvf_tensor *tensors;
  uint32_t n_tensors;
} mvf_file;

/* The CRC-32 a version 2 file stores: over the whole file, its 4 checksum bytes read as zeros.
 * size must be at least MVF_HEADER_V2. */
uint32_t mvf_file_crc32(const uint8_t *buf, size_t size);

/* Parses and validates (checksum, structure, finite weights); on failure returns MVAE_ERR_BAD_MODEL
 * (or OUT_OF_MEMORY) with a message. */
mvae_status mvf_parse(const uint8_t *buf, size_t size, mvf_file *out, char *err, size_t err_size);
void mvf_release(mvf_file *file);

const mvf_meta *mvf_find_meta(const mvf_file *file, const char *key);
const mvf_tensor *mvf_find_tensor(const mvf_file *file, const char *name);
int32_t mvf_meta_array_at(const mvf_meta *meta, uint32_t index);

#endif
