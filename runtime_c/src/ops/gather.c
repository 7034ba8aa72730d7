/* GATHER decoder: inputs [x, indices int32], outputs [y]; params [outer, axis_size, inner]
 * (pytool/ops/gather.py). EMBEDDING_LOOKUP uses it too (outer 1), with a fourth
 * param, the float bits of the scale, for int8 values to a float32 output
 * (pytool/ops/embedding_lookup.py). */
#include <string.h>

#include "odl/kernels_f32.h"
#include "odl/ops_ext.h"

odl_status_t odl_op_gather(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || (op->n_params != 3 && op->n_params != 4)) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ti = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ti || !ty) return ODL_ERR_MODEL;
    const int32_t es = odl_elem_size(tx->dtype);
    const int hybrid = op->n_params == 4;
    if (!es || ti->dtype != ODL_DT_INT32) return ODL_ERR_UNSUPPORTED;
    if (hybrid ? tx->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_FLOAT32 : ty->dtype != tx->dtype)
        return ODL_ERR_UNSUPPORTED;
    const int32_t outer = op->params[0], axis = op->params[1], inner = op->params[2], n_idx = odl_tensor_numel(ti);
    if ((int64_t)outer * axis * inner != odl_tensor_numel(tx) || (int64_t)outer * n_idx * inner != odl_tensor_numel(ty))
        return ODL_ERR_SHAPE;
    const int32_t es_out = hybrid ? 4 : es;
    if (tx->bytes < odl_tensor_numel(tx) * es || ty->bytes < odl_tensor_numel(ty) * es_out) return ODL_ERR_MODEL;
    if (hybrid) {
        float scale;
        memcpy(&scale, &op->params[3], sizeof scale);
        if (outer != 1) return ODL_ERR_MODEL;
        return odl_embedding_lookup_s8_f32(axis, inner, (const int8_t *)odl_op_in(ctx, op, 0), n_idx,
                                           (const int32_t *)odl_op_in(ctx, op, 1), scale,
                                           (float *)odl_op_out(ctx, op, 0));
    }
    return odl_gather(es, outer, axis, inner, odl_op_in(ctx, op, 0), n_idx, (const int32_t *)odl_op_in(ctx, op, 1),
                      odl_op_out(ctx, op, 0));
}
