/* MAX_POOL_2D decoder.
 * inputs : [x int8 NHWC]
 * outputs: [y int8 NHWC, same channels and quantization]
 * params : [stride_h, stride_w, filter_h, filter_w, pad_h, pad_w, act_min,
 *           act_max]   (pytool/ops/max_pool_2d.py) */
#include "odl/kernels_int8.h"
#include "odl/ops.h"

odl_status_t odl_op_max_pool_2d(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 1 || op->n_outputs != 1 || op->n_params != 8) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    if (tx->rank != 4 || ty->rank != 4) return ODL_ERR_SHAPE;
    const odl_dims4_t xd = {tx->dims[0], tx->dims[1], tx->dims[2], tx->dims[3]};
    const odl_dims4_t yd = {ty->dims[0], ty->dims[1], ty->dims[2], ty->dims[3]};
    const int32_t *q = op->params;
    const odl_pool_params_t p = {
        .stride_h = q[0], .stride_w = q[1], .filter_h = q[2], .filter_w = q[3],
        .pad_h = q[4], .pad_w = q[5], .act_min = q[6], .act_max = q[7],
    };
    if (p.stride_h <= 0 || p.stride_w <= 0 || p.filter_h <= 0 || p.filter_w <= 0) return ODL_ERR_MODEL;
    return odl_max_pool2d_s8(&p, &xd, (const int8_t *)odl_op_in(ctx, op, 0), &yd, (int8_t *)odl_op_out(ctx, op, 0));
}
