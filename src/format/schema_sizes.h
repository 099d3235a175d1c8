/* schema_sizes.h: written by tools/gen_schema.py from src/format/schema.json; do not edit.
 * The size rules of the tensor shapes; model.c checks every tensor through them. */
#ifndef MVAE_SCHEMA_SIZES_H
#define MVAE_SCHEMA_SIZES_H

/* clang-format off */
/* an LSTM layer's kernel columns and bias length: gates i, j, f, o */
static inline int mvs_lstm_width(int units) { return 4 * units; }
/* an LSTM layer's kernel rows: it reads [input; h] */
static inline int mvs_lstm_rows(int input, int units) { return input + units; }
/* an initial-state layer's width (z_to_initial_state, the conductor's initial_state): c and h of every layer of its stack */
static inline int mvs_state_width(int sum_units) { return 2 * sum_units; }
/* what the encoder's first layer (level 0 of a hierarchical one) reads per step */
static inline int mvs_encoder_input(int input_depth, int control_depth) { return input_depth + control_depth; }
/* what a bidirectional layer gives the layer above, level 1 and mu / sigma: [fw; bw] of its top layer */
static inline int mvs_bidi_output(int fw_units, int bw_units) { return fw_units + bw_units; }
/* the conductor's first layer reads one zero */
#define MVS_CONDUCTOR_INPUT 1
/* a core decoder's first layer: the previous output (the track's depth, or the NADE's dims), z or the conductor's top units, the controls */
static inline int mvs_decoder_input(int track_input, int conditioning, int control_depth) { return track_input + conditioning + control_depth; }
/* the output projection's width with a NADE output layer: its encoder bias, then its decoder bias */
static inline int mvs_nade_output(int hidden, int dims) { return hidden + dims; }
/* a melody track's classes (MelodyConverter): no event, note off, then one per pitch of the range */
static inline int mvs_melody_depth(int pitches) { return pitches + 2; }
/* a drum track's classes (DrumsConverter): every set of the 9 drum classes hit at a step, 2^9 */
#define MVS_DRUM_LABELS 512
/* the drum-roll encoder input per step: the 9 classes and a no-hit bit */
#define MVS_DRUM_ROLL_WIDTH 10
/* the trio encoder input per step: melody and bass one-hots, then the drums one-hot */
static inline int mvs_trio_input(int melody_depth, int drum_labels) { return 2 * melody_depth + drum_labels; }
/* a multitrack event sequence's performance events (MultitrackConverter): note on and note off per pitch, time shifts, velocity bins; the program tokens start here */
static inline int mvs_multitrack_events(int pitches, int total_steps, int velocity_bins) { return 2 * pitches + total_steps + velocity_bins; }
/* a multitrack sequence's program tokens: the 128 MIDI programs and drums */
#define MVS_MULTITRACK_PROGRAMS 129
/* a multitrack track's classes: the performance events, the program tokens, then the end token */
static inline int mvs_multitrack_depth(int events, int programs) { return events + programs + 1; }
/* a GrooVAE step's values in and out (GrooveConverter): hits, velocities and offsets of the 9 drum classes */
#define MVS_GROOVE_DEPTH 27
/* the writers' default q8 block, columns per f32 scale (training/mvae_format.py, wasm_api/model_file.mjs): the largest power of two at which the int8 mel_2bar_small still decodes all 539 shared test vectors exactly, on both int8 paths (0.259 of the fp32 file; blocks of 32: 0.283; one scale per row: 0.2525, 537/539) */
#define MVS_Q8_BLOCK 128
/* clang-format on */

#endif
