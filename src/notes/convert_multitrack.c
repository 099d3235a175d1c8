/* convert_multitrack.c: the multitrack converter (magenta.js's MultitrackConverter and
 * Performance), notes <-> performance-event tokens. See convert_multitrack.h for the token layout.
 */
#include "notes/convert_multitrack.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { EV_NOTE_ON, EV_NOTE_OFF, EV_SHIFT, EV_VELOCITY };
/* The velocity bin of a note without a velocity: NaN in magenta.js. */
#define BIN_NAN INT_MIN
/* V8's Array.prototype.sort sorts arrays shorter than this by binary insertion (one run). */
#define V8_SHORT_SORT 64

typedef struct event {
  int type, value; /* pitch, steps or velocity bin */
} event;

typedef struct events {
  event *e;
  int n, cap;
} events;

static int segment_steps(const mvae_multitrack_params *p) {
  return p->num_steps / p->num_segments;
}

static int num_pitches(const mvae_multitrack_params *p) {
  return p->max_pitch - p->min_pitch + 1;
}

/* magenta.js's performanceEventDepth: where the program tokens start. */
static int event_depth(const mvae_multitrack_params *p) {
  return mvs_multitrack_events(num_pitches(p), p->total_steps, p->velocity_bins);
}

mvae_multitrack_params mvae_multitrack_params_of(const mvae_info *info) {
  return (mvae_multitrack_params){info->num_steps,     info->num_segments, info->total_steps,
                                  info->velocity_bins, info->min_pitch,    info->max_pitch};
}

int mvae_multitrack_depth(const mvae_multitrack_params *p) {
  if (!p || p->num_segments < 1 || !mvae_num_steps_ok(p->num_steps) ||
      p->num_steps % p->num_segments != 0 || segment_steps(p) < 2 ||
      !mvae_num_steps_ok(p->total_steps) || p->velocity_bins < 0 || p->velocity_bins > 127 ||
      p->min_pitch < 0 || p->max_pitch > 127 || p->min_pitch > p->max_pitch)
    return 0;
  /* The top bin's velocity, (bins - 1) * ceil(127 / bins) + 1, must be a MIDI velocity (it is not
   * for 14 bins, say: 131). */
  if (p->velocity_bins &&
      (p->velocity_bins - 1) * ((127 + p->velocity_bins - 1) / p->velocity_bins) + 1 > 127)
    return 0;
  return mvs_multitrack_depth(event_depth(p), MVAE_MULTITRACK_PROGRAMS);
}

int mvae_multitrack_end_token(const mvae_multitrack_params *p) {
  int depth = mvae_multitrack_depth(p);
  return depth ? depth - 1 : -1;
}

/* ---- Sorting as V8 does ------------------------------------------------------------------- */

/* A comparator as JavaScript's: negative, zero or positive (NaN is read as 0, as the spec says). */
typedef int (*compare_fn)(int a, int b, const void *ctx);

/* V8's sort of a short array (ArrayTimSort with one run): the leading run (reversed if strictly
 * descending), then binary insertion of the rest. With a comparator that is not a consistent order
 * this is the only way to get V8's result. */
static void v8_short_sort(int *a, int n, compare_fn cmp, const void *ctx) {
  if (n < 2)
    return;
  int run = 2;
  int descending = cmp(a[1], a[0], ctx) < 0;
  for (int i = 2; i < n; i++) {
    int order = cmp(a[i], a[i - 1], ctx);
    if (descending ? order >= 0 : order < 0)
      break;
    run++;
  }
  if (descending)
    for (int lo = 0, hi = run - 1; lo < hi; lo++, hi--) {
      int t = a[lo];
      a[lo] = a[hi];
      a[hi] = t;
    }
  for (int start = run; start < n; start++) {
    int pivot = a[start], left = 0, right = start;
    while (left < right) {
      int mid = left + ((right - left) >> 1);
      if (cmp(pivot, a[mid], ctx) < 0)
        right = mid;
      else
        left = mid + 1;
    }
    memmove(a + left + 1, a + left, sizeof(int) * (size_t)(start - left));
    a[left] = pivot;
  }
}

/* A stable merge sort: V8's result for longer arrays whenever the comparator is a consistent
 * order. tmp holds n ints. */
static void merge_sort(int *a, int *tmp, int n, compare_fn cmp, const void *ctx) {
  for (int width = 1; width < n; width *= 2) {
    for (int lo = 0; lo < n; lo += 2 * width) {
      int mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      int i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        tmp[k++] = cmp(a[j], a[i], ctx) < 0 ? a[j++] : a[i++];
      while (i < mid)
        tmp[k++] = a[i++];
      while (j < hi)
        tmp[k++] = a[j++];
    }
    memcpy(a, tmp, sizeof(int) * (size_t)n);
  }
}

static void v8_sort(int *a, int *tmp, int n, compare_fn cmp, const void *ctx) {
  if (n < V8_SHORT_SORT)
    v8_short_sort(a, n, cmp, ctx);
  else
    merge_sort(a, tmp, n, cmp, ctx);
}

/* ---- Performance.setNumSteps ----------------------------------------------------------------- */

static int push(events *ev, int type, int value) {
  if (ev->n == ev->cap)
    return 0;
  ev->e[ev->n++] = (event){type, value};
  return 1;
}

static long long shift_total(const events *ev) {
  long long total = 0;
  for (int i = 0; i < ev->n; i++)
    if (ev->e[i].type == EV_SHIFT)
      total += ev->e[i].value;
  return total;
}

/* Pads with time shifts (the last one first, up to max_shift) or cuts from the end (events after
 * the cut go, the shift across it is shortened) until the shifts add up to num_steps. Padding to
 * num_steps <= max_shift pushes at most one shift: the caller leaves room for it. */
static void set_num_steps(events *ev, long long num_steps, int max_shift) {
  long long current = shift_total(ev);
  if (current < num_steps) {
    if (ev->n && ev->e[ev->n - 1].type == EV_SHIFT) {
      event *last = &ev->e[ev->n - 1];
      long long add = num_steps - current < max_shift - last->value ? num_steps - current
                                                                    : max_shift - last->value;
      last->value += (int)add;
      current += add;
    }
    while (current < num_steps) {
      long long step = current + max_shift > num_steps ? num_steps - current : max_shift;
      if (!push(ev, EV_SHIFT, (int)step))
        return; /* cannot happen within the caller's room */
      current += step;
    }
  } else {
    while (ev->n && current > num_steps) {
      event *last = &ev->e[ev->n - 1];
      if (last->type != EV_SHIFT) {
        ev->n--;
      } else if (current - last->value < num_steps) {
        last->value -= (int)(current - num_steps);
        current = num_steps;
      } else {
        current -= last->value;
        ev->n--;
      }
    }
  }
}

/* ---- Notes -> tokens ------------------------------------------------------------------------- */

typedef struct track {
  int instrument;
  int first, count; /* its notes: order[first .. first + count) */
  int is_drum;      /* 0, 1, or 2: some notes are drums and some not (magenta.js: undefined) */
  int program;      /* -1: none (drums, or several programs; magenta.js: undefined) */
} track;

typedef struct note_order {
  const mvae_note *notes;
  const double *start_times;
} note_order;

/* Performance.fromNoteSequence's order: startTime, then pitch when the times are === (two absent
 * times are; an absent and a present one compare as NaN, that is as equal). */
static int compare_notes(int a, int b, const void *ctx) {
  const note_order *o = ctx;
  double ta = o->start_times ? o->start_times[a] : NAN,
         tb = o->start_times ? o->start_times[b] : NAN;
  if ((isnan(ta) && isnan(tb)) || ta == tb)
    return o->notes[a].pitch - o->notes[b].pitch;
  if (isnan(ta) || isnan(tb))
    return 0;
  return ta < tb ? -1 : 1;
}

/* MultitrackConverter.toTensor's track order: (a, b) => b.isDrum ? -1 : a.isDrum ? 1 :
 * a.program - b.program (an undefined program gives NaN: 0). */
static int compare_tracks(int a, int b, const void *ctx) {
  const track *t = ctx;
  if (t[b].is_drum == 1)
    return -1;
  if (t[a].is_drum == 1)
    return 1;
  if (t[a].program < 0 || t[b].program < 0)
    return 0;
  return t[a].program - t[b].program;
}

/* One onset or offset: magenta.js orders them by step, then note index, onsets first. */
typedef struct note_edge {
  int step, index, is_offset;
} note_edge;

static int compare_edges(const void *x, const void *y) {
  const note_edge *a = x, *b = y;
  if (a->step != b->step)
    return a->step < b->step ? -1 : 1;
  if (a->index != b->index)
    return a->index < b->index ? -1 : 1;
  return a->is_offset - b->is_offset;
}

/* Performance.fromNoteSequence of one track's sorted notes, keeping only what can survive the
 * cut to `limit` steps (what lies past it is cut anyway, so it is not made). */
static void track_events(const mvae_note *notes, const int *sorted, int count,
                         const unsigned char *no_velocity, const mvae_multitrack_params *p,
                         long long limit, note_edge *edges, events *ev) {
  for (int i = 0; i < count; i++) {
    edges[2 * i] = (note_edge){notes[sorted[i]].start_step, i, 0};
    edges[2 * i + 1] = (note_edge){notes[sorted[i]].end_step, i, 1};
  }
  qsort(edges, 2 * (size_t)count, sizeof *edges, compare_edges);
  int bin_size = p->velocity_bins ? (127 + p->velocity_bins - 1) / p->velocity_bins : 0;
  int current_bin = p->velocity_bins;
  long long current = 0;
  ev->n = 0;
  for (int k = 0; k < 2 * count; k++) {
    const note_edge *e = &edges[k];
    if (e->step > current) {
      while (e->step > current + p->total_steps) {
        push(ev, EV_SHIFT, p->total_steps);
        current += p->total_steps;
        if (current > limit)
          return;
      }
      push(ev, EV_SHIFT, (int)(e->step - current));
      current = e->step;
      if (current > limit)
        return;
    }
    const mvae_note *note = &notes[sorted[e->index]];
    if (e->is_offset) {
      push(ev, EV_NOTE_OFF, note->pitch);
      continue;
    }
    if (bin_size) {
      /* floor((velocity - 1) / size) + 1: velocity 0 gives bin 0, whose token is the longest time
       * shift's (magenta.js does not check); no velocity gives NaN, never equal to the last bin. */
      int bin = no_velocity && no_velocity[sorted[e->index]] ? BIN_NAN
                : note->velocity == 0                        ? 0
                                                             : (note->velocity - 1) / bin_size + 1;
      if (bin == BIN_NAN || bin != current_bin) {
        push(ev, EV_VELOCITY, bin);
        current_bin = bin;
      }
    }
    push(ev, EV_NOTE_ON, note->pitch);
  }
}

static int32_t event_token(const event *e, const mvae_multitrack_params *p) {
  int pitches = num_pitches(p);
  switch (e->type) {
  case EV_NOTE_ON:
    return e->value - p->min_pitch;
  case EV_NOTE_OFF:
    return pitches + e->value - p->min_pitch;
  case EV_SHIFT:
    return 2 * pitches + e->value - 1;
  default: /* a NaN bin makes a NaN token, which the int32 tensor stores as 0 */
    return e->value == BIN_NAN ? 0 : 2 * pitches + p->total_steps + e->value - 1;
  }
}

mvae_status mvae_multitrack_notes_to_tokens(const mvae_note *notes, int n_notes,
                                            const mvae_sequence_timing *timing,
                                            const mvae_multitrack_params *p, int32_t *tokens,
                                            mvae_convert_error *error) {
  const double *start_times = timing ? timing->start_times : NULL;
  const unsigned char *no_velocity = timing ? timing->no_velocity : NULL;
  int total_quantized_steps = timing ? timing->total_quantized_steps : -1;
  mvae_status status = mvae_check_notes(notes, n_notes, error);
  if (status != MVAE_OK)
    return status;
  int depth = mvae_multitrack_depth(p);
  if (!tokens || depth == 0)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "bad multitrack parameters", -1, 0);

  /* Scratch: the notes of each track in order, edges and events of one track. */
  size_t n = (size_t)n_notes;
  int *order = malloc(sizeof(int) * (2 * n + 1));
  note_edge *edges = malloc(sizeof *edges * (2 * n + 1));
  event *event_buf = malloc(sizeof *event_buf * (6 * n + 8));
  if (!order || !edges || !event_buf) {
    free(order);
    free(edges);
    free(event_buf);
    return mvae_convert_fail(error, MVAE_ERR_OUT_OF_MEMORY, "no memory for the tracks", -1,
                             n_notes);
  }
  int *tmp = order + n;

  /* One track per instrument of the notes in the pitch range, in order of first appearance. */
  track tracks[MVAE_MULTITRACK_MAX_INSTRUMENTS];
  int n_tracks = 0, placed = 0;
  for (int i = 0; i < n_notes; i++) {
    const mvae_note *note = &notes[i];
    if (note->pitch < p->min_pitch || note->pitch > p->max_pitch)
      continue;
    int t = 0;
    while (t < n_tracks && tracks[t].instrument != note->instrument)
      t++;
    if (t == n_tracks) {
      if (n_tracks == MVAE_MULTITRACK_MAX_INSTRUMENTS) {
        free(order);
        free(edges);
        free(event_buf);
        return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT,
                                 "more than 63 instruments (magenta.js's track order is not "
                                 "reproduced for more)",
                                 i, note->instrument);
      }
      tracks[n_tracks++] = (track){note->instrument, 0, 0, note->is_drum, note->program};
    }
    track *tr = &tracks[t];
    tr->count++;
    if (tr->is_drum != note->is_drum)
      tr->is_drum = 2;
    if (tr->program != note->program)
      tr->program = -1;
  }
  for (int t = 0; t < n_tracks; t++) {
    tracks[t].first = placed;
    placed += tracks[t].count;
    tracks[t].count = 0;
    /* magenta.js: a program only for a track that is not all drums and has one program. */
    if (tracks[t].is_drum == 1)
      tracks[t].program = -1;
  }
  for (int i = 0; i < n_notes; i++) {
    if (notes[i].pitch < p->min_pitch || notes[i].pitch > p->max_pitch)
      continue;
    int t = 0;
    while (tracks[t].instrument != notes[i].instrument)
      t++;
    order[tracks[t].first + tracks[t].count++] = i;
  }
  note_order note_ctx = {notes, start_times};
  int track_order[MVAE_MULTITRACK_MAX_INSTRUMENTS];
  for (int t = 0; t < n_tracks; t++) {
    v8_sort(order + tracks[t].first, tmp, tracks[t].count, compare_notes, &note_ctx);
    track_order[t] = t;
  }
  v8_short_sort(track_order, n_tracks, compare_tracks, tracks);

  /* A cut to totalQuantizedSteps (magenta.js's clone makes an absent one 0; -1 here: none) and
   * then to total_steps is the same as one cut to the smaller followed by padding to total_steps;
   * padding beyond total_steps and cutting back is no cut at all. */
  long long limit = total_quantized_steps >= 0 && total_quantized_steps < p->total_steps
                        ? total_quantized_steps
                        : p->total_steps;
  int seg = segment_steps(p), end_token = depth - 1, program_token = event_depth(p);
  for (int u = 0; u < p->num_segments; u++) {
    int32_t *out = tokens + (size_t)u * seg;
    for (int k = 0; k < seg; k++)
      out[k] = MVAE_MULTITRACK_PAD;
    if (u >= n_tracks) {
      out[0] = end_token;
      continue;
    }
    const track *tr = &tracks[track_order[u]];
    events ev = {event_buf, 0, (int)(6 * (size_t)tr->count + 8)};
    track_events(notes, order + tr->first, tr->count, no_velocity, p, limit, edges, &ev);
    set_num_steps(&ev, limit, p->total_steps);
    set_num_steps(&ev, p->total_steps, p->total_steps);
    if (ev.n > seg - 2)
      ev.n = seg - 2;
    /* An undefined program (several programs, or drums mixed with other notes) makes a NaN token:
     * 0 in the int32 tensor. */
    out[0] = tr->is_drum == 1  ? program_token + MVAE_MULTITRACK_PROGRAMS - 1
             : tr->program < 0 ? 0
                               : program_token + tr->program;
    for (int k = 0; k < ev.n; k++)
      out[1 + k] = event_token(&ev.e[k], p);
    out[1 + ev.n] = end_token;
  }
  free(order);
  free(edges);
  free(event_buf);
  return MVAE_OK;
}

mvae_status mvae_multitrack_tokens_to_input(const int32_t *tokens, const mvae_multitrack_params *p,
                                            int row_stride, float *out, mvae_convert_error *error) {
  mvae_convert_clear_error(error);
  int depth = mvae_multitrack_depth(p);
  if (!tokens || !out || depth == 0 || row_stride < depth)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "bad buffers or parameters", -1,
                             row_stride);
  for (int t = 0; t < p->num_steps; t++) {
    if (tokens[t] < MVAE_MULTITRACK_PAD || tokens[t] >= depth)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "multitrack token outside its range", t,
                               tokens[t]);
    float *row = out + (size_t)t * row_stride;
    memset(row, 0, sizeof(float) * (size_t)depth);
    if (tokens[t] != MVAE_MULTITRACK_PAD)
      row[tokens[t]] = 1.0f;
  }
  return MVAE_OK;
}

mvae_status mvae_multitrack_segment_lengths(const float *input, int row_stride,
                                            const mvae_multitrack_params *p, int *lengths,
                                            mvae_convert_error *error) {
  mvae_convert_clear_error(error);
  int depth = mvae_multitrack_depth(p);
  if (!input || !lengths || depth == 0 || row_stride < depth)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "bad buffers or parameters", -1,
                             row_stride);
  int seg = segment_steps(p), end_token = depth - 1;
  for (int u = 0; u < p->num_segments; u++) {
    lengths[u] = 0;
    for (int k = 0; k < seg && !lengths[u]; k++) {
      const float *row = input + ((size_t)u * seg + k) * row_stride;
      int is_end = row[end_token] == 1.0f;
      for (int c = 0; c < end_token && is_end; c++)
        is_end = row[c] == 0.0f;
      if (is_end)
        lengths[u] = k + 1;
    }
    if (!lengths[u])
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT,
                               "a multitrack input segment has no end token (each track of "
                               "num_steps / num_segments steps must end with one)",
                               u, seg);
  }
  return MVAE_OK;
}

/* ---- Tokens -> notes ------------------------------------------------------------------------- */

/* A note-on waiting for its note-off; open notes of one pitch form a queue (next, by index). */
typedef struct open_note {
  int start, velocity, next;
} open_note;

typedef struct note_writer {
  mvae_note *notes;
  int max_notes, count;
} note_writer;

static void write_note(note_writer *w, int pitch, int velocity, int start, int end, int program,
                       int is_drum, int instrument) {
  if (w->count < w->max_notes)
    w->notes[w->count] = (mvae_note){pitch, velocity, start, end, program, is_drum, instrument};
  w->count++;
}

/* Performance.toNoteSequence of one track. open: room for ev->n notes. */
static void track_notes(const events *ev, const mvae_multitrack_params *p, int program, int is_drum,
                        int instrument, open_note *open, note_writer *w) {
  int bin_size = p->velocity_bins ? (127 + p->velocity_bins - 1) / p->velocity_bins : 0;
  int head[128], tail[128], n_open = 0, velocity = MVAE_DECODED_VELOCITY;
  long long current = 0;
  for (int i = 0; i < 128; i++)
    head[i] = tail[i] = -1;
  for (int i = 0; i < ev->n; i++) {
    const event *e = &ev->e[i];
    if (e->type == EV_SHIFT) {
      current += e->value;
    } else if (e->type == EV_VELOCITY) {
      velocity = (e->value - 1) * bin_size + 1;
    } else if (e->type == EV_NOTE_ON) {
      open[n_open] = (open_note){(int)current, velocity, -1};
      if (tail[e->value] >= 0)
        open[tail[e->value]].next = n_open;
      else
        head[e->value] = n_open;
      tail[e->value] = n_open++;
    } else if (head[e->value] >= 0) { /* a note-off without a note-on is ignored */
      const open_note *o = &open[head[e->value]];
      head[e->value] = o->next;
      if (head[e->value] < 0)
        tail[e->value] = -1;
      if (current > o->start) /* empty notes are dropped */
        write_note(w, e->value, o->velocity, o->start, (int)current, program, is_drum, instrument);
    }
  }
  for (int pitch = 0; pitch < 128; pitch++)
    for (int k = head[pitch]; k >= 0; k = open[k].next)
      if (current > open[k].start)
        write_note(w, pitch, open[k].velocity, open[k].start, (int)current, program, is_drum,
                   instrument);
}

mvae_status mvae_multitrack_tokens_to_notes(const int32_t *tokens, const mvae_multitrack_params *p,
                                            mvae_note *notes, int max_notes, int *n_notes,
                                            mvae_convert_error *error) {
  mvae_convert_clear_error(error);
  int depth = mvae_multitrack_depth(p);
  if (!tokens || !n_notes || max_notes < 0 || (max_notes > 0 && !notes) || depth == 0)
    return mvae_convert_fail(error, MVAE_ERR_INVALID_ARGUMENT, "bad buffers or parameters", -1,
                             max_notes);
  *n_notes = 0;
  for (int t = 0; t < p->num_steps; t++)
    if (tokens[t] < 0 || tokens[t] >= depth)
      return mvae_convert_fail(error, MVAE_ERR_BAD_INPUT, "multitrack token outside its range", t,
                               tokens[t]);
  int seg = segment_steps(p), end_token = depth - 1, program_token = event_depth(p);
  int pitches = num_pitches(p);
  event *buf = malloc(sizeof *buf * ((size_t)seg + 2));
  open_note *open = malloc(sizeof *open * ((size_t)seg + 2));
  if (!buf || !open) {
    free(buf);
    free(open);
    return mvae_convert_fail(error, MVAE_ERR_OUT_OF_MEMORY, "no memory for a track", -1, seg);
  }
  note_writer w = {notes, max_notes, 0};
  for (int u = 0; u < p->num_segments; u++) {
    const int32_t *in = tokens + (size_t)u * seg;
    events ev = {buf, 0, seg + 2};
    int program = 0, is_drum = 0, have_program = 0;
    for (int k = 0; k < seg && in[k] != end_token; k++) {
      int32_t token = in[k];
      if (token >= program_token) {
        if (!have_program) { /* the first program token decides */
          have_program = 1;
          is_drum = token - program_token == MVAE_MULTITRACK_PROGRAMS - 1;
          program = is_drum ? 0 : token - program_token;
        }
      } else if (token < pitches) {
        push(&ev, EV_NOTE_ON, p->min_pitch + token);
      } else if (token < 2 * pitches) {
        push(&ev, EV_NOTE_OFF, p->min_pitch + token - pitches);
      } else if (token < 2 * pitches + p->total_steps) {
        push(&ev, EV_SHIFT, token - 2 * pitches + 1);
      } else {
        push(&ev, EV_VELOCITY, token - 2 * pitches - p->total_steps + 1);
      }
    }
    set_num_steps(&ev, p->total_steps, p->total_steps);
    track_notes(&ev, p, program, is_drum, u, open, &w);
  }
  free(buf);
  free(open);
  *n_notes = w.count;
  return w.count > max_notes ? MVAE_ERR_BUFFER_TOO_SMALL : MVAE_OK;
}
