// model_file.mjs: the MVAE model file (docs/model-format.md) in JavaScript: writing one from named
// tensors (f32, or int8 with per-block scales) and parsing one back (for tests and inspection).
// No dependencies; runs in pages, Workers and Node.
import { ConvertError } from './errors.mjs';
import { SIZES } from './schema.mjs';

const fail = (msg) => {
  throw new ConvertError(msg);
};
const fmt = (shape) => `[${shape.join(', ')}]`;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** IEEE half -> number (f16 tensors and tfjs float16 quantization). */
export function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const f = h & 1023;
  if (e === 0) return sign * f * 2 ** -24;
  if (e === 31) return f ? NaN : sign * Infinity;
  return sign * (1 + f / 1024) * 2 ** (e - 15);
}

// ---- Writing -----------------------------------------------------------------------------------

const DTYPE = { f32: 0, f16: 1, q8: 2 };
const META = { i32: 1, f32: 2, str: 3, 'i32[]': 4 };
const utf8 = new TextEncoder();

// Ties to even (as numpy's rint in training/mvae_format.py), so both writers give the same bytes.
function roundHalfEven(x) {
  const r = Math.round(x); // ties toward +infinity
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// Symmetric per-block int8: the f32 scales [rows][nblk], then the int8 values [rows][cols].
export function quantizeQ8(data, rows, cols, block) {
  const nblk = Math.ceil(cols / block);
  const out = new Uint8Array(4 * rows * nblk + rows * cols);
  const dv = new DataView(out.buffer);
  const q = new Int8Array(out.buffer, 4 * rows * nblk);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nblk; b++) {
      const c0 = r * cols + b * block;
      const c1 = r * cols + Math.min(cols, (b + 1) * block);
      let max = 0;
      for (let i = c0; i < c1; i++) max = Math.max(max, Math.abs(data[i]));
      // Divide by the f32 scale actually stored, so |w - scale * q| <= scale / 2 holds for the file.
      const scale = Math.fround(max / 127);
      dv.setFloat32(4 * (r * nblk + b), scale, true);
      if (scale === 0) continue;
      for (let i = c0; i < c1; i++) {
        q[i] = Math.max(-127, Math.min(127, roundHalfEven(data[i] / scale)));
      }
    }
  }
  return out;
}

class ByteWriter {
  constructor() {
    this.chunks = [];
    this.length = 0;
  }
  bytes(b) {
    this.chunks.push(b);
    this.length += b.length;
  }
  num(setter, size, v) {
    const b = new Uint8Array(size);
    new DataView(b.buffer)[setter](0, v, true);
    this.bytes(b);
  }
  u32(v) { this.num('setUint32', 4, v); }
  i32(v) { this.num('setInt32', 4, v); }
  f32(v) { this.num('setFloat32', 4, v); }
  u64(v) { this.num('setBigUint64', 8, BigInt(v)); }
  str(s, max, what) {
    const b = utf8.encode(s);
    if (b.length > max) fail(`${what} is ${b.length} bytes (at most ${max})`);
    this.u32(b.length);
    this.bytes(b);
  }
}

const align64 = (n) => Math.ceil(n / 64) * 64;

// Format version 2 (docs/model-format.md): version 1's layout plus a CRC-32 at byte 32 and a reserved
// zero at 36; version 1 files (no checksum) are still read.
const VERSION = 2;
const HEADER_SIZES = { 1: 32, 2: 40 };
const CRC_OFFSET = 32;

// CRC-32 (ISO-HDLC, as zlib's; Node 18 has no zlib.crc32) of the whole file with its 4 checksum bytes
// read as zeros.
let crcTable;
export function fileCrc32(buf) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) {
    const byte = i >= CRC_OFFSET && i < CRC_OFFSET + 4 ? 0 : buf[i];
    c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

// Builds the MVAE file. vars: Map or object name -> {shape, data}; config: magenta.js config.json or a

/**
 * The bytes of an MVAE file (format version 2). meta: [[key, type ('str' | 'i32' | 'f32' | 'i32[]'),
 * value]] (entries whose value is undefined or null are left out); tensors: [{name, shape, data:
 * Float32Array}] in file order; opts: {quantize: 'q8'?, block = the schema's q8_block}: q8 stores
 * every 2-D tensor as int8 with one f32 scale per block of `block` columns, 1-D tensors stay f32.
 */
export function writeModelFile(meta, tensorList, { quantize, block = SIZES.q8_block() } = {}) {
  if (quantize !== undefined && quantize !== null && quantize !== 'q8') {
    fail(`unsupported: --quantize ${quantize} (only q8)`);
  }
  if (!Number.isInteger(block) || block < 1) fail(`--block must be a positive integer, got ${block}`);
  meta = meta.filter((e) => e[2] !== undefined && e[2] !== null);
  // Tensor data, each at a 64-byte aligned offset from data_offset.
  const tensors = [];
  let dataSize = 0;
  for (const { name, shape, data } of tensorList) {
    if (data.length >= 2 ** 31) fail(`variable ${name} has too many elements`);
    let dtype = 'f32';
    let blk = 0;
    let bytes;
    if (quantize === 'q8' && shape.length === 2) {
      dtype = 'q8';
      blk = Math.min(block, shape[1]);
      bytes = quantizeQ8(data, shape[0], shape[1], blk);
    } else if (LITTLE_ENDIAN) {
      bytes = new Uint8Array(Float32Array.from(data).buffer);
    } else {
      bytes = new Uint8Array(4 * data.length);
      const dv = new DataView(bytes.buffer);
      data.forEach((x, i) => dv.setFloat32(4 * i, x, true));
    }
    const offset = align64(dataSize);
    tensors.push({ name, dtype, shape, block: blk, offset, bytes });
    dataSize = offset + bytes.length;
  }
  if (tensors.length > 1024) fail(`${tensors.length} tensors (at most 1024)`);
  const head = new ByteWriter();
  for (const [key, type, value] of meta) {
    head.str(key, 255, `metadata key ${key}`);
    head.u32(META[type]);
    if (type === 'str') head.str(value, 65535, `metadata ${key}`);
    else if (type === 'f32') head.f32(value);
    else if (type === 'i32') head.i32(value);
    else {
      head.u32(value.length);
      value.forEach((v) => head.i32(v));
    }
  }
  for (const t of tensors) {
    head.str(t.name, 255, `tensor name ${t.name}`);
    head.u32(DTYPE[t.dtype]);
    head.u32(t.shape.length);
    t.shape.forEach((d) => head.u32(d));
    head.u32(t.block);
    head.u64(t.offset);
    head.u64(t.bytes.length);
  }
  const headerSize = HEADER_SIZES[VERSION];
  const dataOffset = align64(headerSize + head.length);

  const out = new Uint8Array(dataOffset + dataSize);
  const dv = new DataView(out.buffer);
  out.set(utf8.encode('MVAE'), 0);
  dv.setUint32(4, VERSION, true);
  dv.setUint32(8, meta.length, true);
  dv.setUint32(12, tensors.length, true);
  dv.setBigUint64(16, BigInt(dataOffset), true);
  dv.setBigUint64(24, BigInt(dataSize), true);
  let p = headerSize;
  for (const chunk of head.chunks) {
    out.set(chunk, p);
    p += chunk.length;
  }
  for (const t of tensors) out.set(t.bytes, dataOffset + t.offset);
  dv.setUint32(CRC_OFFSET, fileCrc32(out), true);
  return out;
}

// ---- Reading model files (for tests and inspection) -------------------------------------------------

// Parses and validates an MVAE file: {version, meta: {key: value}, tensors: Map name -> {name, dtype,
// shape, block, offset, nbytes, bytes}}. Offsets are relative to data_offset; `bytes` is the raw data.
export function parseModelFile(bytes) {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const bad = (msg) => fail(`bad model file: ${msg}`);
  let p = 0;
  const need = (n) => {
    if (p + n > buf.length) bad(`truncated at byte ${p}`);
    const at = p;
    p += n;
    return at;
  };
  const u32 = () => dv.getUint32(need(4), true);
  const u64 = () => {
    const v = dv.getBigUint64(need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad('64-bit value out of range');
    return Number(v);
  };
  const str = (min, max, what) => {
    const n = u32();
    if (n < min || n > max) bad(`${what} length ${n}`);
    return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(need(n), p));
  };

  if (buf.length < 32 || new TextDecoder().decode(buf.subarray(0, 4)) !== 'MVAE') bad('no MVAE magic');
  p = 4;
  const version = u32();
  if (!(version in HEADER_SIZES)) bad(`version ${version}`);
  if (buf.length < HEADER_SIZES[version]) bad('truncated header');
  const nMeta = u32();
  const nTensors = u32();
  if (nMeta > 256 || nTensors > 1024) bad(`${nMeta} metadata entries, ${nTensors} tensors`);
  const dataOffset = u64();
  const dataSize = u64();
  if (dataOffset % 64 || dataOffset + dataSize !== buf.length) {
    bad(`data_offset ${dataOffset}, data_size ${dataSize}, file ${buf.length}`);
  }
  if (version >= 2) {
    const stored = u32();
    if (stored !== fileCrc32(buf)) bad(`checksum mismatch: the file is corrupted`);
    if (u32() !== 0) bad('reserved header field is not 0');
  }

  const meta = {};
  for (let i = 0; i < nMeta; i++) {
    const key = str(1, 255, 'key');
    if (key in meta) bad(`duplicate key ${key}`);
    const type = u32();
    if (type === 1) meta[key] = dv.getInt32(need(4), true);
    else if (type === 2) meta[key] = dv.getFloat32(need(4), true);
    else if (type === 3) meta[key] = str(0, 65535, `value of ${key}`);
    else if (type === 4) {
      const n = u32();
      if (n > 64) bad(`${key}: ${n} array entries`);
      meta[key] = Array.from({ length: n }, () => dv.getInt32(need(4), true));
    } else bad(`${key}: metadata type ${type}`);
  }

  const tensors = new Map();
  for (let i = 0; i < nTensors; i++) {
    const name = str(1, 255, 'tensor name');
    if (tensors.has(name)) bad(`duplicate tensor ${name}`);
    const dtype = ['f32', 'f16', 'q8'][u32()];
    const nDims = u32();
    if (!dtype || (nDims !== 1 && nDims !== 2)) bad(`${name}: dtype or n_dims`);
    const shape = Array.from({ length: nDims }, u32);
    const [rows, cols] = nDims === 1 ? [1, shape[0]] : shape;
    if (rows < 1 || cols < 1 || rows * cols >= 2 ** 31) bad(`${name}: dims ${fmt(shape)}`);
    const block = u32();
    const offset = u64();
    const nbytes = u64();
    let expect;
    if (dtype === 'q8') {
      if (nDims !== 2 || block < 1 || block > cols) bad(`${name}: q8 block ${block}`);
      expect = 4 * rows * Math.ceil(cols / block) + rows * cols;
    } else {
      if (block !== 0) bad(`${name}: block ${block} for ${dtype}`);
      if (nDims === 1 && dtype !== 'f32') bad(`${name}: a 1-D tensor must be f32`);
      expect = (dtype === 'f32' ? 4 : 2) * rows * cols;
    }
    if (nbytes !== expect || offset % 64 || offset + nbytes > dataSize) {
      bad(`${name}: offset ${offset}, nbytes ${nbytes}`);
    }
    const start = dataOffset + offset;
    const data = buf.subarray(start, start + nbytes);
    tensors.set(name, { name, dtype, shape, block, offset, nbytes, bytes: data });
  }
  if (p > dataOffset) bad('tables run into the data section');
  const sorted = [...tensors.values()].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].offset < sorted[i - 1].offset + sorted[i - 1].nbytes) {
      bad(`${sorted[i].name} overlaps ${sorted[i - 1].name}`);
    }
  }
  return { version, meta, tensors };
}

// The values of a parsed tensor as f32 (q8 and f16 dequantized as the engine does).
export function tensorValues(t) {
  const [rows, cols] = t.shape.length === 1 ? [1, t.shape[0]] : t.shape;
  const dv = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = new Float32Array(rows * cols);
  if (t.dtype === 'f32') out.forEach((_, i) => (out[i] = dv.getFloat32(4 * i, true)));
  else if (t.dtype === 'f16') out.forEach((_, i) => (out[i] = halfToFloat(dv.getUint16(2 * i, true))));
  else {
    const nblk = Math.ceil(cols / t.block);
    const qBase = 4 * rows * nblk;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const scale = dv.getFloat32(4 * (r * nblk + Math.floor(c / t.block)), true);
        out[r * cols + c] = scale * dv.getInt8(qBase + r * cols + c);
      }
    }
  }
  return out;
}
