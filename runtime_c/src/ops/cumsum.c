/* CUMSUM decoder (pytool/ops/cumsum.py): inputs [x int8], outputs [y int8].
 * params: ADD_N's 9, then [pre, depth, post, exclusive, reverse] */
#include "odl/ops_ext.h"

odl_status_t odl_op_cumsum(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t n;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, 14, &n, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    if (dt != ODL_DT_INT8 || op->n_params != 14) return dt != ODL_DT_INT8 ? ODL_ERR_UNSUPPORTED : ODL_ERR_MODEL;
    const int32_t *q = op->params;
    if ((int64_t)q[9] * q[10] * q[11] != n) return ODL_ERR_SHAPE;
    const odl_add_n_params_t p = {.input_offset = q[0], .output_offset = q[1], .left_shift = q[2],
                                  .input_multiplier = q[3], .input_shift = q[4], .output_multiplier = q[5],
                                  .output_shift = q[6], .act_min = q[7], .act_max = q[8]};
    return odl_cumsum_s8(&p, q[9], q[10], q[11], q[12], q[13], (const int8_t *)x, (int8_t *)y);
}
