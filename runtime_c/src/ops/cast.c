/* CAST decoder: inputs [x], outputs [y], each bool/int8/int16/int32/float32; params []. */
#include "odl/ops_ext.h"

static int32_t size_of(int32_t dt) { return dt == ODL_DT_INT64 ? 0 : odl_copy_elem_size(dt); }

odl_status_t odl_op_cast(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    const int32_t n = odl_tensor_numel(tx);
    if (!size_of(tx->dtype) || !size_of(ty->dtype)) return ODL_ERR_UNSUPPORTED;
    if (n < 0 || n != odl_tensor_numel(ty)) return ODL_ERR_SHAPE;
    if (tx->bytes < n * size_of(tx->dtype) || ty->bytes < n * size_of(ty->dtype)) return ODL_ERR_MODEL;
    const void *x = odl_op_in(ctx, op, 0);
    void *y = odl_op_out(ctx, op, 0);
    if (!x || !y) return ODL_ERR_MODEL;
    return odl_cast(tx->dtype, ty->dtype, n, x, y);
}
