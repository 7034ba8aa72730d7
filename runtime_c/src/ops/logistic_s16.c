/* LOGISTIC_S16 decoder: inputs [x int16], outputs [y int16, scale 2^-15, zp 0];
 * params [input_multiplier (0 = power-of-two scale), input_left_shift] (pytool/ops/logistic.py). */
#include "odl/ops_ext.h"

odl_status_t odl_op_logistic_s16(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t n;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, 2, &n, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    if (dt != ODL_DT_INT16) return ODL_ERR_UNSUPPORTED;
    return odl_logistic_s16(op->params[0], op->params[1], n, (const int16_t *)x, (int16_t *)y);
}
