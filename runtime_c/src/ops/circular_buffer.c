/* CIRCULAR_BUFFER decoder (pytool/ops/circular_buffer.py): inputs [x int8
 * [1, 1, w, d], buffer state int8 [slots * w * d], counter state int32 [1]],
 * outputs [y int8 [1, slots, w, d] (, valid bool [1])]; params [slots, depth
 * (w * d), cycles_max]. After the shift the counter counts down; unless it
 * reaches 0 the invoke stops after this op (ctx->stats.stopped, TFLite Micro's
 * kTfLiteAbort), or, with the valid output, valid says whether it did. */
#include "odl/ops_ext.h"

odl_status_t odl_op_circular_buffer(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || op->n_params != 3 || op->n_inputs != 3 || (op->n_outputs != 1 && op->n_outputs != 2))
        return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *tb = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *tc = odl_op_in_info(ctx, op, 2), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !tb || !tc || !ty) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT8 || tb->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT8 || tc->dtype != ODL_DT_INT32)
        return ODL_ERR_UNSUPPORTED;
    const int32_t slots = op->params[0], depth = op->params[1], cycles_max = op->params[2];
    if (slots < 1 || depth < 1 || cycles_max < 1) return ODL_ERR_MODEL;
    const int64_t n = (int64_t)slots * depth;
    if (odl_tensor_numel(tx) != depth || odl_tensor_numel(tb) != n || odl_tensor_numel(ty) != n ||
        odl_tensor_numel(tc) != 1)
        return ODL_ERR_SHAPE;
    if (tx->bytes < depth || tb->bytes < n || ty->bytes < n || tc->bytes < 4) return ODL_ERR_MODEL;
    int8_t *buf = (int8_t *)odl_op_in(ctx, op, 1);
    int32_t *counter = (int32_t *)odl_op_in(ctx, op, 2);
    const int8_t *x = (const int8_t *)odl_op_in(ctx, op, 0);
    int8_t *y = (int8_t *)odl_op_out(ctx, op, 0);
    if (!x || !buf || !counter || !y) return ODL_ERR_MODEL;
    uint8_t *valid = 0;
    if (op->n_outputs == 2) {
        const odl_tensor_t *tv = odl_op_out_info(ctx, op, 1);
        valid = (uint8_t *)odl_op_out(ctx, op, 1);
        if (!tv || !valid || tv->dtype != ODL_DT_UINT8 || odl_tensor_numel(tv) != 1 || tv->bytes < 1)
            return ODL_ERR_MODEL;
    }
    odl_status_t s = odl_circular_buffer_s8(slots, depth, x, buf, y);
    if (s != ODL_OK) return s;
    const int run = --*counter == 0;
    if (run) *counter = cycles_max;
    if (valid)
        *valid = (uint8_t)run;
    else if (!run)
        ctx->stats.stopped = 1;
    return ODL_OK;
}
