/* threads.c: a call's rows split across threads. Every batch row of the forward passes is computed
 * on its own (a row's bits do not depend on the rows beside it, tests/test_reference.c checks), and
 * each row samples from its own random stream, so any split gives the same results as one thread.
 * Threads are started per call (a call is milliseconds; starting one is microseconds) and each
 * extra one works on a copy of the model handle with its own scratch, reserved once when the
 * count is set. While a call is split, every part sees threads = 1, so a pass that can split its
 * own work (the encoder's two directions, at batch 1) does so only when the rows were not. */
#include "api/threads.h"

#include "api/errors.h"

#include <stdlib.h>
#include <string.h>

#if defined(MVAE_HAVE_THREADS)
#include <pthread.h>
#endif

typedef struct part {
  mvae_model view;
  int first, count;
  mvae_rows_job job;
  void *arg;
  mvae_status status;
} part;

#if defined(MVAE_HAVE_THREADS)
static void *run_part(void *p) {
  part *w = p;
  w->status = w->job(&w->view, w->first, w->count, w->arg);
  return NULL;
}
#endif

mvae_status mvae_run_rows(mvae_model *m, int n, mvae_rows_job job, void *arg) {
  int parts = m->threads < n ? m->threads : n;
#if defined(MVAE_HAVE_THREADS)
  if (parts > 1) {
    part *w = malloc(sizeof *w * (size_t)(parts - 1));
    pthread_t *ids = malloc(sizeof *ids * (size_t)(parts - 1));
    int started = 0;
    if (w && ids) {
      for (int k = 1; k < parts; k++) {
        part *p = &w[k - 1];
        memcpy(&p->view, m, sizeof *m);
        p->view.scratch = m->worker_scratch[k - 1];
        p->view.threads = 1; /* a part runs on one thread: nothing inside it splits again */
        p->first = (int)((int64_t)n * k / parts);
        p->count = (int)((int64_t)n * (k + 1) / parts) - p->first;
        p->job = job;
        p->arg = arg;
        p->status = MVAE_ERR_OUT_OF_MEMORY;
        if (pthread_create(&ids[k - 1], NULL, run_part, p) != 0)
          break;
        started++;
      }
    }
    /* Rows no thread took (none could start): done here after the first part. */
    int own = (int)((int64_t)n * 1 / parts);
    int rest_first = (int)((int64_t)n * (started + 1) / parts);
    const int threads = m->threads;
    m->threads = 1;
    mvae_status status = job(m, 0, own, arg);
    if (status == MVAE_OK && rest_first < n)
      status = job(m, rest_first, n - rest_first, arg);
    m->threads = threads;
    for (int k = 0; k < started; k++) {
      pthread_join(ids[k], NULL);
      m->worker_scratch[k] = w[k].view.scratch; /* a pass may have grown it */
      if (status == MVAE_OK && w[k].status != MVAE_OK) {
        status = w[k].status;
        mvae_fail(m, status, "%s", w[k].view.last_error);
      }
    }
    free(w);
    free(ids);
    return status;
  }
#endif
  (void)parts;
  return job(m, 0, n, arg);
}

mvae_status mvae_threads_set(mvae_model *m, int threads, size_t scratch_bytes) {
  if (threads < 1 || threads > MVAE_MAX_THREADS)
    return mvae_fail(m, MVAE_ERR_INVALID_ARGUMENT, "threads %d is not in 1..%d", threads,
                     MVAE_MAX_THREADS);
#if !defined(MVAE_HAVE_THREADS)
  if (threads > 1)
    return mvae_fail(m, MVAE_ERR_UNSUPPORTED, "this build runs one thread");
#endif
  mvae_arena *arenas = NULL;
  if (threads > 1) {
    arenas = calloc((size_t)(threads - 1), sizeof *arenas);
    for (int k = 0; arenas && k < threads - 1; k++)
      if (!mvae_arena_reserve(&arenas[k], scratch_bytes)) {
        for (int j = 0; j <= k; j++)
          mvae_arena_free(&arenas[j]);
        free(arenas);
        arenas = NULL;
      }
    if (!arenas)
      return mvae_fail(m, MVAE_ERR_OUT_OF_MEMORY, "out of memory for the scratch of %d threads",
                       threads);
  }
  mvae_threads_free(m);
  m->worker_scratch = arenas;
  m->threads = threads;
  return MVAE_OK;
}

void mvae_threads_free(mvae_model *m) {
  for (int k = 0; m->worker_scratch && k < m->threads - 1; k++)
    mvae_arena_free(&m->worker_scratch[k]);
  free(m->worker_scratch);
  m->worker_scratch = NULL;
  m->threads = 1;
}
