/* FULLY_CONNECTED decoder.
 * inputs : [x int8 (any rank, flattened to [batches, in]), w int8 [out, in],
 *           bias int32 [out] or -1, multiplier int32 [out] or [1],
 *           shift int32 (same length as multiplier)]
 * outputs: [y int8, numel = batches * out]
 * params : [input_offset, filter_offset, output_offset, act_min, act_max,
 *           per_channel]   (pytool/ops/fully_connected.py) */
#include "odl/kernels_int8.h"
#include "odl/kernels_s8w16.h"
#include "odl/ops.h"

odl_status_t odl_op_fully_connected(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 5 || op->n_outputs != 1 || op->n_params != 6) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *tw = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *tb = odl_op_in_info(ctx, op, 2), *tm = odl_op_in_info(ctx, op, 3);
    const odl_tensor_t *ts = odl_op_in_info(ctx, op, 4), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !tw || !tm || !ts || !ty) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT8 || (tw->dtype != ODL_DT_INT8 && tw->dtype != ODL_DT_INT16) ||
        ty->dtype != ODL_DT_INT8)
        return ODL_ERR_UNSUPPORTED;
    if (tw->rank != 2 || tw->dims[0] <= 0 || tw->dims[1] <= 0) return ODL_ERR_SHAPE;
    const int32_t out_depth = tw->dims[0], in_depth = tw->dims[1];
    const int32_t n_in = odl_tensor_numel(tx);
    if (n_in % in_depth != 0) return ODL_ERR_SHAPE;
    const int32_t batches = n_in / in_depth;
    if (odl_tensor_numel(ty) != batches * out_depth) return ODL_ERR_SHAPE;
    const int32_t *q = op->params;
    const int32_t per_channel = q[5] != 0;
    const int32_t n_mult = per_channel ? out_depth : 1;
    if (tm->dtype != ODL_DT_INT32 || ts->dtype != ODL_DT_INT32 || odl_tensor_numel(tm) != n_mult ||
        odl_tensor_numel(ts) != n_mult)
        return ODL_ERR_SHAPE;
    if (tb && (tb->dtype != ODL_DT_INT32 || odl_tensor_numel(tb) != out_depth)) return ODL_ERR_SHAPE;
    const odl_fc_params_t p = {
        .input_offset = q[0], .filter_offset = q[1], .output_offset = q[2], .act_min = q[3], .act_max = q[4],
    };
    /* Trainable layers hold int16 weights in RAM. */
    if (tw->dtype == ODL_DT_INT16)
        return odl_fully_connected_s8w16(&p, (const int32_t *)odl_op_in(ctx, op, 3),
                                      (const int32_t *)odl_op_in(ctx, op, 4), per_channel, batches, in_depth,
                                      (const int8_t *)odl_op_in(ctx, op, 0), out_depth,
                                      (const int16_t *)odl_op_in(ctx, op, 1),
                                      tb ? (const int32_t *)odl_op_in(ctx, op, 2) : 0, (int8_t *)odl_op_out(ctx, op, 0));
    return odl_fully_connected_s8(&p, (const int32_t *)odl_op_in(ctx, op, 3),
                                  (const int32_t *)odl_op_in(ctx, op, 4), per_channel, batches, in_depth,
                                  (const int8_t *)odl_op_in(ctx, op, 0), out_depth,
                                  (const int8_t *)odl_op_in(ctx, op, 1),
                                  tb ? (const int32_t *)odl_op_in(ctx, op, 2) : 0, (int8_t *)odl_op_out(ctx, op, 0));
}
