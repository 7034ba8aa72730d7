/* L2_NORMALIZATION decoder (pytool/ops/l2_normalization.py): inputs [x int8],
 * outputs [y int8], normalised over the last axis. params: [zx] */
#include "odl/ops_ext.h"

odl_status_t odl_op_l2_normalization(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t n;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, 1, &n, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    if (dt != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    const int32_t depth = tx->rank ? tx->dims[tx->rank - 1] : 1;
    if (depth < 1 || n % depth) return ODL_ERR_SHAPE;
    return odl_l2_normalization_s8(op->params[0], n / depth, depth, (const int8_t *)x, (int8_t *)y);
}
