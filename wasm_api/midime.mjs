// MidiMe on the WebAssembly engine, with magenta.js's `MidiMe` API (@magenta/music 1.23.1,
// music/src/music_vae/midi_me.ts): a small VAE trained on a few latent vectors of a MusicVAE model
// (the user's own melodies, encoded), whose samples, decoded by that model, sound like them.
//
//   const midime = new MidiMe({ epochs: 100 });
//   await midime.initialize();
//   await midime.train(await mvae.encode(myMelodies), (epoch, loss) => console.log(epoch, loss.total));
//   const melodies = await mvae.decode(await midime.sample(4));
//
// The network, loss and optimizer are magenta.js's (src/nn/midime.c, include/musicvae.h), computed
// by the engine: bit-identical in every browser and natively for a given seed. Latent vectors come
// back as LatentTensor (tensor.mjs), as MusicVAE's do, and go straight into MusicVAE.decode.
import { InvalidArgumentError } from './errors.mjs';
import { latentBatch, loadEngine } from './musicvae.mjs';
import { LatentTensor } from './tensor.mjs';

// magenta.js's defaults (MidiMe's constructor).
const DEFAULTS = Object.freeze({
  encoder_layers: [1024, 256, 64], decoder_layers: [64, 256, 1024], input_size: 256, latent_size: 4,
  beta: 1, epochs: 10,
});
const LEARNING_RATE = 0.001; // magenta.js's tf.train.adam(0.001)

const yieldToEventLoop = () => new Promise((resolve) => setTimeout(resolve, 0));

function checkWidths(widths, what) {
  if (!Array.isArray(widths) || !widths.every((u) => Number.isInteger(u) && u >= 1)) {
    throw new InvalidArgumentError(`${what} must be an array of positive integers (layer widths)`);
  }
  return widths.slice();
}

function checkPositiveInteger(n, what) {
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} ${n} is not a positive integer`);
  return n;
}

export class MidiMe {
  /**
   * @param config magenta.js's MidiMeConfig: input_size (the MusicVAE model's zDims, 256),
   *   latent_size (4), encoder_layers ([1024, 256, 64]), decoder_layers ([64, 256, 1024]), beta (1),
   *   epochs (10); and here also batchSize (rows per Adam step; default all of them, one step per
   *   epoch as magenta.js), learningRate (0.001) and seed (weights and noise; random if omitted).
   * @param options {wasmUrl, wasmBinary}: where the engine comes from, as MusicVAE's options.
   */
  constructor(config = {}, options = {}) {
    this.config = {
      encoder_layers: checkWidths(config.encoder_layers ?? DEFAULTS.encoder_layers, 'encoder_layers'),
      decoder_layers: checkWidths(config.decoder_layers ?? DEFAULTS.decoder_layers, 'decoder_layers'),
      input_size: checkPositiveInteger(config.input_size ?? DEFAULTS.input_size, 'input_size'),
      latent_size: checkPositiveInteger(config.latent_size ?? DEFAULTS.latent_size, 'latent_size'),
      beta: config.beta ?? DEFAULTS.beta,
      epochs: checkPositiveInteger(config.epochs ?? DEFAULTS.epochs, 'epochs'),
      batchSize: config.batchSize === undefined ? undefined : checkPositiveInteger(config.batchSize, 'batchSize'),
      learningRate: config.learningRate ?? LEARNING_RATE,
      seed: config.seed,
    };
    if (typeof this.config.beta !== 'number' || !(this.config.beta >= 0)) {
      throw new InvalidArgumentError(`beta ${this.config.beta} is not a number >= 0`);
    }
    this.options = options;
    this.initialized = false;
    this.trained = false;
    this._engine = null;
    this._handle = 0;
    this._rng = 0;
  }

  /** Loads the engine and makes the network (Glorot-uniform weights, as tfjs's layers start). */
  async initialize() {
    const engine = await loadEngine(this.options);
    this.dispose();
    const M = engine.M, c = this.config;
    this._rng = engine.withRng(c.seed, (rng) => {
      const copy = M._malloc(16); // the rng struct, kept for every later call's randoms
      if (copy) M.HEAPU8.copyWithin(copy, rng, rng + 16);
      return copy;
    });
    this._handle = engine.withMemory((alloc) => {
      const enc = alloc(4 * c.encoder_layers.length), dec = alloc(4 * c.decoder_layers.length);
      engine.i32(enc, c.encoder_layers.length).set(c.encoder_layers);
      engine.i32(dec, c.decoder_layers.length).set(c.decoder_layers);
      const status = alloc(4), err = alloc(512);
      const h = M._mvw_midime_create(c.input_size, c.latent_size, enc, c.encoder_layers.length, dec,
        c.decoder_layers.length, c.beta, c.learningRate, this._rng, status, err, 512);
      if (!h) {
        M._free(this._rng);
        this._rng = 0;
        throw engine.error(engine.i32(status, 1)[0], M.UTF8ToString(err));
      }
      return h;
    });
    this._engine = engine;
    this.initialized = true;
    this.trained = false;
  }

  /** Frees the network; initialize() makes a new one. */
  dispose() {
    if (!this._handle) return;
    this._engine.M._mvae_midime_free(this._handle);
    this._engine.M._free(this._rng);
    this._handle = 0;
    this._rng = 0;
    this.initialized = false;
  }

  async _ready() {
    if (!this.initialized) await this.initialize();
    return this._engine;
  }

  _check(status, what) {
    if (status !== this._engine.C.MVAE_OK) {
      throw this._engine.error(status, `MidiMe ${what}: ${this._engine.M.UTF8ToString(this._engine.M._mvae_midime_last_error(this._handle))}`);
    }
  }

  /** The weights as one Float32Array, layer by layer in the order magenta.js creates them (encoder, mu, sigma, decoder, output), each kernel [in][out] then bias. */
  async getWeights() {
    const engine = await this._ready();
    const n = engine.M._mvae_midime_param_count(this._handle);
    return engine.withMemory((alloc) => {
      const p = alloc(4 * n);
      this._check(engine.M._mvae_midime_get_params(this._handle, p, n), 'getWeights');
      return engine.f32(p, n).slice();
    });
  }

  /** Replaces the weights (a Float32Array in getWeights' order) and restarts Adam. */
  async setWeights(weights) {
    const engine = await this._ready();
    const n = engine.M._mvae_midime_param_count(this._handle);
    if (!ArrayBuffer.isView(weights) || weights.length !== n) {
      throw new InvalidArgumentError(`setWeights needs a Float32Array of ${n} values`);
    }
    engine.withMemory((alloc) => {
      const p = alloc(4 * n);
      engine.f32(p, n).set(weights);
      this._check(engine.M._mvae_midime_set_params(this._handle, p, n), 'setWeights');
    });
  }

  /**
   * Trains for config.epochs epochs on xTrain (latent vectors of the MusicVAE model: a LatentTensor,
   * a tf.Tensor2D, Float32Array rows). callback(epoch, {total, losses: [reconstruction, kl]}) after
   * each epoch with the losses at the weights it started from, as magenta.js's (which also passes
   * the reconstruction y; not here). options.noise (tests): Float32Array per step, [rows][latent].
   */
  async train(xTrain, callback, options = {}) {
    const engine = await this._ready();
    const c = this.config, M = engine.M;
    const x = latentBatch(xTrain, c.input_size, engine.C.MVAE_MAX_BATCH, 'xTrain');
    const rows = x.length / c.input_size, batch = Math.min(c.batchSize ?? rows, rows);
    this.trained = false;
    let step = 0;
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      let total = 0, recon = 0, kl = 0;
      for (let first = 0; first < rows; first += batch, step++) {
        const n = Math.min(batch, rows - first);
        const noise = options.noise ? options.noise[step] : null;
        if (noise && noise.length !== n * c.latent_size) throw new InvalidArgumentError(`noise[${step}] must hold ${n * c.latent_size} values`);
        const losses = engine.withMemory((alloc) => {
          const xp = alloc(4 * n * c.input_size), lp = alloc(12), ep = noise ? alloc(4 * noise.length) : 0;
          engine.f32(xp, n * c.input_size).set(x.subarray(first * c.input_size, (first + n) * c.input_size));
          if (noise) engine.f32(ep, noise.length).set(noise);
          this._check(M._mvae_midime_train_step(this._handle, xp, n, ep, this._rng, lp), 'train');
          return engine.f32(lp, 3).slice();
        });
        total += losses[0] * n / rows;
        recon += losses[1] * n / rows;
        kl += losses[2] * n / rows;
      }
      if (callback) callback(epoch, { total, losses: [recon, kl] });
      await yieldToEventLoop(); // as magenta.js's tf.nextFrame(): the page stays responsive
    }
    this.trained = true;
  }

  // Runs fn(inPtr, outPtr) over rows of `width` in, `outWidth` out; the result as a LatentTensor.
  _map(engine, flat, width, outWidth, fn) {
    const n = flat.length / width;
    const out = engine.withMemory((alloc) => {
      const ip = alloc(4 * flat.length), op = alloc(4 * n * outWidth);
      engine.f32(ip, flat.length).set(flat);
      fn(ip, op, n);
      return engine.f32(op, n * outWidth).slice();
    });
    return LatentTensor.fromRows(Array.from({ length: n }, (_, i) => out.subarray(i * outWidth, (i + 1) * outWidth)), outWidth);
  }

  /** numSamples draws of MidiMe's prior, decoded: latent vectors of the MusicVAE model. */
  async sample(numSamples = 1) {
    const engine = await this._ready();
    checkPositiveInteger(numSamples, 'numSamples');
    const w = this.config.input_size;
    const out = engine.withMemory((alloc) => {
      const op = alloc(4 * numSamples * w);
      this._check(engine.M._mvae_midime_sample(this._handle, numSamples, this._rng, op), 'sample');
      return engine.f32(op, numSamples * w).slice();
    });
    return LatentTensor.fromRows(Array.from({ length: numSamples }, (_, i) => out.subarray(i * w, (i + 1) * w)), w);
  }

  /** MidiMe's z (latent_size wide) -> a latent vector of the MusicVAE model. */
  async decode(z) {
    const engine = await this._ready();
    const c = this.config;
    const flat = latentBatch(z, c.latent_size, engine.C.MVAE_MAX_BATCH, 'z');
    return this._map(engine, flat, c.latent_size, c.input_size, (ip, op, n) =>
      this._check(engine.M._mvae_midime_decode(this._handle, ip, n, op), 'decode'));
  }

  /** Latent vectors of the MusicVAE model -> MidiMe's z = mu + sigma * eps (as magenta.js's encode). */
  async encode(z) {
    const engine = await this._ready();
    const c = this.config;
    const flat = latentBatch(z, c.input_size, engine.C.MVAE_MAX_BATCH, 'z');
    return this._map(engine, flat, c.input_size, c.latent_size, (ip, op, n) =>
      this._check(engine.M._mvae_midime_encode(this._handle, ip, n, this._rng, op, 0, 0), 'encode'));
  }

  /** encode then decode: MidiMe's reconstruction of latent vectors (magenta.js's predict). */
  async predict(z) {
    return this.decode(await this.encode(z));
  }
}

