/* Decoders of the F32 op's larger kinds, split from runtime_c/src/ops/f32.c. */
#ifndef ODL_F32_OPS_H
#define ODL_F32_OPS_H

#include "odl/ops.h"

odl_status_t odl_f32_svdf_op(odl_ctx_t *ctx, const odl_op_t *op);
odl_status_t odl_f32_lstm_op(odl_ctx_t *ctx, const odl_op_t *op);

#endif
