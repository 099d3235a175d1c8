/* schema_names.h: written by tools/gen_schema.py from src/format/schema.json; do not edit.
 * Tensor name templates; model.c fills in their {fields} (part_name). */
#ifndef MVAE_SCHEMA_NAMES_H
#define MVAE_SCHEMA_NAMES_H

/* clang-format off */
#define MVS_ENCODER_LSTM "encoder/cell_{layer}/bidirectional_rnn/{direction}/multi_rnn_cell/cell_0/lstm_cell/"
#define MVS_HIER_ENCODER_LSTM "encoder/hierarchical_level_{level}/cell_{layer}/bidirectional_rnn/{direction}/multi_rnn_cell/cell_0/lstm_cell/"
#define MVS_LATENT "encoder/{latent}/"
#define MVS_FLAT_DECODER "decoder/"
#define MVS_CONDUCTOR_INIT "decoder/hierarchical_level_0/initial_state/"
#define MVS_CONDUCTOR_LSTM "decoder/hierarchical_level_0/cell_{layer}/lstm_cell/"
#define MVS_CORE_DECODER "core_decoder/decoder/"
#define MVS_CORE_DECODER_TRACK "core_decoder/core_decoder_{track}/decoder/"
#define MVS_DECODER_INIT "{core}z_to_initial_state/"
#define MVS_DECODER_LSTM "{core}multi_rnn_cell/cell_{layer}/lstm_cell/"
#define MVS_DECODER_OUTPUT "{core}output_projection/"
#define MVS_DECODER_NADE "{core}nade/"
#define MVS_CONTROL_LSTM "control_preprocessing/cell_{layer}/bidirectional_rnn/{direction}/multi_rnn_cell/cell_0/lstm_cell/"
/* clang-format on */

#endif
