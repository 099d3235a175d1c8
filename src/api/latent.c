/* latent.c: interpolation in latent space (linear as magenta.js, or spherical as Magenta Python).
 */
#include "api/errors.h"
#include "api/rng.h"
#include "musicvae.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define REFUSE(...) mvae_format_error(err, err_size, MVAE_ERR_INVALID_ARGUMENT, __VA_ARGS__)

/* The checks both calls share: pointers, z_size, method, finite inputs. */
static mvae_status check_points(const float *points, int n_points, const float *out, int z_size,
                                mvae_interp method, char *err, size_t err_size) {
  if (!points || !out)
    return REFUSE("interpolate: a latent vector or the output is NULL");
  if (z_size < 1 || z_size > MVAE_MAX_Z_SIZE)
    return REFUSE("interpolate: z_size %d is not in 1..%d", z_size, MVAE_MAX_Z_SIZE);
  if (method != MVAE_INTERP_LINEAR && method != MVAE_INTERP_SLERP)
    return REFUSE("interpolate: unknown method %d (0 linear, 1 slerp)", (int)method);
  for (size_t i = 0; i < (size_t)n_points * z_size; i++)
    if (!isfinite(points[i]))
      return REFUSE("interpolate: value %zu of point %zu is not a finite number",
                    i % (size_t)z_size, i / (size_t)z_size);
  return MVAE_OK;
}

/* out = point at fraction t between a and b. */
static void blend(const float *a, const float *b, int n, double t, mvae_interp method, float *out) {
  if (method == MVAE_INTERP_SLERP) {
    double dot = 0.0, na = 0.0, nb = 0.0;
    for (int i = 0; i < n; i++) {
      dot += (double)a[i] * b[i];
      na += (double)a[i] * a[i];
      nb += (double)b[i] * b[i];
    }
    if (na > 0.0 && nb > 0.0) {
      double cosine = dot / (sqrt(na) * sqrt(nb));
      cosine = cosine > 1.0 ? 1.0 : cosine < -1.0 ? -1.0 : cosine;
      double omega = acos(cosine), so = sin(omega);
      /* Nearly parallel (or opposite) vectors have no unique great circle: fall back to lerp. */
      if (so > 1e-6) {
        double wa = sin((1.0 - t) * omega) / so, wb = sin(t * omega) / so;
        for (int i = 0; i < n; i++)
          out[i] = (float)(wa * a[i] + wb * b[i]);
        return;
      }
    }
  }
  for (int i = 0; i < n; i++)
    out[i] = (float)(a[i] + t * ((double)b[i] - a[i]));
}

static double fraction(int i, int n) {
  return n > 1 ? (double)i / (n - 1) : 0.0;
}

mvae_status mvae_latent_interpolate(const float *a, const float *b, int z_size, int n,
                                    mvae_interp method, float *out, char *err, size_t err_size) {
  if (err && err_size)
    err[0] = '\0';
  if (!a || !b)
    return REFUSE("interpolate: a latent vector is NULL");
  mvae_status status;
  if ((status = check_points(a, 1, out, z_size, method, err, err_size)) != MVAE_OK ||
      (status = check_points(b, 1, out, z_size, method, err, err_size)) != MVAE_OK)
    return status;
  if (n < 1 || n > MVAE_MAX_BATCH)
    return REFUSE("interpolate: %d points is not in 1..%d", n, MVAE_MAX_BATCH);
  for (int i = 0; i < n; i++)
    blend(a, b, z_size, fraction(i, n), method, out + (size_t)i * z_size);
  return MVAE_OK;
}

mvae_status mvae_interpolate(const float *a, const float *b, int z_size, int n, mvae_interp method,
                             float *out) {
  return mvae_latent_interpolate(a, b, z_size, n, method, out, NULL, 0);
}

mvae_status mvae_interpolate_grid(const float *corners, int z_size, int cols, int rows,
                                  mvae_interp method, float *out) {
  return mvae_latent_grid(corners, z_size, cols, rows, method, out, NULL, 0);
}

mvae_status mvae_latent_grid(const float *corners, int z_size, int cols, int rows,
                             mvae_interp method, float *out, char *err, size_t err_size) {
  if (err && err_size)
    err[0] = '\0';
  mvae_status status = check_points(corners, 4, out, z_size, method, err, err_size);
  if (status != MVAE_OK)
    return status;
  if (cols < 1 || rows < 1 || (int64_t)cols * rows > MVAE_MAX_BATCH)
    return REFUSE("interpolate: a %d x %d grid is not 1..%d points", cols, rows, MVAE_MAX_BATCH);
  const float *a = corners, *b = corners + z_size, *c = corners + 2 * (size_t)z_size,
              *d = corners + 3 * (size_t)z_size;
  for (int r = 0; r < rows; r++) {
    double y = fraction(r, rows);
    float *row = out + (size_t)r * cols * z_size;
    if (method == MVAE_INTERP_LINEAR) {
      for (int col = 0; col < cols; col++) {
        double x = fraction(col, cols);
        float *cell = row + (size_t)col * z_size;
        /* magenta.js's bilinear weights: A top-left, B bottom-left, C top-right, D bottom-right. */
        for (int i = 0; i < z_size; i++)
          cell[i] = (float)(a[i] * (1 - y) * (1 - x) + b[i] * y * (1 - x) + c[i] * (1 - y) * x +
                            d[i] * y * x);
      }
      continue;
    }
    /* Spherical: the row's two ends on the left (A to B) and right (C to D) edges, then across. */
    float *right = row + (size_t)(cols - 1) * z_size;
    blend(a, b, z_size, y, method, row);
    if (cols > 1)
      blend(c, d, z_size, y, method, right);
    for (int col = 1; col < cols - 1; col++)
      blend(row, right, z_size, fraction(col, cols), method, row + (size_t)col * z_size);
  }
  return MVAE_OK;
}

mvae_status mvae_latent_sample(mvae_rng *rng, int z_size, int n, float *out, char *err,
                               size_t err_size) {
  if (err && err_size)
    err[0] = '\0';
  if (!rng || !out)
    return REFUSE("latent sample: rng or the output is NULL");
  if (z_size < 1 || z_size > MVAE_MAX_Z_SIZE)
    return REFUSE("latent sample: z_size %d is not in 1..%d", z_size, MVAE_MAX_Z_SIZE);
  if (n < 1 || n > MVAE_MAX_BATCH)
    return REFUSE("latent sample: %d points is not in 1..%d", n, MVAE_MAX_BATCH);
  mvae_rng_normal_rows(rng, n, z_size, out, NULL); /* as mvae_sample draws each row's z */
  mvae_rng_skip_rows(rng, (uint32_t)n);
  return MVAE_OK;
}
