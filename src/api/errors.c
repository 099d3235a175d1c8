/* errors.c: last-error messages and status names. */
#include "api/errors.h"

#include "format/model.h"

#include <stdio.h>

static void format_into(char *buf, size_t size, const char *fmt, va_list args) {
  if (!buf || size == 0)
    return;
  vsnprintf(buf, size, fmt, args);
}

mvae_status mvae_fail(mvae_model *model, mvae_status status, const char *fmt, ...) {
  if (model) {
    va_list args;
    va_start(args, fmt);
    format_into(model->last_error, sizeof model->last_error, fmt, args);
    va_end(args);
  }
  return status;
}

void mvae_clear_error(mvae_model *model) {
  if (model)
    model->last_error[0] = '\0';
}

mvae_status mvae_format_error(char *err, size_t size, mvae_status status, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  format_into(err, size, fmt, args);
  va_end(args);
  return status;
}

const char *mvae_last_error(const mvae_model *model) {
  return model ? model->last_error : "no model (NULL handle)";
}

const char *mvae_status_string(mvae_status status) {
  switch (status) {
  case MVAE_OK:
    return "ok";
  case MVAE_ERR_INVALID_ARGUMENT:
    return "invalid argument";
  case MVAE_ERR_BAD_MODEL:
    return "bad model file";
  case MVAE_ERR_UNSUPPORTED:
    return "unsupported model";
  case MVAE_ERR_NO_ENCODER:
    return "model has no encoder";
  case MVAE_ERR_OUT_OF_MEMORY:
    return "out of memory";
  case MVAE_ERR_BAD_INPUT:
    return "bad input";
  case MVAE_ERR_BUFFER_TOO_SMALL:
    return "buffer too small";
  }
  return "unknown status";
}
