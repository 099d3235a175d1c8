/* latent.c: interpolation in latent space (linear as magenta.js, or spherical as Magenta Python).
 */
#include "musicvae.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

static int all_finite(const float *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i]))
      return 0;
  return 1;
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

mvae_status mvae_interpolate(const float *a, const float *b, int z_size, int n, mvae_interp method,
                             float *out) {
  if (!a || !b || !out || z_size < 1 || z_size > MVAE_MAX_Z_SIZE || n < 1 || n > MVAE_MAX_BATCH ||
      (method != MVAE_INTERP_LINEAR && method != MVAE_INTERP_SLERP))
    return MVAE_ERR_INVALID_ARGUMENT;
  if (!all_finite(a, (size_t)z_size) || !all_finite(b, (size_t)z_size))
    return MVAE_ERR_INVALID_ARGUMENT;
  for (int i = 0; i < n; i++)
    blend(a, b, z_size, fraction(i, n), method, out + (size_t)i * z_size);
  return MVAE_OK;
}

mvae_status mvae_interpolate_grid(const float *corners, int z_size, int cols, int rows,
                                  mvae_interp method, float *out) {
  if (!corners || !out || z_size < 1 || z_size > MVAE_MAX_Z_SIZE || cols < 1 || rows < 1 ||
      (int64_t)cols * rows > MVAE_MAX_BATCH ||
      (method != MVAE_INTERP_LINEAR && method != MVAE_INTERP_SLERP))
    return MVAE_ERR_INVALID_ARGUMENT;
  if (!all_finite(corners, 4 * (size_t)z_size))
    return MVAE_ERR_INVALID_ARGUMENT;
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
