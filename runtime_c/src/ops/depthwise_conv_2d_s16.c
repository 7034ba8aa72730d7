/* DEPTHWISE_CONV_2D_S16 decoder: the shared 16x8 conv decoder of
 * conv_2d_s16.c (params end with depth_multiplier; the bias must be int64). */
#include "odl/ops_ext.h"

odl_status_t odl_op_depthwise_conv_2d_s16(odl_ctx_t *ctx, const odl_op_t *op) {
    return odl_op_conv_s16_decode(ctx, op, 1);
}
