/* LOGICAL_AND / LOGICAL_OR / LOGICAL_NOT decoder (pytool/ops/logical.py):
 * inputs [a bool (, b bool)], outputs [y bool], bools as uint8, rank <= 4.
 * params: [kind (0 AND, 1 OR, 2 NOT)] */
#include "odl/ops_ext.h"

odl_status_t odl_op_logical(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || op->n_params != 1 || op->n_outputs != 1) return ODL_ERR_MODEL;
    const int32_t kind = op->params[0];
    const int32_t n_in = kind == ODL_LOGICAL_NOT ? 1 : 2;
    if (op->n_inputs != n_in) return ODL_ERR_MODEL;
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    const odl_tensor_t *t[2] = {odl_op_in_info(ctx, op, 0), n_in == 2 ? odl_op_in_info(ctx, op, 1) : NULL};
    odl_dims4_t d[2], dy;
    if (!ty || ty->dtype != ODL_DT_UINT8) return ty ? ODL_ERR_UNSUPPORTED : ODL_ERR_MODEL;
    if (ty->rank > 4 || !odl_dims4_broadcast_of(ty, &dy) || ty->bytes < odl_tensor_numel(ty)) return ODL_ERR_SHAPE;
    for (int k = 0; k < n_in; ++k) {
        if (!t[k]) return ODL_ERR_MODEL;
        if (t[k]->dtype != ODL_DT_UINT8) return ODL_ERR_UNSUPPORTED;
        if (t[k]->rank > 4 || !odl_dims4_broadcast_of(t[k], &d[k]) || t[k]->bytes < odl_tensor_numel(t[k]))
            return ODL_ERR_SHAPE;
    }
    if (n_in == 1 && odl_tensor_numel(t[0]) != odl_tensor_numel(ty)) return ODL_ERR_SHAPE;
    const uint8_t *a = (const uint8_t *)odl_op_in(ctx, op, 0);
    const uint8_t *b = n_in == 2 ? (const uint8_t *)odl_op_in(ctx, op, 1) : NULL;
    uint8_t *y = (uint8_t *)odl_op_out(ctx, op, 0);
    if (!a || (n_in == 2 && !b) || !y) return ODL_ERR_MODEL;
    return odl_logical_bool(kind, &d[0], a, n_in == 2 ? &d[1] : NULL, b, &dy, y);
}
