/* kernels_tiles.h: the register-blocked kernels shared by the SIMD kernel sets.
 *
 * Included by kernels_sse2.c, kernels_avx2.c and kernels_wasm.c after each defines its vector type
 * `vf`, its primitives (vf_load, vf_store, vf_set1, vf_add, vf_mul, q8_load_vecs,
 * vf_gather_scales), its integer vector `vi` of LANES int32 lanes with vi_zero, vi_add,
 * vi_load_pairs (LANES columns x 2 rows of int8 pairs, sign-extended to int16), vi_set1_pair (one
 * int16 pair in every lane), vi_madd (pairwise int16 products summed to int32) and vi_to_vf, LANES
 * and the tile shapes; each then lists the simd_* functions below in its
 * mvk_impl. Not a public header: it defines static functions. */
#ifndef MVAE_KERNELS_TILES_H
#define MVAE_KERNELS_TILES_H

_Static_assert(
    Q8_SINGLE_ROW_VECS % Q8_TILE_VECS == 0 && SINGLE_ROW_VECS >= F32_TILE_VECS,
    "a one-row q8 tile is whole q8 groups; a one-row f32 tile at least an f32 tile's width");
_Static_assert(F32_TILE_BATCH >= 1 && F32_TILE_BATCH <= 4 && Q8_TILE_BATCH >= 1 &&
                   Q8_TILE_BATCH <= 4 && Q8I_TILE_BATCH >= 1 && Q8I_TILE_BATCH <= 6,
               "the strip code handles remainders of at most 3 batch rows (q8i: 5)");

static int min_int(int a, int b) {
  return a < b ? a : b;
}

/* Rows per register pass. Few rows keep the weights read as a few sequential streams, which the
 * hardware prefetchers follow (batch <= 4 is bound by memory bandwidth); more batch tiles per strip
 * need longer passes to pay for reloading y. Measured on Zen 3; any value gives the same bits. */
static int f32_row_block(int batch) {
  return batch <= 4 ? 8 : min_int(2 * batch, 64);
}
/* int8 rows are a quarter of the bytes, and converting them is the cost that matters: long passes.
 */
enum { Q8_ROW_BLOCK = 128 };

/* ---- gemm_f32 ---- */

/* y[0..nb)[0..nv*LANES) += x[0..nb)[0..nrows) * w[0..nrows)[0..nv*LANES), rows in order. */
MVK_TILE void f32_tile(float *y, int ldy, const float *x, int ldx, const float *w, size_t ldw,
                       int nrows, const int nb, const int nv) {
  vf acc[F32_TILE_BATCH][SINGLE_ROW_VECS];
  for (int i = 0; i < nb; i++)
    for (int j = 0; j < nv; j++)
      acc[i][j] = vf_load(y + (size_t)i * (size_t)ldy + j * LANES);
  for (int r = 0; r < nrows; r++) {
    const float *wr = w + (size_t)r * ldw;
    for (int i = 0; i < nb; i++) {
      const vf xb = vf_set1(x[(size_t)i * (size_t)ldx + r]);
      for (int j = 0; j < nv; j++)
        acc[i][j] = vf_add(acc[i][j], vf_mul(xb, vf_load(wr + j * LANES)));
    }
  }
  for (int i = 0; i < nb; i++)
    for (int j = 0; j < nv; j++)
      vf_store(y + (size_t)i * (size_t)ldy + j * LANES, acc[i][j]);
}

/* One column strip, nv vectors wide, for every batch row: F32_TILE_BATCH rows at a time, then one
 * tile of the exact remaining height (heights are constants so each tile lives in registers). */
MVK_TILE void f32_strip(float *y, int ldy, const float *x, int ldx, const float *w, size_t ldw,
                        int nrows, int batch, const int nv) {
  int b = 0;
  for (; b + F32_TILE_BATCH <= batch; b += F32_TILE_BATCH)
    f32_tile(y + (size_t)b * (size_t)ldy, ldy, x + (size_t)b * (size_t)ldx, ldx, w, ldw, nrows,
             F32_TILE_BATCH, nv);
  float *yb = y + (size_t)b * (size_t)ldy;
  const float *xb = x + (size_t)b * (size_t)ldx;
  const int rest = batch - b;
  if (F32_TILE_BATCH > 3 && rest == 3)
    f32_tile(yb, ldy, xb, ldx, w, ldw, nrows, 3, nv);
  else if (F32_TILE_BATCH > 2 && rest == 2)
    f32_tile(yb, ldy, xb, ldx, w, ldw, nrows, 2, nv);
  else if (F32_TILE_BATCH > 1 && rest == 1)
    f32_tile(yb, ldy, xb, ldx, w, ldw, nrows, 1, nv);
}

static void f32_strip_single_row(float *y, const float *x, const float *w, size_t ldw, int nrows) {
  f32_tile(y, 0, x, 0, w, ldw, nrows, 1, SINGLE_ROW_VECS);
}

static void f32_strip_wide(float *y, int ldy, const float *x, int ldx, const float *w, size_t ldw,
                           int nrows, int batch) {
  f32_strip(y, ldy, x, ldx, w, ldw, nrows, batch, F32_TILE_VECS);
}

static void f32_strip_narrow(float *y, int ldy, const float *x, int ldx, const float *w, size_t ldw,
                             int nrows, int batch) {
  f32_strip(y, ldy, x, ldx, w, ldw, nrows, batch, 1);
}

static void simd_gemm_f32(float *y, int ldy, const float *x, int ldx, const float *w, int rows,
                          int cols, int batch) {
  const size_t ldw = (size_t)cols;
  const int row_block = f32_row_block(batch);
  for (int r0 = 0; r0 < rows; r0 += row_block) {
    const int nrows = min_int(row_block, rows - r0);
    const float *xr = x + r0;
    const float *wr = w + (size_t)r0 * ldw;
    int c = 0;
    if (batch == 1)
      for (; c + SINGLE_ROW_VECS * LANES <= cols; c += SINGLE_ROW_VECS * LANES)
        f32_strip_single_row(y + c, xr, wr + c, ldw, nrows);
    for (; c + F32_TILE_VECS * LANES <= cols; c += F32_TILE_VECS * LANES)
      f32_strip_wide(y + c, ldy, xr, ldx, wr + c, ldw, nrows, batch);
    for (; c + LANES <= cols; c += LANES)
      f32_strip_narrow(y + c, ldy, xr, ldx, wr + c, ldw, nrows, batch);
    for (; c < cols; c++) {
      for (int b = 0; b < batch; b++) {
        float *yc = y + (size_t)b * (size_t)ldy + c;
        const float *xb = xr + (size_t)b * (size_t)ldx;
        float acc = *yc;
        for (int r = 0; r < nrows; r++) {
          const float product = xb[r] * wr[(size_t)r * ldw + c];
          acc = acc + product;
        }
        *yc = acc;
      }
    }
  }
}

/* ---- gemm_q8 ---- */

/* Like f32_tile, for a tile of ng groups of Q8_TILE_VECS vectors (or one group of nv vectors) where
 * each group lies inside one scale block: s[r * lds + group_block[g]] is group g's scale in row r.
 */
MVK_TILE void q8_tile(float *y, int ldy, const float *x, int ldx, const int8_t *q, size_t ldq,
                      const float *s, size_t lds, const int *group_block, int nrows, const int nb,
                      const int ng, const int nv) {
  const int group_vecs = nv / ng;
  vf acc[Q8_TILE_BATCH][Q8_SINGLE_ROW_VECS];
  for (int i = 0; i < nb; i++)
    for (int j = 0; j < nv; j++)
      acc[i][j] = vf_load(y + (size_t)i * (size_t)ldy + j * LANES);
  for (int r = 0; r < nrows; r++) {
    vf qv[Q8_SINGLE_ROW_VECS];
    q8_load_vecs(q + (size_t)r * ldq, qv, nv);
    for (int g = 0; g < ng; g++) {
      const float scale = s[(size_t)r * lds + (size_t)group_block[g]];
      for (int i = 0; i < nb; i++) {
        /* x * s rounded to float first, exactly as the scalar set does it */
        const vf xs = vf_set1(x[(size_t)i * (size_t)ldx + r] * scale);
        for (int j = g * group_vecs; j < (g + 1) * group_vecs; j++)
          acc[i][j] = vf_add(acc[i][j], vf_mul(xs, qv[j]));
      }
    }
  }
  for (int i = 0; i < nb; i++)
    for (int j = 0; j < nv; j++)
      vf_store(y + (size_t)i * (size_t)ldy + j * LANES, acc[i][j]);
}

MVK_TILE void q8_strip(float *y, int ldy, const float *x, int ldx, const int8_t *q, size_t ldq,
                       const float *s, size_t lds, int nrows, int batch, const int nv) {
  static const int one_group[1] = {0};
  int b = 0;
  for (; b + Q8_TILE_BATCH <= batch; b += Q8_TILE_BATCH)
    q8_tile(y + (size_t)b * (size_t)ldy, ldy, x + (size_t)b * (size_t)ldx, ldx, q, ldq, s, lds,
            one_group, nrows, Q8_TILE_BATCH, 1, nv);
  float *yb = y + (size_t)b * (size_t)ldy;
  const float *xb = x + (size_t)b * (size_t)ldx;
  const int rest = batch - b;
  if (Q8_TILE_BATCH > 3 && rest == 3)
    q8_tile(yb, ldy, xb, ldx, q, ldq, s, lds, one_group, nrows, 3, 1, nv);
  else if (Q8_TILE_BATCH > 2 && rest == 2)
    q8_tile(yb, ldy, xb, ldx, q, ldq, s, lds, one_group, nrows, 2, 1, nv);
  else if (Q8_TILE_BATCH > 1 && rest == 1)
    q8_tile(yb, ldy, xb, ldx, q, ldq, s, lds, one_group, nrows, 1, 1, nv);
}

static void q8_strip_wide(float *y, int ldy, const float *x, int ldx, const int8_t *q, size_t ldq,
                          const float *s, size_t lds, int nrows, int batch) {
  q8_strip(y, ldy, x, ldx, q, ldq, s, lds, nrows, batch, Q8_TILE_VECS);
}

static void q8_strip_narrow(float *y, int ldy, const float *x, int ldx, const int8_t *q, size_t ldq,
                            const float *s, size_t lds, int nrows, int batch) {
  q8_strip(y, ldy, x, ldx, q, ldq, s, lds, nrows, batch, 1);
}

/* Batch 1 only: Q8_SINGLE_ROW_VECS vectors, in groups of Q8_TILE_VECS that each lie in one block.
 */
static void q8_strip_single_row(float *y, const float *x, const int8_t *q, size_t ldq,
                                const float *s, size_t lds, const int *group_block, int nrows) {
  q8_tile(y, 0, x, 0, q, ldq, s, lds, group_block, nrows, 1, Q8_SINGLE_ROW_VECS / Q8_TILE_VECS,
          Q8_SINGLE_ROW_VECS);
}

/* One vector of columns [c, c + LANES) whose lanes lie in different scale blocks (a block size
 * that is not a multiple of LANES): the slow path, with the scales gathered per lane. */
static void q8_vector_mixed_blocks(float *y, int ldy, const float *x, int ldx, const int8_t *q,
                                   size_t ldq, const float *s, size_t lds, int c, int block,
                                   int nrows, int batch) {
  int lane_block[LANES];
  for (int l = 0; l < LANES; l++)
    lane_block[l] = (c + l) / block;
  for (int b = 0; b < batch; b++) {
    float *yb = y + (size_t)b * (size_t)ldy + c;
    const float *xb = x + (size_t)b * (size_t)ldx;
    vf acc = vf_load(yb);
    for (int r = 0; r < nrows; r++) {
      const vf xs = vf_mul(vf_set1(xb[r]), vf_gather_scales(s + (size_t)r * lds, lane_block));
      vf qv[1];
      q8_load_vecs(q + (size_t)r * ldq + c, qv, 1);
      acc = vf_add(acc, vf_mul(xs, qv[0]));
    }
    vf_store(yb, acc);
  }
}

static int in_one_block(int c, int width, int block) {
  return c / block == (c + width - 1) / block;
}

/* Columns [c, c + LANES) for every batch row. */
static void q8_vector(float *y, int ldy, const float *x, int ldx, const int8_t *q, size_t ldq,
                      const float *s, size_t lds, int c, int block, int nrows, int batch) {
  if (in_one_block(c, LANES, block))
    q8_strip_narrow(y + c, ldy, x, ldx, q + c, ldq, s + c / block, lds, nrows, batch);
  else
    q8_vector_mixed_blocks(y, ldy, x, ldx, q, ldq, s, lds, c, block, nrows, batch);
}

/* Columns [c, c + Q8_TILE_VECS * LANES) for every batch row. */
static void q8_columns(float *y, int ldy, const float *x, int ldx, const int8_t *q, size_t ldq,
                       const float *s, size_t lds, int c, int block, int nrows, int batch) {
  if (in_one_block(c, Q8_TILE_VECS * LANES, block)) {
    q8_strip_wide(y + c, ldy, x, ldx, q + c, ldq, s + c / block, lds, nrows, batch);
  } else {
    for (int v = 0; v < Q8_TILE_VECS; v++)
      q8_vector(y, ldy, x, ldx, q, ldq, s, lds, c + v * LANES, block, nrows, batch);
  }
}

static void simd_gemm_q8(float *y, int ldy, const float *x, int ldx, const int8_t *q,
                         const float *scales, int block, int rows, int cols, int batch) {
  enum { group_cols = Q8_TILE_VECS * LANES, groups = Q8_SINGLE_ROW_VECS / Q8_TILE_VECS };
  const size_t ldq = (size_t)cols;
  const size_t lds = (size_t)((cols + block - 1) / block);
  const int row_block = Q8_ROW_BLOCK;
  for (int r0 = 0; r0 < rows; r0 += row_block) {
    const int nrows = min_int(row_block, rows - r0);
    const float *xr = x + r0;
    const int8_t *qr = q + (size_t)r0 * ldq;
    const float *sr = scales + (size_t)r0 * lds;
    int c = 0;
    for (; batch == 1 && c + groups * group_cols <= cols; c += groups * group_cols) {
      int group_block[Q8_SINGLE_ROW_VECS / Q8_TILE_VECS];
      int uniform = 1;
      for (int g = 0; g < groups; g++) {
        uniform &= in_one_block(c + g * group_cols, group_cols, block);
        group_block[g] = (c + g * group_cols) / block;
      }
      if (uniform) {
        q8_strip_single_row(y + c, xr, qr + c, ldq, sr, lds, group_block, nrows);
      } else {
        for (int g = 0; g < groups; g++)
          q8_columns(y, ldy, xr, ldx, qr, ldq, sr, lds, c + g * group_cols, block, nrows, batch);
      }
    }
    for (; c + group_cols <= cols; c += group_cols)
      q8_columns(y, ldy, xr, ldx, qr, ldq, sr, lds, c, block, nrows, batch);
    for (; c + LANES <= cols; c += LANES)
      q8_vector(y, ldy, xr, ldx, qr, ldq, sr, lds, c, block, nrows, batch);
    for (; c < cols; c++) {
      const float *sc = sr + c / block;
      for (int b = 0; b < batch; b++) {
        float *yc = y + (size_t)b * (size_t)ldy + c;
        const float *xb = xr + (size_t)b * (size_t)ldx;
        float acc = *yc;
        for (int r = 0; r < nrows; r++) {
          const float xs = xb[r] * sc[(size_t)r * lds];
          const float product = xs * (float)qr[(size_t)r * ldq + c];
          acc = acc + product;
        }
        *yc = acc;
      }
    }
  }
}

/* ---- gemm_q8i: int8 weight pairs x int16 activation pairs, int32 sums ---- */

/* y[0..nb)[0..nv*LANES) += (float)acc * (xs[i] * cs[c]), acc over npairs row pairs. */
MVK_TILE void q8i_tile(float *y, int ldy, const int16_t *xq, int ldxq, const float *xs,
                       const int8_t *pairs, size_t ldp, const float *cs, int npairs, const int nb,
                       const int nv) {
  vi acc[Q8I_TILE_BATCH][Q8I_SINGLE_ROW_VECS];
  for (int i = 0; i < nb; i++)
    for (int j = 0; j < nv; j++)
      acc[i][j] = vi_zero();
  /* Pointers stepped per pair (not p * ldp): the WebAssembly target keeps a multiply per
   * iteration otherwise. */
  const int8_t *wp = pairs;
  const int16_t *xpair = xq;
  for (int p = 0; p < npairs; p++, wp += ldp, xpair += 2) {
    vi w[Q8I_SINGLE_ROW_VECS];
    for (int j = 0; j < nv; j++)
      w[j] = vi_load_pairs(wp + (size_t)j * 2 * LANES);
    for (int i = 0; i < nb; i++) {
      const vi xp = vi_set1_pair(xpair + (size_t)i * (size_t)ldxq);
      for (int j = 0; j < nv; j++)
        acc[i][j] = vi_add(acc[i][j], vi_madd(w[j], xp));
    }
  }
  for (int i = 0; i < nb; i++) {
    const vf xsv = vf_set1(xs[i]);
    for (int j = 0; j < nv; j++) {
      float *yc = y + (size_t)i * (size_t)ldy + j * LANES;
      const vf scale = vf_mul(xsv, vf_load(cs + j * LANES));
      vf_store(yc, vf_add(vf_load(yc), vf_mul(vi_to_vf(acc[i][j]), scale)));
    }
  }
}

MVK_TILE void q8i_strip(float *y, int ldy, const int16_t *xq, int ldxq, const float *xs,
                        const int8_t *pairs, size_t ldp, const float *cs, int npairs, int batch,
                        const int nv) {
  int b = 0;
  for (; b + Q8I_TILE_BATCH <= batch; b += Q8I_TILE_BATCH)
    q8i_tile(y + (size_t)b * (size_t)ldy, ldy, xq + (size_t)b * (size_t)ldxq, ldxq, xs + b, pairs,
             ldp, cs, npairs, Q8I_TILE_BATCH, nv);
  float *yb = y + (size_t)b * (size_t)ldy;
  const int16_t *xb = xq + (size_t)b * (size_t)ldxq;
  const int rest = batch - b;
  if (Q8I_TILE_BATCH > 5 && rest == 5)
    q8i_tile(yb, ldy, xb, ldxq, xs + b, pairs, ldp, cs, npairs, 5, nv);
  else if (Q8I_TILE_BATCH > 4 && rest == 4)
    q8i_tile(yb, ldy, xb, ldxq, xs + b, pairs, ldp, cs, npairs, 4, nv);
  else if (Q8I_TILE_BATCH > 3 && rest == 3)
    q8i_tile(yb, ldy, xb, ldxq, xs + b, pairs, ldp, cs, npairs, 3, nv);
  else if (Q8I_TILE_BATCH > 2 && rest == 2)
    q8i_tile(yb, ldy, xb, ldxq, xs + b, pairs, ldp, cs, npairs, 2, nv);
  else if (Q8I_TILE_BATCH > 1 && rest == 1)
    q8i_tile(yb, ldy, xb, ldxq, xs + b, pairs, ldp, cs, npairs, 1, nv);
}

static void q8i_strip_single_row(float *y, const int16_t *xq, const float *xs, const int8_t *pairs,
                                 size_t ldp, const float *cs, int npairs) {
  q8i_tile(y, 0, xq, 0, xs, pairs, ldp, cs, npairs, 1, Q8I_SINGLE_ROW_VECS);
}

static void q8i_strip_wide(float *y, int ldy, const int16_t *xq, int ldxq, const float *xs,
                           const int8_t *pairs, size_t ldp, const float *cs, int npairs,
                           int batch) {
  q8i_strip(y, ldy, xq, ldxq, xs, pairs, ldp, cs, npairs, batch, Q8I_TILE_VECS);
}

static void q8i_strip_narrow(float *y, int ldy, const int16_t *xq, int ldxq, const float *xs,
                             const int8_t *pairs, size_t ldp, const float *cs, int npairs,
                             int batch) {
  q8i_strip(y, ldy, xq, ldxq, xs, pairs, ldp, cs, npairs, batch, 1);
}

static void simd_gemm_q8i(float *y, int ldy, const int16_t *xq, int ldxq, const float *xscale,
                          const int8_t *pairs, const float *cscale, int npairs, int cols,
                          int batch) {
  const size_t ldp = 2 * (size_t)cols;
  int c = 0;
  if (batch == 1)
    for (; c + Q8I_SINGLE_ROW_VECS * LANES <= cols; c += Q8I_SINGLE_ROW_VECS * LANES)
      q8i_strip_single_row(y + c, xq, xscale, pairs + 2 * (size_t)c, ldp, cscale + c, npairs);
  for (; c + Q8I_TILE_VECS * LANES <= cols; c += Q8I_TILE_VECS * LANES)
    q8i_strip_wide(y + c, ldy, xq, ldxq, xscale, pairs + 2 * (size_t)c, ldp, cscale + c, npairs,
                   batch);
  for (; c + LANES <= cols; c += LANES)
    q8i_strip_narrow(y + c, ldy, xq, ldxq, xscale, pairs + 2 * (size_t)c, ldp, cscale + c, npairs,
                     batch);
  for (; c < cols; c++)
    for (int b = 0; b < batch; b++) {
      const int16_t *xb = xq + (size_t)b * (size_t)ldxq;
      int32_t acc = 0;
      for (int p = 0; p < npairs; p++) {
        const int8_t *w = pairs + ((size_t)p * (size_t)cols + (size_t)c) * 2;
        acc += (int32_t)xb[2 * p] * w[0] + (int32_t)xb[2 * p + 1] * w[1];
      }
      float *yc = y + (size_t)b * (size_t)ldy + c;
      const float scale = xscale[b] * cscale[c];
      const float product = (float)acc * scale;
      *yc = *yc + product;
    }
}

/* ---- axpy ---- */

static void simd_axpy_f32(float *y, float alpha, const float *w, int n) {
  const vf a = vf_set1(alpha);
  int c = 0;
  for (; c + 4 * LANES <= n; c += 4 * LANES)
    for (int j = 0; j < 4; j++) {
      float *yc = y + c + j * LANES;
      vf_store(yc, vf_add(vf_load(yc), vf_mul(a, vf_load(w + c + j * LANES))));
    }
  for (; c + LANES <= n; c += LANES)
    vf_store(y + c, vf_add(vf_load(y + c), vf_mul(a, vf_load(w + c))));
  for (; c < n; c++) {
    const float product = alpha * w[c];
    y[c] = y[c] + product;
  }
}

static void simd_axpy_q8(float *y, float alpha, const int8_t *q, const float *scales, int block,
                         int n) {
  for (int start = 0, blk = 0; start < n; start += block, blk++) {
    const float as = alpha * scales[blk];
    const vf a = vf_set1(as);
    const int end = n - start < block ? n : start + block;
    int c = start;
    for (; c + LANES <= end; c += LANES) {
      vf qv[1];
      q8_load_vecs(q + c, qv, 1);
      vf_store(y + c, vf_add(vf_load(y + c), vf_mul(a, qv[0])));
    }
    for (; c < end; c++) {
      const float product = as * (float)q[c];
      y[c] = y[c] + product;
    }
  }
}

#endif
