// Latent-space arithmetic for the explorer: the point (u, v) of the square spanned by four corner
// vectors, as the engine's mvae_interpolate_grid computes grid cells (src/api/latent.c), so a pad point on
// a cell's position is that cell's latent vector. Corners: A top-left, B bottom-left, C top-right,
// D bottom-right (magenta.js's layout); u runs left to right, v top to bottom, both in 0..1.

/** The point at fraction t between a and b: linear, or spherical ('slerp') as src/api/latent.c. */
export function blend(a, b, t, method = 'linear') {
  const n = a.length;
  const out = new Float32Array(n);
  if (method === 'slerp') {
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < n; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    if (na > 0 && nb > 0) {
      const cosine = Math.min(1, Math.max(-1, dot / (Math.sqrt(na) * Math.sqrt(nb))));
      const omega = Math.acos(cosine);
      const so = Math.sin(omega);
      // Nearly parallel (or opposite) vectors have no unique great circle: fall back to lerp.
      if (so > 1e-6) {
        const wa = Math.sin((1 - t) * omega) / so, wb = Math.sin(t * omega) / so;
        for (let i = 0; i < n; i++) out[i] = wa * a[i] + wb * b[i];
        return out;
      }
    }
  }
  for (let i = 0; i < n; i++) out[i] = a[i] + t * (b[i] - a[i]);
  return out;
}

/**
 * The latent vector at (u, v) of the square of corners [A, B, C, D]: bilinear weights for 'linear'
 * (magenta.js), or for 'slerp' the left (A..B) and right (C..D) edges at height v, then across.
 */
export function pointAt(corners, u, v, method = 'linear') {
  const [a, b, c, d] = corners;
  if (method !== 'slerp') {
    const n = a.length;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = a[i] * (1 - v) * (1 - u) + b[i] * v * (1 - u) + c[i] * (1 - v) * u + d[i] * v * u;
    }
    return out;
  }
  return blend(blend(a, b, v, 'slerp'), blend(c, d, v, 'slerp'), u, 'slerp');
}

/** magenta.js's `similar`: similarity * z + (1 - similarity) * noise, for each noise vector. */
export function similarLatents(z, noise, similarity) {
  return noise.map((r) => {
    const out = new Float32Array(z.length);
    for (let i = 0; i < z.length; i++) out[i] = similarity * z[i] + (1 - similarity) * r[i];
    return out;
  });
}

/** A random seed (0..2^32-1) from the platform's cryptographic generator. */
export function randomSeed() {
  const word = new Uint32Array(1);
  globalThis.crypto.getRandomValues(word);
  return word[0];
}

/** Fraction of grid index i of n (0 for a single cell), as src/api/latent.c's fraction(). */
export function fraction(i, n) {
  return n > 1 ? i / (n - 1) : 0;
}
