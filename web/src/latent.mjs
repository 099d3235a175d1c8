// Latent-space helpers of the page. The blending itself (grid, pad, `similar`) is the engine's
// (src/api/latent.c, src/api/api.c), reached through the model's Worker: interpolateLatents for the
// grid, latentAt for the pad, similarTokens for "Similar to this".

/** A random seed (0..2^32-1) from the platform's cryptographic generator. */
export function randomSeed() {
  const word = new Uint32Array(1);
  globalThis.crypto.getRandomValues(word);
  return word[0];
}

/** Where grid index i of n sits on the pad, 0..1 (0 for a single cell), as the engine's grid. */
export function fraction(i, n) {
  return n > 1 ? i / (n - 1) : 0;
}
