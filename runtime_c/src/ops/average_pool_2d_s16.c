/* AVERAGE_POOL_2D_S16 and MAX_POOL_2D_S16 decoders: int16 NHWC in and out,
 * the int8 ops' params (pytool/ops/average_pool_2d.py). */
#include "odl/ops_ext.h"

odl_status_t odl_op_pool_s16_decode(odl_ctx_t *ctx, const odl_op_t *op, int is_max) {
    if (op->n_inputs != 1 || op->n_outputs != 1 || op->n_params != 8) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT16 || ty->dtype != ODL_DT_INT16) return ODL_ERR_UNSUPPORTED;
    odl_dims4_t xd, yd;
    if (!odl_dims4_of(tx, &xd) || !odl_dims4_of(ty, &yd)) return ODL_ERR_SHAPE;
    if (tx->bytes < odl_tensor_numel(tx) * 2 || ty->bytes < odl_tensor_numel(ty) * 2) return ODL_ERR_MODEL;
    const int32_t *q = op->params;
    const odl_pool_params_t p = {
        .stride_h = q[0], .stride_w = q[1], .filter_h = q[2], .filter_w = q[3],
        .pad_h = q[4], .pad_w = q[5], .act_min = q[6], .act_max = q[7],
    };
    if (p.stride_h <= 0 || p.stride_w <= 0 || p.filter_h <= 0 || p.filter_w <= 0) return ODL_ERR_MODEL;
    const int16_t *x = (const int16_t *)odl_op_in(ctx, op, 0);
    int16_t *y = (int16_t *)odl_op_out(ctx, op, 0);
    return is_max ? odl_max_pool2d_s16(&p, &xd, x, &yd, y) : odl_avg_pool2d_s16(&p, &xd, x, &yd, y);
}

odl_status_t odl_op_average_pool_2d_s16(odl_ctx_t *ctx, const odl_op_t *op) {
    return odl_op_pool_s16_decode(ctx, op, 0);
}
