/* Strided-view copy decoder (STRIDED_SLICE, SLICE, SPLIT, SPLIT_V, UNPACK,
 * PACK; pytool/ops/strided_slice.py).
 * params: [0] mode: 0 = one input -> n outputs (gather), 1 = n inputs -> one output (scatter)
 *         [1..5] 5-D view of the single tensor (numel must match)
 *         then per part k: start[5], step[5], count[5] (numel = the part's) */
#include "odl/ops_ext.h"

static int32_t prod5(const int32_t *v) {
    int64_t p = 1;
    for (int d = 0; d < 5; ++d) {
        if (v[d] < 0) return -1;
        p *= v[d];
        if (p > INT32_MAX) return -1;
    }
    return (int32_t)p;
}

odl_status_t odl_op_strided_slice(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || op->n_params < 6) return ODL_ERR_MODEL;
    const int32_t mode = op->params[0];
    const int32_t *dims = op->params + 1;
    if (mode != 0 && mode != 1) return ODL_ERR_MODEL;
    const int32_t n_parts = mode == 0 ? op->n_outputs : op->n_inputs;
    if (n_parts < 1 || op->n_params != 6 + 15 * n_parts) return ODL_ERR_MODEL;
    const odl_tensor_t *tw = mode == 0 ? odl_op_in_info(ctx, op, 0) : odl_op_out_info(ctx, op, 0);
    if (!tw || (mode == 0 ? op->n_inputs : op->n_outputs) != 1) return ODL_ERR_MODEL;
    const int32_t elem = odl_copy_elem_size(tw->dtype);
    if (!elem) return ODL_ERR_UNSUPPORTED;
    const int32_t n_whole = prod5(dims);
    if (n_whole <= 0 || n_whole != odl_tensor_numel(tw) || tw->bytes < n_whole * elem) return ODL_ERR_SHAPE;
    void *whole = mode == 0 ? odl_op_in(ctx, op, 0) : odl_op_out(ctx, op, 0);
    if (!whole) return ODL_ERR_MODEL;
    for (int32_t k = 0; k < n_parts; ++k) {
        const int32_t *start = op->params + 6 + 15 * k, *step = start + 5, *count = start + 10;
        const odl_tensor_t *tp = mode == 0 ? odl_op_out_info(ctx, op, k) : odl_op_in_info(ctx, op, k);
        if (!tp) return ODL_ERR_MODEL;
        if (tp->dtype != tw->dtype) return ODL_ERR_UNSUPPORTED;
        const int32_t n_part = prod5(count);
        if (n_part < 0 || n_part != odl_tensor_numel(tp) || tp->bytes < n_part * elem) return ODL_ERR_SHAPE;
        for (int d = 0; d < 5 && n_part > 0; ++d) {
            const int64_t last = (int64_t)start[d] + (int64_t)(count[d] - 1) * step[d];
            if (start[d] < 0 || start[d] >= dims[d] || last < 0 || last >= dims[d]) return ODL_ERR_SHAPE;
        }
        void *part = mode == 0 ? odl_op_out(ctx, op, k) : odl_op_in(ctx, op, k);
        if (!part) return ODL_ERR_MODEL;
        const odl_status_t s = odl_strided_copy(elem, dims, start, step, count, mode, whole, part);
        if (s != ODL_OK) return s;
    }
    return ODL_OK;
}
