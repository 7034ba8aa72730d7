/* CONCATENATION decoder.
 * inputs : [x_0, ..., x_{n-1}] int8, same rank as y, equal dims except axis
 *          (and the output's quantization, checked at lowering)
 * outputs: [y int8]
 * params : [axis (0..rank-1), act_min, act_max]   (pytool/ops/concatenation.py) */
#include "odl/kernels_int8.h"
#include "odl/ops.h"

odl_status_t odl_op_concatenation(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs < 1 || op->n_outputs != 1 || op->n_params != 3) return ODL_ERR_MODEL;
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!ty) return ODL_ERR_MODEL;
    if (ty->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    const int32_t axis = op->params[0], rank = ty->rank;
    if (axis < 0 || axis >= rank) return ODL_ERR_MODEL;
    int32_t outer = 1, inner = 1;
    for (int32_t d = 0; d < axis; ++d) outer *= ty->dims[d];
    for (int32_t d = axis + 1; d < rank; ++d) inner *= ty->dims[d];
    /* Validate every input before writing anything. */
    int32_t total = 0;
    for (int i = 0; i < op->n_inputs; ++i) {
        const odl_tensor_t *tx = odl_op_in_info(ctx, op, i);
        if (!tx) return ODL_ERR_MODEL;
        if (tx->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
        if (tx->rank != rank) return ODL_ERR_SHAPE;
        for (int32_t d = 0; d < rank; ++d)
            if (d != axis && tx->dims[d] != ty->dims[d]) return ODL_ERR_SHAPE;
        total += tx->dims[axis];
    }
    if (total != ty->dims[axis]) return ODL_ERR_SHAPE;
    const int32_t out_chunk = ty->dims[axis] * inner;
    int32_t offset = 0;
    for (int i = 0; i < op->n_inputs; ++i) {
        const odl_tensor_t *tx = odl_op_in_info(ctx, op, i);
        const int32_t in_chunk = tx->dims[axis] * inner;
        odl_status_t s = odl_concat_s8(outer, in_chunk, out_chunk, offset, op->params[1], op->params[2],
                                       (const int8_t *)odl_op_in(ctx, op, i), (int8_t *)odl_op_out(ctx, op, 0));
        if (s != ODL_OK) return s;
        offset += in_chunk;
    }
    return ODL_OK;
}
