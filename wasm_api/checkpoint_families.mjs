// checkpoint_families.mjs: what the NADE, chord-conditioned, boolean-decoder and control-preprocessing
// magenta.js checkpoint families add
// to the magenta.js checkpoint -> MVAE model file mapping (docs/model-format.md), for the converter
// (wasm_api/checkpoint.mjs, buildModelFile and describeModel) to call in its structure walk:
//
//   - NADE drums (drums_2bar_nade_9_q2: Magenta's MultiLabelRnnNadeDecoder, magenta.js's NadeDecoder):
//     `{core}nade/w_enc` [dims, 1, hidden] and `{core}nade/w_dec_t` [dims, hidden, 1], stored 2-D
//     as [dims, hidden]; the output projection is [top units, hidden + dims]; the decoder's cell 0
//     reads the previous step's labels as a multi-hot of `dims` (not a 2^dims one-hot); the tokens
//     stay the label sets 0 .. 2^dims - 1 (musicvae.output_depths [512] for the 9 drum classes).
//   - GrooVAE (groovae_*, tap2drum_*: magenta.js's GrooveConverter and GrooveDecoder): each step is
//     [hits | velocities | offsets] of the 9 drum classes, 27 values in and out; the output layer
//     'groove' (sigmoid hits, sigmoid velocities, tanh offsets, fed back as they are) and the
//     converter's humanize / tapify / stepsPerQuarter arguments are metadata (describeGroove).
//   - Controls (mel_chords and the other chord / key / extraControls models): per-step control
//     vectors appended to every encoder input step and every decoder cell-0 input, in magenta.js's
//     order: the encoded chord (config.chordEncoder), the key one-hot (config.conditionOnKey), then
//     config.extraControls in their order.
//
// Only the mapping lives here; the engine computes (src/nn/nade.c, src/nn/decoder.c,
// src/nn/encoder.c, src/notes/chords.c). The converter, per core decoder `core` (a schema prefix):
//
//   const controls = describeControls(config);            // {depth: 0} for an unconditioned model
//   const pre = describeControlPreprocessing(vars, controls, prefix); // null, or {outputWidth, ...}:
//   // cell 0 then reads pre.outputWidth control columns (the encoder still controls.depth)
//   const nade = describeNade(vars, tensorName('decoder_nade', {core}));  // null, or {dims, ...}
//   // the output projection must be [top units, nade ? nade.outputWidth : depth], and cell 0's
//   // input coreDecoderInput({depth, nade, condIn, controlDepth: controls.depth}); the track's
//   // output depth is nade ? nade.tokenDepth : depth; the encoder's input is converter input depth
//   // + controls.depth;
//   vars = reshapeFamilyVariables(vars);                   // NADE weights to their 2-D shapes
//   meta.push(...familyMetadata({nade: anyNade, controls}));
//   // used tensors: add nade.tensors

import { ConvertError, UnsupportedError } from './errors.mjs';
import { SIZES } from './schema.mjs';

// A malformed checkpoint: ConvertError; a family the engine does not run: UnsupportedError (the
// converter's own error kinds).
const fail = (msg) => {
  throw msg.startsWith('unsupported: ') ? new UnsupportedError(msg) : new ConvertError(msg);
};

const fmt = (shape) => `[${shape.join(', ')}]`;

// The engine's chord encodings (controls.chord_encoding) for magenta.js's chordEncoder names, with
// their widths (include/musicvae.h: mvae_chord_encoding_depth).
export const CHORD_ENCODINGS = {
  PitchChordEncoder: { encoding: 'pitch', depth: 37 },
  MajorMinorChordEncoder: { encoding: 'major_minor', depth: 25 },
  TriadChordEncoder: { encoding: 'triad', depth: 49 },
};
export const KEY_DEPTH = 12; // magenta.js: tf.oneHot(key, 12) at every step

// The control columns a magenta.js config implies: {depth, chords: {encoding, depth, offset} | null,
// key: {depth, offset} | null, extra: [{name, depth, offset}]}.
export function describeControls(config) {
  const out = { depth: 0, chords: null, key: null, extra: [] };
  if (!config || typeof config !== 'object') return out;
  if (config.chordEncoder !== undefined) {
    const c = CHORD_ENCODINGS[config.chordEncoder];
    if (!c) fail(`unsupported: chordEncoder ${config.chordEncoder} (supported: ${Object.keys(CHORD_ENCODINGS).join(', ')})`);
    out.chords = { encoding: c.encoding, depth: c.depth, offset: out.depth };
    out.depth += c.depth;
  }
  if (config.conditionOnKey) {
    out.key = { depth: KEY_DEPTH, offset: out.depth };
    out.depth += KEY_DEPTH;
  }
  for (const spec of config.extraControls || []) {
    if (!spec || typeof spec.name !== 'string' || !Number.isInteger(spec.depth) || spec.depth < 1) {
      fail(`configuration: extraControls entry ${JSON.stringify(spec)} needs {name, depth >= 1}`);
    }
    out.extra.push({ name: spec.name, depth: spec.depth, offset: out.depth });
    out.depth += spec.depth;
  }
  return out;
}

// The NADE of one core decoder, or null if it has none. prefix: its schema name,
// tensorName('decoder_nade', {core}) (e.g. 'decoder/nade/'); vars: Map name -> {shape, data}.
// Checks magenta.js's shapes.
export function describeNade(vars, prefix) {
  const enc = vars.get(`${prefix}w_enc`), dec = vars.get(`${prefix}w_dec_t`);
  if (!enc && !dec) return null;
  if (!enc || !dec) fail(`missing variable ${prefix}${enc ? 'w_dec_t' : 'w_enc'} (the NADE has only half its weights)`);
  const [dims, one, hidden] = enc.shape;
  if (enc.shape.length !== 3 || one !== 1 || !(dims >= 1) || !(hidden >= 1)) {
    fail(`shape mismatch in ${prefix}w_enc: ${fmt(enc.shape)} is not [dims, 1, hidden]`);
  }
  if (fmt(dec.shape) !== fmt([dims, hidden, 1])) {
    fail(`shape mismatch in ${prefix}w_dec_t: ${fmt(dec.shape)}, expected ${fmt([dims, hidden, 1])}`);
  }
  if (dims > 16) fail(`unsupported: a NADE over ${dims} labels (at most 16)`);
  return {
    dims,
    hidden,
    tokenDepth: 2 ** dims, // label sets as bits: the drum labels
    outputWidth: SIZES.nade_output({ hidden, dims }), // output projection: [encoder bias; decoder bias]
    tensors: [`${prefix}w_enc`, `${prefix}w_dec_t`],
  };
}

// Width cell 0 of a core decoder reads: [previous output, conditioning, controls].
export function coreDecoderInput({ depth, nade, condIn, controlDepth = 0 }) {
  const trackInput = nade ? nade.dims : depth;
  return SIZES.decoder_input({ track_input: trackInput, conditioning: condIn, control_depth: controlDepth });
}

// ---- Control preprocessing (magenta.js: control_preprocessing/, one bidirectional LSTM layer) ----
// Each decoder runs it over its control sequence (a flat decoder over all steps, a core decoder over
// its segment) and reads its [fw; bw] output at each step in place of the controls; the encoder
// still reads the controls. Stored under its own names (schema control_lstm).

// The control preprocessing LSTM of a checkpoint, or null: {units, outputWidth (what cell 0 reads
// per step), tensors}. prefix(layer, direction): tensorName('control_lstm', ...).
export function describeControlPreprocessing(vars, controls, prefix) {
  const kernel = (layer, d) => vars.get(`${prefix(layer, d)}kernel`);
  if (!kernel(0, 'fw') && !kernel(0, 'bw')) {
    const stray = [...vars.keys()].find((n) => n.startsWith('control_preprocessing/'));
    if (stray) fail(`unsupported: control preprocessing variable ${stray} (expected ${prefix(0, 'fw')}kernel)`);
    return null;
  }
  if (kernel(1, 'fw') || kernel(1, 'bw')) fail('unsupported: a control preprocessing LSTM of 2 or more layers (magenta.js runs one)');
  if (!controls.depth) fail('configuration: a control preprocessing LSTM, but no controls (chordEncoder, conditionOnKey or extraControls)');
  const units = [];
  const tensors = [];
  for (const d of ['fw', 'bw']) {
    const k = kernel(0, d), b = vars.get(`${prefix(0, d)}bias`);
    if (!k || !b) fail(`missing variable ${prefix(0, d)}${k ? 'bias' : 'kernel'} (control preprocessing)`);
    const [rows, cols] = k.shape;
    const n = Math.floor(cols / SIZES.lstm_width({ units: 1 }));
    if (k.shape.length !== 2 || cols !== SIZES.lstm_width({ units: n }) ||
        rows !== SIZES.lstm_rows({ input: controls.depth, units: n }) || fmt(b.shape) !== fmt([cols])) {
      fail(`shape mismatch in ${prefix(0, d)}: kernel ${fmt(k.shape)}, bias ${fmt(b.shape)}; ` +
        `expected [controls ${controls.depth} + units, 4 units]`);
    }
    units.push(n);
    tensors.push(`${prefix(0, d)}kernel`, `${prefix(0, d)}bias`);
  }
  if (units[0] !== units[1]) fail(`shape mismatch in control preprocessing: forward ${units[0]} units, backward ${units[1]}`);
  return { units: units[0], outputWidth: SIZES.bidi_output({ fw_units: units[0], bw_units: units[1] }), tensors };
}

// The NADE weights in their MVAE shapes ([dims, hidden]; the values keep their order); every other
// variable as it is. Returns a new Map.
export function reshapeFamilyVariables(vars) {
  const out = new Map();
  for (const [name, v] of vars) {
    if (/(^|\/)nade\/w_(enc|dec_t)$/.test(name) && v.shape.length === 3) {
      const [dims, a, b] = v.shape;
      out.set(name, { shape: [dims, a * b], data: v.data });
    } else {
      out.set(name, v);
    }
  }
  return out;
}

// ---- Boolean decoder (magenta.js's BooleanDecoder: config.useBooleanDecoder; the rhythm models) --
// One logit per label (the output projection is [top units, labels]); each label is on when its
// logit is >= 0. The tokens are the label sets as bits (0 .. 2^labels - 1), fed back to cell 0 as
// their multi-hot, as a NADE's: metadata musicvae.output_layer boolean, output depth 2^labels.

// The boolean decoder of a core decoder whose output projection is `width` wide, or null when the
// config asks for none. Same fields as describeNade's (boolean: true, no tensors of its own).
export function describeBooleanDecoder(config, width) {
  if (!config || !config.useBooleanDecoder) return null;
  if (width > 16) fail(`unsupported: a boolean decoder over ${width} labels (at most 16)`);
  return { dims: width, hidden: 0, tokenDepth: 2 ** width, outputWidth: width, tensors: [], boolean: true };
}

// Metadata entries [key, type, value] (as models/convert.mjs writes them) for these families.
// nade: describeNade's or describeBooleanDecoder's result.
export function familyMetadata({ nade = null, controls = { depth: 0 } } = {}) {
  const meta = [];
  if (nade) meta.push(['musicvae.output_layer', 'str', nade.boolean ? 'boolean' : 'nade']);
  if (controls.depth > 0) {
    meta.push(['musicvae.control_depth', 'i32', controls.depth]);
    if (controls.chords) meta.push(['controls.chord_encoding', 'str', controls.chords.encoding]);
    if (controls.key) meta.push(['controls.key_depth', 'i32', controls.key.depth]);
    if (controls.extra.length) {
      meta.push(['controls.extra', 'str', controls.extra.map((e) => `${e.name}:${e.depth}`).join(',')]);
    }
  }
  return meta;
}

// ---- GrooVAE (GrooveConverter) --------------------------------------------------------------------

// What a GrooveConverter's args imply: {depth (values per step in and out), stepsPerQuarter, meta}.
// Refuses what the engine does not run: custom pitch classes, splitInstruments (each drum its own
// step: a different sequence layout).
export function describeGroove(args = {}) {
  if (args.pitchClasses !== undefined) fail('unsupported: custom drum pitchClasses in GrooveConverter');
  if (args.splitInstruments) fail('unsupported: GrooveConverter with splitInstruments (one step per drum)');
  const spq = args.stepsPerQuarter ?? 4;
  if (!Number.isInteger(spq) || spq < 1 || spq > 96) {
    fail(`configuration: GrooveConverter stepsPerQuarter ${spq} is not an integer in 1..96`);
  }
  for (const flag of ['humanize', 'tapify']) {
    if (args[flag] !== undefined && typeof args[flag] !== 'boolean') {
      fail(`configuration: GrooveConverter ${flag} ${JSON.stringify(args[flag])} is not true or false`);
    }
  }
  return {
    depth: SIZES.groove_depth(),
    stepsPerQuarter: spq,
    meta: [
      ['musicvae.output_layer', 'str', 'groove'],
      ['converter.groove_humanize', 'i32', args.humanize ? 1 : 0],
      ['converter.groove_tapify', 'i32', args.tapify ? 1 : 0],
    ],
  };
}
