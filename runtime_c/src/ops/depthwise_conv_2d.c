/* DEPTHWISE_CONV_2D decoder.
 * inputs : [x int8 NHWC, w int8 1HW(C*M), bias int32 [O] or -1,
 *           multiplier int32 [O], shift int32 [O]]
 * outputs: [y int8 NHWC]
 * params : [input_offset, output_offset, act_min, act_max, stride_h, stride_w,
 *           dilation_h, dilation_w, pad_h, pad_w, depth_multiplier]
 *          (pytool/ops/depthwise_conv_2d.py) */
#include "odl/kernels_int8.h"
#include "odl/kernels_s8w16.h"
#include "odl/ops.h"

odl_status_t odl_op_depthwise_conv_2d(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 5 || op->n_outputs != 1 || op->n_params != 11) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *tw = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *tb = odl_op_in_info(ctx, op, 2), *tm = odl_op_in_info(ctx, op, 3);
    const odl_tensor_t *ts = odl_op_in_info(ctx, op, 4), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !tw || !tm || !ts || !ty) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT8 || (tw->dtype != ODL_DT_INT8 && tw->dtype != ODL_DT_INT16) ||
        ty->dtype != ODL_DT_INT8)
        return ODL_ERR_UNSUPPORTED;
    odl_dims4_t xd, wd, yd;
    if (!odl_dims4_of(tx, &xd) || !odl_dims4_of(tw, &wd) || !odl_dims4_of(ty, &yd)) return ODL_ERR_SHAPE;
    if (!odl_is_i32_vector(tm, yd.c) || !odl_is_i32_vector(ts, yd.c) || (tb && !odl_is_i32_vector(tb, yd.c)))
        return ODL_ERR_SHAPE;
    const int32_t *q = op->params;
    const odl_conv_params_t p = {
        .input_offset = q[0], .output_offset = q[1], .act_min = q[2], .act_max = q[3],
        .stride_h = q[4], .stride_w = q[5], .dilation_h = q[6], .dilation_w = q[7],
        .pad_h = q[8], .pad_w = q[9], .depth_multiplier = q[10],
    };
    if (p.stride_h <= 0 || p.stride_w <= 0 || p.dilation_h <= 0 || p.dilation_w <= 0 ||
        p.depth_multiplier <= 0)
        return ODL_ERR_MODEL;
    /* Trainable layers hold int16 weights in RAM. */
    if (tw->dtype == ODL_DT_INT16)
        return odl_depthwise_conv2d_s8w16(&p, (const int32_t *)odl_op_in(ctx, op, 3), (const int32_t *)odl_op_in(ctx, op, 4),
                             &xd, (const int8_t *)odl_op_in(ctx, op, 0), &wd, (const int16_t *)odl_op_in(ctx, op, 1),
                             tb ? (const int32_t *)odl_op_in(ctx, op, 2) : 0, &yd, (int8_t *)odl_op_out(ctx, op, 0));
    return odl_depthwise_conv2d_s8(&p, (const int32_t *)odl_op_in(ctx, op, 3), (const int32_t *)odl_op_in(ctx, op, 4),
                         &xd, (const int8_t *)odl_op_in(ctx, op, 0), &wd, (const int8_t *)odl_op_in(ctx, op, 1),
                         tb ? (const int32_t *)odl_op_in(ctx, op, 2) : 0, &yd, (int8_t *)odl_op_out(ctx, op, 0));
}
