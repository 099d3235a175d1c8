/* model_file.c: a bounds-checked reader for MVAE files. Every read goes through a cursor that knows
 * how many bytes remain, so a hostile file can only produce an error message. */
#include "format/model_file.h"

#include "api/errors.h"
#include "format/crc32.h"

#include <stdlib.h>
#include <string.h>

typedef struct cursor {
  const uint8_t *base;
  size_t size;
  size_t pos;
} cursor;

static int read_bytes(cursor *c, void *dst, size_t n) {
  if (n > c->size - c->pos)
    return 0;
  memcpy(dst, c->base + c->pos, n);
  c->pos += n;
  return 1;
}

/* Little-endian decoding without assuming the host's byte order. */
static int read_u32(cursor *c, uint32_t *v) {
  uint8_t b[4];
  if (!read_bytes(c, b, 4))
    return 0;
  *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  return 1;
}

static int read_u64(cursor *c, uint64_t *v) {
  uint32_t lo, hi;
  if (!read_u32(c, &lo) || !read_u32(c, &hi))
    return 0;
  *v = (uint64_t)hi << 32 | lo;
  return 1;
}

static int read_string(cursor *c, uint32_t max_len, const char **s, uint32_t *len) {
  if (!read_u32(c, len) || *len > max_len || *len > c->size - c->pos)
    return 0;
  *s = (const char *)(c->base + c->pos);
  c->pos += *len;
  return 1;
}

int32_t mvf_meta_array_at(const mvf_meta *meta, uint32_t index) {
  const uint8_t *b = meta->array + 4u * index;
  return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                   (uint32_t)b[3] << 24);
}

static int same_name(const char *a, uint32_t a_len, const char *b, uint32_t b_len) {
  return a_len == b_len && memcmp(a, b, a_len) == 0;
}

static size_t expected_tensor_bytes(const mvf_tensor *t) {
  size_t elements = (size_t)t->rows * (size_t)t->cols;
  switch (t->dtype) {
  case MVF_F32:
    return 4 * elements;
  case MVF_F16:
    return 2 * elements;
  case MVF_Q8: {
    size_t blocks_per_row = ((size_t)t->cols + (size_t)t->block - 1) / (size_t)t->block;
    return 4 * (size_t)t->rows * blocks_per_row + elements;
  }
  }
  return 0;
}

#define FAIL(...) mvae_format_error(err, err_size, MVAE_ERR_BAD_MODEL, __VA_ARGS__)

static mvae_status parse_meta(cursor *c, mvf_meta *m, uint32_t index, char *err, size_t err_size) {
  uint32_t type;
  if (!read_string(c, MVF_MAX_NAME, &m->key, &m->key_len) || m->key_len == 0)
    return FAIL("metadata entry %u: bad or truncated key", index);
  if (!read_u32(c, &type))
    return FAIL("metadata '%.*s': truncated", (int)m->key_len, m->key);
  m->type = (mvf_meta_type)type;
  switch (type) {
  case MVF_META_I32: {
    uint32_t v;
    if (!read_u32(c, &v))
      return FAIL("metadata '%.*s': truncated", (int)m->key_len, m->key);
    m->i32 = (int32_t)v;
    return MVAE_OK;
  }
  case MVF_META_F32: {
    uint32_t v;
    if (!read_u32(c, &v))
      return FAIL("metadata '%.*s': truncated", (int)m->key_len, m->key);
    memcpy(&m->f32, &v, 4);
    return MVAE_OK;
  }
  case MVF_META_STR:
    if (!read_string(c, MVF_MAX_STRING, &m->str, &m->str_len))
      return FAIL("metadata '%.*s': bad or truncated string", (int)m->key_len, m->key);
    return MVAE_OK;
  case MVF_META_I32_ARRAY:
    if (!read_u32(c, &m->count) || m->count > MVF_MAX_ARRAY ||
        (size_t)m->count * 4 > c->size - c->pos)
      return FAIL("metadata '%.*s': bad or truncated array", (int)m->key_len, m->key);
    m->array = c->base + c->pos;
    c->pos += (size_t)m->count * 4;
    return MVAE_OK;
  default:
    return FAIL("metadata '%.*s': unknown type %u", (int)m->key_len, m->key, type);
  }
}

static mvae_status parse_tensor(cursor *c, mvf_tensor *t, uint32_t index, uint64_t data_offset,
                                uint64_t data_size, char *err, size_t err_size) {
  uint32_t dtype, n_dims, dims[2], block;
  uint64_t offset, nbytes;
  if (!read_string(c, MVF_MAX_NAME, &t->name, &t->name_len) || t->name_len == 0)
    return FAIL("tensor entry %u: bad or truncated name", index);
  if (!read_u32(c, &dtype) || !read_u32(c, &n_dims))
    return FAIL("tensor '%.*s': truncated entry", (int)t->name_len, t->name);
  if (dtype > MVF_Q8)
    return FAIL("tensor '%.*s': unknown dtype %u", (int)t->name_len, t->name, dtype);
  if (n_dims < 1 || n_dims > 2)
    return FAIL("tensor '%.*s': %u dimensions (1 or 2 allowed)", (int)t->name_len, t->name, n_dims);
  for (uint32_t d = 0; d < n_dims; d++) {
    if (!read_u32(c, &dims[d]))
      return FAIL("tensor '%.*s': truncated entry", (int)t->name_len, t->name);
    if (dims[d] < 1 || dims[d] > 0x7fffffffu)
      return FAIL("tensor '%.*s': dimension %u is %u", (int)t->name_len, t->name, d, dims[d]);
  }
  if (!read_u32(c, &block) || !read_u64(c, &offset) || !read_u64(c, &nbytes))
    return FAIL("tensor '%.*s': truncated entry", (int)t->name_len, t->name);
  t->dtype = (mvf_dtype)dtype;
  t->n_dims = (int)n_dims;
  t->rows = n_dims == 2 ? (int)dims[0] : 1;
  t->cols = (int)dims[n_dims - 1];
  if ((uint64_t)t->rows * (uint64_t)t->cols >= 0x80000000ull)
    return FAIL("tensor '%.*s': too many elements", (int)t->name_len, t->name);
  if (t->dtype == MVF_Q8) {
    if (block < 1 || block > (uint32_t)t->cols)
      return FAIL("tensor '%.*s': q8 block %u not in 1..%d", (int)t->name_len, t->name, block,
                  t->cols);
  } else if (block != 0) {
    return FAIL("tensor '%.*s': block must be 0 for dtype %u", (int)t->name_len, t->name, dtype);
  }
  t->block = (int)block;
  if (offset % MVF_ALIGN != 0)
    return FAIL("tensor '%.*s': offset %llu not a multiple of %u", (int)t->name_len, t->name,
                (unsigned long long)offset, MVF_ALIGN);
  if (nbytes != expected_tensor_bytes(t))
    return FAIL("tensor '%.*s': %llu bytes, expected %llu for its shape and dtype",
                (int)t->name_len, t->name, (unsigned long long)nbytes,
                (unsigned long long)expected_tensor_bytes(t));
  if (offset > data_size || nbytes > data_size - offset)
    return FAIL("tensor '%.*s': data [%llu, +%llu) lies outside the data section (%llu bytes)",
                (int)t->name_len, t->name, (unsigned long long)offset, (unsigned long long)nbytes,
                (unsigned long long)data_size);
  t->data = c->base + data_offset + offset;
  t->nbytes = (size_t)nbytes;
  return MVAE_OK;
}

/* Index of the first non-finite value in a tensor's float data (f32, or q8 scales), or -1. Reads
 * the bits (little-endian, as the format) so no NaN ever reaches the FPU. */
static long first_non_finite_f32(const uint8_t *data, size_t count) {
  for (size_t i = 0; i < count; i++) {
    const uint8_t *b = data + 4 * i;
    uint32_t exponent = ((uint32_t)b[3] << 8 | b[2]) & 0x7f80u;
    if (exponent == 0x7f80u)
      return (long)i;
  }
  return -1;
}

static long first_non_finite_f16(const uint8_t *data, size_t count) {
  for (size_t i = 0; i < count; i++)
    if ((data[2 * i + 1] & 0x7cu) == 0x7cu)
      return (long)i;
  return -1;
}

/* NaN or infinite weights make every result meaningless (empty samples, NaN latents): refused. */
static mvae_status check_finite_values(const mvf_tensor *t, char *err, size_t err_size) {
  size_t elements = (size_t)t->rows * (size_t)t->cols;
  long bad;
  const char *what = "value";
  switch (t->dtype) {
  case MVF_F32:
    bad = first_non_finite_f32(t->data, elements);
    break;
  case MVF_F16:
    bad = first_non_finite_f16(t->data, elements);
    break;
  default:
    bad = first_non_finite_f32(
        t->data, (size_t)t->rows * (((size_t)t->cols + (size_t)t->block - 1) / (size_t)t->block));
    what = "q8 scale";
    break;
  }
  if (bad >= 0)
    return FAIL("tensor '%.*s': %s %ld is not a finite number (NaN or infinity)", (int)t->name_len,
                t->name, what, bad);
  return MVAE_OK;
}

static int compare_by_data(const void *a, const void *b) {
  const mvf_tensor *x = *(const mvf_tensor *const *)a, *y = *(const mvf_tensor *const *)b;
  return x->data < y->data ? -1 : x->data > y->data;
}

/* Tensors must not share bytes: sort by start, then each must end before the next begins. */
static mvae_status check_overlaps(mvf_file *f, char *err, size_t err_size) {
  if (f->n_tensors < 2)
    return MVAE_OK;
  const mvf_tensor **order = malloc(sizeof *order * f->n_tensors);
  if (!order)
    return mvae_format_error(err, err_size, MVAE_ERR_OUT_OF_MEMORY, "out of memory");
  for (uint32_t i = 0; i < f->n_tensors; i++)
    order[i] = &f->tensors[i];
  qsort(order, f->n_tensors, sizeof *order, compare_by_data);
  mvae_status status = MVAE_OK;
  for (uint32_t i = 1; i < f->n_tensors && status == MVAE_OK; i++)
    if (order[i - 1]->data + order[i - 1]->nbytes > order[i]->data)
      status = FAIL("tensors '%.*s' and '%.*s' overlap", (int)order[i - 1]->name_len,
                    order[i - 1]->name, (int)order[i]->name_len, order[i]->name);
  free(order);
  return status;
}

static mvae_status parse_tables(cursor *c, mvf_file *f, uint64_t data_offset, uint64_t data_size,
                                char *err, size_t err_size) {
  mvae_status status;
  for (uint32_t i = 0; i < f->n_meta; i++) {
    if ((status = parse_meta(c, &f->meta[i], i, err, err_size)) != MVAE_OK)
      return status;
    for (uint32_t j = 0; j < i; j++)
      if (same_name(f->meta[i].key, f->meta[i].key_len, f->meta[j].key, f->meta[j].key_len))
        return FAIL("metadata key '%.*s' appears twice", (int)f->meta[i].key_len, f->meta[i].key);
  }
  for (uint32_t i = 0; i < f->n_tensors; i++) {
    mvf_tensor *t = &f->tensors[i];
    if ((status = parse_tensor(c, t, i, data_offset, data_size, err, err_size)) != MVAE_OK)
      return status;
    for (uint32_t j = 0; j < i; j++)
      if (same_name(t->name, t->name_len, f->tensors[j].name, f->tensors[j].name_len))
        return FAIL("tensor '%.*s' appears twice", (int)t->name_len, t->name);
    if ((status = check_finite_values(t, err, err_size)) != MVAE_OK)
      return status;
  }
  if (c->pos > data_offset)
    return FAIL("header tables end at byte %zu, after data_offset %llu", c->pos,
                (unsigned long long)data_offset);
  return check_overlaps(f, err, err_size);
}

uint32_t mvf_file_crc32(const uint8_t *buf, size_t size) {
  static const uint8_t zeros[4] = {0, 0, 0, 0};
  uint32_t crc = mvf_crc32(0, buf, MVF_CRC_OFFSET);
  crc = mvf_crc32(crc, zeros, 4);
  return mvf_crc32(crc, buf + MVF_CRC_OFFSET + 4, size - MVF_CRC_OFFSET - 4);
}

/* Version 2's checksum fields; checked before any table is read, so a corrupted file is reported
 * as corrupted rather than by whichever field the damage happened to hit. */
static mvae_status check_checksum(cursor *c, char *err, size_t err_size) {
  uint32_t stored, reserved;
  if (!read_u32(c, &stored) || !read_u32(c, &reserved))
    return FAIL("file is %zu bytes, too short for an MVAE version 2 header", c->size);
  uint32_t computed = mvf_file_crc32(c->base, c->size);
  if (stored != computed)
    return FAIL("checksum mismatch: the file is corrupted or truncated (stored CRC-32 %08x, "
                "computed %08x)",
                stored, computed);
  if (reserved != 0)
    return FAIL("header field at byte 36 is %u, must be 0", reserved);
  return MVAE_OK;
}

mvae_status mvf_parse(const uint8_t *buf, size_t size, mvf_file *out, char *err, size_t err_size) {
  memset(out, 0, sizeof *out);
  if (!buf)
    return mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT, "model data is NULL");
  cursor c = {buf, size, 0};
  uint8_t magic[4];
  uint32_t version;
  uint64_t data_offset, data_size;
  if (!read_bytes(&c, magic, 4))
    return FAIL("file is %zu bytes, too short for an MVAE header", size);
  if (memcmp(magic, MVF_MAGIC, 4) != 0)
    return FAIL("not an MVAE model file (magic is not 'MVAE')");
  if (!read_u32(&c, &version) || !read_u32(&c, &out->n_meta) || !read_u32(&c, &out->n_tensors) ||
      !read_u64(&c, &data_offset) || !read_u64(&c, &data_size))
    return FAIL("file is %zu bytes, too short for an MVAE header", size);
  if (version < MVF_VERSION_OLDEST || version > MVF_VERSION)
    return FAIL("unsupported MVAE version %u (this engine reads versions %u..%u)", version,
                MVF_VERSION_OLDEST, MVF_VERSION);
  out->version = version;
  if (data_offset > size || data_size != size - data_offset)
    return FAIL("file is %zu bytes but the header says %llu + %llu (truncated or padded?)", size,
                (unsigned long long)data_offset, (unsigned long long)data_size);
  mvae_status status;
  if (version >= 2 && (status = check_checksum(&c, err, err_size)) != MVAE_OK)
    return status;
  if (out->n_meta > MVF_MAX_META)
    return FAIL("%u metadata entries (at most %u)", out->n_meta, MVF_MAX_META);
  if (out->n_tensors > MVF_MAX_TENSORS)
    return FAIL("%u tensors (at most %u)", out->n_tensors, MVF_MAX_TENSORS);
  if (data_offset % MVF_ALIGN != 0)
    return FAIL("data_offset %llu is not a multiple of %u", (unsigned long long)data_offset,
                MVF_ALIGN);
  out->meta = calloc(out->n_meta ? out->n_meta : 1, sizeof *out->meta);
  out->tensors = calloc(out->n_tensors ? out->n_tensors : 1, sizeof *out->tensors);
  if (!out->meta || !out->tensors) {
    mvf_release(out);
    return mvae_format_error(err, err_size, MVAE_ERR_OUT_OF_MEMORY, "out of memory");
  }
  status = parse_tables(&c, out, data_offset, data_size, err, err_size);
  if (status != MVAE_OK)
    mvf_release(out);
  return status;
}

void mvf_release(mvf_file *file) {
  if (!file)
    return;
  free(file->meta);
  free(file->tensors);
  memset(file, 0, sizeof *file);
}

const mvf_meta *mvf_find_meta(const mvf_file *file, const char *key) {
  uint32_t len = (uint32_t)strlen(key);
  for (uint32_t i = 0; i < file->n_meta; i++)
    if (same_name(file->meta[i].key, file->meta[i].key_len, key, len))
      return &file->meta[i];
  return NULL;
}

const mvf_tensor *mvf_find_tensor(const mvf_file *file, const char *name) {
  uint32_t len = (uint32_t)strlen(name);
  for (uint32_t i = 0; i < file->n_tensors; i++)
    if (same_name(file->tensors[i].name, file->tensors[i].name_len, name, len))
      return &file->tensors[i];
  return NULL;
}
