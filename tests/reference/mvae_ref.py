"""An independent float64 NumPy MusicVAE forward pass over an MVAE file.

It predicts what the C engine (include/musicvae.h) must compute: encode -> (mu, sigma) and greedy or
teacher-forced decode -> (tokens, logits). Mechanics follow Magenta / magenta.js (TF LSTMBlockCell,
forget bias +1.0 at run time); tensor names follow docs/model-format.md.

    model = MusicVAERef.from_file("tests/data/flat_small.mvae")
    mu, sigma = model.encode(inputs)              # inputs [B][T][input_depth]
    tokens, logits, margins = model.decode(z)     # tokens [B][tracks][T], logits [B][T][sum depths]

Conditioned models (musicvae.control_depth > 0) take controls [B][T][control_depth] in both calls,
appended to each encoder input step and each decoder input step, as magenta.js does. A NADE output
layer (musicvae.output_layer 'nade', Magenta's MultiLabelRnnNadeDecoder) gives as its logits the
log-probability of every label set (by enumerating them with Magenta's Nade.log_prob), and greedy
decoding takes label i when its conditional probability is >= 0.5 (Nade.sample without a
temperature, which is what magenta.js always does). A boolean output layer ('boolean', magenta.js's
BooleanDecoder) has one independent logit per label: the logits are again the log-probability of
every label set, and greedy decoding takes label i when its logit is >= 0. With magenta.js's control
preprocessing (control_preprocessing/... tensors) each decoder call reads, in place of its controls,
the per-step [fw; bw] outputs of that bidirectional LSTM run over its own steps' controls. A GrooVAE
output layer (musicvae.output_layer 'groove', Magenta's GrooveLstmDecoder) splits each step's
logits into hits, velocities and offsets (depth / 3 each): greedy hit c when its logit is > 0
(sigmoid > 0.5), token = the hits as bits, and the next step reads [hits, sigmoid(velocities),
tanh(offsets)]; its logits are the raw projection and its margin the smallest |hit logit|.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))
import mvae_format  # noqa: E402


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow for large |x|


def softplus(x):
    return np.logaddexp(0.0, x)


def lstm_step(kernel, bias, x, c, h):
    """TF LSTMBlockCell: kernel rows [x; h], gate columns i, j, f, o; forget bias +1.0."""
    gates = np.concatenate([x, h], axis=1) @ kernel + bias
    i, j, f, o = np.split(gates, 4, axis=1)
    c = sigmoid(i) * np.tanh(j) + c * sigmoid(f + 1.0)
    return c, np.tanh(c) * sigmoid(o)


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def nade_greedy(w_enc, w_dec_t, b_enc, b_dec):
    """Nade.sample with temperature None: labels [N, dims] and the smallest |logit| per row."""
    a = b_enc.copy()
    labels = np.zeros(b_dec.shape)
    margin = np.full(b_dec.shape[0], np.inf)
    for i in range(w_enc.shape[0]):
        logit = b_dec[:, i] + sigmoid(a) @ w_dec_t[i]
        labels[:, i] = logit >= 0.0  # sigmoid(logit) >= 0.5
        margin = np.minimum(margin, np.abs(logit))
        a = a + labels[:, i:i + 1] * w_enc[i]
    return labels, margin


def nade_log_prob(w_enc, w_dec_t, b_enc, b_dec, x):
    """Nade.log_prob of observations x [N, dims] (exact log sigmoid, not its 1e-6 safe log)."""
    a = b_enc.copy()
    log_p = np.zeros(x.shape[0])
    for i in range(w_enc.shape[0]):
        logit = b_dec[:, i] + sigmoid(a) @ w_dec_t[i]
        log_p += x[:, i] * log_sigmoid(logit) + (1 - x[:, i]) * log_sigmoid(-logit)
        a = a + x[:, i:i + 1] * w_enc[i]
    return log_p


def label_bits(tokens, dims):
    """int [N] label sets -> [N, dims] multi-hot, label i = bit i."""
    return (np.asarray(tokens)[:, None] >> np.arange(dims)) & 1


def top2_margin(logits):
    """top-1 minus top-2 of each row of logits [B, depth]."""
    part = np.sort(logits, axis=1)
    return part[:, -1] - part[:, -2]


class MusicVAERef:
    def __init__(self, metadata, tensors):
        self.meta = metadata
        self.t = {k: np.asarray(v, dtype=np.float64) for k, v in tensors.items()}
        self.z_size = metadata["musicvae.z_size"]
        self.num_steps = metadata["musicvae.num_steps"]
        self.hier_decoder = metadata["musicvae.decoder"] == "hierarchical"
        self.hier_encoder = metadata["musicvae.encoder"] == "hierarchical"
        self.num_segments = metadata.get("musicvae.num_segments", 1)
        self.output_depths = list(metadata["musicvae.output_depths"])
        self.input_depth = metadata["musicvae.input_depth"]
        self.nade = metadata.get("musicvae.output_layer", "categorical") == "nade"
        self.boolean = metadata.get("musicvae.output_layer", "categorical") == "boolean"
        self.groove = metadata.get("musicvae.output_layer", "categorical") == "groove"
        self.control_depth = metadata.get("musicvae.control_depth", 0)
        if self.num_steps % self.num_segments:
            raise ValueError("num_steps must divide by num_segments")

    @classmethod
    def from_file(cls, path):
        return cls(*mvae_format.read_model(path))

    def _layers(self, fmt):
        """[(kernel, bias)] for fmt.format(l) + 'kernel', l = 0, 1, ... while present."""
        layers = []
        while fmt.format(len(layers)) + "kernel" in self.t:
            p = fmt.format(len(layers))
            layers.append((self.t[p + "kernel"], self.t[p + "bias"]))
        return layers

    def _dense(self, prefix, x):
        return x @ self.t[prefix + "kernel"] + self.t[prefix + "bias"]

    # ---- encoder ----------------------------------------------------------------------------

    def _encoder_prefixes(self):
        if self.hier_encoder:
            return [f"encoder/hierarchical_level_{k}/" for k in (0, 1)]
        return ["encoder/"]

    @property
    def has_encoder(self):
        return "encoder/mu/kernel" in self.t and all(
            self._layers(p + "cell_{}/bidirectional_rnn/fw/multi_rnn_cell/cell_0/lstm_cell/")
            for p in self._encoder_prefixes())

    def _bidirectional(self, prefix, x):
        """Stacked bidirectional LSTM over x [B, T, D] from zero state -> [B, 2H] final states."""
        x = self._bidirectional_steps(prefix, x)
        fw_out, bw_out = np.split(x, 2, axis=2)
        # Final fw h is after the last step; final bw h is after consuming step 0.
        return np.concatenate([fw_out[:, -1], bw_out[:, 0]], axis=1)

    def _bidirectional_steps(self, prefix, x):
        """The same LSTM's top-layer outputs [fw h; bw h] at every step: [B, T, 2H]."""
        fmt = prefix + "cell_{}/bidirectional_rnn/%s/multi_rnn_cell/cell_0/lstm_cell/"
        fw_layers, bw_layers = self._layers(fmt % "fw"), self._layers(fmt % "bw")
        if not fw_layers or len(fw_layers) != len(bw_layers):
            raise ValueError(f"{prefix}: missing or unpaired encoder layers")
        batch, steps, _ = x.shape
        for (fw_k, fw_b), (bw_k, bw_b) in zip(fw_layers, bw_layers):
            outs = []
            for kernel, bias, order in ((fw_k, fw_b, range(steps)),
                                        (bw_k, bw_b, range(steps - 1, -1, -1))):
                units = bias.shape[0] // 4
                c = h = np.zeros((batch, units))
                out = np.zeros((batch, steps, units))
                for s in order:
                    c, h = lstm_step(kernel, bias, x[:, s], c, h)
                    out[:, s] = h  # bw outputs stay aligned with the input step
                outs.append(out)
            # The next layer reads [fw out; bw out] at each step.
            x = np.concatenate(outs, axis=2)
        return x

    def encode(self, inputs, controls=None):
        """inputs [B, T, input_depth] (controls [B, T, control_depth]) -> (mu [B, Z], sigma)."""
        x = np.asarray(inputs, dtype=np.float64)
        if self.control_depth:
            x = np.concatenate([x, np.asarray(controls, dtype=np.float64)], axis=2)
        if not self.has_encoder:
            raise ValueError("model has no encoder")
        if self.hier_encoder:
            seg = self.num_steps // self.num_segments
            level0 = "encoder/hierarchical_level_0/"
            embeddings = [self._bidirectional(level0, x[:, u * seg:(u + 1) * seg])
                          for u in range(self.num_segments)]
            final = self._bidirectional("encoder/hierarchical_level_1/",
                                        np.stack(embeddings, axis=1))
        else:
            final = self._bidirectional("encoder/", x)
        mu = self._dense("encoder/mu/", final)
        sigma = softplus(self._dense("encoder/sigma/", final)) if (
            "encoder/sigma/kernel" in self.t) else None
        return mu, sigma

    # ---- decoder ----------------------------------------------------------------------------

    def _initial_state(self, prefix, cond, layers):
        """tanh(dense(cond)) split into c0, h0, c1, h1, ... (layers may differ in size)."""
        sizes = [bias.shape[0] // 4 for _, bias in layers for _ in "ch"]
        parts = np.split(np.tanh(self._dense(prefix, cond)), np.cumsum(sizes)[:-1], axis=1)
        return parts[0::2], parts[1::2]

    def _core_decode(self, prefix, cond, steps, prev, teacher, depth, controls=None):
        """One LSTM decoder conditioned on cond [B, C] for `steps` steps.

        prev: [B, width] one-hot (or, for a NADE, multi-hot) of the previous output (zeros at the
        very start). teacher: int [B, steps] fed back instead of the greedy choice, or None.
        controls: [B, steps, control_depth] or None. Returns (tokens, logits [B, steps, depth],
        margin, last previous-output vector)."""
        layers = self._layers(prefix + "multi_rnn_cell/cell_{}/lstm_cell/")
        cs, hs = self._initial_state(prefix + "z_to_initial_state/", cond, layers)
        batch = cond.shape[0]
        tokens = np.zeros((batch, steps), dtype=np.int64)
        logits = np.zeros((batch, steps, depth))
        margin = np.full(batch, np.inf)
        dims = self._input_width(depth)
        if self.nade:
            w_enc, w_dec_t = self.t[prefix + "nade/w_enc"], self.t[prefix + "nade/w_dec_t"]
            dims, hidden = w_enc.shape
        every_set = label_bits(np.arange(depth), dims)
        if controls is not None and self.control_lstm:
            controls = self._bidirectional_steps("control_preprocessing/", controls)
        for s in range(steps):
            parts = [prev, cond] + ([controls[:, s]] if controls is not None else [])
            x = np.concatenate(parts, axis=1)
            for l, (kernel, bias) in enumerate(layers):
                cs[l], hs[l] = lstm_step(kernel, bias, x, cs[l], hs[l])
                x = hs[l]
            out = self._dense(prefix + "output_projection/", x)
            if self.nade:
                b_enc, b_dec = out[:, :hidden], out[:, hidden:]
                for b in range(batch):
                    logits[b, s] = nade_log_prob(w_enc, w_dec_t, np.tile(b_enc[b], (depth, 1)),
                                                 np.tile(b_dec[b], (depth, 1)), every_set)
                labels, m = nade_greedy(w_enc, w_dec_t, b_enc, b_dec)
                chosen = (labels.astype(np.int64) << np.arange(dims)).sum(axis=1)
            elif self.boolean:  # independent labels: log p(set) = sum of log sigmoid(+-logit)
                logits[:, s] = log_sigmoid(out) @ every_set.T + log_sigmoid(-out) @ (1 - every_set).T
                chosen = ((out >= 0.0).astype(np.int64) << np.arange(dims)).sum(axis=1)
                m = np.abs(out).min(axis=1)
            elif self.groove:
                logits[:, s] = out
                k = depth // 3
                hits = out[:, :k] > 0
                chosen = (hits.astype(np.int64) << np.arange(k)).sum(axis=1)
                m = np.abs(out[:, :k]).min(axis=1)
                fed = np.concatenate([hits.astype(np.float64), sigmoid(out[:, k:2 * k]),
                                      np.tanh(out[:, 2 * k:])], axis=1)
            else:
                logits[:, s] = out
                chosen, m = np.argmax(out, axis=1), top2_margin(out)
            if teacher is None:
                tokens[:, s] = chosen
                margin = np.minimum(margin, m)
            else:
                tokens[:, s] = teacher[:, s]
            if self.groove:
                if teacher is not None:
                    raise ValueError("a GrooVAE decoder feeds back its values: no teacher forcing")
                prev = fed
            else:
                prev = (label_bits(tokens[:, s], dims).astype(np.float64)
                        if self.nade or self.boolean else np.eye(depth)[tokens[:, s]])
        return tokens, logits, margin, prev

    def _input_width(self, depth):
        """Width of a track's previous-output input: its one-hot, or a label set's multi-hot."""
        return int(np.log2(depth)) if self.nade or self.boolean else depth

    @property
    def control_lstm(self):
        return "control_preprocessing/cell_0/bidirectional_rnn/fw/multi_rnn_cell/cell_0/lstm_cell/kernel" in self.t

    def decode(self, z, teacher=None, controls=None):
        """z [B, Z]; teacher: optional int [B, tracks, T]; controls [B, T, control_depth] for a
        conditioned model.

        Returns tokens int [B, tracks, T], logits [B, T, sum depths] and, per row, the smallest
        top-1 minus top-2 logit gap along the greedy decode (inf when teacher-forced)."""
        z = np.asarray(z, dtype=np.float64)
        batch = z.shape[0]
        n_tracks = len(self.output_depths)
        if teacher is not None:
            teacher = np.asarray(teacher, dtype=np.int64)
        if self.control_depth:
            controls = np.asarray(controls, dtype=np.float64)
        else:
            controls = None
        if not self.hier_decoder:
            depth = self.output_depths[0]
            tok, logits, margin, _ = self._core_decode(
                "decoder/", z, self.num_steps, np.zeros((batch, self._input_width(depth))),
                None if teacher is None else teacher[:, 0], depth, controls)
            return tok[:, None, :], logits, margin

        seg = self.num_steps // self.num_segments
        cond_prefix = "decoder/hierarchical_level_0/"
        cond_layers = self._layers(cond_prefix + "cell_{}/lstm_cell/")
        cs, hs = self._initial_state(cond_prefix + "initial_state/", z, cond_layers)
        if n_tracks == 1:
            core_prefixes = ["core_decoder/decoder/"]
        else:
            core_prefixes = [f"core_decoder/core_decoder_{i}/decoder/" for i in range(n_tracks)]
        prevs = [np.zeros((batch, self._input_width(d))) for d in self.output_depths]
        tokens = np.zeros((batch, n_tracks, self.num_steps), dtype=np.int64)
        logits = np.zeros((batch, self.num_steps, sum(self.output_depths)))
        margin = np.full(batch, np.inf)
        for u in range(self.num_segments):
            x = np.zeros((batch, 1))  # the conductor's input is a single 0
            for l, (kernel, bias) in enumerate(cond_layers):
                cs[l], hs[l] = lstm_step(kernel, bias, x, cs[l], hs[l])
                x = hs[l]
            embedding = x
            span = slice(u * seg, (u + 1) * seg)
            col = 0
            for i, prefix in enumerate(core_prefixes):
                forced = None if teacher is None else teacher[:, i, span]
                depth = self.output_depths[i]
                tok, lg, m, prevs[i] = self._core_decode(
                    prefix, embedding, seg, prevs[i], forced, depth,
                    None if controls is None else controls[:, span])
                tokens[:, i, span] = tok
                logits[:, span, col:col + depth] = lg
                margin = np.minimum(margin, m)
                col += depth
        return tokens, logits, margin
