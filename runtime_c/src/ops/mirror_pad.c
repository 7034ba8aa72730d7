/* MIRROR_PAD decoder (pytool/ops/mirror_pad.py): inputs [x], outputs [y],
 * same dtype (int8 in practice; any element size works).
 * params: [offset (1 REFLECT, 0 SYMMETRIC), in_dims[5], left pads[5]] (5-D) */
#include "odl/ops_ext.h"

odl_status_t odl_op_mirror_pad(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 1 || op->n_outputs != 1 || !op->params || op->n_params != 11) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    if (tx->dtype != ty->dtype) return ODL_ERR_UNSUPPORTED;
    const int32_t es = odl_elem_size(tx->dtype);
    if (!es || ty->rank > 5 || ty->rank < 1) return es ? ODL_ERR_SHAPE : ODL_ERR_UNSUPPORTED;
    int32_t out_dims[5];
    int64_t n_in = 1;
    for (int d = 0; d < 5; ++d) {
        out_dims[d] = d < 5 - ty->rank ? 1 : ty->dims[d - (5 - ty->rank)];
        n_in *= op->params[1 + d];
    }
    if (n_in != odl_tensor_numel(tx) || tx->bytes < n_in * es || ty->bytes < odl_tensor_numel(ty) * es)
        return ODL_ERR_SHAPE;
    const void *x = odl_op_in(ctx, op, 0);
    void *y = odl_op_out(ctx, op, 0);
    if (!x || !y) return ODL_ERR_MODEL;
    return odl_mirror_pad(es, op->params[0], op->params + 1, op->params + 6, out_dims, x, y);
}
