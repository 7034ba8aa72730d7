/* RELU: inputs [x], outputs [y], int8. params (6 int32, see pytool/ops/relu.py):
 *   [0] input zero point  [1] output zero point
 *   [2] output_multiplier [3] output_shift  (s_x / s_y, signed shift)
 *   [4] act_min (max(-128, zy))  [5] act_max (127) */
#include "odl/kernels_int8.h"
#include "odl/ops.h"

odl_status_t odl_op_relu(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    if (!op->params || op->n_params < 6) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    if (tx->rank > ODL_MAX_RANK || ty->rank > ODL_MAX_RANK) return ODL_ERR_SHAPE;
    const int32_t numel = odl_tensor_numel(tx);
    if (numel < 0 || numel != odl_tensor_numel(ty)) return ODL_ERR_SHAPE;
    if (tx->bytes < numel || ty->bytes < numel) return ODL_ERR_MODEL;
    const int8_t *x = (const int8_t *)odl_op_in(ctx, op, 0);
    int8_t *y = (int8_t *)odl_op_out(ctx, op, 0);
    if (!x || !y) return ODL_ERR_MODEL;
    const int32_t *q = op->params;
    const odl_relu_params_t p = {.input_zero_point = q[0], .output_zero_point = q[1], .output_multiplier = q[2],
                                 .output_shift = q[3], .act_min = q[4], .act_max = q[5]};
    return odl_relu_s8(&p, numel, x, y);
}
