/* MAX_POOL_2D_S16 decoder: AVERAGE_POOL_2D_S16's (average_pool_2d_s16.c). */
#include "odl/ops_ext.h"

odl_status_t odl_op_max_pool_2d_s16(odl_ctx_t *ctx, const odl_op_t *op) { return odl_op_pool_s16_decode(ctx, op, 1); }
