// What a link to the explorer holds, and undo / redo of the corners.
//
// A corner that came from a seed is "SEED.INDEX": the INDEX-th latent vector the engine samples
// from SEED (sampleLatents(n, SEED) draws them in order, so the INDEX-th of any n > INDEX is the
// same vector). "Resample" with seed 7 makes corners 7.0 7.1 7.2 7.3; "New" on one corner gives it
// NEWSEED.0. Corners from a file or from "More like this" cannot go in a link ("-").

/** The link text of corners [{source}]: "7.0,7.1,123.0,7.3" ('-' for a corner not from a seed). */
export function cornersSpec(corners) {
  return corners.map((c) => (c && c.source && Number.isInteger(c.source.seed) ? `${c.source.seed}.${c.source.index}` : '-')).join(',');
}

/** Whether the corners are seed's own four (7.0 7.1 7.2 7.3): the link needs only the seed. */
export function cornersAreSeeds(corners, seed) {
  return corners.length === 4 && corners.every((c, k) => c.source && c.source.seed === seed && c.source.index === k);
}

/** [{seed, index} | null] x 4 from link text, or null when it is not four corners. */
export function parseCornersSpec(text) {
  const parts = String(text || '').split(',');
  if (parts.length !== 4) return null;
  const out = parts.map((p) => {
    const m = /^(\d{1,10})\.([0-3])$/.exec(p.trim());
    if (!m) return null;
    const seed = Number(m[1]);
    return seed <= 4294967295 ? { seed, index: Number(m[2]) } : null;
  });
  return out.some(Boolean) ? out : null;
}

/** Undo / redo over snapshots of the corners (whatever the element stores; most recent last). */
export class CornerHistory {
  constructor(limit = 50) {
    this.limit = limit;
    this.past = [];
    this.future = [];
  }

  /** Before a change: remembers `snapshot` (the state being left); a new change forgets the redo. */
  remember(snapshot) {
    this.past.push(snapshot);
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
  }

  /** The state to go back to (`current` is kept for redo), or null. */
  undo(current) {
    if (!this.past.length) return null;
    this.future.push(current);
    return this.past.pop();
  }

  redo(current) {
    if (!this.future.length) return null;
    this.past.push(current);
    return this.future.pop();
  }

  clear() {
    this.past = [];
    this.future = [];
  }
}
