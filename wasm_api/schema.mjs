// Written by wasm_api/gen_schema.mjs from src/format/schema.json: edit that file, not this one.
export const TENSOR_NAMES = Object.freeze({
  "encoder_lstm": "encoder/cell_{layer}/bidirectional_rnn/{direction}/multi_rnn_cell/cell_0/lstm_cell/",
  "hier_encoder_lstm": "encoder/hierarchical_level_{level}/cell_{layer}/bidirectional_rnn/{direction}/multi_rnn_cell/cell_0/lstm_cell/",
  "latent": "encoder/{latent}/",
  "flat_decoder": "decoder/",
  "conductor_init": "decoder/hierarchical_level_0/initial_state/",
  "conductor_lstm": "decoder/hierarchical_level_0/cell_{layer}/lstm_cell/",
  "core_decoder": "core_decoder/decoder/",
  "core_decoder_track": "core_decoder/core_decoder_{track}/decoder/",
  "decoder_init": "{core}z_to_initial_state/",
  "decoder_lstm": "{core}multi_rnn_cell/cell_{layer}/lstm_cell/",
  "decoder_output": "{core}output_projection/",
  "decoder_nade": "{core}nade/",
  "control_lstm": "control_preprocessing/cell_{layer}/bidirectional_rnn/{direction}/multi_rnn_cell/cell_0/lstm_cell/"
});

function need(value, name) {
  if (!Number.isInteger(value)) throw new Error(`size rule: ${name} must be an integer, got ${value}`);
  return value;
}

// The size rules of the tensor shapes (schema.json "sizes"): SIZES.lstm_rows({input, units}).
export const SIZES = Object.freeze({
  // an LSTM layer's kernel columns and bias length: gates i, j, f, o
  lstm_width: (sizes) => 4 * need(sizes.units, 'units'),
  // an LSTM layer's kernel rows: it reads [input; h]
  lstm_rows: (sizes) => need(sizes.input, 'input') + need(sizes.units, 'units'),
  // an initial-state layer's width (z_to_initial_state, the conductor's initial_state): c and h of every layer of its stack
  state_width: (sizes) => 2 * need(sizes.sum_units, 'sum_units'),
  // what the encoder's first layer (level 0 of a hierarchical one) reads per step
  encoder_input: (sizes) => need(sizes.input_depth, 'input_depth') + need(sizes.control_depth, 'control_depth'),
  // what a bidirectional layer gives the layer above, level 1 and mu / sigma: [fw; bw] of its top layer
  bidi_output: (sizes) => need(sizes.fw_units, 'fw_units') + need(sizes.bw_units, 'bw_units'),
  // the conductor's first layer reads one zero
  conductor_input: () => 1,
  // a core decoder's first layer: the previous output (the track's depth, or the NADE's dims), z or the conductor's top units, the controls
  decoder_input: (sizes) => need(sizes.track_input, 'track_input') + need(sizes.conditioning, 'conditioning') + need(sizes.control_depth, 'control_depth'),
  // the output projection's width with a NADE output layer: its encoder bias, then its decoder bias
  nade_output: (sizes) => need(sizes.hidden, 'hidden') + need(sizes.dims, 'dims'),
  // a melody track's classes (MelodyConverter): no event, note off, then one per pitch of the range
  melody_depth: (sizes) => need(sizes.pitches, 'pitches') + 2,
  // a drum track's classes (DrumsConverter): every set of the 9 drum classes hit at a step, 2^9
  drum_labels: () => 512,
  // the drum-roll encoder input per step: the 9 classes and a no-hit bit
  drum_roll_width: () => 10,
  // the trio encoder input per step: melody and bass one-hots, then the drums one-hot
  trio_input: (sizes) => 2 * need(sizes.melody_depth, 'melody_depth') + need(sizes.drum_labels, 'drum_labels'),
  // a multitrack event sequence's performance events (MultitrackConverter): note on and note off per pitch, time shifts, velocity bins; the program tokens start here
  multitrack_events: (sizes) => 2 * need(sizes.pitches, 'pitches') + need(sizes.total_steps, 'total_steps') + need(sizes.velocity_bins, 'velocity_bins'),
  // a multitrack sequence's program tokens: the 128 MIDI programs and drums
  multitrack_programs: () => 129,
  // a multitrack track's classes: the performance events, the program tokens, then the end token
  multitrack_depth: (sizes) => need(sizes.events, 'events') + need(sizes.programs, 'programs') + 1,
  // a GrooVAE step's values in and out (GrooveConverter): hits, velocities and offsets of the 9 drum classes
  groove_depth: () => 27,
  // the writers' default q8 block, columns per f32 scale (training/mvae_format.py, wasm_api/model_file.mjs): the largest power of two at which the int8 mel_2bar_small still decodes all 539 shared test vectors exactly, on both int8 paths (0.259 of the fp32 file; blocks of 32: 0.283; one scale per row: 0.2525, 537/539)
  q8_block: () => 128,
});
