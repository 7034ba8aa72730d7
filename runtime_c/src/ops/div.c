/* DIV decoder: inputs [a int8, b int8] (broadcast), outputs [y int8]; params as MUL's
 * (7: -za, -zb, zy, multiplier, shift of s_a / (s_b s_y), act_min, act_max; pytool/ops/div.py). */
#include "odl/ops_ext.h"

odl_status_t odl_op_div(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || op->n_params != 7) return ODL_ERR_MODEL;
    odl_dims4_t da, db, dy;
    const int32_t dt = odl_op_binary_dims(ctx, op, &da, &db, &dy);
    if (dt < 0) return (odl_status_t)-dt;
    if (dt != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    const int32_t *q = op->params;
    const odl_mul_params_t p = {q[0], q[1], q[2], q[3], q[4], q[5], q[6]};
    return odl_div_s8(&p, &da, (const int8_t *)odl_op_in(ctx, op, 0), &db, (const int8_t *)odl_op_in(ctx, op, 1), &dy,
                      (int8_t *)odl_op_out(ctx, op, 0));
}
