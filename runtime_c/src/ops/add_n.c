/* ADD_N decoder (pytool/ops/add_n.py): inputs [x_0 .. x_{n-1}] int8 of one
 * shape, outputs [y int8]. params: [-z_in, z_out, left_shift, in multiplier,
 * in shift, out multiplier, out shift, act_min, act_max] */
#include "odl/ops_ext.h"

#define ODL_ADD_N_MAX_INPUTS 32

odl_status_t odl_op_add_n(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs < 1 || op->n_inputs > ODL_ADD_N_MAX_INPUTS || op->n_outputs != 1 || !op->params ||
        op->n_params != 9)
        return ODL_ERR_MODEL;
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!ty) return ODL_ERR_MODEL;
    if (ty->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    const int32_t n = odl_tensor_numel(ty);
    if (n < 0 || ty->bytes < n) return ODL_ERR_SHAPE;
    const int8_t *ins[ODL_ADD_N_MAX_INPUTS];
    for (int32_t k = 0; k < op->n_inputs; ++k) {
        const odl_tensor_t *t = odl_op_in_info(ctx, op, k);
        if (!t) return ODL_ERR_MODEL;
        if (t->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
        if (odl_tensor_numel(t) != n || t->bytes < n) return ODL_ERR_SHAPE;
        ins[k] = (const int8_t *)odl_op_in(ctx, op, k);
    }
    int8_t *y = (int8_t *)odl_op_out(ctx, op, 0);
    if (!y) return ODL_ERR_MODEL;
    const int32_t *q = op->params;
    const odl_add_n_params_t p = {.input_offset = q[0], .output_offset = q[1], .left_shift = q[2],
                                  .input_multiplier = q[3], .input_shift = q[4], .output_multiplier = q[5],
                                  .output_shift = q[6], .act_min = q[7], .act_max = q[8]};
    return odl_add_n_s8(&p, op->n_inputs, ins, n, y);
}
