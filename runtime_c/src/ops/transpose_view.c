/* Transpose of a reshaped view, any element size (int16 TRANSPOSE,
 * DEPTH_TO_SPACE, SPACE_TO_DEPTH; pytool/ops/transpose_view.py).
 * inputs : [x]   outputs: [y], same dtype, same element count
 * params : [r, view dims[r], perm[r]]   (r <= 5; prod(view dims) = numel) */
#include "odl/ops_ext.h"

odl_status_t odl_op_transpose_view(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 1 || op->n_outputs != 1 || op->n_params < 1) return ODL_ERR_MODEL;
    const int32_t rank = op->params[0];
    if (rank < 1 || rank > ODL_MAX_RANK || op->n_params != 1 + 2 * rank) return ODL_ERR_MODEL;
    int32_t numel;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, op->n_params, &numel, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    const int32_t *dims = op->params + 1;
    int64_t n = 1;
    for (int32_t d = 0; d < rank; ++d) {
        if (dims[d] < 0) return ODL_ERR_SHAPE;
        n *= dims[d];
    }
    if (n != numel) return ODL_ERR_SHAPE;
    return odl_transpose_elems(odl_elem_size(dt), rank, dims, dims + rank, x, y);
}
