/* GATHER_ND decoder (pytool/ops/gather_nd.py): inputs [params, indices int32],
 * outputs [y, params' dtype]. params: [] (shapes from the tensors). */
#include "odl/ops_ext.h"

odl_status_t odl_op_gather_nd(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 2 || op->n_outputs != 1) return ODL_ERR_MODEL;
    const odl_tensor_t *tp = odl_op_in_info(ctx, op, 0), *ti = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!tp || !ti || !ty) return ODL_ERR_MODEL;
    if (ti->dtype != ODL_DT_INT32 || tp->dtype != ty->dtype) return ODL_ERR_UNSUPPORTED;
    const int32_t es = odl_elem_size(tp->dtype);
    if (!es) return ODL_ERR_UNSUPPORTED;
    if (ti->rank < 1 || tp->rank < 1 || tp->rank > ODL_MAX_RANK) return ODL_ERR_SHAPE;
    const int32_t depth = ti->dims[ti->rank - 1];
    if (depth < 1 || depth > tp->rank) return ODL_ERR_SHAPE;
    const int32_t n_slices = odl_tensor_numel(ti) / depth;
    int64_t slice = 1;
    for (int d = depth; d < tp->rank; ++d) slice *= tp->dims[d];
    if ((int64_t)n_slices * slice != odl_tensor_numel(ty) || ty->bytes < odl_tensor_numel(ty) * es ||
        tp->bytes < odl_tensor_numel(tp) * es || ti->bytes < odl_tensor_numel(ti) * 4)
        return ODL_ERR_SHAPE;
    const void *p = odl_op_in(ctx, op, 0);
    const int32_t *idx = (const int32_t *)odl_op_in(ctx, op, 1);
    void *y = odl_op_out(ctx, op, 0);
    if (!p || !idx || !y) return ODL_ERR_MODEL;
    return odl_gather_nd(es, tp->rank, tp->dims, depth, n_slices, idx, p, y);
}
