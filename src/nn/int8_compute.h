/* int8_compute.h: integer compute for int8 models (int8 weights x int16 activations). */
#ifndef MVAE_INT8_COMPUTE_H
#define MVAE_INT8_COMPUTE_H

#include "format/model.h"

/* on: requantizes every q8 matrix of the model with one scale per column into the pairs layout
 * mat_gemm's integer path reads (kernels.h, gemm_q8i); off: frees them (the float path again). */
mvae_status int8_compute_set(mvae_model *m, int on);

#endif
