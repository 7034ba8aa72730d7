/* TRANSPOSE_CONV decoder (pytool/ops/transpose_conv.py).
 * inputs : [x int8|int16 NHWC, w int8 OHWI, bias int32 (int8) | int64 (int16) [O] or -1,
 *           multiplier int32 [O], shift int32 [O]]
 * outputs: [y, x's dtype]
 * params : [input_offset, output_offset, act_min, act_max, stride_h, stride_w, pad_h, pad_w] */
#include "odl/ops_ext.h"

odl_status_t odl_op_transpose_conv(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 5 || op->n_outputs != 1 || op->n_params != 8) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *tw = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *tb = odl_op_in_info(ctx, op, 2), *tm = odl_op_in_info(ctx, op, 3);
    const odl_tensor_t *ts = odl_op_in_info(ctx, op, 4), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !tw || !tm || !ts || !ty) return ODL_ERR_MODEL;
    const int s16 = tx->dtype == ODL_DT_INT16;
    if ((tx->dtype != ODL_DT_INT8 && !s16) || ty->dtype != tx->dtype || tw->dtype != ODL_DT_INT8)
        return ODL_ERR_UNSUPPORTED;
    odl_dims4_t xd, wd, yd;
    if (!odl_dims4_of(tx, &xd) || !odl_dims4_of(tw, &wd) || !odl_dims4_of(ty, &yd)) return ODL_ERR_SHAPE;
    if (!odl_is_i32_vector(tm, yd.c) || !odl_is_i32_vector(ts, yd.c)) return ODL_ERR_SHAPE;
    if (tb && (odl_tensor_numel(tb) != yd.c || tb->dtype != (s16 ? ODL_DT_INT64 : ODL_DT_INT32)))
        return ODL_ERR_SHAPE;
    const int32_t es = s16 ? 2 : 1;
    if (tx->bytes < odl_tensor_numel(tx) * es || ty->bytes < odl_tensor_numel(ty) * es) return ODL_ERR_MODEL;
    const int32_t *q = op->params;
    const odl_tconv_params_t p = {q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]};
    const int32_t *mult = (const int32_t *)odl_op_in(ctx, op, 3), *shift = (const int32_t *)odl_op_in(ctx, op, 4);
    const void *b = tb ? odl_op_in(ctx, op, 2) : 0;
    if (s16)
        return odl_transpose_conv_s16(&p, mult, shift, &xd, (const int16_t *)odl_op_in(ctx, op, 0), &wd,
                                      (const int8_t *)odl_op_in(ctx, op, 1), (const int64_t *)b, &yd,
                                      (int16_t *)odl_op_out(ctx, op, 0));
    return odl_transpose_conv_s8(&p, mult, shift, &xd, (const int8_t *)odl_op_in(ctx, op, 0), &wd,
                                 (const int8_t *)odl_op_in(ctx, op, 1), (const int32_t *)b, &yd,
                                 (int8_t *)odl_op_out(ctx, op, 0));
}
