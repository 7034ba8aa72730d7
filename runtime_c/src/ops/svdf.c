/* SVDF decoder (pytool/ops/svdf.py).
 * inputs : [x int8 [batch, in], w_feature int8 [filters, in], w_time int16|int8 [filters, memory],
 *           bias int32 [units] or -1, state int16|int8 [batch, filters * memory] (variable, updated)]
 * outputs: [y int8 [batch, units]]
 * params : [rank, input_zp, state_zp, output_zp, mult_1, shift_1, mult_2, shift_2] */
#include "odl/ops_ext.h"

odl_status_t odl_op_svdf(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 5 || op->n_outputs != 1 || !op->params || op->n_params != 8) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *tf = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *tt = odl_op_in_info(ctx, op, 2), *tb = odl_op_in_info(ctx, op, 3);
    const odl_tensor_t *ts = odl_op_in_info(ctx, op, 4), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !tf || !tt || !ts || !ty) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT8 || tf->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT8 || tt->dtype != ts->dtype ||
        (ts->dtype != ODL_DT_INT16 && ts->dtype != ODL_DT_INT8))
        return ODL_ERR_UNSUPPORTED;
    if (tx->rank != 2 || tf->rank != 2 || tt->rank != 2) return ODL_ERR_SHAPE;
    const odl_svdf_params_t p = {
        .batches = tx->dims[0], .inputs = tx->dims[1], .filters = tf->dims[0], .memory = tt->dims[1],
        .rank = op->params[0], .input_zero_point = op->params[1], .state_zero_point = op->params[2],
        .output_zero_point = op->params[3], .mult_1 = op->params[4], .shift_1 = op->params[5],
        .mult_2 = op->params[6], .shift_2 = op->params[7],
    };
    if (p.rank <= 0 || p.filters % p.rank || tf->dims[1] != p.inputs || tt->dims[0] != p.filters) return ODL_ERR_SHAPE;
    const int32_t es = odl_elem_size(ts->dtype), units = p.filters / p.rank;
    if (odl_tensor_numel(ts) != p.batches * p.filters * p.memory || ts->bytes < odl_tensor_numel(ts) * es ||
        odl_tensor_numel(ty) != p.batches * units || (tb && !odl_is_i32_vector(tb, units)))
        return ODL_ERR_SHAPE;
    return odl_svdf_s8(&p, es, (const int8_t *)odl_op_in(ctx, op, 0), (const int8_t *)odl_op_in(ctx, op, 1),
                       odl_op_in(ctx, op, 2), tb ? (const int32_t *)odl_op_in(ctx, op, 3) : 0, odl_op_in(ctx, op, 4),
                       (int8_t *)odl_op_out(ctx, op, 0));
}
