/* TRANSPOSE decoder.
 * inputs : [x int8, rank r <= 5]
 * outputs: [y int8, dims[d] = x.dims[perm[d]]]
 * params : [perm_0, ..., perm_{r-1}]   (pytool/ops/transpose.py) */
#include "odl/kernels_int8.h"
#include "odl/ops.h"

odl_status_t odl_op_transpose(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 1 || op->n_outputs != 1) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    const int32_t rank = tx->rank;
    if (rank < 1 || rank > ODL_MAX_RANK || ty->rank != rank) return ODL_ERR_SHAPE;
    if (op->n_params != rank) return ODL_ERR_MODEL;
    for (int32_t d = 0; d < rank; ++d) {
        const int32_t k = op->params[d];
        if (k < 0 || k >= rank || ty->dims[d] != tx->dims[k]) return ODL_ERR_SHAPE;
    }
    return odl_transpose_s8(rank, tx->dims, op->params, (const int8_t *)odl_op_in(ctx, op, 0),
                            (int8_t *)odl_op_out(ctx, op, 0));
}
