"""GrooVAE (Gillick et al., ICML 2019) in PyTorch: MusicVAE's encoder and flat decoder with Magenta's
GrooveLstmDecoder output layer, decoding as the engine does (src/nn/groove.c, src/nn/decoder.c).

A step is 27 values: [hits | velocities | offsets] of the 9 drum classes (training/groove_data.py).
The output projection gives 27 values per step: hits are sigmoid(.) (Bernoulli cross-entropy
against the target hits), velocities sigmoid(.) and offsets tanh(.) (squared error each), summed
over classes and steps as Magenta's _flat_reconstruction_loss. The next step's decoder input is
the previous step's [hits, velocities, offsets]: the target's in training (teacher forcing, as
Magenta's groove configs), and at inference [sigmoid > 0.5 as 0 / 1, sigmoid, tanh] of the
previous output, zeros first, as the engine feeds it back.

A batch is float [B, 2, T, 27]: each window's encoder input (humanized or tapped) and its target.
"""
import torch
import torch.nn.functional as F

from training.model import LN2, MusicVAE, _shift_right, kl_beta

DRUM_CLASSES = 9


def split_outputs(raw):
    """The output layer's raw values [..., 27] -> hit logits, velocities, offsets [..., 9] each."""
    return raw[..., :DRUM_CLASSES], torch.sigmoid(raw[..., DRUM_CLASSES:2 * DRUM_CLASSES]), \
        torch.tanh(raw[..., 2 * DRUM_CLASSES:])


def fed_values(raw, temperature=0.0, generator=None):
    """What the engine feeds back (groove_choose): hits 1 where sigmoid(logit) > 0.5 (sampling:
    where a uniform draw is below sigmoid(logit / temperature)), velocities, offsets."""
    hit_logits, velocities, offsets = split_outputs(raw)
    if temperature > 0:
        u = torch.rand(hit_logits.shape, generator=generator, dtype=raw.dtype)
        hits = torch.sigmoid(hit_logits / temperature) > u
    else:
        hits = torch.sigmoid(hit_logits) > 0.5
    return torch.cat([hits.to(raw.dtype), velocities, offsets], dim=-1)


def reconstruction_terms(raw, target):
    """Per sequence [B] each: the hits' cross-entropy and the velocities' and offsets' squared
    errors, summed over steps and classes (Magenta's GrooveLstmDecoder)."""
    hit_logits, velocities, offsets = split_outputs(raw)
    t_hits, t_vel, t_off = target.split(DRUM_CLASSES, dim=-1)
    hits = F.binary_cross_entropy_with_logits(hit_logits, t_hits, reduction='none')
    b = raw.shape[0]
    return (hits.reshape(b, -1).sum(1), (velocities - t_vel).pow(2).reshape(b, -1).sum(1),
            (offsets - t_off).pow(2).reshape(b, -1).sum(1))


class GrooveVAE(MusicVAE):
    def __init__(self, cfg):
        if cfg.decoder != 'flat' or cfg.encoder != 'bidirectional':
            raise ValueError(f'{cfg.name}: GrooVAE here is a bidirectional encoder and a flat '
                             f'decoder')
        if cfg.sampling_rate:
            raise ValueError(f'{cfg.name}: GrooVAE trains with teacher forcing (sampling_rate 0)')
        super().__init__(cfg)

    def encoder_input(self, x):
        """x: the encoder's input values float [B, T, 27] (already what the engine's converter
        gives)."""
        return x.to(self.dtype)

    def teacher_forced(self, z, targets):
        """Raw outputs [B, T, 27] with the targets [B, T, 27] fed back (shifted right)."""
        return self.decoder.teacher_forced(z, _shift_right(targets.to(self.dtype)))

    @torch.no_grad()
    def greedy_values(self, z, temperature=0.0, generator=None):
        """As the engine decodes: (fed values, raw outputs) float [B, T, 27] each."""
        n, d = z.shape[0], self.decoder.depth
        raw, fed = self.decoder.generate(
            z, z.new_zeros(n, d), self.cfg.num_steps,
            lambda _, lg: fed_values(lg, temperature, generator))
        return fed, raw

    def greedy(self, z):
        """The hit sets as tokens int [B, 1, T] (bit c: class c hit), as the engine's tokens."""
        fed, _ = self.greedy_values(z)
        bits = 1 << torch.arange(DRUM_CLASSES)
        return (fed[..., :DRUM_CLASSES].long() * bits).sum(-1)[:, None]

    def forward(self, x, step=0, sampling_prob=None, controls=None):
        """Training loss for x float [B, 2, T, 27] (input, target) at global step `step` (the
        trainer's call, as MusicVAE.forward; GrooVAE takes no controls)."""
        if sampling_prob:
            raise ValueError('GrooVAE trains with teacher forcing only')
        if controls is not None:
            raise ValueError('GrooVAE takes no controls')
        cfg = self.cfg
        inputs, targets = x[:, 0].to(self.dtype), x[:, 1].to(self.dtype)
        mu, sigma = self.encode(inputs)
        z = mu + sigma * torch.randn_like(mu)
        raw = self.teacher_forced(z, targets)
        hits, vel, off = reconstruction_terms(raw, targets)
        recon = hits + vel + off
        kl = 0.5 * (mu.pow(2) + sigma.pow(2) - 1.0 - 2.0 * torch.log(sigma)).sum(1)
        kl_cost = torch.clamp(kl - cfg.free_bits * LN2, min=0.0)
        beta = kl_beta(cfg, step)
        loss = recon.mean() + beta * kl_cost.mean()
        t_hits = targets[..., :DRUM_CLASSES] > 0.5
        accuracy = ((raw[..., :DRUM_CLASSES] > 0) == t_hits).float().mean()
        return {'loss': loss, 'recon': recon.mean().detach(), 'kl': kl.mean().detach(),
                'kl_bits': kl.mean().detach() / LN2, 'beta': beta,
                'accuracy': accuracy.detach(), 'sampling_prob': 0.0,
                'hits_loss': hits.mean().detach(), 'velocities_loss': vel.mean().detach(),
                'offsets_loss': off.mean().detach()}
