/* SOFTMAX: inputs [x], outputs [y], int8 (output scale 1/256, zp -128),
 * over the last axis. params (3 int32, see pytool/ops/softmax.py):
 *   [0] input_multiplier  [1] input_left_shift  (beta * s_x in Q5.26)
 *   [2] diff_min          (-CalculateInputRadius(5, input_left_shift)) */
#include "odl/kernels_int8.h"
#include "odl/ops.h"

odl_status_t odl_op_softmax(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    if (!op->params || op->n_params < 3) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    if (tx->rank < 1 || tx->rank > ODL_MAX_RANK || tx->rank != ty->rank) return ODL_ERR_SHAPE;
    for (int i = 0; i < tx->rank; ++i)
        if (tx->dims[i] != ty->dims[i] || tx->dims[i] <= 0) return ODL_ERR_SHAPE;
    const int32_t numel = odl_tensor_numel(tx);
    if (tx->bytes < numel || ty->bytes < numel) return ODL_ERR_MODEL;
    const int32_t depth = tx->dims[tx->rank - 1];
    const int8_t *x = (const int8_t *)odl_op_in(ctx, op, 0);
    int8_t *y = (int8_t *)odl_op_out(ctx, op, 0);
    if (!x || !y) return ODL_ERR_MODEL;
    const odl_softmax_params_t p = {
        .input_multiplier = op->params[0], .input_left_shift = op->params[1], .diff_min = op->params[2]};
    return odl_softmax_s8(&p, numel / depth, depth, x, y);
}
