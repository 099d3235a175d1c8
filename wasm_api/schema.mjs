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
