/* PRELU decoder: inputs [x int8, alpha int8 (broadcast)], outputs [y int8];
 * params (7, pytool/ops/prelu.py): [-zx, -za, zy, mult_pos, shift_pos, mult_neg, shift_neg]. */
#include "odl/ops_ext.h"

odl_status_t odl_op_prelu(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || op->n_params != 7) return ODL_ERR_MODEL;
    odl_dims4_t dx, da, dy;
    const int32_t dt = odl_op_binary_dims(ctx, op, &dx, &da, &dy);
    if (dt < 0) return (odl_status_t)-dt;
    if (dt != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    const int32_t *q = op->params;
    const odl_prelu_params_t p = {q[0], q[1], q[2], q[3], q[4], q[5], q[6]};
    return odl_prelu_s8(&p, &dx, (const int8_t *)odl_op_in(ctx, op, 0), &da, (const int8_t *)odl_op_in(ctx, op, 1), &dy,
                        (int8_t *)odl_op_out(ctx, op, 0));
}
