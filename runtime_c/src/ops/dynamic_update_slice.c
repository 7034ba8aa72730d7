/* DYNAMIC_UPDATE_SLICE decoder (pytool/ops/dynamic_update_slice.py): inputs
 * [operand, update, start int32 or int64 (one per operand axis)], outputs [y];
 * operand, update and y of one dtype (int8, int16, int32, float32).
 * params: [] (shapes from the tensors). */
#include "odl/ops_ext.h"

odl_status_t odl_op_dynamic_update_slice(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 3 || op->n_outputs != 1) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *tu = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ts = odl_op_in_info(ctx, op, 2), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !tu || !ts || !ty) return ODL_ERR_MODEL;
    const int32_t es = odl_elem_size(tx->dtype);
    if (!es || tu->dtype != tx->dtype || ty->dtype != tx->dtype) return ODL_ERR_UNSUPPORTED;
    if (ts->dtype != ODL_DT_INT32 && ts->dtype != ODL_DT_INT64) return ODL_ERR_UNSUPPORTED;
    const int32_t rank = tx->rank;
    if (rank < 1 || rank > ODL_MAX_RANK || tu->rank != rank || odl_tensor_numel(ts) != rank ||
        odl_tensor_numel(ty) != odl_tensor_numel(tx))
        return ODL_ERR_SHAPE;
    if (tx->bytes < odl_tensor_numel(tx) * es || tu->bytes < odl_tensor_numel(tu) * es ||
        ty->bytes < odl_tensor_numel(ty) * es || ts->bytes < rank * (ts->dtype == ODL_DT_INT64 ? 8 : 4))
        return ODL_ERR_MODEL;
    const void *x = odl_op_in(ctx, op, 0), *u = odl_op_in(ctx, op, 1), *s = odl_op_in(ctx, op, 2);
    void *y = odl_op_out(ctx, op, 0);
    if (!x || !u || !s || !y) return ODL_ERR_MODEL;
    int64_t start[ODL_MAX_RANK];
    for (int32_t d = 0; d < rank; ++d)
        start[d] = ts->dtype == ODL_DT_INT64 ? ((const int64_t *)s)[d] : ((const int32_t *)s)[d];
    return odl_dynamic_update_slice(es, rank, tx->dims, tu->dims, start, x, u, y);
}
