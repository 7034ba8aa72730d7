/* GATHER decoder: inputs [x, indices int32], outputs [y]; params [outer, axis_size, inner]
 * (pytool/ops/gather.py). */
#include "odl/ops_ext.h"

odl_status_t odl_op_gather(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || op->n_params != 3) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ti = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ti || !ty) return ODL_ERR_MODEL;
    const int32_t es = odl_elem_size(tx->dtype);
    if (!es || ty->dtype != tx->dtype || ti->dtype != ODL_DT_INT32) return ODL_ERR_UNSUPPORTED;
    const int32_t outer = op->params[0], axis = op->params[1], inner = op->params[2], n_idx = odl_tensor_numel(ti);
    if ((int64_t)outer * axis * inner != odl_tensor_numel(tx) || (int64_t)outer * n_idx * inner != odl_tensor_numel(ty))
        return ODL_ERR_SHAPE;
    if (tx->bytes < odl_tensor_numel(tx) * es || ty->bytes < odl_tensor_numel(ty) * es) return ODL_ERR_MODEL;
    return odl_gather(es, outer, axis, inner, odl_op_in(ctx, op, 0), n_idx, (const int32_t *)odl_op_in(ctx, op, 1),
                      odl_op_out(ctx, op, 0));
}
