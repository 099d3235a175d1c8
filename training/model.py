"""MusicVAE (Roberts et al., ICML 2018) in PyTorch, parameter for parameter like Magenta's TF model.

Every parameter lives in a `Dense` or `LSTMCell` module that knows its TF variable scope, and holds
`kernel` [in, out] and `bias` [out] in TF's layout, so `tf_parameters()` maps the model onto the
tensor names of docs/model-format.md one to one, and a Magenta checkpoint loads by name.

Sequences are int tensors [batch, tracks, T] of class indices (melody 0..89, drums 0..511 = the
bitmask of the 9 drum classes hit, trio = [melody, bass, drums]); every window is full length.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from training.configs import DRUMS_ROLL_DEPTH

FORGET_BIAS = 1.0  # LSTMBlockCell adds it at run time; it is not part of the stored bias
LN2 = math.log(2.0)


def glorot_uniform_(t):
    """TF's default initializer for tf.get_variable (LSTMBlockCell and Dense kernels)."""
    fan_in, fan_out = t.shape
    a = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        return t.uniform_(-a, a)


class Dense(nn.Module):
    """tf.layers.dense: y = x kernel + bias, kernel [in, out]."""

    def __init__(self, scope, n_in, n_out, init_std=None):
        super().__init__()
        self.scope = scope
        self.kernel = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))
        if init_std is None:
            glorot_uniform_(self.kernel)
        else:  # Magenta draws mu, sigma and the z -> state layers from N(0, 0.001^2)
            with torch.no_grad():
                self.kernel.normal_(0.0, init_std)

    def forward(self, x):
        return F.linear(x, self.kernel.t(), self.bias)


class LSTMCell(nn.Module):
    """TF's LSTMBlockCell: kernel [input + units, 4 units] over [x, h], gate columns i, j, f, o."""

    def __init__(self, scope, n_in, units):
        super().__init__()
        self.scope, self.n_in, self.units = scope, n_in, units
        self.kernel = nn.Parameter(torch.empty(n_in + units, 4 * units))
        self.bias = nn.Parameter(torch.zeros(4 * units))
        glorot_uniform_(self.kernel)

    @staticmethod
    def _update(gates, c):
        i, j, f, o = gates.chunk(4, dim=-1)
        c = torch.sigmoid(i) * torch.tanh(j) + c * torch.sigmoid(f + FORGET_BIAS)
        return c, torch.tanh(c) * torch.sigmoid(o)

    def forward(self, x, state):
        """One step, exactly as TF computes it. state = (c, h); returns the new (c, h)."""
        c, h = state
        gates = torch.cat([x, h], dim=-1) @ self.kernel + self.bias
        return self._update(gates, c)

    def input_proj(self, x):
        """The input's part of the gates (bias included), for any number of leading dims.
        [x, h] W = x W[:in] + h W[in:], so when the inputs are known in advance this one big
        matmul replaces T small ones and the time loop only multiplies h."""
        return F.linear(x, self.kernel[:self.n_in].t(), self.bias)

    def run(self, gx, state):
        """Runs over time given gx = input_proj(inputs) [N, L, 4u]. Returns outputs h [N, L, u]
        and the final (c, h)."""
        # Slice the kernel and split gx once: autograd then sums the per-step gradients into
        # one slice instead of materialising a full-size zero gradient at every step.
        w_h = self.kernel[self.n_in:]
        c, h = state
        outs = []
        for g in gx.unbind(1):
            c, h = self._update(torch.addmm(g, h, w_h), c)
            outs.append(h)
        return torch.stack(outs, dim=1), (c, h)


class StackedLSTM(nn.Module):
    """MultiRNNCell of LSTMBlockCells; scope_fmt has '{}' for the layer index."""

    def __init__(self, scope_fmt, n_in, sizes):
        super().__init__()
        self.sizes = list(sizes)
        ins = [n_in] + self.sizes[:-1]
        self.cells = nn.ModuleList(
            LSTMCell(scope_fmt.format(l), i, u) for l, (i, u) in enumerate(zip(ins, self.sizes)))

    @property
    def state_sizes(self):
        """Flat state layout c0, h0, c1, h1, ... as TF's nest.flatten gives it."""
        return [u for u in self.sizes for _ in (0, 1)]

    def split_state(self, flat):
        parts = torch.split(flat, self.state_sizes, dim=-1)
        return [(parts[2 * l], parts[2 * l + 1]) for l in range(len(self.sizes))]

    def weights(self):
        """Per layer (input rows, h rows, bias) of the kernel, sliced once for a whole decode."""
        return [(c.kernel[:c.n_in], c.kernel[c.n_in:], c.bias) for c in self.cells]

    def step(self, gx0, states, weights):
        """One time step; gx0 is layer 0's input projection (bias included), weights from
        weights(). Returns the top h and the new states."""
        new = []
        x = None
        for l, ((c, h), (w_x, w_h, b)) in enumerate(zip(states, weights)):
            g = gx0 if l == 0 else torch.addmm(b, x, w_x)
            c, h = LSTMCell._update(torch.addmm(g, h, w_h), c)
            new.append((c, h))
            x = h
        return x, new

    def run(self, gx0, states):
        """Whole sequence, layer by layer (valid whenever layer 0's inputs are all known, e.g.
        teacher forcing): each layer's input projection is then one matmul over all steps."""
        x, finals = None, []
        for l, (cell, state) in enumerate(zip(self.cells, states)):
            x, final = cell.run(gx0 if l == 0 else cell.input_proj(x), state)
            finals.append(final)
        return x, finals


def _zeros_state(n, units, like):
    z = like.new_zeros(n, units)
    return z, z


class BidirectionalEncoder(nn.Module):
    """stack_bidirectional_dynamic_rnn: layer l > 0 reads [fw; bw] outputs of layer l - 1.
    Returns [last fw h; last bw h] of the top layer (bw's last state is at time 0)."""

    def __init__(self, scope, n_in, sizes):
        super().__init__()
        fmt = scope + '/cell_{}/bidirectional_rnn/{}/multi_rnn_cell/cell_0/lstm_cell'
        self.fw, self.bw = nn.ModuleList(), nn.ModuleList()
        for l, u in enumerate(sizes):
            self.fw.append(LSTMCell(fmt.format(l, 'fw'), n_in, u))
            self.bw.append(LSTMCell(fmt.format(l, 'bw'), n_in, u))
            n_in = 2 * u
        self.output_size = n_in

    def forward(self, x):
        for fw, bw in zip(self.fw, self.bw):
            out_fw, (_, h_fw) = fw.run(fw.input_proj(x), _zeros_state(x.shape[0], fw.units, x))
            out_bw, (_, h_bw) = bw.run(bw.input_proj(x.flip(1)),
                                       _zeros_state(x.shape[0], bw.units, x))
            x = torch.cat([out_fw, out_bw.flip(1)], dim=-1)
        return torch.cat([h_fw, h_bw], dim=-1)


class HierarchicalEncoder(nn.Module):
    """Level 0 encodes each of the U segments; level 1 encodes the U segment embeddings."""

    def __init__(self, n_in, sizes, num_segments, level1_sizes=None):
        super().__init__()
        self.num_segments = num_segments
        self.level0 = BidirectionalEncoder('encoder/hierarchical_level_0', n_in, sizes)
        self.level1 = BidirectionalEncoder('encoder/hierarchical_level_1',
                                           self.level0.output_size, level1_sizes or sizes)
        self.output_size = self.level1.output_size

    def forward(self, x):
        b, t, d = x.shape
        u = self.num_segments
        emb = self.level0(x.reshape(b * u, t // u, d))  # all segments at once, as a bigger batch
        return self.level1(emb.reshape(b, u, -1))


class FlatDecoder(nn.Module):
    """Autoregressive LSTM decoder conditioned on `cond` (z, or a conductor embedding): initial
    state tanh(dense(cond)) split c0, h0, c1, h1, ...; step input [previous one-hot, cond] and,
    for a conditioned model, that step's controls after them (as the engine and magenta.js)."""

    def __init__(self, scope, depth, cond_size, sizes, control_depth=0):
        super().__init__()
        self.depth, self.cond_size = depth, cond_size
        self.z_to_initial_state = Dense(scope + '/z_to_initial_state', cond_size,
                                        2 * sum(sizes), init_std=0.001)
        self.cell = StackedLSTM(scope + '/multi_rnn_cell/cell_{}/lstm_cell',
                                depth + cond_size + control_depth, sizes)
        self.output_projection = Dense(scope + '/output_projection', sizes[-1], depth)

    def _start(self, cond):
        states = self.cell.split_state(torch.tanh(self.z_to_initial_state(cond)))
        cell0 = self.cell.cells[0]
        # [prev, cond] W = prev W[:depth] + cond W[depth:in]: the conditioning part (with the
        # bias) is the same at every step, so compute it once.
        gcond = F.linear(cond, cell0.kernel[self.depth:self.depth + self.cond_size].t(),
                         cell0.bias)
        return states, gcond, cell0.kernel[:self.depth]

    def _control_gates(self, controls):
        """Layer 0's gates from the controls [N, L, control_depth] (their kernel rows), or 0."""
        if controls is None:
            return 0.0
        cell0 = self.cell.cells[0]
        return controls @ cell0.kernel[self.depth + self.cond_size:cell0.n_in]

    def teacher_forced(self, cond, prev_onehot, controls=None):
        """cond [N, C], prev_onehot [N, L, depth] (the inputs) -> logits [N, L, depth]."""
        states, gcond, w_prev = self._start(cond)
        gx = prev_onehot @ w_prev + gcond[:, None] + self._control_gates(controls)
        top, _ = self.cell.run(gx, states)
        return self.output_projection(top)

    def generate(self, cond, first, length, choose, controls=None):
        """Step by step. first: one-hot [N, depth] of the first input; choose(t, logits) returns
        the one-hot [N, depth] fed at step t + 1. Returns logits [N, L, depth], inputs fed after
        the first as one-hots [N, L, depth] (the choices)."""
        states, gcond, w_prev = self._start(cond)
        gctl = self._control_gates(controls)
        weights = self.cell.weights()
        x, logits, chosen = first, [], []
        for t in range(length):
            g = gcond if controls is None else gcond + gctl[:, t]
            top, states = self.cell.step(torch.addmm(g, x, w_prev), states, weights)
            lg = self.output_projection(top)
            x = choose(t, lg)
            logits.append(lg)
            chosen.append(x)
        return torch.stack(logits, 1), torch.stack(chosen, 1)


def _shift_right(onehot):
    """Decoder inputs for teacher forcing: zeros, then the targets without the last step."""
    return F.pad(onehot, (0, 0, 1, 0))[:, :-1]


class HierarchicalDecoder(nn.Module):
    """Conductor LSTM from z (its input is one zero per segment) emits e_u, u = 0..U-1; each track's
    core decoder decodes segment u from e_u. A segment's first input is the previous segment's
    last output of the same track."""

    def __init__(self, z_size, depths, conductor_sizes, core_sizes, num_segments):
        super().__init__()
        self.depths, self.num_segments = list(depths), num_segments
        self.initial_state = Dense('decoder/hierarchical_level_0/initial_state', z_size,
                                   2 * sum(conductor_sizes), init_std=0.001)
        self.conductor = StackedLSTM('decoder/hierarchical_level_0/cell_{}/lstm_cell', 1,
                                     conductor_sizes)
        e = conductor_sizes[-1]
        if len(depths) == 1:
            scopes = ['core_decoder/decoder']
        else:
            scopes = [f'core_decoder/core_decoder_{i}/decoder' for i in range(len(depths))]
        self.cores = nn.ModuleList(
            FlatDecoder(s, d, e, core_sizes) for s, d in zip(scopes, depths))

    def embeddings(self, z):
        """Conductor outputs [B, U, e]."""
        states = self.conductor.split_state(torch.tanh(self.initial_state(z)))
        zeros = z.new_zeros(z.shape[0], self.num_segments, 1)
        emb, _ = self.conductor.run(self.conductor.cells[0].input_proj(zeros), states)
        return emb

    def teacher_forced(self, z, targets_onehot):
        """targets_onehot: list per track of [B, T, depth] -> list of logits [B, T, depth]."""
        emb = self.embeddings(z)
        b, u, e = emb.shape
        out = []
        for core, tgt in zip(self.cores, targets_onehot):
            t = tgt.shape[1]
            # With teacher forcing every segment's inputs are known (segment u starts from the
            # last target of segment u - 1), so all B*U segments decode as one batch.
            prev = _shift_right(tgt).reshape(b * u, t // u, -1)
            logits = core.teacher_forced(emb.reshape(b * u, e), prev)
            out.append(logits.reshape(b, t, -1))
        return out

    def generate(self, z, num_steps, pick):
        """pick(logits) -> class indices. Returns list per track of indices [B, T]."""
        emb = self.embeddings(z)
        seg_len = num_steps // self.num_segments
        prev = [z.new_zeros(z.shape[0], core.depth) for core in self.cores]
        segs = [[] for _ in self.cores]
        # Segment by segment, each track in turn within a segment, as Magenta samples.
        for u in range(self.num_segments):
            for k, core in enumerate(self.cores):
                def choose(_, lg, d=core.depth):
                    return F.one_hot(pick(lg), d).to(lg)
                _, chosen = core.generate(emb[:, u], prev[k], seg_len, choose)
                segs[k].append(chosen.argmax(-1))
                prev[k] = chosen[:, -1]
        return [torch.cat(s, dim=1) for s in segs]


def sampling_probability(cfg, step):
    """Probability of feeding the model's own sample instead of the target (lstm_utils)."""
    if cfg.sampling_schedule == 'constant':
        return float(cfg.sampling_rate)
    if cfg.sampling_schedule == 'inverse_sigmoid':
        k = float(cfg.sampling_rate)
        return 1.0 - k / (k + math.exp(min(step / k, 700.0)))
    raise ValueError(f'unknown sampling schedule {cfg.sampling_schedule!r}')


def kl_beta(cfg, step):
    return (1.0 - cfg.beta_rate ** step) * cfg.max_beta


class MusicVAE(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        if cfg.control_depth and (cfg.encoder, cfg.decoder) != ('bidirectional', 'flat'):
            raise ValueError('controls are implemented for flat models only')
        if cfg.encoder == 'bidirectional':
            self.encoder = BidirectionalEncoder('encoder', cfg.input_depth + cfg.control_depth,
                                                cfg.enc_rnn_size)
        elif cfg.encoder == 'hierarchical':
            self.encoder = HierarchicalEncoder(cfg.input_depth, cfg.enc_rnn_size,
                                               cfg.num_segments, cfg.enc_level1_rnn_size)
        else:
            raise ValueError(f'unknown encoder {cfg.encoder!r}')
        self.mu = Dense('encoder/mu', self.encoder.output_size, cfg.z_size, init_std=0.001)
        self.sigma = Dense('encoder/sigma', self.encoder.output_size, cfg.z_size, init_std=0.001)
        if cfg.decoder == 'flat':
            self.decoder = FlatDecoder('decoder', cfg.output_depths[0], cfg.z_size,
                                       cfg.dec_rnn_size, cfg.control_depth)
        elif cfg.decoder == 'hierarchical':
            self.decoder = HierarchicalDecoder(cfg.z_size, cfg.output_depths,
                                               cfg.conductor_rnn_size, cfg.dec_rnn_size,
                                               cfg.num_segments)
        else:
            raise ValueError(f'unknown decoder {cfg.decoder!r}')

    # ---- names -------------------------------------------------------------------------------

    def tf_parameters(self):
        """{TF variable name: parameter}, in module order."""
        out = {}
        for m in self.modules():
            if isinstance(m, (Dense, LSTMCell)):
                for p in ('kernel', 'bias'):
                    name = f'{m.scope}/{p}'
                    assert name not in out, name
                    out[name] = getattr(m, p)
        return out

    # ---- data -> tensors ---------------------------------------------------------------------

    def encoder_input(self, x):
        """x: int [B, tracks, T] -> float [B, T, input_depth]."""
        cfg = self.cfg
        x = x.long()
        if cfg.converter == 'drums' and cfg.drums_roll_input:
            bits = torch.arange(DRUMS_ROLL_DEPTH - 1, device=x.device)
            roll = (x[:, 0, :, None] >> bits) & 1
            return torch.cat([roll, (x[:, 0, :, None] == 0).long()], dim=-1).to(self.dtype)
        return torch.cat([F.one_hot(x[:, k], d) for k, d in enumerate(cfg.output_depths)],
                         dim=-1).to(self.dtype)

    def targets_onehot(self, x):
        x = x.long()
        return [F.one_hot(x[:, k], d).to(self.dtype) for k, d in enumerate(self.cfg.output_depths)]

    @property
    def dtype(self):
        return self.mu.kernel.dtype

    # ---- the model ---------------------------------------------------------------------------

    def _check_controls(self, controls):
        """A conditioned model (cfg.control_depth > 0) needs controls float [B, T, control_depth]
        (training/chords.py makes them); an unconditioned one takes none."""
        if bool(self.cfg.control_depth) != (controls is not None):
            raise ValueError(f'{self.cfg.name}: controls are '
                             + ('required' if self.cfg.control_depth else 'not taken'))
        return None if controls is None else controls.to(self.dtype)

    def encode(self, x, controls=None):
        """x: int [B, tracks, T] -> mu, sigma [B, Z]. controls: see _check_controls."""
        inp = self.encoder_input(x)
        controls = self._check_controls(controls)
        if controls is not None:  # after each step's input, as the engine's encoder reads them
            inp = torch.cat([inp, controls], dim=-1)
        h = self.encoder(inp)
        return self.mu(h), F.softplus(self.sigma(h))

    def decode_logits(self, z, targets, controls=None):
        """Teacher forced: targets int [B, tracks, T] -> list per track of logits [B, T, depth]."""
        tgt = self.targets_onehot(targets)
        controls = self._check_controls(controls)
        if self.cfg.decoder == 'hierarchical':
            return self.decoder.teacher_forced(z, tgt)
        return [self.decoder.teacher_forced(z, _shift_right(tgt[0]), controls)]

    def _generate(self, z, pick, controls=None):
        t = self.cfg.num_steps
        controls = self._check_controls(controls)
        if self.cfg.decoder == 'hierarchical':
            return torch.stack(self.decoder.generate(z, t, pick), dim=1)
        d = self.decoder.depth
        _, chosen = self.decoder.generate(
            z, z.new_zeros(z.shape[0], d), t, lambda _, lg: F.one_hot(pick(lg), d).to(lg),
            controls)
        return chosen.argmax(-1)[:, None]

    @torch.no_grad()
    def greedy(self, z, controls=None):
        """Argmax decode: int [B, tracks, T]."""
        return self._generate(z, lambda lg: lg.argmax(-1), controls)

    @torch.no_grad()
    def sample(self, z, temperature=1.0, generator=None, controls=None):
        """Categorical sampling at `temperature`: int [B, tracks, T]."""
        def pick(lg):
            p = torch.softmax(lg / temperature, dim=-1)
            return torch.multinomial(p, 1, generator=generator)[:, 0]
        return self._generate(z, pick, controls)

    def _scheduled_sampling_logits(self, z, targets, use_sample, controls=None):
        """Flat decoder with scheduled sampling (ScheduledOutputTrainingHelper): each step after
        the first feeds, where use_sample [B, T] is set, a sample (temperature 1) of the model's
        previous output instead of the previous target. No gradient through samples."""
        tgt = self.targets_onehot(targets)[0]
        b, t, d = tgt.shape

        def choose(step, lg):
            if step + 1 >= t:
                return tgt[:, step]  # not fed anywhere
            s = F.one_hot(torch.multinomial(torch.softmax(lg.detach(), -1), 1)[:, 0], d).to(lg)
            return torch.where(use_sample[:, step + 1, None], s, tgt[:, step])

        logits, _ = self.decoder.generate(z, tgt.new_zeros(b, d), t, choose,
                                          self._check_controls(controls))
        return [logits]

    def forward(self, x, step=0, sampling_prob=None, controls=None):
        """Training loss for a batch x int [B, tracks, T] at global step `step`.
        sampling_prob: None = the config's schedule in train mode, teacher forcing in eval mode.
        controls: a conditioned model's float [B, T, control_depth]."""
        cfg = self.cfg
        mu, sigma = self.encode(x, controls)
        z = mu + sigma * torch.randn_like(mu)
        if sampling_prob is None:
            sampling_prob = sampling_probability(cfg, step) if self.training else 0.0
        use_sample = None
        if cfg.decoder == 'flat' and sampling_prob > 0:
            use_sample = torch.rand(x.shape[0], cfg.num_steps, device=x.device) < sampling_prob
            use_sample[:, 0] = False  # the first input is always the zero vector
        if use_sample is not None and use_sample.any():
            logits = self._scheduled_sampling_logits(z, x, use_sample, controls)
        else:  # nothing to sample (e.g. early in the schedule): the fast teacher-forced path
            logits = self.decode_logits(z, x, controls)

        x = x.long()
        recon = 0.0
        correct = 0.0
        for k, lg in enumerate(logits):
            ce = F.cross_entropy(lg.reshape(-1, lg.shape[-1]), x[:, k].reshape(-1),
                                 reduction='none')
            recon = recon + ce.view(x.shape[0], -1).sum(1)   # summed over steps (and tracks)
            correct = correct + (lg.argmax(-1) == x[:, k]).float().mean()
        # KL(N(mu, sigma) || N(0, I)) per sequence, in nats.
        kl = 0.5 * (mu.pow(2) + sigma.pow(2) - 1.0 - 2.0 * torch.log(sigma)).sum(1)
        kl_cost = torch.clamp(kl - cfg.free_bits * LN2, min=0.0)
        beta = kl_beta(cfg, step)
        loss = recon.mean() + beta * kl_cost.mean()
        return {'loss': loss, 'recon': recon.mean().detach(), 'kl': kl.mean().detach(),
                'kl_bits': kl.mean().detach() / LN2, 'beta': beta,
                'accuracy': (correct / len(logits)).detach(), 'sampling_prob': sampling_prob}


def build_model(cfg):
    """The model a configuration describes: GrooVAE's (training/groove.py) for the groove
    converter, else MusicVAE."""
    if cfg.converter == 'groove':
        from training.groove import GrooveVAE
        return GrooveVAE(cfg)
    return MusicVAE(cfg)
