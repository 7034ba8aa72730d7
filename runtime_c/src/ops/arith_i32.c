/* int32 ADD / SUB / MUL / MAXIMUM / MINIMUM decoder (pytool/ops/arith_i32.py):
 * inputs [a, b] int32, outputs [y int32], rank <= 4 with broadcasting; int64 for MAXIMUM / MINIMUM.
 * params: [kind] */
#include "odl/ops_ext.h"

odl_status_t odl_op_arith_i32(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 2 || op->n_outputs != 1 || !op->params || op->n_params != 1) return ODL_ERR_MODEL;
    const odl_tensor_t *t[3] = {odl_op_in_info(ctx, op, 0), odl_op_in_info(ctx, op, 1), odl_op_out_info(ctx, op, 0)};
    odl_dims4_t d[3];
    if (!t[0]) return ODL_ERR_MODEL;
    const int is64 = t[0]->dtype == ODL_DT_INT64;
    for (int k = 0; k < 3; ++k) {
        if (!t[k]) return ODL_ERR_MODEL;
        if (t[k]->dtype != (is64 ? ODL_DT_INT64 : ODL_DT_INT32)) return ODL_ERR_UNSUPPORTED;
        if (t[k]->rank > 4 || !odl_dims4_broadcast_of(t[k], &d[k])) return ODL_ERR_SHAPE;
        if (t[k]->bytes < odl_tensor_numel(t[k]) * (is64 ? 8 : 4)) return ODL_ERR_MODEL;
    }
    if (is64)
        return odl_minmax_i64(op->params[0], &d[0], (const int64_t *)odl_op_in(ctx, op, 0), &d[1],
                              (const int64_t *)odl_op_in(ctx, op, 1), &d[2], (int64_t *)odl_op_out(ctx, op, 0));
    const int32_t *a = (const int32_t *)odl_op_in(ctx, op, 0), *b = (const int32_t *)odl_op_in(ctx, op, 1);
    int32_t *y = (int32_t *)odl_op_out(ctx, op, 0);
    if (!a || !b || !y) return ODL_ERR_MODEL;
    return odl_arith_i32(op->params[0], &d[0], a, &d[1], b, &d[2], y);
}
