"""Writes small random MusicVAE models and their expected outputs to tests/data/.

For each case: <case>.mvae (the model) and <case>.expect, text lines `<key> <count> v1 ... vcount`
(floats are float32 values printed '%.9g', ints as ints). Keys, in order:
    batch            1 int: B
    input            float [B][T][input_depth]  (encoder cases only)
    controls         float [B][T][control_depth] (conditioned cases only), one sequence per row
    mu, sigma        float [B][Z]               (encoder cases only)
    z                float [B][Z]: the first mu rows, then random N(0, 1) rows
    greedy_tokens    int [B][tracks][T]: argmax decode of z
    greedy_logits    float [B][T][sum of output_depths] along that decode
    teacher_tokens   int [B][tracks][T]: random tokens fed back as the previous outputs
    teacher_logits   float [B][T][sum of output_depths] under that teacher forcing
    min_margin       1 float: smallest top-1 minus top-2 logit gap of the greedy decodes (>= 1e-3,
                     so a float32 engine must reproduce greedy_tokens exactly); for a NADE output
                     layer the smallest |label logit| along them (the threshold is logit 0)
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
    # magenta.js's drums_2bar_nade layout: a NADE over the 9 drum classes, the 10-wide roll input
    # (decoder layers of one size: magenta.js splits the initial state into equal parts).
    "nade_drums": dict(seed=6, encoder="bidirectional", enc=[16], z=8, dec=[20, 20],
                       depths=[512], steps=16, batch=2, random=1, nade=12, converter="drums"),
    # A NADE under a conductor: each segment starts from the last labels of the one before.
    "hier_nade": dict(seed=9, encoder="bidirectional", enc=[12], z=8, conductor=[12],
                      segments=2, dec=[16], depths=[512], steps=16, batch=1, random=0, nade=8,
                      converter="drums"),
    # Chord-conditioned melody (magenta.js's mel_chords: PitchChordEncoder controls).
    "chords_mel": dict(seed=7, encoder="bidirectional", enc=[16], z=12, dec=[20], depths=[38],
                       pitches=(48, 83), steps=32, batch=3, random=1,
                       controls=dict(depth=37, chords="pitch")),
    # Hierarchical decoder with major/minor chords and 3 more control columns.
    "chords_hier": dict(seed=8, encoder="bidirectional", enc=[12], z=10, conductor=[16],
                        segments=4, dec=[16], depths=[38], pitches=(48, 83), steps=32, batch=3,
                        random=1, controls=dict(depth=28, chords="major_minor")),
    # magenta.js's rhythm models: a boolean output layer (one logit per onset bit), a melody's
    # onsets (1 per step) and a trio's three under a conductor.
    "rhythm_mel": dict(seed=10, encoder="bidirectional", enc=[10], z=6, dec=[12], depths=[2],
                       steps=16, batch=2, random=1, boolean=True, converter="melody_rhythm"),
    "rhythm_trio": dict(seed=11, encoder="bidirectional", enc=[10], z=8, conductor=[12],
                        segments=4, dec=[10], depths=[2, 2, 2], steps=32, batch=2, random=1,
                        boolean=True, converter="trio_rhythm"),
    # Controls through magenta.js's control preprocessing LSTM (6 units each way), under a
    # conductor: each core decoder call preprocesses its own segment's controls.
    "controls_hier": dict(seed=12, encoder="bidirectional", enc=[12], z=10, conductor=[16],
                          segments=4, dec=[16], depths=[38], pitches=(48, 83), steps=32, batch=3,
                          random=1, controls=dict(depth=29, chords="major_minor", preprocess=6)),
    # GrooVAE (magenta.js's groovae_* / tap2drum_*): hits, velocities and offsets of 9 drum
    # classes per step, in and out; flat as the hosted checkpoints, and under a conductor (each
    # segment starts from the last values of the one before).
    "groove": dict(seed=13, encoder="bidirectional", enc=[16], z=8, dec=[16, 16], depths=[27],
                   steps=32, batch=3, random=1, converter="groove"),
    "hier_groove": dict(seed=14, encoder="bidirectional", enc=[12], z=8, conductor=[12],
                        segments=2, dec=[14], depths=[27], steps=16, batch=2, random=1,
                        converter="groove"),
}
ONSET_INPUTS = {"melody_rhythm", "trio_rhythm"}  # the encoder reads each track's onset bit
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

    def core_decoder(self, core, cond, depth, units, nade=None, controls=0, boolean=False):
        # A NADE or a boolean layer reads back its labels' multi-hot.
        width = int(np.log2(depth)) if nade or boolean else depth
        self.dense(tname("decoder_init", core=core), cond, 2 * sum(units))
        self.lstm_stack("decoder_lstm", width + cond + controls, units, core=core)
        if not nade:  # one logit per class, or per label of a boolean layer
            self.dense(tname("decoder_output", core=core), units[-1], width)
            return
        self.dense(tname("decoder_output", core=core), units[-1], nade + width)
        prefix = tname("decoder_nade", core=core)
        self.tensors[prefix + "w_enc"] = self.rng.normal(0, WEIGHT_STD, (width, nade))
        self.tensors[prefix + "w_dec_t"] = self.rng.normal(0, WEIGHT_STD, (width, nade))


def build_model(name, cfg):
    """Returns (metadata, {name: float32 array}) for one case."""
    w = WeightMaker(np.random.default_rng(cfg["seed"]))
    depths, z = cfg["depths"], cfg["z"]
    hier = "conductor" in cfg
    control = cfg.get("controls", {}).get("depth", 0)
    preprocess = cfg.get("controls", {}).get("preprocess")
    if preprocess:  # the decoders read its [fw; bw] output in place of the controls
        w.bidirectional("control_lstm", control, [preprocess])
    extra = dict(nade=cfg.get("nade"), controls=2 * preprocess if preprocess else control,
                 boolean=cfg.get("boolean", False))
    if cfg["encoder"] == "bidirectional":
        final = w.bidirectional("encoder_lstm", input_depth(cfg) + control, cfg["enc"])
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
            w.core_decoder(tname("core_decoder"), cond[-1], depths[0], cfg["dec"], **extra)
        for i, depth in enumerate(depths if len(depths) > 1 else []):
            w.core_decoder(tname("core_decoder_track", track=i), cond[-1], depth, cfg["dec"],
                           **extra)
    else:
        w.core_decoder(tname("flat_decoder"), z, depths[0], cfg["dec"], **extra)

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
        "musicvae.input_depth": input_depth(cfg),
        "converter.type": cfg.get("converter", "trio" if len(depths) == 3 else "melody"),
    })
    if cfg.get("converter") == "drums":
        meta["converter.drums_roll_input"] = 1
    elif cfg.get("converter") == "groove":
        meta["musicvae.output_layer"] = "groove"
    else:
        meta["converter.min_pitch"], meta["converter.max_pitch"] = cfg.get("pitches", (21, 108))
    if cfg.get("nade"):
        meta["musicvae.output_layer"] = "nade"
    if cfg.get("boolean"):
        meta["musicvae.output_layer"] = "boolean"
    if control:
        meta["musicvae.control_depth"] = control
        meta["controls.chord_encoding"] = cfg["controls"]["chords"]
    return meta, {k: v.astype(np.float32) for k, v in w.tensors.items()}


def input_depth(cfg):
    """The encoder's input width: the drum roll (9 classes + no hit), the onset bits, else the
    one-hots."""
    if cfg.get("converter") in ONSET_INPUTS:
        return len(cfg["depths"])
    return 10 if cfg.get("converter") == "drums" else sum(cfg["depths"])


def drum_roll_input(labels):
    """int [B][T] label sets -> float [B][T][10]: the 9 class bits, then 1 on steps without a hit."""
    bits = (labels[..., None] >> np.arange(9)) & 1
    return np.concatenate([bits, (labels == 0)[..., None]], axis=2).astype(np.float32)


def chord_controls(rng, cfg):
    """float [B][T][control_depth]: per row a random progression of 1-4 chords (N.C., major and
    minor triads), encoded as magenta.js's chord encoder of the case, spread over the steps as
    encodeProgression (step s: chord floor(s * n / T)); columns after the chord are uniform."""
    spec, batch, steps = cfg["controls"], cfg["batch"], cfg["steps"]
    out = rng.uniform(-1, 1, (batch, steps, spec["depth"]))
    for b in range(batch):
        n = int(rng.integers(1, 5))
        chords = [(int(rng.integers(0, 12)), int(rng.integers(0, 2)), rng.random() < 0.2)
                  for _ in range(n)]
        for s in range(steps):
            root, minor, no_chord = chords[s * n // steps]
            if spec["chords"] == "pitch":  # [N.C., root, pitch classes, bass]
                v = np.zeros(37)
                if no_chord:
                    v[0] = 1
                else:
                    v[1 + root] = 1
                    for interval in (0, 3 if minor else 4, 7):
                        v[13 + (root + interval) % 12] = 1
                    v[25 + root] = 1
            else:  # major_minor one-hot: N.C., 12 major, 12 minor
                v = np.zeros(25)
                v[0 if no_chord else 1 + 12 * minor + root] = 1
            out[b, s, :len(v)] = v
    return out.astype(np.float32)


def groove_input(rng, batch, steps):
    """float [B][T][27]: random hits (1 in 4), their velocities in [0, 1] and offsets in [-1, 1],
    zeros where there is no hit (what GrooveConverter.toTensor writes)."""
    hits = rng.random((batch, steps, 9)) < 0.25
    velocities = np.where(hits, rng.integers(1, 128, hits.shape) / 127.0, 0.0)
    offsets = np.where(hits, rng.uniform(-1, 1, hits.shape), 0.0)
    return np.concatenate([hits, velocities, offsets], axis=2).astype(np.float32)


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
    controls = chord_controls(rng, cfg) if "controls" in cfg else None
    for _ in range(100):
        out = {"batch": [batch]}
        if model.has_encoder:
            if cfg.get("converter") in ONSET_INPUTS:  # tokens 0 / 1: [B][T][tracks]
                out["input"] = np.moveaxis(tokens_in, 1, 2).astype(np.float32)
            elif cfg.get("converter") == "drums":
                out["input"] = drum_roll_input(tokens_in[:, 0])
            elif cfg.get("converter") == "groove":
                out["input"] = groove_input(rng, batch, steps)
            else:
                out["input"] = one_hot_input(tokens_in, depths)
            if controls is not None:
                out["controls"] = controls
            mu, sigma = model.encode(out["input"], controls)
            out["mu"], out["sigma"] = mu.astype(np.float32), sigma.astype(np.float32)
            z[:n_mu] = out["mu"][:n_mu]
        out["z"] = z.copy()
        # Decode exactly the float32 z an engine will read.
        greedy, logits, margin = model.decode(out["z"], controls=controls)
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
    if not model.groove:  # a GrooVAE decoder feeds back its values, not tokens
        out["teacher_tokens"] = random_tokens(rng, batch, depths, steps)
        _, teacher_logits, _ = model.decode(out["z"], teacher=out["teacher_tokens"],
                                            controls=controls)
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
