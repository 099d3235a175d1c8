// LatentTensor: a batch of latent vectors with tf.Tensor2D's surface (shape, dtype, rank, size,
// array(), arraySync(), data(), dataSync(), dispose(), print(), clone()), so that code written for
// magenta.js's encode() runs unchanged, and still an array of Float32Array rows (z[0], z.length,
// z.map(...)), as this API returned before. TF.js is not needed. Anything with the surface (a real
// tf.Tensor2D too) goes back into decode(), similar(), interpolate() and the rest: see toLatentRows.
import { InvalidArgumentError } from './errors.mjs';

export class LatentTensor extends Array {
  /** rows: Float32Array[] (kept, not copied), all of length `cols` (needed when there are no rows). */
  static fromRows(rows, cols = rows.length ? rows[0].length : 0) {
    const t = new LatentTensor();
    for (const row of rows) t.push(row);
    Object.defineProperty(t, '_cols', { value: cols });
    Object.defineProperty(t, '_disposed', { value: false, writable: true });
    return t;
  }

  // map, filter, slice ... give plain arrays (their rows are no longer one tensor).
  static get [Symbol.species]() {
    return Array;
  }

  get shape() {
    return [this.length, this._cols];
  }
  get dtype() {
    return 'float32';
  }
  get rank() {
    return 2;
  }
  get size() {
    return this.length * this._cols;
  }
  get isDisposed() {
    return this._disposed;
  }

  _live() {
    if (this._disposed) throw new InvalidArgumentError('Tensor is disposed.');
  }
  /** The values, row-major, as a new Float32Array (as tf's dataSync on the CPU backend). */
  dataSync() {
    this._live();
    const out = new Float32Array(this.size);
    this.forEach((row, i) => out.set(row, i * this._cols));
    return out;
  }
  async data() {
    return this.dataSync();
  }
  /** Nested number arrays [rows][cols]. */
  arraySync() {
    this._live();
    return Array.from(this, (row) => Array.from(row));
  }
  async array() {
    return this.arraySync();
  }
  /** Marks the tensor used up (tf.dispose semantics: later reads throw); frees nothing else. */
  dispose() {
    this._disposed = true;
  }
  clone() {
    this._live();
    return LatentTensor.fromRows(Array.from(this, (row) => row.slice()), this._cols);
  }
  toString() {
    return `Tensor\n    dtype: float32\n    rank: 2\n    shape: [${this.shape}]\n    values:\n` +
      this.arraySync().map((r) => `      [${r.map((x) => x.toFixed(4)).join(', ')}]`).join('\n');
  }
  print() {
    console.log(this.toString());
  }
}

/** True for anything with a tensor's surface: a LatentTensor, a tf.Tensor, a look-alike. */
export function isTensorLike(x) {
  return !!x && typeof x === 'object' && Array.isArray(x.shape) &&
    (typeof x.dataSync === 'function' || typeof x.arraySync === 'function');
}

/**
 * The rows of a tensor-like 2-D [batch, cols] (a 1-D one is one row), as Float32Arrays; throws
 * InvalidArgumentError naming `what` for other ranks or a disposed tensor.
 */
export function tensorRows(x, what = 'z') {
  if (x.isDisposed) throw new InvalidArgumentError(`${what} is a disposed tensor`);
  const shape = x.shape;
  if (shape.length !== 1 && shape.length !== 2) {
    throw new InvalidArgumentError(`${what} tensor must be 2-D [batch, zDims], got shape [${shape}]`);
  }
  const [rows, cols] = shape.length === 1 ? [1, shape[0]] : shape;
  const flat = typeof x.dataSync === 'function' ? x.dataSync() : Float32Array.from(x.arraySync().flat());
  if (flat.length !== rows * cols) throw new InvalidArgumentError(`${what} has ${flat.length} values for shape [${shape}]`);
  return Array.from({ length: rows }, (_, i) => Float32Array.from(flat.subarray
    ? flat.subarray(i * cols, (i + 1) * cols) : flat.slice(i * cols, (i + 1) * cols)));
}
