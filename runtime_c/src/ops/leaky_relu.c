/* LEAKY_RELU decoder: inputs [x], outputs [y], int8 or int16.
 * params (6, pytool/ops/leaky_relu.py): [0] zx [1] zy [2] mult_identity
 *   [3] shift_identity [4] mult_alpha [5] shift_alpha */
#include "odl/ops_ext.h"

odl_status_t odl_op_leaky_relu(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t n;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, 6, &n, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    const int32_t *q = op->params;
    const odl_leaky_relu_params_t p = {q[0], q[1], q[2], q[3], q[4], q[5]};
    if (dt == ODL_DT_INT8) return odl_leaky_relu_s8(&p, n, (const int8_t *)x, (int8_t *)y);
    if (dt == ODL_DT_INT16) return odl_leaky_relu_s16(&p, n, (const int16_t *)x, (int16_t *)y);
    return ODL_ERR_UNSUPPORTED;
}
