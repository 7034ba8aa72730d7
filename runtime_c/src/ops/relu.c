/* RELU: inputs [x], outputs [y], int8 or int16. params (6 int32, see pytool/ops/relu.py):
 *   [0] input zero point  [1] output zero point
 *   [2] output_multiplier [3] output_shift  (s_x / s_y, signed shift)
 *   [4] act_min (max(type min, zy))  [5] act_max (type max) */
#include "odl/kernels_int8.h"
#include "odl/ops_ext.h"

odl_status_t odl_op_relu(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t numel;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, 6, &numel, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    const int32_t *q = op->params;
    const odl_relu_params_t p = {.input_zero_point = q[0], .output_zero_point = q[1], .output_multiplier = q[2],
                                 .output_shift = q[3], .act_min = q[4], .act_max = q[5]};
    if (dt == ODL_DT_INT8) return odl_relu_s8(&p, numel, (const int8_t *)x, (int8_t *)y);
    if (dt == ODL_DT_INT16) return odl_relu_s16(&p, numel, (const int16_t *)x, (int16_t *)y);
    return ODL_ERR_UNSUPPORTED;
}
