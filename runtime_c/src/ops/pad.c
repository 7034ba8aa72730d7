/* PAD decoder.
 * inputs : [x int8, rank r <= 5]
 * outputs: [y int8, dims[d] = before[d] + x.dims[d] + after[d]]
 * params : [pad_value, before_0, after_0, ..., before_{r-1}, after_{r-1}]
 *          (pytool/ops/pad.py) */
#include "odl/kernels_int8.h"
#include "odl/ops.h"

odl_status_t odl_op_pad(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 1 || op->n_outputs != 1) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    const int32_t rank = tx->rank;
    if (rank < 1 || rank > ODL_MAX_RANK || ty->rank != rank) return ODL_ERR_SHAPE;
    if (op->n_params != 1 + 2 * rank) return ODL_ERR_MODEL;
    const int32_t *q = op->params;
    int32_t before[ODL_MAX_RANK], after[ODL_MAX_RANK];
    for (int32_t d = 0; d < rank; ++d) {
        before[d] = q[1 + 2 * d];
        after[d] = q[2 + 2 * d];
        if (before[d] < 0 || after[d] < 0 || ty->dims[d] != before[d] + tx->dims[d] + after[d])
            return ODL_ERR_SHAPE;
    }
    if (q[0] < -128 || q[0] > 127) return ODL_ERR_MODEL;
    return odl_pad_s8(rank, tx->dims, before, after, (int8_t)q[0], (const int8_t *)odl_op_in(ctx, op, 0),
                      (int8_t *)odl_op_out(ctx, op, 0));
}
