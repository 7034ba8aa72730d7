/* SELECT_V2 decoder (pytool/ops/select_v2.py): inputs [cond bool (uint8),
 * x, y] with x, y, out all int8, all int16 or all float32; rank <= 4 with broadcasting.
 * params: [] */
#include "odl/ops_ext.h"

odl_status_t odl_op_select_v2(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 3 || op->n_outputs != 1) return ODL_ERR_MODEL;
    const odl_tensor_t *t[4] = {odl_op_in_info(ctx, op, 0), odl_op_in_info(ctx, op, 1), odl_op_in_info(ctx, op, 2),
                                odl_op_out_info(ctx, op, 0)};
    odl_dims4_t d[4];
    for (int k = 0; k < 4; ++k) {
        if (!t[k]) return ODL_ERR_MODEL;
        if (t[k]->rank > 4 || !odl_dims4_broadcast_of(t[k], &d[k])) return ODL_ERR_SHAPE;
    }
    if (t[0]->dtype != ODL_DT_UINT8 || t[1]->dtype != t[3]->dtype || t[2]->dtype != t[3]->dtype)
        return ODL_ERR_UNSUPPORTED;
    const int32_t es = odl_elem_size(t[3]->dtype);
    if (es != 1 && es != 2 && es != 4) return ODL_ERR_UNSUPPORTED;
    for (int k = 0; k < 4; ++k)
        if (t[k]->bytes < odl_tensor_numel(t[k]) * (k ? es : 1)) return ODL_ERR_MODEL;
    const void *c = odl_op_in(ctx, op, 0), *x = odl_op_in(ctx, op, 1), *y = odl_op_in(ctx, op, 2);
    void *out = odl_op_out(ctx, op, 0);
    if (!c || !x || !y || !out) return ODL_ERR_MODEL;
    return odl_select(es, &d[0], (const uint8_t *)c, &d[1], x, &d[2], y, &d[3], out);
}
