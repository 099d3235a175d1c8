/* errors.h: recording the last error of a model handle. */
#ifndef MVAE_ERRORS_H
#define MVAE_ERRORS_H

#include "musicvae.h"

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define MVAE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MVAE_PRINTF(a, b)
#endif

/* Stores a formatted message as the model's last error and returns `status`, so a caller can write
 * `return mvae_fail(m, MVAE_ERR_BAD_INPUT, "pitch %d out of range", p);`. model may be NULL. */
mvae_status mvae_fail(mvae_model *model, mvae_status status, const char *fmt, ...)
    MVAE_PRINTF(3, 4);
/* Clears the last error (called at the start of each API call). */
void mvae_clear_error(mvae_model *model);

/* Formats into a caller's buffer (err may be NULL, size 0); returns status. */
mvae_status mvae_format_error(char *err, size_t size, mvae_status status, const char *fmt, ...)
    MVAE_PRINTF(4, 5);

#endif
