/* FULLY_CONNECTED_S16 decoder (16x8, pytool/ops/conv_s16.py).
 * inputs : [x int16 (any rank, rows of in), w int8 [out, in], bias int64 | int32 [out] or -1,
 *           multiplier int32 [out] or [1], shift int32 (same)]
 * outputs: [y int16]
 * params : [0, 0, 0, act_min, act_max, per_channel] */
#include "odl/ops_ext.h"

odl_status_t odl_op_fully_connected_s16(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 5 || op->n_outputs != 1 || op->n_params != 6) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *tw = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *tb = odl_op_in_info(ctx, op, 2), *tm = odl_op_in_info(ctx, op, 3);
    const odl_tensor_t *ts = odl_op_in_info(ctx, op, 4), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !tw || !tm || !ts || !ty) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT16 || tw->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT16) return ODL_ERR_UNSUPPORTED;
    if (tw->rank != 2) return ODL_ERR_SHAPE;
    const int32_t out_d = tw->dims[0], in_d = tw->dims[1], n = odl_tensor_numel(tx);
    if (in_d <= 0 || n < 0 || n % in_d) return ODL_ERR_SHAPE;
    const int32_t batches = n / in_d;
    const int32_t per_channel = op->params[5];
    const int32_t n_mult = per_channel ? out_d : 1;
    if (!odl_is_i32_vector(tm, n_mult) || !odl_is_i32_vector(ts, n_mult)) return ODL_ERR_SHAPE;
    if (odl_tensor_numel(ty) != batches * out_d || ty->bytes < batches * out_d * 2 || tx->bytes < n * 2)
        return ODL_ERR_SHAPE;
    if (tb && (odl_tensor_numel(tb) != out_d || (tb->dtype != ODL_DT_INT64 && tb->dtype != ODL_DT_INT32)))
        return ODL_ERR_SHAPE;
    const void *b = tb ? odl_op_in(ctx, op, 2) : 0;
    return odl_fully_connected_s16((const int32_t *)odl_op_in(ctx, op, 3), (const int32_t *)odl_op_in(ctx, op, 4),
                                   per_channel, op->params[3], op->params[4], batches, in_d,
                                   (const int16_t *)odl_op_in(ctx, op, 0), out_d, (const int8_t *)odl_op_in(ctx, op, 1),
                                   tb && tb->dtype == ODL_DT_INT64 ? (const int64_t *)b : 0,
                                   tb && tb->dtype == ODL_DT_INT32 ? (const int32_t *)b : 0,
                                   (int16_t *)odl_op_out(ctx, op, 0));
}
