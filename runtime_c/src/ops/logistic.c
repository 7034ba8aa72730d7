/* LOGISTIC: inputs [x], outputs [y], int8 (output zp -128, scale 1/256).
 * params (4 int32, see pytool/ops/logistic.py):
 *   [0] input_zero_point  [1] input_range_radius
 *   [2] input_multiplier  [3] input_left_shift  (s_x in Q4.27) */
#include "odl/kernels_int8.h"
#include "odl/ops.h"

odl_status_t odl_op_logistic(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    if (!op->params || op->n_params < 4) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    if (tx->rank > ODL_MAX_RANK || ty->rank > ODL_MAX_RANK) return ODL_ERR_SHAPE;
    const int32_t numel = odl_tensor_numel(tx);
    if (numel < 0 || numel != odl_tensor_numel(ty)) return ODL_ERR_SHAPE;
    if (tx->bytes < numel || ty->bytes < numel) return ODL_ERR_MODEL;
    const int8_t *x = (const int8_t *)odl_op_in(ctx, op, 0);
    int8_t *y = (int8_t *)odl_op_out(ctx, op, 0);
    if (!x || !y) return ODL_ERR_MODEL;
    const odl_logistic_params_t p = {.input_zero_point = op->params[0], .input_range_radius = op->params[1],
                                     .input_multiplier = op->params[2], .input_left_shift = op->params[3]};
    return odl_logistic_s8(&p, numel, x, y);
}
