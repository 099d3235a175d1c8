/* test_loader.c: hostile model files must be refused with a message, never crash or read out of
 * bounds (this test also runs under ASan/UBSan): truncated, oversized, wrong magic, random bytes,
 * corrupted headers and tables, inconsistent configuration. */
#include "format/model_file.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

static mvae_status try_load(const uint8_t *data, size_t size, char *err, size_t err_size) {
  mvae_model *m = NULL;
  mvae_status st = mvae_model_load(data, size, &m, err, err_size);
  if (st == MVAE_OK) {
    /* A corruption that still parses must also be safe to run. */
    mvae_info info;
    mvae_model_info(m, &info);
    float *z = calloc((size_t)info.z_size, sizeof(float));
    int32_t *tokens = malloc(sizeof(int32_t) * info.num_tracks * info.num_steps);
    if (z && tokens)
      mvae_decode(m, z, 1, NULL, tokens);
    free(z);
    free(tokens);
    mvae_model_free(m);
  } else if (m != NULL) {
    st = MVAE_ERR_INVALID_ARGUMENT; /* a failed load must not hand out a model */
  }
  return st;
}

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static uint8_t *find_bytes(uint8_t *buf, size_t size, const char *s) {
  size_t n = strlen(s);
  for (size_t k = 0; k + n <= size; k++)
    if (!memcmp(buf + k, s, n))
      return buf + k;
  return NULL;
}

/* The version 1 file `v1` rewritten as version 2 in `out` (same size): the tables move 8 bytes
 * down into the zero padding before data_offset, which must have room. Returns 0 if not. */
static int to_version2(const uint8_t *v1, size_t size, uint8_t *out) {
  size_t data_offset = (size_t)get_u64(v1 + 16);
  for (size_t k = data_offset - 8; k < data_offset; k++)
    if (v1[k] != 0)
      return 0;
  memcpy(out, v1, size);
  memcpy(out + MVF_HEADER_V2, v1 + MVF_HEADER_V1, data_offset - MVF_HEADER_V2);
  put_u32(out + 4, 2);
  put_u32(out + MVF_CRC_OFFSET, 0);
  put_u32(out + MVF_CRC_OFFSET + 4, 0);
  put_u32(out + MVF_CRC_OFFSET, mvf_file_crc32(out, size));
  return 1;
}

/* The first value of tensor `name`: where its data starts. */
static uint8_t *tensor_data(uint8_t *buf, size_t size, const char *name, size_t header) {
  uint8_t *entry = find_bytes(buf, (size_t)get_u64(buf + 16), name);
  if (!entry || entry < buf + header)
    return NULL;
  uint32_t n_dims = entry[strlen(name) + 4];
  uint64_t offset = get_u64(entry + strlen(name) + 8 + 4 * n_dims + 4);
  size_t at = (size_t)get_u64(buf + 16) + (size_t)offset;
  return at + 4 <= size ? buf + at : NULL;
}

static void put_f32(uint8_t *p, float f) {
  uint32_t v;
  memcpy(&v, &f, 4);
  put_u32(p, v);
}

/* Version 2: the checksum, finite weights, unknown names (docs/model-format.md). */
static void test_integrity(test_counts *c, const uint8_t *good, size_t size, uint8_t *buf) {
  char err[512];
  uint8_t *v2 = malloc(size);
  EXPECT(c, v2 && to_version2(good, size, v2), "flat_small rewritten as version 2");
  if (!v2)
    return;
  EXPECT(c, try_load(v2, size, err, sizeof err) == MVAE_OK, "the version 2 file loads: %s", err);

  /* Any flipped bit, header, tables or weights, is caught by the checksum. */
  mvae_rng rng;
  mvae_rng_seed(&rng, 5);
  int caught = 0;
  for (int i = 0; i < 500; i++) {
    memcpy(buf, v2, size);
    size_t at = i < 250 ? mvae_rng_u32(&rng) % (size_t)get_u64(v2 + 16) : mvae_rng_u32(&rng) % size;
    buf[at] ^= (uint8_t)(1u << (mvae_rng_u32(&rng) % 8));
    err[0] = '\0';
    caught += try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL &&
              (strstr(err, "checksum") || strstr(err, "version") || strstr(err, "magic") ||
               strstr(err, "bytes"));
  }
  EXPECT(c, caught == 500, "%d of 500 single bit flips refused", caught);
  memcpy(buf, v2, size);
  buf[size - 1] ^= 1;
  EXPECT(c, try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL && strstr(err, "checksum"),
         "a flip in the last weight byte: %s", err);

  /* Non-finite weights, with the checksum made to match, and in a version 1 file (no checksum). */
  const char *victim = "decoder/output_projection/bias";
  const float bad_values[3] = {NAN, INFINITY, -INFINITY};
  for (int v = 0; v < 3; v++) {
    memcpy(buf, v2, size);
    uint8_t *value = tensor_data(buf, size, victim, MVF_HEADER_V2);
    EXPECT(c, value != NULL, "found %s", victim);
    if (!value)
      break;
    put_f32(value + 4 * 3, bad_values[v]);
    put_u32(buf + MVF_CRC_OFFSET, mvf_file_crc32(buf, size));
    EXPECT(c,
           try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL && strstr(err, victim) &&
               strstr(err, "finite"),
           "non-finite weight refused, tensor named: %s", err);
    memcpy(buf, good, size);
    put_f32(tensor_data(buf, size, victim, MVF_HEADER_V1) + 4 * 3, bad_values[v]);
    EXPECT(c,
           try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL && strstr(err, victim) &&
               strstr(err, "finite"),
           "non-finite weight in a version 1 file refused: %s", err);
  }

  /* One flipped letter in the forward encoder kernel's name (the backward one still there): the
   * encoder is refused rather than silently dropped. */
  const char *fw = "encoder/cell_0/bidirectional_rnn/fw/multi_rnn_cell/cell_0/lstm_cell/kernel";
  memcpy(buf, good, size);
  uint8_t *name = find_bytes(buf, size, fw);
  EXPECT(c, name != NULL, "found the encoder kernel's name");
  if (name) {
    name[0] = 'E';
    EXPECT(c, try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL && strstr(err, "fw"),
           "a misspelt encoder kernel refused: %s", err);
  }
  /* Every encoder LSTM tensor renamed: they are unknown names, refused, not ignored. */
  memcpy(buf, good, size);
  int renamed = 0;
  for (uint8_t *p = buf;
       (p = find_bytes(p, (size_t)get_u64(buf + 16) - (size_t)(p - buf), "encoder/cell_")) != NULL;
       p++, renamed++)
    p[0] = 'E';
  EXPECT(c,
         renamed == 4 && try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL &&
             strstr(err, "Encoder/cell_0") && strstr(err, "not part of"),
         "unknown tensor names refused (%d renamed): %s", renamed, err);
  free(v2);
}

int main(void) {
  test_counts c = {0, 0};
  char err[512];
  size_t size = 0;
  uint8_t *good = (uint8_t *)tv_read_file(MVAE_SOURCE_DIR "/tests/data/flat_small.mvae", &size);
  EXPECT(&c, good && size > 64, "read tests/data/flat_small.mvae");
  if (!good)
    return test_report("test_loader", &c);
  uint8_t *buf = malloc(size + 4096);

  EXPECT(&c, try_load(good, size, err, sizeof err) == MVAE_OK, "the good file loads: %s", err);
  mvae_model *m = (mvae_model *)1;
  EXPECT(&c, mvae_model_load(NULL, 10, &m, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT && !m,
         "NULL data is refused");
  EXPECT(&c, mvae_model_load(good, 0, &m, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT,
         "empty data is refused");
  EXPECT(&c, mvae_model_load(good, size, NULL, err, sizeof err) == MVAE_ERR_INVALID_ARGUMENT,
         "NULL out is refused");

  memcpy(buf, good, size);
  memcpy(buf, "GGUF", 4);
  EXPECT(&c, try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL && strstr(err, "magic"),
         "wrong magic: %s", err);

  /* Every truncation through the header and tables, then a spread through the data. */
  int truncations_refused = 0, truncations = 0;
  for (size_t n = 1; n < size; n += n < 4096 ? 1 : 997) {
    truncations++;
    err[0] = '\0';
    truncations_refused += try_load(good, n, err, sizeof err) == MVAE_ERR_BAD_MODEL && err[0];
  }
  EXPECT(&c, truncations_refused == truncations, "%d of %d truncations refused with a message",
         truncations_refused, truncations);

  memcpy(buf, good, size);
  memset(buf + size, 0, 4096);
  EXPECT(&c, try_load(buf, size + 64, err, sizeof err) == MVAE_ERR_BAD_MODEL,
         "trailing bytes refused: %s", err);

  memcpy(buf, good, size);
  put_u32(buf + 4, 3);
  EXPECT(&c, try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL && strstr(err, "version"),
         "future version refused: %s", err);
  memcpy(buf, good, size);
  put_u32(buf + 12, 0xffffffffu);
  EXPECT(&c, try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL,
         "absurd tensor count refused: %s", err);
  memcpy(buf, good, size);
  put_u32(buf + 8, 0xffffffffu);
  EXPECT(&c, try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL,
         "absurd metadata count refused: %s", err);
  memcpy(buf, good, size);
  put_u64(buf + 16, 65);
  EXPECT(&c, try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL,
         "misaligned data offset refused: %s", err);
  memcpy(buf, good, size);
  put_u64(buf + 24, ~0ull);
  EXPECT(&c, try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL,
         "data size past the end refused: %s", err);

  /* Random buffers, with and without a valid-looking header. */
  mvae_rng rng;
  mvae_rng_seed(&rng, 99);
  int random_refused = 0;
  for (int i = 0; i < 2000; i++) {
    size_t n = 1 + mvae_rng_u32(&rng) % 4096;
    for (size_t k = 0; k < n; k++)
      buf[k] = (uint8_t)mvae_rng_u32(&rng);
    if (i % 2 && n >= 32) {
      memcpy(buf, "MVAE", 4);
      put_u32(buf + 4, 1);
      put_u32(buf + 8, mvae_rng_u32(&rng) % 8);
      put_u32(buf + 12, mvae_rng_u32(&rng) % 8);
      put_u64(buf + 16, (uint64_t)(mvae_rng_u32(&rng) % 64) * 64);
      put_u64(buf + 24, n - (mvae_rng_u32(&rng) % 64) * 64);
    }
    random_refused += try_load(buf, n, err, sizeof err) != MVAE_OK;
  }
  EXPECT(&c, random_refused == 2000, "random files refused (%d of 2000)", random_refused);

  /* Byte flips in the header and tables: refused or, if still consistent, safe to use. */
  size_t tables_end = 0;
  for (int k = 0; k < 8; k++)
    tables_end |= (size_t)good[16 + k] << (8 * k);
  int outcomes[8] = {0};
  for (int i = 0; i < 3000; i++) {
    memcpy(buf, good, size);
    int flips = 1 + (int)(mvae_rng_u32(&rng) % 3);
    for (int f = 0; f < flips; f++)
      buf[mvae_rng_u32(&rng) % tables_end] ^= (uint8_t)(1u << (mvae_rng_u32(&rng) % 8));
    mvae_status st = try_load(buf, size, err, sizeof err);
    outcomes[st < 8 ? st : 7]++;
  }
  EXPECT(&c,
         outcomes[MVAE_OK] + outcomes[MVAE_ERR_BAD_MODEL] + outcomes[MVAE_ERR_UNSUPPORTED] == 3000,
         "corrupted files give OK / bad model / unsupported only");
  printf("3000 corrupted headers: %d still loaded, %d refused\n", outcomes[MVAE_OK],
         3000 - outcomes[MVAE_OK]);

  /* A tensor renamed away: the loader names what is missing. */
  memcpy(buf, good, size);
  const char *victim = "decoder/output_projection/kernel";
  uint8_t *hit = NULL;
  for (size_t k = 0; k + strlen(victim) <= tables_end && !hit; k++)
    if (!memcmp(buf + k, victim, strlen(victim)))
      hit = buf + k;
  EXPECT(&c, hit != NULL, "found the output projection's name in the tensor table");
  if (hit) {
    hit[0] = 'X';
    EXPECT(&c,
           try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL &&
               strstr(err, "decoder/output_projection/kernel") && strstr(err, "missing"),
           "missing tensor named: %s", err);
    /* Its shape made wrong: rows + 1 (the dims follow name, dtype and n_dims). */
    hit[0] = 'd';
    uint8_t *dims = hit + strlen(victim) + 8;
    put_u32(dims, (uint32_t)dims[0] + 1);
    EXPECT(&c, try_load(buf, size, err, sizeof err) == MVAE_ERR_BAD_MODEL,
           "wrong shape refused: %s", err);
  }

  test_integrity(&c, good, size, buf);

  /* The decode-only model loads and says so. */
  size_t n_size = 0;
  uint8_t *no_enc = (uint8_t *)tv_read_file(MVAE_SOURCE_DIR "/tests/data/no_encoder.mvae", &n_size);
  mvae_model *model = NULL;
  EXPECT(&c, no_enc && mvae_model_load(no_enc, n_size, &model, err, sizeof err) == MVAE_OK,
         "decode-only model loads: %s", err);
  if (model) {
    mvae_info info;
    mvae_model_info(model, &info);
    EXPECT(&c, !info.has_encoder, "decode-only model reports no encoder");
    float *x = calloc((size_t)info.num_steps * info.input_depth, sizeof(float));
    float mu[64];
    EXPECT(&c,
           mvae_encode(model, x, 1, mu, NULL) == MVAE_ERR_NO_ENCODER &&
               strstr(mvae_last_error(model), "encoder"),
           "encode refused with a clear message: %s", mvae_last_error(model));
    free(x);
    mvae_model_free(model);
  }
  free(no_enc);
  free(buf);
  free(good);
  return test_report("test_loader", &c);
}
