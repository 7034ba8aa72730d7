/* Comparison decoder (EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS,
 * LESS_EQUAL; pytool/ops/comparisons.py): inputs [a, b] both int8, int32, int64 or bool,
 * outputs [y bool as uint8], rank <= 4 with broadcasting.
 * params: [kind, -za, a multiplier, a shift, -zb, b multiplier, b shift]
 * (int32, int64, bool: compared raw, the rest unused) */
#include "odl/ops_ext.h"

odl_status_t odl_op_compare(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 2 || op->n_outputs != 1 || !op->params || op->n_params != 7) return ODL_ERR_MODEL;
    const odl_tensor_t *ta = odl_op_in_info(ctx, op, 0), *tb = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!ta || !tb || !ty) return ODL_ERR_MODEL;
    const int is32 = ta->dtype == ODL_DT_INT32, is64 = ta->dtype == ODL_DT_INT64, isb = ta->dtype == ODL_DT_UINT8;
    const int32_t es = is32 ? 4 : is64 ? 8 : 1;
    if ((ta->dtype != ODL_DT_INT8 && !is32 && !is64 && !isb) || tb->dtype != ta->dtype || ty->dtype != ODL_DT_UINT8)
        return ODL_ERR_UNSUPPORTED;
    odl_dims4_t da, db, dy;
    if (ta->rank > 4 || tb->rank > 4 || ty->rank > 4 || !odl_dims4_broadcast_of(ta, &da) ||
        !odl_dims4_broadcast_of(tb, &db) || !odl_dims4_broadcast_of(ty, &dy))
        return ODL_ERR_SHAPE;
    if (ta->bytes < odl_tensor_numel(ta) * es || tb->bytes < odl_tensor_numel(tb) * es ||
        ty->bytes < odl_tensor_numel(ty))
        return ODL_ERR_MODEL;
    const void *a = odl_op_in(ctx, op, 0), *b = odl_op_in(ctx, op, 1);
    uint8_t *y = (uint8_t *)odl_op_out(ctx, op, 0);
    if (!a || !b || !y) return ODL_ERR_MODEL;
    if (is64 || isb) return odl_compare_raw(op->params[0], es, &da, a, &db, b, &dy, y);
    if (is32) return odl_compare_i32(op->params[0], &da, (const int32_t *)a, &db, (const int32_t *)b, &dy, y);
    const int32_t *q = op->params;
    const odl_compare_params_t p = {.kind = q[0], .input1_offset = q[1], .input1_multiplier = q[2],
                                    .input1_shift = q[3], .input2_offset = q[4], .input2_multiplier = q[5],
                                    .input2_shift = q[6]};
    return odl_compare_s8(&p, &da, (const int8_t *)a, &db, (const int8_t *)b, &dy, y);
}
