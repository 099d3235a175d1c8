/* convert_trio.c: the trio converter (melody, bass, drums), following magenta.js's TrioConverter.
 */
#include "notes/convert.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int mvae_trio_input_depth(int min_pitch, int max_pitch) {
  int melody_depth = mvae_melody_depth(min_pitch, max_pitch);
  return melody_depth == 0 ? 0 : mvs_trio_input(melody_depth, MVAE_DRUM_LABELS);
}

mvae_status mvae_trio_tracks_from_notes(const mvae_note *notes, int n_notes, int num_steps,
                                        int min_pitch, int max_pitch, mvae_drum_encoding encoding,
                                        const float *input, mvae_trio_tracks *tracks,
                                        mvae_convert_error *error) {
  tracks->melody = tracks->bass = tracks->drums = NULL;
  mvae_status status = mvae_check_melody_input(input, num_steps, min_pitch, max_pitch, error);
  if (status != MVAE_OK)
    return status;
  int32_t *block = malloc(3 * (size_t)num_steps * sizeof *block);
  if (!block)
    return mvae_convert_fail(error, MVAE_ERR_OUT_OF_MEMORY, "no memory for tracks", -1, num_steps);
  tracks->melody = block;
  tracks->bass = block + num_steps;
  tracks->drums = block + 2 * (size_t)num_steps;
  /* Same order as magenta.js, so the same input fails first: melody, bass, then drums. The melody
   * and bass tracks merge every instrument of their program range (magenta.js filters by program
   * and is_drum only), keeping the highest note of those starting together. */
  status = mvae_melody_from_notes(notes, n_notes, MVAE_SELECT_TRIO_MELODY, num_steps, min_pitch,
                                  max_pitch, tracks->melody, error);
  if (status == MVAE_OK)
    status = mvae_melody_from_notes(notes, n_notes, MVAE_SELECT_TRIO_BASS, num_steps, min_pitch,
                                    max_pitch, tracks->bass, error);
  if (status == MVAE_OK)
    status = mvae_drum_labels_from_notes(notes, n_notes, MVAE_SELECT_DRUMS, num_steps, encoding,
                                         tracks->drums, error);
  if (status != MVAE_OK)
    mvae_trio_tracks_free(tracks);
  return status;
}

void mvae_trio_tracks_free(mvae_trio_tracks *tracks) {
  free(tracks->melody); /* the block of all three */
  tracks->melody = tracks->bass = tracks->drums = NULL;
}

mvae_status mvae_trio_notes_to_input(const mvae_note *notes, int n_notes, int num_steps,
                                     int min_pitch, int max_pitch, mvae_drum_encoding encoding,
                                     float *input, mvae_convert_error *error) {
  mvae_status status = mvae_check_notes(notes, n_notes, error);
  if (status != MVAE_OK)
    return status;
  int melody_depth = mvae_melody_depth(min_pitch, max_pitch);
  int width = mvae_trio_input_depth(min_pitch, max_pitch);
  mvae_trio_tracks tracks;
  status = mvae_trio_tracks_from_notes(notes, n_notes, num_steps, min_pitch, max_pitch, encoding,
                                       input, &tracks, error);
  if (status != MVAE_OK)
    return status;
  status = mvae_events_to_one_hot(tracks.melody, num_steps, melody_depth, width, input, error);
  if (status == MVAE_OK)
    status = mvae_events_to_one_hot(tracks.bass, num_steps, melody_depth, width,
                                    input + melody_depth, error);
  if (status == MVAE_OK)
    status = mvae_drum_labels_to_one_hot(tracks.drums, num_steps, width, input + 2 * melody_depth,
                                         error);
  mvae_trio_tracks_free(&tracks);
  return status;
}

mvae_status mvae_trio_tokens_to_notes(const int32_t *tokens, int num_steps, int min_pitch,
                                      int max_pitch, mvae_note *notes, int max_notes, int *n_notes,
                                      mvae_convert_error *error) {
  int melody_depth = mvae_melody_depth(min_pitch, max_pitch);
  mvae_status status = mvae_check_note_buffers(tokens, num_steps, notes, max_notes, n_notes,
                                               melody_depth != 0, "bad size or pitch range", error);
  if (status != MVAE_OK)
    return status;
  *n_notes = 0;
  /* Check every token before writing any note. */
  const int track_depths[3] = {melody_depth, melody_depth, MVAE_DRUM_LABELS};
  for (int track = 0; track < 3; track++) {
    for (int t = 0; t < num_steps; t++) {
      int32_t token = tokens[(size_t)track * (size_t)num_steps + (size_t)t];
      if (token < 0 || token >= track_depths[track])
        return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "trio token outside its track's range",
                                 track * num_steps + t, token);
    }
  }

  /* TrioConverter.toNoteSequence: melody notes (instrument 0, program 0), then bass (instrument 1,
   * program 32), then drums (instrument 2, program left at 0). Each part counts the notes it needs
   * even when the buffer is full, so the total is right. */
  static const int event_programs[2] = {MVAE_TRIO_MELODY_PROGRAM, MVAE_TRIO_BASS_PROGRAM};
  static const int event_instruments[2] = {MVAE_TRIO_MELODY_INSTRUMENT, MVAE_TRIO_BASS_INSTRUMENT};
  int total = 0;
  for (int track = 0; track < 3; track++) {
    int written = total < max_notes ? total : max_notes;
    mvae_note *part = notes ? notes + written : NULL;
    int room = max_notes - written, needed = 0;
    const int32_t *part_tokens = tokens + (size_t)track * (size_t)num_steps;
    if (track < 2)
      status =
          mvae_events_to_notes(part_tokens, num_steps, min_pitch, max_pitch, event_programs[track],
                               event_instruments[track], part, room, &needed, error);
    else
      status = mvae_drum_labels_to_notes(part_tokens, num_steps, MVAE_TRIO_DRUMS_INSTRUMENT, part,
                                         room, &needed, error);
    if (status != MVAE_OK && status != MVAE_ERR_BUFFER_TOO_SMALL)
      return status;
    total += needed;
  }
  mvae_convert_clear_error(error);
  return mvae_notes_counted(total, max_notes, n_notes, error);
}
