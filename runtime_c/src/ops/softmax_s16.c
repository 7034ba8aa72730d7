/* SOFTMAX_S16 decoder: inputs [x int16], outputs [y int16, scale 2^-15, zp 0], over the
 * last axis; params [input_multiplier, input_left_shift] (pytool/ops/softmax_s16.py). */
#include "odl/ops_ext.h"

odl_status_t odl_op_softmax_s16(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t n;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, 2, &n, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    if (dt != ODL_DT_INT16 || tx->rank < 1) return ODL_ERR_UNSUPPORTED;
    const int32_t depth = tx->dims[tx->rank - 1];
    if (depth <= 0 || n % depth) return ODL_ERR_SHAPE;
    return odl_softmax_s16(op->params[0], op->params[1], n / depth, depth, (const int16_t *)x, (int16_t *)y);
}
