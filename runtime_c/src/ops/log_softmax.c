/* LOG_SOFTMAX decoder (pytool/ops/log_softmax.py): inputs [x int8], outputs
 * [y int8], over the last axis. params: [input multiplier, input left shift,
 * reverse scaling divisor, its shift, diff_min] */
#include "odl/ops_ext.h"

odl_status_t odl_op_log_softmax(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t n;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, 5, &n, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    if (dt != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    const int32_t depth = tx->rank ? tx->dims[tx->rank - 1] : 1;
    if (depth < 1 || n % depth) return ODL_ERR_SHAPE;
    const int32_t *q = op->params;
    const odl_log_softmax_params_t p = {.input_multiplier = q[0], .input_left_shift = q[1],
                                        .reverse_scaling_divisor = q[2], .reverse_scaling_shift = q[3],
                                        .diff_min = q[4]};
    return odl_log_softmax_s8(&p, n / depth, depth, (const int8_t *)x, (int8_t *)y);
}
