/* convert.h: note sequences <-> model tensors, as magenta.js's data converters do it.
 *
 * Model-independent: every function takes the sizes it needs (num_steps, pitch range) and writes
 * into buffers the caller owns. No function keeps state between calls.
 *
 * The behaviour follows magenta.js (@magenta/music 1.23): MelodyConverter with
 * Melody.fromNoteSequence and Melody.toNoteSequence (music/src/core/melodies.ts), DrumsConverter,
 * DrumsOneHotConverter and TrioConverter (music/src/core/data.ts), the drum map
 * DEFAULT_DRUM_PITCH_CLASSES (constants.ts). Where magenta.js has a quirk that changes what the
 * encoder sees, the quirk is reproduced and named at the place it happens; the drum converters can
 * be asked for the intended ("clean") encoding instead.
 *
 * Errors: MVAE_ERR_INVALID_ARGUMENT for a NULL buffer, a negative count or a bad size/range
 * argument; MVAE_ERR_BAD_INPUT for a note or token that is invalid or that magenta.js refuses to
 * convert; MVAE_ERR_OUT_OF_MEMORY if scratch space (the melody sort, a wrapper's per-step tracks,
 * always freed before returning) cannot be allocated;
 * MVAE_ERR_BUFFER_TOO_SMALL when notes did not fit (the count needed is still stored).
 * The optional `error` argument (may be NULL) then says what and where. */
#ifndef MVAE_CONVERT_H
#define MVAE_CONVERT_H

#include "format/schema_sizes.h"
#include "musicvae.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors --------------------------------------------------------------------------------- */

typedef struct mvae_convert_error {
  const char *message; /* a static string; "" when there was no error */
  int index;           /* the offending note (or step, for tokens); -1 if none */
  int value;           /* the offending value */
} mvae_convert_error;

/* Fills *error (if not NULL) and returns status: `return mvae_convert_fail(error, ...);`. */
mvae_status mvae_convert_fail(mvae_convert_error *error, mvae_status status, const char *message,
                              int index, int value);
/* Sets *error (if not NULL) to "no error". */
void mvae_convert_clear_error(mvae_convert_error *error);
/* What a tokens -> notes call checks first, *error cleared: its buffers ("NULL buffer"), then its
 * sizes: num_steps, max_notes and the caller's own test sizes_ok (a pitch range, an instrument),
 * which fail with size_message and num_steps. */
mvae_status mvae_check_note_buffers(const int32_t *tokens, int num_steps, const mvae_note *notes,
                                    int max_notes, const int *n_notes, int sizes_ok,
                                    const char *size_message, mvae_convert_error *error);
/* The end of a tokens -> notes call that counted count notes: *n_notes = count, and
 * MVAE_ERR_BUFFER_TOO_SMALL where they are more than max_notes. */
mvae_status mvae_notes_counted(int count, int max_notes, int *n_notes, mvae_convert_error *error);

/* Every converter takes 1 <= num_steps <= MVAE_CONVERT_MAX_STEPS, so that note counts (at most
 * 11 per step for a trio) and buffer offsets stay far from overflow. */
#define MVAE_CONVERT_MAX_STEPS (1 << 24)
static inline int mvae_num_steps_ok(int num_steps) {
  return num_steps >= 1 && num_steps <= MVAE_CONVERT_MAX_STEPS;
}

/* ---- Notes ---------------------------------------------------------------------------------- */

/* Which notes a converter looks at. magenta.js's MelodyConverter and DrumsConverter take every note
 * (is_drum and program are ignored); TrioConverter splits the notes by is_drum and program. */
typedef enum mvae_note_selection {
  MVAE_SELECT_ALL = 0,
  MVAE_SELECT_TRIO_MELODY = 1, /* !is_drum, program 0..31 */
  MVAE_SELECT_TRIO_BASS = 2,   /* !is_drum, program 32..39 */
  MVAE_SELECT_DRUMS = 3        /* is_drum */
} mvae_note_selection;

#define MVAE_TRIO_MELODY_PROGRAM_MIN 0
#define MVAE_TRIO_MELODY_PROGRAM_MAX 31
#define MVAE_TRIO_BASS_PROGRAM_MIN 32
#define MVAE_TRIO_BASS_PROGRAM_MAX 39

/* Instruments and programs that magenta.js's TrioConverter gives decoded notes. */
#define MVAE_TRIO_MELODY_INSTRUMENT 0
#define MVAE_TRIO_BASS_INSTRUMENT 1
#define MVAE_TRIO_DRUMS_INSTRUMENT 2
#define MVAE_TRIO_MELODY_PROGRAM 0
#define MVAE_TRIO_BASS_PROGRAM 32

/* magenta.js leaves a decoded note's velocity unset (the protobuf default 0), and its players and
 * MIDI writer substitute 80 for a missing one. We write the 80 itself: a velocity-0 note-on is a
 * note-off in MIDI, so 0 would make exported files and Web MIDI output silent. */
#define MVAE_DECODED_VELOCITY 80

/* The checks of any note list: a count >= 0 ("negative note count") and a buffer where it has
 * notes ("notes is NULL"). */
mvae_status mvae_check_note_list(const void *notes, int n_notes, mvae_convert_error *error);
/* A note's pitch and velocity in 0..127; error->index is the note's index. */
mvae_status mvae_check_pitch_velocity(int pitch, int velocity, int index,
                                      mvae_convert_error *error);
/* Checks every field of every note: pitch and velocity 0..127, 0 <= start_step < end_step, program
 * 0..127, is_drum 0 or 1, instrument >= 0; notes may be NULL only when n_notes is 0. */
mvae_status mvae_check_notes(const mvae_note *notes, int n_notes, mvae_convert_error *error);
/* What a converter of notes to a per-step track checks first: the notes (mvae_check_notes), its
 * output (NULL: null_message), then num_steps. */
mvae_status mvae_check_conversion(const mvae_note *notes, int n_notes, const void *out,
                                  const char *null_message, int num_steps,
                                  mvae_convert_error *error);
int mvae_note_is_selected(const mvae_note *note, mvae_note_selection selection);

/* ---- Melody (MelodyConverter) --------------------------------------------------------------- */

#define MVAE_MELODY_NO_EVENT 0
#define MVAE_MELODY_NOTE_OFF 1
#define MVAE_MELODY_FIRST_PITCH 2

/* 0 <= min_pitch <= max_pitch <= 127; returns max_pitch - min_pitch + 3, or 0 for a bad range. */
int mvae_melody_depth(int min_pitch, int max_pitch);

/* Notes -> events[num_steps], as Melody.fromNoteSequence with ignorePolyphony (its default
 * in 1.23):
 *   - notes are taken in order of start step; of several notes starting at one step only the
 * highest (the first of equal pitches in input order) is used, the others are dropped unchecked;
 *   - each used note writes its pitch event at its start and NOTE_OFF at its end step; a later
 * onset overwrites an earlier note-off at the same step, and a note that starts while another
 * sounds simply cuts in (the earlier note's note-off is still written at its own end step, if no
 * onset is there);
 *   - writes at or past num_steps are dropped (notes past the end are truncated);
 *   - a used note with a pitch outside [min_pitch, max_pitch] is an error (magenta.js throws), even
 *     when it starts past the end.
 * Notes are checked with mvae_check_notes first. Allocates scratch space for the sort (freed). */
mvae_status mvae_melody_from_notes(const mvae_note *notes, int n_notes,
                                   mvae_note_selection selection, int num_steps, int min_pitch,
                                   int max_pitch, int32_t *events, mvae_convert_error *error);

/* events[num_steps] (each 0..depth-1) -> one-hot rows: out[t * row_stride + events[t]] = 1 and the
 * other `depth` floats of each row 0; floats outside the first `depth` of a row are not touched. */
mvae_status mvae_events_to_one_hot(const int32_t *events, int num_steps, int depth, int row_stride,
                                   float *out, mvae_convert_error *error);

/* events -> notes, as Melody.toNoteSequence: a pitch event starts a note that lasts until the next
 * event that is not NO_EVENT, or the end. Notes get `program`, `instrument`, is_drum 0 and velocity
 * MVAE_DECODED_VELOCITY. Writes at most max_notes (notes may be NULL when max_notes is 0), stores
 * the number needed in *n_notes and returns MVAE_ERR_BUFFER_TOO_SMALL if they did not all fit. */
mvae_status mvae_events_to_notes(const int32_t *events, int num_steps, int min_pitch, int max_pitch,
                                 int program, int instrument, mvae_note *notes, int max_notes,
                                 int *n_notes, mvae_convert_error *error);

/* ---- Drums (DrumsConverter, DrumsOneHotConverter) ------------------------------------------- */

#define MVAE_DRUM_CLASSES 9
#define MVAE_DRUM_ROLL_WIDTH MVS_DRUM_ROLL_WIDTH /* 9 classes + "no hit" (schema.json) */
#define MVAE_DRUM_LABELS MVS_DRUM_LABELS         /* 2^9 hit sets (schema.json) */
/* A label that magenta.js's one-hot drum input turns into an all-zero row (tf.oneHot of an index
 * >= depth): the sum of class bits reached 512, e.g. two ride notes at one step. */
#define MVAE_DRUM_LABEL_ZERO_ROW 512

/* mvae_drum_encoding (MVAE_DRUMS_MAGENTA_JS, MVAE_DRUMS_CLEAN) is in musicvae.h: a model says which
 * its drum inputs use (mvae_info.drum_encoding). */

/* The drum class (0 kick, 1 snare, 2 closed hi-hat, 3 open hi-hat, 4 low tom, 5 mid tom, 6 high
 * tom, 7 crash, 8 ride) of a MIDI pitch in magenta.js's map, or -1 if the pitch has none.
 * magenta.js keeps the pre-2019 map: Magenta Python later moved 22, 26, 43 and 52 (here: none,
 * none, high tom, ride). */
int mvae_drum_class_of_pitch(int pitch);
/* The pitch a decoded hit of this class gets (the first pitch of its class), or -1. */
int mvae_drum_class_pitch(int drum_class);

/* Notes -> labels[num_steps]: the hit set of each step, bit c for class c (MVAE_DRUMS_MAGENTA_JS:
 * may also be MVAE_DRUM_LABEL_ZERO_ROW, see above). */
mvae_status mvae_drum_labels_from_notes(const mvae_note *notes, int n_notes,
                                        mvae_note_selection selection, int num_steps,
                                        mvae_drum_encoding encoding, int32_t *labels,
                                        mvae_convert_error *error);
/* labels[num_steps] -> 512-wide one-hot rows at out[t * row_stride]; a label of
 * MVAE_DRUM_LABEL_ZERO_ROW gives an all-zero row; other labels outside 0..511 are an error. */
mvae_status mvae_drum_labels_to_one_hot(const int32_t *labels, int num_steps, int row_stride,
                                        float *out, mvae_convert_error *error);
/* Notes -> the 10-wide roll float[num_steps][10] that DrumsConverter feeds the encoder. */
mvae_status mvae_drum_roll_from_notes(const mvae_note *notes, int n_notes,
                                      mvae_note_selection selection, int num_steps,
                                      mvae_drum_encoding encoding, float *roll,
                                      mvae_convert_error *error);
/* labels[num_steps] (0..511) -> drum notes, as DrumsConverter.toNoteSequence: for each step, then
 * each class in order, a note of the class's pitch, one step long, is_drum 1, program 0, the given
 * instrument, velocity MVAE_DECODED_VELOCITY. Same buffer rules as mvae_events_to_notes. */
mvae_status mvae_drum_labels_to_notes(const int32_t *labels, int num_steps, int instrument,
                                      mvae_note *notes, int max_notes, int *n_notes,
                                      mvae_convert_error *error);

/* ---- GrooVAE (GrooveConverter) ----------------------------------------------------------------
 */

/* One step: [hit of each class | velocity of each class | offset of each class]. */
#define MVAE_GROOVE_DEPTH MVS_GROOVE_DEPTH /* 3 x MVAE_DRUM_CLASSES (schema.json) */
/* Where tapify puts every note: magenta.js's TAPIFY_CHANNEL (class 3, the open hi-hat). */
#define MVAE_GROOVE_TAPIFY_CLASS 3

typedef struct mvae_groove_options {
  int num_steps;
  int steps_per_quarter; /* >= 1 */
  int humanize;          /* velocities and offsets 0 */
  int tapify;            /* every note on MVAE_GROOVE_TAPIFY_CLASS; velocities 0 */
} mvae_groove_options;

/* Notes -> float[num_steps][MVAE_GROOVE_DEPTH], as GrooveConverter.toTensor (see
 * mvae_groove_to_input). qpm: finite, > 0. Every note is checked (pitch and velocity 0..127, start
 * time finite or NaN); a counted note outside 0..num_steps-1 is MVAE_ERR_BAD_INPUT. Allocates a
 * per-step scratch table (freed). */
mvae_status mvae_groove_input_from_notes(const mvae_groove_note *notes, int n_notes,
                                         const mvae_groove_options *options, double qpm,
                                         float *input, mvae_convert_error *error);

/* float[num_steps][MVAE_GROOVE_DEPTH] -> hits, as GrooveConverter.toNoteSequence (see
 * mvae_groove_to_notes). Same buffer rules as mvae_events_to_notes; a non-finite value is
 * MVAE_ERR_BAD_INPUT (error->index: its step). */
mvae_status mvae_groove_hits_from_values(const float *values, int num_steps, mvae_groove_hit *hits,
                                         int max_hits, int *n_hits, mvae_convert_error *error);

/* ---- Whole encoder inputs and decoded sequences --------------------------------------------- */

/* The checks of an input buffer for a melody's pitch range: not NULL, num_steps and the range
 * good ("bad size or pitch range"). */
mvae_status mvae_check_melody_input(const float *input, int num_steps, int min_pitch, int max_pitch,
                                    mvae_convert_error *error);
/* The melody events of all the notes for an input buffer of these sizes (checked first, as
 * mvae_check_melody_input): scratch the caller frees, or NULL with *status set. */
int32_t *mvae_melody_events_for_input(const mvae_note *notes, int n_notes, int num_steps,
                                      int min_pitch, int max_pitch, const float *input,
                                      mvae_status *status, mvae_convert_error *error);
/* Melody model: float[num_steps][depth] one-hot of mvae_melody_from_notes over all notes. */
mvae_status mvae_melody_notes_to_input(const mvae_note *notes, int n_notes, int num_steps,
                                       int min_pitch, int max_pitch, float *input,
                                       mvae_convert_error *error);
/* Drums model: float[num_steps][10] roll (roll_input) or float[num_steps][512] one-hot, all notes.
 */
mvae_status mvae_drums_notes_to_input(const mvae_note *notes, int n_notes, int num_steps,
                                      int roll_input, mvae_drum_encoding encoding, float *input,
                                      mvae_convert_error *error);

/* Trio: the width of one input step, 2 * melody depth + 512, or 0 for a bad pitch range. */
int mvae_trio_input_depth(int min_pitch, int max_pitch);
/* Trio model: float[num_steps][trio depth] = [melody one-hot | bass one-hot | drums one-hot], as
 * TrioConverter: melody from the non-drum notes of programs 0..31, bass from those of
 * programs 32..39 (both with the same pitch range), drums from the is_drum notes through the
 * one-hot drum encoding; every instrument in a program range is merged into its track (instrument
 * numbers are ignored), and notes of other programs are dropped. */
mvae_status mvae_trio_notes_to_input(const mvae_note *notes, int n_notes, int num_steps,
                                     int min_pitch, int max_pitch, mvae_drum_encoding encoding,
                                     float *input, mvae_convert_error *error);
/* The trio's three tracks of the notes as TrioConverter selects them (see above), num_steps each:
 * melody events, bass events, drum labels, for an input buffer of these sizes: input and sizes are
 * checked first (mvae_check_melody_input), then the notes. On success the caller frees them with
 * mvae_trio_tracks_free (on failure there is nothing to free). */
typedef struct mvae_trio_tracks {
  int32_t *melody, *bass, *drums; /* one block, melody first */
} mvae_trio_tracks;
mvae_status mvae_trio_tracks_from_notes(const mvae_note *notes, int n_notes, int num_steps,
                                        int min_pitch, int max_pitch, mvae_drum_encoding encoding,
                                        const float *input, mvae_trio_tracks *tracks,
                                        mvae_convert_error *error);
void mvae_trio_tracks_free(mvae_trio_tracks *tracks);
/* tokens int32[3][num_steps] (melody events, bass events, drum labels) -> notes: melody notes first
 * (instrument 0, program 0), then bass (instrument 1, program 32), then drums (instrument 2,
 * program 0, is_drum 1), as TrioConverter.toNoteSequence. Same buffer rules as
 * mvae_events_to_notes; on a bad token, error->index is track * num_steps + step. */
mvae_status mvae_trio_tokens_to_notes(const int32_t *tokens, int num_steps, int min_pitch,
                                      int max_pitch, mvae_note *notes, int max_notes, int *n_notes,
                                      mvae_convert_error *error);

/* ---- Rhythm and shape (MelodyRhythmConverter, MelodyShapeConverter, TrioRhythmConverter) ----- */

/* The shape of a melody at a step: the direction of the pitch from the onset before to the next. */
#define MVAE_SHAPE_DOWN 0
#define MVAE_SHAPE_SAME 1
#define MVAE_SHAPE_UP 2
#define MVAE_SHAPE_DEPTH 3
#define MVAE_TRIO_RHYTHM_TRACKS 3
/* Pitches of decoded rhythm onsets, as magenta.js draws them: a snare (its drum map's class 1) for
 * a melody rhythm and the trio's drums, 72 and 36 for the trio's melody and bass. */
#define MVAE_RHYTHM_ONSET_PITCH 38
#define MVAE_TRIO_RHYTHM_MELODY_PITCH 72
#define MVAE_TRIO_RHYTHM_BASS_PITCH 36

/* events[num_steps] -> shape[num_steps][3], as magenta.js's MelodyShape.extract: between two
 * onsets, the steps after the first up to the second are one-hot DOWN, SAME or UP by the second's
 * pitch against the first's; the steps up to the second onset take the first direction too, the
 * steps after the last onset its direction; a melody with fewer than two onsets is SAME throughout,
 * except one whose only onset is on the last step, which is all zeros (magenta.js's quirk). */
mvae_status mvae_melody_shape_from_events(const int32_t *events, int num_steps, float *shape,
                                          mvae_convert_error *error);
/* Melody rhythm model: float[num_steps][1], 1 at each onset of the melody of all notes
 * (mvae_melody_from_notes). */
mvae_status mvae_melody_rhythm_notes_to_input(const mvae_note *notes, int n_notes, int num_steps,
                                              int min_pitch, int max_pitch, float *input,
                                              mvae_convert_error *error);
/* Melody shape model: float[num_steps][3], mvae_melody_shape_from_events of the melody. */
mvae_status mvae_melody_shape_notes_to_input(const mvae_note *notes, int n_notes, int num_steps,
                                             int min_pitch, int max_pitch, float *input,
                                             mvae_convert_error *error);
/* Trio rhythm model: float[num_steps][3] = [melody onset, bass onset, any drum hit] of the trio's
 * tracks (as mvae_trio_notes_to_input selects and encodes them). */
mvae_status mvae_trio_rhythm_notes_to_input(const mvae_note *notes, int n_notes, int num_steps,
                                            int min_pitch, int max_pitch,
                                            mvae_drum_encoding encoding, float *input,
                                            mvae_convert_error *error);
/* tokens[num_steps] (0 or 1) -> a one-step snare (MVAE_RHYTHM_ONSET_PITCH, is_drum) at each 1. Same
 * buffer rules as mvae_events_to_notes. */
mvae_status mvae_melody_rhythm_tokens_to_notes(const int32_t *tokens, int num_steps,
                                               mvae_note *notes, int max_notes, int *n_notes,
                                               mvae_convert_error *error);
/* tokens[num_steps] (MVAE_SHAPE_*) -> a one-step note at every step, starting from the middle of
 * [min_pitch, max_pitch] (halves rounded up) and moving one semitone down or up as the token says,
 * held at the range's ends. */
mvae_status mvae_melody_shape_tokens_to_notes(const int32_t *tokens, int num_steps, int min_pitch,
                                              int max_pitch, mvae_note *notes, int max_notes,
                                              int *n_notes, mvae_convert_error *error);
/* tokens int32[3][num_steps] (0 or 1: melody, bass, drums) -> one-step notes, step by step: melody
 * (pitch 72, instrument 0, program 0), bass (36, instrument 1, program 32), drums (38, instrument
 * 2, is_drum), as TrioRhythmConverter.toNoteSequence. */
mvae_status mvae_trio_rhythm_tokens_to_notes(const int32_t *tokens, int num_steps, mvae_note *notes,
                                             int max_notes, int *n_notes,
                                             mvae_convert_error *error);

#ifdef __cplusplus
}
#endif

/* Whether a model's shapes are those its converter produces and reads (track count, each track's
 * depth, the encoder input width, a pitch range, num_steps in range); a message in err if not.
 * The one home of these rules: the loader calls it once, so the note calls need not. */
mvae_status mvae_converter_check(const mvae_info *info, char *err, size_t err_size);

#endif /* MVAE_CONVERT_H */
