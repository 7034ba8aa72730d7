/* CONV_2D_S16 and DEPTHWISE_CONV_2D_S16 decoders (16x8, pytool/ops/conv_s16.py).
 * inputs : [x int16 NHWC, w int8, bias int64 | int32 [O] or -1, multiplier int32 [O], shift int32 [O]]
 * outputs: [y int16 NHWC]
 * params : the int8 ops' (input/output offsets unused, 0), depthwise adds depth_multiplier */
#include "odl/ops_ext.h"

odl_status_t odl_op_conv_s16_decode(odl_ctx_t *ctx, const odl_op_t *op, int depthwise) {
    if (op->n_inputs != 5 || op->n_outputs != 1 || op->n_params != 10 + depthwise) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *tw = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *tb = odl_op_in_info(ctx, op, 2), *tm = odl_op_in_info(ctx, op, 3);
    const odl_tensor_t *ts = odl_op_in_info(ctx, op, 4), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !tw || !tm || !ts || !ty) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT16 || tw->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT16) return ODL_ERR_UNSUPPORTED;
    odl_dims4_t xd, wd, yd;
    if (!odl_dims4_of(tx, &xd) || !odl_dims4_of(tw, &wd) || !odl_dims4_of(ty, &yd)) return ODL_ERR_SHAPE;
    if (!odl_is_i32_vector(tm, yd.c) || !odl_is_i32_vector(ts, yd.c)) return ODL_ERR_SHAPE;
    if (tb && odl_tensor_numel(tb) != yd.c) return ODL_ERR_SHAPE;
    if (tb && tb->dtype != ODL_DT_INT64 && (depthwise || tb->dtype != ODL_DT_INT32)) return ODL_ERR_UNSUPPORTED;
    if (tx->bytes < odl_tensor_numel(tx) * 2 || ty->bytes < odl_tensor_numel(ty) * 2) return ODL_ERR_MODEL;
    const int32_t *q = op->params;
    const odl_conv_params_t p = {
        .input_offset = 0, .output_offset = 0, .act_min = q[2], .act_max = q[3],
        .stride_h = q[4], .stride_w = q[5], .dilation_h = q[6], .dilation_w = q[7],
        .pad_h = q[8], .pad_w = q[9], .depth_multiplier = depthwise ? q[10] : 1,
    };
    if (p.stride_h <= 0 || p.stride_w <= 0 || p.dilation_h <= 0 || p.dilation_w <= 0) return ODL_ERR_MODEL;
    const void *b = tb ? odl_op_in(ctx, op, 2) : 0;
    const int64_t *b64 = tb && tb->dtype == ODL_DT_INT64 ? (const int64_t *)b : 0;
    const int32_t *b32 = tb && tb->dtype == ODL_DT_INT32 ? (const int32_t *)b : 0;
    const int32_t *mult = (const int32_t *)odl_op_in(ctx, op, 3), *shift = (const int32_t *)odl_op_in(ctx, op, 4);
    const int16_t *x = (const int16_t *)odl_op_in(ctx, op, 0);
    const int8_t *w = (const int8_t *)odl_op_in(ctx, op, 1);
    int16_t *y = (int16_t *)odl_op_out(ctx, op, 0);
    if (depthwise) return odl_depthwise_conv2d_s16(&p, mult, shift, &xd, x, &wd, w, b64, &yd, y);
    return odl_conv2d_s16(&p, mult, shift, &xd, x, &wd, w, b64, b32, &yd, y);
}

odl_status_t odl_op_conv_2d_s16(odl_ctx_t *ctx, const odl_op_t *op) { return odl_op_conv_s16_decode(ctx, op, 0); }
