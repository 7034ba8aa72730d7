/* HARD_SWISH decoder: inputs [x], outputs [y], int8.
 * params (6, pytool/ops/hard_swish.py): [0] zx [1] zy [2] reluish_mult (int16)
 *   [3] reluish_exponent [4] output_mult (int16) [5] output_exponent (<= 0) */
#include "odl/ops_ext.h"

odl_status_t odl_op_hard_swish(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t n;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, 6, &n, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    const int32_t *q = op->params;
    if (q[2] < -32768 || q[2] > 32767 || q[4] < -32768 || q[4] > 32767) return ODL_ERR_MODEL;
    const odl_hard_swish_params_t p = {q[0], q[1], q[2], q[3], q[4], q[5]};
    if (dt == ODL_DT_INT8) return odl_hard_swish_s8(&p, n, (const int8_t *)x, (int8_t *)y);
    return ODL_ERR_UNSUPPORTED;
}
