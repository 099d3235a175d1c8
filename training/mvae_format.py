"""Read and write MVAE model files (docs/model-format.md) with NumPy.

    write_model(path, metadata, tensors, quantize=None, block=None)
    read_model(src)     -> (metadata, {name: float32 array, dequantized})
    read_model_raw(src) -> (metadata, {name: RawTensor})
    tensor_name(part, **fields) -> a tensor name prefix from src/format/schema.json
    tensor_size(rule, **sizes) -> a size of the schema's shape rules (its "sizes")

`metadata` maps key -> value; the stored type follows the Python type: int (or bool) -> i32,
float -> f32, str -> str, a list/tuple of ints -> i32[]. `src` is a path or a bytes-like buffer.
Every violation of the format raises MVAEFormatError. The writer writes version 2 (with its
CRC-32) atomically (a temporary file in the same folder, then a rename); the reader reads versions
1 and 2 and checks version 2's checksum.
"""
import json
import os
import re
import struct
import tempfile
import zlib
from collections import namedtuple

import numpy as np

MAGIC = b"MVAE"
VERSION = 2  # what write_model writes; version 1 (no checksum) is still read
OLDEST_VERSION = 1
ALIGN = 64
HEADER_SIZES = {1: 32, 2: 40}  # version 2 adds u32 crc32 (at 32) and u32 reserved (0, at 36)
HEADER_SIZE = HEADER_SIZES[VERSION]
CRC_OFFSET = 32
MAX_META = 256
MAX_TENSORS = 1024
MAX_NAME = 255
MAX_STR_VALUE = 65535
MAX_I32_ARRAY = 64

META_I32, META_F32, META_STR, META_I32_ARRAY = 1, 2, 3, 4
DTYPE_F32, DTYPE_F16, DTYPE_Q8 = 0, 1, 2
DTYPE_NAMES = {DTYPE_F32: "f32", DTYPE_F16: "f16", DTYPE_Q8: "q8"}

# The tensor names and the size rules of their shapes: src/format/schema.json, the one list the
# engine, convert.mjs and these tools use.
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "format",
                           "schema.json")
with open(SCHEMA_PATH) as _f:
    SCHEMA = json.load(_f)


def tensor_name(part, **fields):
    """The name template `part` of the schema with its {fields} filled in, e.g.
    tensor_name("decoder_lstm", core="decoder/", layer=1) -> "decoder/multi_rnn_cell/cell_1/lstm_cell/";
    a dense or LSTM part's tensors are this + "kernel" and + "bias"."""
    return re.sub(r"\{(\w+)\}", lambda m: str(fields[m.group(1)]), SCHEMA["names"][part])


def tensor_size(rule, **sizes):
    """The size rule `rule` of the schema (names and whole numbers joined by + and *) at these
    sizes, e.g. tensor_size("lstm_rows", input=90, units=512) -> 602 (an LSTM kernel's rows)."""
    def value(word):
        return int(word) if word.isdigit() else int(sizes[word])
    total = 0
    for term in SCHEMA["sizes"][rule]["size"].split(" + "):
        product = 1
        for factor in term.split(" * "):
            product *= value(factor)
        total += product
    return total


# data: f32/f16 array of dims, or (scales f32 [rows, nblk], q int8 [rows, cols]) for q8.
RawTensor = namedtuple("RawTensor", "dtype dims block data")


class MVAEFormatError(ValueError):
    pass


def _align(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


def tensor_nbytes(dtype, dims, block):
    rows, cols = (1, dims[0]) if len(dims) == 1 else dims
    if dtype == DTYPE_F32:
        return 4 * rows * cols
    if dtype == DTYPE_F16:
        return 2 * rows * cols
    nblk = -(-cols // block)
    return 4 * rows * nblk + rows * cols


# ---- quantization ---------------------------------------------------------------------------


def quantize_q8(w, block):
    """Symmetric per-block int8: scale = max|w| / 127, q = round(w / scale). Returns (scales, q)."""
    w = np.asarray(w, dtype=np.float32)
    rows, cols = w.shape
    nblk = -(-cols // block)
    padded = np.zeros((rows, nblk * block), dtype=np.float32)
    padded[:, :cols] = w
    blocks = padded.reshape(rows, nblk, block)
    scales = (np.abs(blocks).max(axis=2) / np.float32(127)).astype(np.float32)
    # Divide by the stored f32 scale (as a reader will multiply by it); 0-scale blocks give q = 0.
    safe = np.where(scales == 0, np.float32(1), scales)
    q = np.rint(blocks.astype(np.float64) / safe[:, :, None].astype(np.float64))
    q = np.clip(q, -127, 127).astype(np.int8).reshape(rows, nblk * block)[:, :cols]
    return scales, np.ascontiguousarray(q)


def dequantize_q8(scales, q, block):
    cols = q.shape[1]
    expanded = np.repeat(scales, block, axis=1)[:, :cols]
    return (expanded * q.astype(np.float32)).astype(np.float32)


# ---- writing --------------------------------------------------------------------------------


def _pack_str(s, lo, hi, what):
    b = s.encode("utf-8")
    if not lo <= len(b) <= hi:
        raise MVAEFormatError(f"{what} {s!r}: length {len(b)} not in {lo}..{hi}")
    return struct.pack("<I", len(b)) + b


def _pack_meta(key, value):
    out = _pack_str(key, 1, MAX_NAME, "metadata key")
    if isinstance(value, (bool, int, np.integer)):
        return out + struct.pack("<Ii", META_I32, int(value))
    if isinstance(value, (float, np.floating)):
        return out + struct.pack("<If", META_F32, float(value))
    if isinstance(value, str):
        return out + struct.pack("<I", META_STR) + _pack_str(value, 0, MAX_STR_VALUE, "value")
    if isinstance(value, (list, tuple, np.ndarray)):
        vals = [int(v) for v in value]
        if len(vals) > MAX_I32_ARRAY:
            raise MVAEFormatError(f"metadata {key}: more than {MAX_I32_ARRAY} values")
        return out + struct.pack(f"<II{len(vals)}i", META_I32_ARRAY, len(vals), *vals)
    raise MVAEFormatError(f"metadata {key}: unsupported value type {type(value).__name__}")


def _encode_tensor(name, array, quantize, block):
    """Returns (dtype, dims, block, payload bytes) for one tensor."""
    a = np.asarray(array, dtype=np.float32)
    if a.ndim not in (1, 2) or a.size == 0:
        raise MVAEFormatError(f"tensor {name}: shape {a.shape} is not 1-D or 2-D and non-empty")
    dims = list(a.shape)
    if not np.all(np.isfinite(a)):
        raise MVAEFormatError(f"tensor {name}: a value is not a finite number (NaN or infinity)")
    # Biases (1-D) always stay f32.
    if quantize is None or a.ndim == 1:
        return DTYPE_F32, dims, 0, a.astype("<f4").tobytes()
    if quantize == "f16":
        return DTYPE_F16, dims, 0, a.astype("<f2").tobytes()
    if quantize == "q8":
        blk = min(int(tensor_size("q8_block") if block is None else block), dims[1])
        if blk < 1:
            raise MVAEFormatError(f"q8 block must be >= 1, got {block}")
        scales, q = quantize_q8(a, blk)
        return DTYPE_Q8, dims, blk, scales.astype("<f4").tobytes() + q.tobytes()
    raise MVAEFormatError(f"unknown quantize {quantize!r} (None, 'f16' or 'q8')")


def write_model(path, metadata, tensors, quantize=None, block=None):
    """Writes an MVAE file. quantize: None (all f32), 'f16' or 'q8' for the 2-D kernels; block: q8
    columns per scale (None: the schema's q8_block)."""
    if len(metadata) > MAX_META or len(tensors) > MAX_TENSORS:
        raise MVAEFormatError("too many metadata entries or tensors")
    meta_bytes = b"".join(_pack_meta(k, v) for k, v in metadata.items())

    table, payloads, offset = [], [], 0
    for name, array in tensors.items():
        dtype, dims, blk, payload = _encode_tensor(name, array, quantize, block)
        entry = _pack_str(name, 1, MAX_NAME, "tensor name")
        entry += struct.pack(f"<II{len(dims)}I", dtype, len(dims), *dims)
        entry += struct.pack("<IQQ", blk, offset, len(payload))
        table.append(entry)
        payloads.append((offset, payload))
        offset = _align(offset + len(payload))

    data_offset = _align(HEADER_SIZE + len(meta_bytes) + sum(map(len, table)))
    data_size = payloads[-1][0] + len(payloads[-1][1]) if payloads else 0
    data = bytearray(data_size)
    for off, payload in payloads:
        data[off:off + len(payload)] = payload

    header = MAGIC + struct.pack("<IIIQQII", VERSION, len(metadata), len(tensors), data_offset,
                                 data_size, 0, 0)
    head = header + meta_bytes + b"".join(table)
    _write_atomically(path, seal(head + bytes(data_offset - len(head)) + bytes(data)))


def file_crc32(buf):
    """The CRC-32 a version 2 file stores: of the whole file, its 4 checksum bytes read as 0."""
    return zlib.crc32(bytes(buf[CRC_OFFSET + 4:]),
                      zlib.crc32(b"\0\0\0\0", zlib.crc32(bytes(buf[:CRC_OFFSET]))))


def seal(buf):
    """A version 2 file's bytes with its checksum (re)computed."""
    out = bytearray(buf)
    struct.pack_into("<I", out, CRC_OFFSET, file_crc32(out))
    return bytes(out)


def _write_atomically(path, data):
    """Writes data to path through a temporary file in the same folder and a rename, so a failed
    write (full disk, interruption) leaves any existing file at path as it was."""
    path = os.fspath(path)
    if path == os.devnull:
        with open(path, "wb") as f:
            f.write(data)
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".mvae")
    umask = os.umask(0)  # mkstemp makes the file 0600; give it the mode open() would have
    os.umask(umask)
    try:
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---- reading --------------------------------------------------------------------------------


class _Cursor:
    """Bounds-checked little-endian reader over buf[: end]."""

    def __init__(self, buf, pos, end):
        self.buf, self.pos, self.end = buf, pos, end

    def take(self, n, what):
        if n < 0 or self.pos + n > self.end:
            raise MVAEFormatError(f"truncated: {what} at byte {self.pos} runs past the header")
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def u32(self, what):
        return struct.unpack("<I", self.take(4, what))[0]

    def u64(self, what):
        return struct.unpack("<Q", self.take(8, what))[0]

    def string(self, lo, hi, what):
        n = self.u32(what + " length")
        if not lo <= n <= hi:
            raise MVAEFormatError(f"{what}: length {n} not in {lo}..{hi}")
        try:
            return bytes(self.take(n, what)).decode("utf-8")
        except UnicodeDecodeError as e:
            raise MVAEFormatError(f"{what}: not UTF-8") from e


def _read_meta(cur):
    key = cur.string(1, MAX_NAME, "metadata key")
    kind = cur.u32(f"type of {key}")
    if kind == META_I32:
        return key, struct.unpack("<i", cur.take(4, key))[0]
    if kind == META_F32:
        return key, struct.unpack("<f", cur.take(4, key))[0]
    if kind == META_STR:
        return key, cur.string(0, MAX_STR_VALUE, f"value of {key}")
    if kind == META_I32_ARRAY:
        n = cur.u32(f"count of {key}")
        if n > MAX_I32_ARRAY:
            raise MVAEFormatError(f"metadata {key}: i32[] count {n} > {MAX_I32_ARRAY}")
        return key, list(struct.unpack(f"<{n}i", cur.take(4 * n, key)))
    raise MVAEFormatError(f"metadata {key}: unknown type {kind}")


def _read_tensor_entry(cur):
    name = cur.string(1, MAX_NAME, "tensor name")
    dtype = cur.u32(f"dtype of {name}")
    if dtype not in DTYPE_NAMES:
        raise MVAEFormatError(f"tensor {name}: unknown dtype {dtype}")
    n_dims = cur.u32(f"n_dims of {name}")
    if n_dims not in (1, 2):
        raise MVAEFormatError(f"tensor {name}: n_dims {n_dims} not 1 or 2")
    dims = [cur.u32(f"dims of {name}") for _ in range(n_dims)]
    if min(dims) < 1 or int(np.prod(dims, dtype=np.int64)) >= 2**31:
        raise MVAEFormatError(f"tensor {name}: bad dims {dims}")
    block = cur.u32(f"block of {name}")
    offset = cur.u64(f"offset of {name}")
    nbytes = cur.u64(f"nbytes of {name}")
    if dtype != DTYPE_F32 and n_dims != 2:
        raise MVAEFormatError(f"tensor {name}: only 2-D kernels may be f16 or q8")
    if dtype == DTYPE_Q8:
        if not 1 <= block <= dims[1]:
            raise MVAEFormatError(f"tensor {name}: q8 block {block} not in 1..{dims[1]}")
    elif block != 0:
        raise MVAEFormatError(f"tensor {name}: block must be 0 for {DTYPE_NAMES[dtype]}")
    if offset % ALIGN:
        raise MVAEFormatError(f"tensor {name}: offset {offset} not a multiple of {ALIGN}")
    if nbytes != tensor_nbytes(dtype, dims, block):
        raise MVAEFormatError(f"tensor {name}: nbytes {nbytes} does not match its shape and dtype")
    return name, dtype, dims, block, offset, nbytes


def _decode_payload(buf, dtype, dims, block):
    if dtype == DTYPE_F32:
        return np.frombuffer(buf, dtype="<f4").reshape(dims).astype(np.float32)
    if dtype == DTYPE_F16:
        return np.frombuffer(buf, dtype="<f2").reshape(dims).copy()
    rows, cols = dims
    nblk = -(-cols // block)
    scales = np.frombuffer(buf, dtype="<f4", count=rows * nblk).reshape(rows, nblk)
    q = np.frombuffer(buf, dtype=np.int8, offset=4 * rows * nblk).reshape(rows, cols)
    return scales.astype(np.float32), q.copy()


def read_model_raw(src):
    """Parses and validates a whole file. Returns (metadata, {name: RawTensor})."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        buf = bytes(src)
    else:
        with open(src, "rb") as f:
            buf = f.read()
    if len(buf) < HEADER_SIZES[OLDEST_VERSION]:
        raise MVAEFormatError(f"truncated: {len(buf)} bytes is shorter than the header")
    if buf[:4] != MAGIC:
        raise MVAEFormatError("bad magic (not an MVAE file)")
    version, n_meta, n_tensors, data_offset, data_size = struct.unpack("<IIIQQ", buf[4:32])
    if version not in HEADER_SIZES:
        raise MVAEFormatError(f"unsupported version {version}")
    header_size = HEADER_SIZES[version]
    if len(buf) < header_size:
        raise MVAEFormatError(f"truncated: {len(buf)} bytes is shorter than the header")
    if version >= 2:
        stored, reserved = struct.unpack_from("<II", buf, CRC_OFFSET)
        if stored != file_crc32(buf):
            raise MVAEFormatError(f"checksum mismatch (stored CRC-32 {stored:08x}, computed "
                                  f"{file_crc32(buf):08x}): the file is corrupted")
        if reserved != 0:
            raise MVAEFormatError(f"reserved header field is {reserved}, must be 0")
    if n_meta > MAX_META or n_tensors > MAX_TENSORS:
        raise MVAEFormatError(f"too many entries: {n_meta} metadata, {n_tensors} tensors")
    if data_offset % ALIGN or data_offset < header_size:
        raise MVAEFormatError(f"data_offset {data_offset} is not a multiple of {ALIGN}")
    if data_offset + data_size != len(buf):
        raise MVAEFormatError(f"data_offset + data_size = {data_offset + data_size}, "
                              f"file size {len(buf)}")

    cur = _Cursor(buf, header_size, data_offset)
    metadata = {}
    for _ in range(n_meta):
        key, value = _read_meta(cur)
        if key in metadata:
            raise MVAEFormatError(f"duplicate metadata key {key}")
        metadata[key] = value

    entries = [_read_tensor_entry(cur) for _ in range(n_tensors)]
    names = [e[0] for e in entries]
    if len(set(names)) != len(names):
        raise MVAEFormatError("duplicate tensor names")
    spans = sorted((e[4], e[4] + e[5], e[0]) for e in entries)
    for (start, end, name), nxt in zip(spans, spans[1:] + [None]):
        if end > data_size:
            raise MVAEFormatError(f"tensor {name} lies past the end of the data section")
        if nxt is not None and nxt[0] < end:
            raise MVAEFormatError(f"tensors {name} and {nxt[2]} overlap")

    tensors = {}
    for name, dtype, dims, block, offset, nbytes in entries:
        start = data_offset + offset
        payload = _decode_payload(buf[start:start + nbytes], dtype, dims, block)
        values = payload[0] if dtype == DTYPE_Q8 else payload
        if not np.all(np.isfinite(values)):
            raise MVAEFormatError(f"tensor {name}: a {'q8 scale' if dtype == DTYPE_Q8 else 'value'}"
                                  f" is not a finite number (NaN or infinity)")
        tensors[name] = RawTensor(dtype, dims, block, payload)
    return metadata, tensors


def to_float32(raw):
    """Dequantizes one RawTensor to a float32 array of its dims."""
    if raw.dtype == DTYPE_Q8:
        return dequantize_q8(raw.data[0], raw.data[1], raw.block)
    return raw.data.astype(np.float32)


def read_model(src):
    """Returns (metadata, {name: float32 ndarray}) with f16 and q8 tensors widened."""
    metadata, raw = read_model_raw(src)
    return metadata, {name: to_float32(t) for name, t in raw.items()}
