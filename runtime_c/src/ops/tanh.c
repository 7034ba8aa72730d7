/* TANH decoder: inputs [x], outputs [y], int8 (output zp 0, scale 1/128).
 * params (4, pytool/ops/tanh.py): [0] zx [1] input_range_radius
 *   [2] input_multiplier [3] input_left_shift  (s_x in Q4.27) */
#include "odl/ops_ext.h"

odl_status_t odl_op_tanh(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t n;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, 4, &n, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    const int32_t *q = op->params;
    const odl_logistic_params_t p = {.input_zero_point = q[0], .input_range_radius = q[1],
                                     .input_multiplier = q[2], .input_left_shift = q[3]};
    if (dt == ODL_DT_INT8) return odl_tanh_s8(&p, n, (const int8_t *)x, (int8_t *)y);
    return ODL_ERR_UNSUPPORTED;
}
