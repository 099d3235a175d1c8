/* threads.h: splitting a call's batch rows across threads (natively; WebAssembly runs one). */
#ifndef MVAE_THREADS_H
#define MVAE_THREADS_H

#include "format/model.h"

/* Works on rows [first, first + count) of a call with `view`: the model itself, or a copy of its
 * handle with a scratch of its own (weights shared, read only). */
typedef mvae_status (*mvae_rows_job)(mvae_model *view, int first, int count, void *arg);

/* Runs job over rows [0, n) in up to model->threads contiguous parts at once, the first part on
 * the calling thread. Rows are independent, so the results do not depend on the split. Returns
 * the first failing part's status (its message copied to the model). When it splits, each part's
 * view has threads = 1 (a job may call this again for its own work only on an unsplit call). */
mvae_status mvae_run_rows(mvae_model *m, int n, mvae_rows_job job, void *arg);

/* Sets the thread count (1..MVAE_MAX_THREADS), reserving each extra thread's scratch. */
mvae_status mvae_threads_set(mvae_model *m, int threads, size_t scratch_bytes);
void mvae_threads_free(mvae_model *m);

#endif
