"""Writes small random MusicVAE models and their expected outputs to tests/data/.

For each case: <case>.mvae (the model) and <case>.expect, text lines `<key> <count> v1 ... vcount`
(floats are float32 values printed '%.9g', ints as ints). Keys, in order:
    batch            1 int: B
    input            float [B][T][input_depth]  (encoder cases only)
    mu, sigma        float [B][Z]               (encoder cases only)
    z                float [B][Z]: the first mu rows, then random N(0, 1) rows
    greedy_tokens    int [B][tracks][T]: argmax decode of z
    greedy_logits    float [B][T][sum of output_depths] along that decode
    teacher_tokens   int [B][tracks][T]: random tokens fed back as the previous outputs
    teacher_logits   float [B][T][sum of output_depths] under that teacher forcing
    min_margin       1 float: smallest top-1 minus top-2 logit gap of the greedy decodes (>= 1e-3,
                     so a float32 engine must reproduce greedy_tokens exactly)
Expected values come from mvae_ref in float64 on the weights as stored (dequantized for q8).
Deterministic: two runs give identical bytes. Run: /usr/bin/python3 tests/reference/make_cases.py
"""
import os
import sys

import numpy as np

from mvae_ref import MusicVAERef, mvae_format

tname = mvae_format.tensor_name

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
WEIGHT_STD = 0.5  # gates partly saturate, logits spread ~1, greedy tokens change often
BIAS_STD = 0.1
MIN_MARGIN = 1e-3

# enc: units per encoder layer (per level for a hierarchical encoder); dec: units per decoder
# layer (of each core decoder); batch: rows of z, of which `random` are N(0, 1), the rest mu.
# hier_trio has batch 1 only to keep its 64 x 692 logits under the size budget.
CASES = {
    "flat_small": dict(seed=1, encoder="bidirectional", enc=[24], z=16, dec=[32, 24],
                       depths=[90], steps=32, batch=4, random=2),
    "flat_2layer_enc": dict(seed=2, encoder="bidirectional", enc=[20, 16], z=12, dec=[24],
                            depths=[90], steps=32, batch=3, random=1),
    "hier_mel": dict(seed=3, encoder="bidirectional", enc=[24], z=16, conductor=[24, 24],
                     segments=4, dec=[20, 16], depths=[90], steps=64, batch=3, random=1),
    "hier_trio": dict(seed=4, encoder="hierarchical", enc=[[8], [8]], z=16,
                      conductor=[16, 16], segments=4, dec=[12, 8], depths=[90, 90, 512],
                      steps=64, batch=1, random=0),
    "no_encoder": dict(seed=5, encoder=None, z=8, dec=[16, 16, 16], depths=[90], steps=32,
                       batch=3, random=3),
}
Q8_OF = {"flat_small_q8": "flat_small"}  # q8 variants: same weights, kernels quantized


class WeightMaker:
    def __init__(self, rng):
        self.rng, self.tensors = rng, {}

    def dense(self, prefix, n_in, n_out):
        self.tensors[prefix + "kernel"] = self.rng.normal(0, WEIGHT_STD, (n_in, n_out))
        self.tensors[prefix + "bias"] = self.rng.normal(0, BIAS_STD, n_out)

    def lstm_stack(self, part, n_in, units, **fields):
        for l, u in enumerate(units):
            self.dense(tname(part, layer=l, **fields), n_in + u, 4 * u)
            n_in = u

    def bidirectional(self, part, n_in, units, level=None):
        for l, u in enumerate(units):
            for d in ("fw", "bw"):
                self.dense(tname(part, level=level, layer=l, direction=d), n_in + u, 4 * u)
            n_in = 2 * u
        return n_in

    def core_decoder(self, core, cond, depth, units):
        self.dense(tname("decoder_init", core=core), cond, 2 * sum(units))
        self.lstm_stack("decoder_lstm", depth + cond, units, core=core)
        self.dense(tname("decoder_output", core=core), units[-1], depth)


def build_model(name, cfg):
    """Returns (metadata, {name: float32 array}) for one case."""
    w = WeightMaker(np.random.default_rng(cfg["seed"]))
    depths, z = cfg["depths"], cfg["z"]
    hier = "conductor" in cfg
    if cfg["encoder"] == "bidirectional":
        final = w.bidirectional("encoder_lstm", sum(depths), cfg["enc"])
    elif cfg["encoder"] == "hierarchical":
        level0 = w.bidirectional("hier_encoder_lstm", sum(depths), cfg["enc"][0], level=0)
        final = w.bidirectional("hier_encoder_lstm", level0, cfg["enc"][1], level=1)
    if cfg["encoder"]:
        w.dense(tname("latent", latent="mu"), final, z)
        w.dense(tname("latent", latent="sigma"), final, z)
    if hier:
        cond = cfg["conductor"]
        w.dense(tname("conductor_init"), z, 2 * sum(cond))
        w.lstm_stack("conductor_lstm", 1, cond)
        if len(depths) == 1:
            w.core_decoder(tname("core_decoder"), cond[-1], depths[0], cfg["dec"])
        for i, depth in enumerate(depths if len(depths) > 1 else []):
            w.core_decoder(tname("core_decoder_track", track=i), cond[-1], depth, cfg["dec"])
    else:
        w.core_decoder(tname("flat_decoder"), z, depths[0], cfg["dec"])

    meta = {
        "general.architecture": "musicvae",
        "general.name": name,
        "general.description": "random weights for engine tests (tests/reference/make_cases.py)",
        "musicvae.z_size": z,
        "musicvae.num_steps": cfg["steps"],
    }
    if hier or cfg["encoder"] == "hierarchical":
        meta["musicvae.num_segments"] = cfg["segments"]
    meta.update({
        "musicvae.steps_per_quarter": 4,
        "musicvae.quarters_per_bar": 4,
        "musicvae.decoder": "hierarchical" if hier else "flat",
        "musicvae.encoder": cfg["encoder"] or "bidirectional",
        "musicvae.output_depths": depths,
        "musicvae.input_depth": sum(depths),
        "converter.type": "trio" if len(depths) == 3 else "melody",
        "converter.min_pitch": 21,
        "converter.max_pitch": 108,
    })
    return meta, {k: v.astype(np.float32) for k, v in w.tensors.items()}


def random_tokens(rng, batch, depths, steps):
    return np.stack([rng.integers(0, d, (batch, steps)) for d in depths], axis=1)


def one_hot_input(tokens, depths):
    """int [B][tracks][T] -> float [B][T][sum depths], one one-hot per track."""
    return np.concatenate([np.eye(d, dtype=np.float32)[tokens[:, i]]
                           for i, d in enumerate(depths)], axis=2)


def compute_expect(model, cfg, rng):
    """Draws inputs / z (re-drawing rows whose greedy decode is too close to a tie)."""
    batch, depths, steps = cfg["batch"], cfg["depths"], cfg["steps"]
    n_mu = batch - cfg["random"]
    tokens_in = random_tokens(rng, batch, depths, steps)
    z = rng.standard_normal((batch, cfg["z"])).astype(np.float32)
    for _ in range(100):
        out = {"batch": [batch]}
        if model.has_encoder:
            out["input"] = one_hot_input(tokens_in, depths)
            mu, sigma = model.encode(out["input"])
            out["mu"], out["sigma"] = mu.astype(np.float32), sigma.astype(np.float32)
            z[:n_mu] = out["mu"][:n_mu]
        out["z"] = z.copy()
        # Decode exactly the float32 z an engine will read.
        greedy, logits, margin = model.decode(out["z"])
        low = np.flatnonzero(margin < MIN_MARGIN)
        if len(low) == 0:
            break
        for row in low:  # re-draw the input (mu rows) or the latent itself
            if row < n_mu:
                tokens_in[row] = random_tokens(rng, 1, depths, steps)[0]
            else:
                z[row] = rng.standard_normal(cfg["z"])
    else:
        raise RuntimeError("could not find latents with a clear greedy decode")
    out["greedy_tokens"], out["greedy_logits"] = greedy, logits.astype(np.float32)
    out["teacher_tokens"] = random_tokens(rng, batch, depths, steps)
    _, teacher_logits, _ = model.decode(out["z"], teacher=out["teacher_tokens"])
    out["teacher_logits"] = teacher_logits.astype(np.float32)
    out["min_margin"] = [np.float32(margin.min())]
    return out


def format_line(key, values):
    flat = np.asarray(values).ravel()
    if flat.dtype.kind in "iu":
        text = " ".join(str(int(v)) for v in flat)
    else:
        text = " ".join("%.9g" % v for v in flat.astype(np.float32))
    return f"{key} {flat.size} {text}\n"


def write_case(name, cfg, meta, tensors, quantize=None):
    path = os.path.join(DATA, name + ".mvae")
    meta = dict(meta, **{"general.name": name})
    mvae_format.write_model(path, meta, tensors, quantize=quantize)
    model = MusicVAERef.from_file(path)  # expectations from the weights as stored
    out = compute_expect(model, cfg, np.random.default_rng(1000 + cfg["seed"]))
    with open(os.path.join(DATA, name + ".expect"), "w") as f:
        f.writelines(format_line(k, v) for k, v in out.items())
    tok = out["greedy_tokens"]
    print(f"{name}: {os.path.getsize(path)} bytes, min margin {out['min_margin'][0]:.4g}, "
          f"{len(np.unique(tok))} distinct greedy tokens, "
          f"{np.mean(tok[..., 1:] != tok[..., :-1]):.2f} of steps change token")


def main():
    os.makedirs(DATA, exist_ok=True)
    built = {}
    for name, cfg in CASES.items():
        built[name] = build_model(name, cfg)
        write_case(name, cfg, *built[name])
    for name, base in Q8_OF.items():
        write_case(name, CASES[base], *built[base], quantize="q8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
