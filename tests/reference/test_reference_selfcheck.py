"""Sanity checks of training/mvae_format.py and tests/reference/mvae_ref.py.

Run: /usr/bin/python3 tests/reference/test_reference_selfcheck.py   (exit status 1 on any failure)
- MVAE write/read round trips for f32, f16 and q8, q8 error bounds, and rejection of corrupt files;
- mvae_ref against a naive per-element LSTM written separately here (flat and hierarchical decode,
  two-layer and hierarchical encoders), on the cases in tests/data;
- tests/data/*.expect still agree with mvae_ref on their .mvae files.
"""
import math
import os
import struct
import sys
import tempfile
import traceback

import numpy as np

from mvae_ref import MusicVAERef, mvae_format

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
fmt = mvae_format

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def write_bytes(metadata, tensors, **kw):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.mvae")
        fmt.write_model(path, metadata, tensors, **kw)
        with open(path, "rb") as f:
            return f.read()


META = {"general.architecture": "musicvae", "musicvae.z_size": 4, "f": 0.25, "empty": "",
        "musicvae.output_depths": [90, 90, 512], "none": []}


def sample_tensors():
    rng = np.random.default_rng(7)
    w = rng.normal(0, 1, (5, 70)).astype(np.float32)
    w[1] = 0.0  # an all-zero row: scale 0
    w[2, 32:64] = 0.0  # an all-zero block in an otherwise nonzero row
    return {"a/kernel": w, "a/bias": rng.normal(0, 1, 70).astype(np.float32),
            "b/kernel": rng.normal(0, 3, (3, 8)).astype(np.float32)}


# ---- format ---------------------------------------------------------------------------------


@test
def roundtrip_every_dtype():
    tensors = sample_tensors()
    for quantize, dtype in ((None, fmt.DTYPE_F32), ("f16", fmt.DTYPE_F16), ("q8", fmt.DTYPE_Q8)):
        buf = write_bytes(META, tensors, quantize=quantize, block=32)
        meta, raw = fmt.read_model_raw(buf)
        _, deq = fmt.read_model(buf)
        assert meta == META, meta
        assert list(raw) == list(tensors)
        assert raw["a/bias"].dtype == fmt.DTYPE_F32 and raw["a/bias"].block == 0
        assert np.array_equal(deq["a/bias"], tensors["a/bias"])
        k = raw["a/kernel"]
        assert k.dtype == dtype and k.dims == [5, 70], (k.dtype, k.dims)
        assert k.block == (32 if dtype == fmt.DTYPE_Q8 else 0)
        assert raw["b/kernel"].block == (8 if dtype == fmt.DTYPE_Q8 else 0)  # block <= cols
        for name, w in tensors.items():
            got = deq[name]
            assert got.dtype == np.float32 and got.shape == w.shape
            if dtype == fmt.DTYPE_F32:
                assert np.array_equal(got, w)
            elif dtype == fmt.DTYPE_F16 and w.ndim == 2:
                assert np.array_equal(got, w.astype(np.float16).astype(np.float32))
        # Layout: aligned data section and tensors, size matches the header.
        data_offset, data_size = struct.unpack("<QQ", buf[16:32])
        assert data_offset % 64 == 0 and data_offset + data_size == len(buf)


@test
def q8_error_bounds():
    w = sample_tensors()["a/kernel"]
    for block in (1, 7, 32, 70):
        scales, q = fmt.quantize_q8(w, block)
        assert scales.shape == (5, -(-70 // block)) and q.dtype == np.int8
        assert np.abs(q.astype(int)).max() <= 127
        deq = fmt.dequantize_q8(scales, q, block)
        err = np.abs(deq - w)
        # Half a quantization step, plus float32 rounding of scale * q.
        bound = np.repeat(scales, block, axis=1)[:, :70] * 0.5 + 1e-6 * np.abs(w)
        assert np.all(err <= bound), err.max()
        assert np.all(deq[1] == 0) and np.all(scales[1] == 0)
        # The largest element of each block maps to +-127 exactly.
        for r in range(5):
            for b in range(scales.shape[1]):
                blk = q[r, b * block:(b + 1) * block]
                assert scales[r, b] == 0 or np.abs(blk.astype(int)).max() == 127
    scales, q = fmt.quantize_q8(w, 32)
    assert np.all(scales[2, 1] == 0) and np.all(q[2, 32:64] == 0)


@test
def reads_version_1_files():
    """Files written before the checksum (tests/data, the shipped models) still read."""
    good = write_bytes(META, sample_tensors())
    data_offset = struct.unpack_from("<Q", good, 16)[0]
    # The same file in version 1: no checksum fields, tables right after the 32-byte header.
    v1 = bytearray(good[:data_offset])
    del v1[32:40]
    struct.pack_into("<I", v1, 4, 1)
    v1 = bytes(v1) + bytes(8) + good[data_offset:]
    meta, raw = fmt.read_model_raw(v1)
    assert meta == META and list(raw) == list(sample_tensors())
    assert struct.unpack_from("<I", good, 4)[0] == fmt.VERSION == 2
    assert struct.unpack_from("<I", good, fmt.CRC_OFFSET)[0] == fmt.file_crc32(good)


@test
def schema_is_the_one_list_of_names():
    """src/format/schema.json: the C headers are generated from it, and names fill as documented."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    gen = os.path.join(root, "tools", "gen_schema.py")
    import subprocess
    assert subprocess.run([sys.executable, gen, "--check"]).returncode == 0, (
        "src/format/schema_names.h or schema_sizes.h is stale: run tools/gen_schema.py")
    assert fmt.tensor_name("decoder_lstm", core=fmt.tensor_name("core_decoder_track", track=2),
                           layer=1) == "core_decoder/core_decoder_2/decoder/multi_rnn_cell/cell_1/lstm_cell/"
    assert fmt.tensor_name("encoder_lstm", layer=0, direction="bw") == (
        "encoder/cell_0/bidirectional_rnn/bw/multi_rnn_cell/cell_0/lstm_cell/")
    assert fmt.tensor_name("latent", latent="mu") + "kernel" == "encoder/mu/kernel"
    # The size rules, hand-worked: a 512-unit decoder cell 0 reading 90 classes + 256 (z) values.
    assert fmt.tensor_size("lstm_rows", input=90 + 256, units=512) == 858
    assert fmt.tensor_size("lstm_width", units=512) == 2048
    assert fmt.tensor_size("decoder_input", track_input=90, conditioning=256, control_depth=0) == 346


@test
def writer_is_deterministic():
    a = write_bytes(META, sample_tensors(), quantize="q8")
    b = write_bytes(META, sample_tensors(), quantize="q8")
    assert a == b


# ---- corrupt files --------------------------------------------------------------------------


def tensor_field_pos(buf, name):
    """Byte positions of the fields after the name of a tensor entry."""
    at = buf.index(struct.pack("<I", len(name)) + name.encode()) + 4 + len(name)
    n_dims = struct.unpack_from("<I", buf, at + 4)[0]
    pos = {"dtype": at, "n_dims": at + 4, "dims": at + 8}
    pos["block"] = at + 8 + 4 * n_dims
    pos["offset"] = pos["block"] + 4
    pos["nbytes"] = pos["offset"] + 8
    return pos


def patched(buf, at, fmt_char, value):
    out = bytearray(buf)
    struct.pack_into("<" + fmt_char, out, at, value)
    return bytes(out)


def expect_reject(buf, what):
    try:
        fmt.read_model_raw(buf)
    except fmt.MVAEFormatError:
        return
    raise AssertionError(f"accepted a corrupt file: {what}")


@test
def rejects_corrupt_files():
    good = write_bytes(META, sample_tensors(), quantize="q8")
    fmt.read_model_raw(good)
    a, b = tensor_field_pos(good, "a/kernel"), tensor_field_pos(good, "b/kernel")
    bias = tensor_field_pos(good, "a/bias")
    b_offset = struct.unpack_from("<Q", good, b["offset"])[0]
    cases = {
        "empty": b"",
        "truncated header": good[:20],
        "truncated by one byte": good[:-1],
        "truncated to the data section": good[:struct.unpack_from("<Q", good, 16)[0]],
        "one byte too many": good + b"\0",
        "bad magic": b"MVAF" + good[4:],
        "bad version": patched(good, 4, "I", 3),
        "too many metadata entries": patched(good, 8, "I", 257),
        "metadata runs past the header": patched(good, 8, "I", 200),
        "too many tensors": patched(good, 12, "I", 1025),
        "unaligned data_offset": patched(good, 16, "Q", 33),
        "data_size past the end": patched(good, 24, "Q", 1 << 40),
        "overlapping tensors": patched(good, b["offset"], "Q", 0),
        "partly overlapping tensors": patched(good, b["offset"], "Q", b_offset - 64),
        "offset past the end": patched(good, b["offset"], "Q", 1 << 20),
        "offset overflows": patched(good, b["offset"], "Q", (1 << 64) - 64),
        "unaligned offset": patched(good, b["offset"], "Q", b_offset + 4),
        "nbytes mismatch": patched(good, b["nbytes"], "Q", 4 * 24),
        "unknown dtype": patched(good, a["dtype"], "I", 3),
        "q8 block 0": patched(good, a["block"], "I", 0),
        "q8 block > cols": patched(good, a["block"], "I", 71),
        "f32 with a block": patched(good, bias["block"], "I", 4),
        "q8 bias": patched(good, bias["dtype"], "I", fmt.DTYPE_Q8),
        "3-D tensor": patched(good, a["n_dims"], "I", 3),
        "zero dim": patched(good, a["dims"], "I", 0),
        "duplicate tensor name": good.replace(b"b/kernel", b"a/kernel"),
        "bad metadata type": good.replace(b"\x01\x00\x00\x00f\x02\x00\x00\x00",
                                          b"\x01\x00\x00\x00f\x09\x00\x00\x00"),
        "duplicate metadata key": write_bytes(dict(META, keyA=1, keyB=2), sample_tensors())
        .replace(b"keyB", b"keyA"),
    }
    for what, buf in cases.items():
        assert buf != good, what
        expect_reject(buf, what)
        # With the checksum made to match, the structural check itself must refuse it.
        if len(buf) >= fmt.HEADER_SIZE:
            expect_reject(fmt.seal(buf), what + " (checksum recomputed)")
    data_offset = struct.unpack_from("<Q", good, 16)[0]
    flipped = bytearray(good)
    flipped[data_offset + 5] ^= 0x10
    expect_reject(bytes(flipped), "one flipped bit in the tensor data")
    expect_reject(patched(good, fmt.CRC_OFFSET + 4, "I", 1), "reserved field set")
    nan_bias = bytearray(good)
    struct.pack_into("<f", nan_bias, data_offset, float("nan"))  # a/kernel's first q8 scale
    expect_reject(fmt.seal(nan_bias), "a NaN q8 scale")
    try:
        fmt.write_model(os.devnull, META, {"a/bias": np.array([1.0, np.inf], np.float32)})
    except fmt.MVAEFormatError:
        pass
    else:
        raise AssertionError("wrote an infinite weight")
    try:
        fmt.write_model(os.devnull, {"k": {"a": 1}}, {})
    except fmt.MVAEFormatError:
        pass
    else:
        raise AssertionError("wrote an unsupported metadata type")


# ---- naive reference ------------------------------------------------------------------------


def nsig(x):
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def naive_dense(kernel, bias, x):
    return [bias[j] + sum(x[i] * kernel[i][j] for i in range(len(x))) for j in range(len(bias))]


def naive_lstm_step(kernel, bias, x, c, h):
    """One element at a time: unit k reads columns k, u + k, 2u + k, 3u + k (i, j, f, o)."""
    u = len(c)
    xh = list(x) + list(h)
    new_c, new_h = [], []
    for k in range(u):
        g = [bias[q * u + k] + sum(xh[r] * kernel[r][q * u + k] for r in range(len(xh)))
             for q in range(4)]
        ck = nsig(g[0]) * math.tanh(g[1]) + c[k] * nsig(g[2] + 1.0)
        new_c.append(ck)
        new_h.append(math.tanh(ck) * nsig(g[3]))
    return new_c, new_h


class Naive:
    def __init__(self, path):
        self.meta, t = fmt.read_model(path)
        self.t = {k: v.astype(np.float64).tolist() for k, v in t.items()}

    def cells(self, fmt_str):
        out, l = [], 0
        while fmt_str % l + "kernel" in self.t:
            out.append((self.t[fmt_str % l + "kernel"], self.t[fmt_str % l + "bias"]))
            l += 1
        return out

    def dense(self, prefix, x):
        return naive_dense(self.t[prefix + "kernel"], self.t[prefix + "bias"], x)

    def bidi(self, prefix, seq):
        """seq: list of steps -> [last fw h of the top layer; bw h after reading seq reversed]."""
        f = prefix + "cell_%d/bidirectional_rnn/{}/multi_rnn_cell/cell_0/lstm_cell/"
        for (kf, bf), (kb, bb) in zip(self.cells(f.format("fw")), self.cells(f.format("bw"))):
            fw, bw = [], [None] * len(seq)
            c = h = [0.0] * (len(bf) // 4)
            for x in seq:
                c, h = naive_lstm_step(kf, bf, x, c, h)
                fw.append(h)
            c = h = [0.0] * (len(bb) // 4)
            for s in reversed(range(len(seq))):
                c, h = naive_lstm_step(kb, bb, seq[s], c, h)
                bw[s] = h
            seq = [fw[s] + bw[s] for s in range(len(seq))]
        return fw[-1] + bw[0]

    def encode_mu(self, steps):
        if self.meta["musicvae.encoder"] == "hierarchical":
            seg = len(steps) // self.meta["musicvae.num_segments"]
            emb = [self.bidi("encoder/hierarchical_level_0/", steps[i:i + seg])
                   for i in range(0, len(steps), seg)]
            final = self.bidi("encoder/hierarchical_level_1/", emb)
        else:
            final = self.bidi("encoder/", steps)
        return self.dense("encoder/mu/", final)

    def init_state(self, prefix, cells, cond):
        v = [math.tanh(a) for a in self.dense(prefix, cond)]
        cs, hs, at = [], [], 0
        for _, b in cells:
            u = len(b) // 4
            cs.append(v[at:at + u])
            hs.append(v[at + u:at + 2 * u])
            at += 2 * u
        return cs, hs

    def core(self, prefix, cond, steps, prev):
        cells = self.cells(prefix + "multi_rnn_cell/cell_%d/lstm_cell/")
        cs, hs = self.init_state(prefix + "z_to_initial_state/", cells, cond)
        tokens, logits = [], []
        for _ in range(steps):
            x = prev + cond
            for l, (k, b) in enumerate(cells):
                cs[l], hs[l] = naive_lstm_step(k, b, x, cs[l], hs[l])
                x = hs[l]
            lg = self.dense(prefix + "output_projection/", x)
            tok = max(range(len(lg)), key=lambda i: lg[i])
            tokens.append(tok)
            logits.append(lg)
            prev = [1.0 if i == tok else 0.0 for i in range(len(lg))]
        return tokens, logits, prev

    def greedy(self, z):
        """Greedy decode of one z -> (tokens [tracks][T], logits [T][sum of depths])."""
        depths = self.meta["musicvae.output_depths"]
        steps = self.meta["musicvae.num_steps"]
        if self.meta["musicvae.decoder"] == "flat":
            tokens, logits, _ = self.core("decoder/", z, steps, [0.0] * depths[0])
            return [tokens], logits
        cond = "decoder/hierarchical_level_0/"
        cells = self.cells(cond + "cell_%d/lstm_cell/")
        cs, hs = self.init_state(cond + "initial_state/", cells, z)
        n_seg = self.meta["musicvae.num_segments"]
        prefixes = (["core_decoder/decoder/"] if len(depths) == 1 else
                    ["core_decoder/core_decoder_%d/decoder/" % i for i in range(len(depths))])
        prev = [[0.0] * d for d in depths]
        tokens, logits = [[] for _ in depths], []
        for _ in range(n_seg):
            x = [0.0]
            for l, (k, b) in enumerate(cells):
                cs[l], hs[l] = naive_lstm_step(k, b, x, cs[l], hs[l])
                x = hs[l]
            seg_logits = [[] for _ in range(steps // n_seg)]
            for i, prefix in enumerate(prefixes):
                tok, lg, prev[i] = self.core(prefix, x, steps // n_seg, prev[i])
                tokens[i] += tok
                for s, row in enumerate(lg):
                    seg_logits[s] += row
            logits += seg_logits
        return tokens, logits


def read_expect(name):
    out = {}
    with open(os.path.join(DATA, name + ".expect")) as f:
        for line in f:
            key, count, *vals = line.split()
            assert int(count) == len(vals), key
            out[key] = np.array([float(v) for v in vals])
    return out


def check_naive_decode(name, row):
    path = os.path.join(DATA, name + ".mvae")
    exp = read_expect(name)
    z = exp["z"].reshape(int(exp["batch"][0]), -1)
    tokens, logits, _ = MusicVAERef.from_file(path).decode(z)
    naive_tokens, naive_logits = Naive(path).greedy(z[row].tolist())
    assert np.array_equal(tokens[row], naive_tokens), name
    err = np.abs(logits[row] - np.array(naive_logits)).max()
    assert err < 1e-9, f"{name}: naive logits differ by {err}"


def check_naive_encode(name, row):
    path = os.path.join(DATA, name + ".mvae")
    model = MusicVAERef.from_file(path)
    exp = read_expect(name)
    x = exp["input"].reshape(int(exp["batch"][0]), model.num_steps, model.input_depth)
    mu, _ = model.encode(x)
    naive = Naive(path).encode_mu(x[row].tolist())
    err = np.abs(mu[row] - np.array(naive)).max()
    assert err < 1e-9, f"{name}: naive mu differs by {err}"


@test
def naive_flat_decode():
    check_naive_decode("flat_small", 1)


@test
def naive_hierarchical_decode():
    check_naive_decode("hier_mel", 2)


@test
def naive_trio_decode():
    check_naive_decode("hier_trio", 0)


@test
def naive_two_layer_encoder():
    check_naive_encode("flat_2layer_enc", 0)


@test
def naive_hierarchical_encoder():
    check_naive_encode("hier_trio", 0)


@test
def lstm_step_matches_naive():
    rng = np.random.default_rng(3)
    kernel, bias = rng.normal(0, 1, (9, 16)), rng.normal(0, 1, 16)
    x, c, h = rng.normal(0, 1, (1, 5)), rng.normal(0, 1, (1, 4)), rng.normal(0, 1, (1, 4))
    from mvae_ref import lstm_step
    c1, h1 = lstm_step(kernel, bias, x, c, h)
    c2, h2 = naive_lstm_step(kernel.tolist(), bias.tolist(), x[0].tolist(), c[0].tolist(),
                             h[0].tolist())
    assert np.abs(c1[0] - c2).max() < 1e-12 and np.abs(h1[0] - h2).max() < 1e-12


# ---- stored expectations --------------------------------------------------------------------

CASES = ["flat_small", "flat_2layer_enc", "hier_mel", "hier_trio", "no_encoder", "flat_small_q8",
         "nade_drums", "chords_mel", "chords_hier", "hier_nade", "groove", "hier_groove"]


@test
def expect_files_match_reference():
    for name in CASES:
        model = MusicVAERef.from_file(os.path.join(DATA, name + ".mvae"))
        exp = read_expect(name)
        batch = int(exp["batch"][0])
        z = exp["z"].reshape(batch, model.z_size)
        tracks, steps = len(model.output_depths), model.num_steps
        controls = (exp["controls"].reshape(batch, steps, model.control_depth)
                    if model.control_depth else None)
        assert (controls is None) == ("controls" not in exp), name
        if model.has_encoder:
            mu, sigma = model.encode(exp["input"].reshape(batch, steps, model.input_depth),
                                     controls)
            assert np.allclose(mu.ravel(), exp["mu"], rtol=1e-6, atol=1e-6), name
            assert np.allclose(sigma.ravel(), exp["sigma"], rtol=1e-6, atol=1e-6), name
        else:
            assert "mu" not in exp and "input" not in exp
        tokens, logits, margin = model.decode(z, controls=controls)
        assert np.array_equal(tokens.ravel(), exp["greedy_tokens"]), name
        assert np.allclose(logits.ravel(), exp["greedy_logits"], rtol=1e-6, atol=1e-6), name
        assert margin.min() >= 1e-3 and abs(margin.min() - exp["min_margin"][0]) < 1e-6, name
        if model.nade:  # the log-probabilities of all label sets: a distribution at every step
            assert np.allclose(np.exp(logits).sum(axis=-1), 1.0, atol=1e-9), name
        if model.groove:  # its decoder feeds back values: no teacher forcing, no teacher keys
            assert "teacher_tokens" not in exp, name
        else:
            teacher = exp["teacher_tokens"].astype(int).reshape(batch, tracks, steps)
            forced_tokens, forced_logits, _ = model.decode(z, teacher=teacher, controls=controls)
            assert np.array_equal(forced_tokens, teacher)
            assert np.allclose(forced_logits.ravel(), exp["teacher_logits"], rtol=1e-6,
                               atol=1e-6)
        size = os.path.getsize(os.path.join(DATA, name + ".mvae"))
        assert size < 1 << 20, f"{name}: {size} bytes"


def main():
    passed = failed = 0
    for fn in TESTS:
        try:
            fn()
            passed += 1
            print(f"ok   {fn.__name__}")
        except Exception:  # report every failure, keep going
            failed += 1
            print(f"FAIL {fn.__name__}")
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
