/* ARG_MAX / ARG_MIN decoder: inputs [x int8|int16], outputs [y int32|int64];
 * params [is_min, outer, axis, inner] (pytool/ops/arg_max.py). */
#include "odl/ops_ext.h"

odl_status_t odl_op_arg_max(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || op->n_params != 4) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    const int32_t es = odl_elem_size(tx->dtype), is = ty->dtype == ODL_DT_INT32 ? 4 : ty->dtype == ODL_DT_INT64 ? 8 : 0;
    if ((es != 1 && es != 2) || !is) return ODL_ERR_UNSUPPORTED;
    const int32_t *q = op->params;
    if ((int64_t)q[1] * q[2] * q[3] != odl_tensor_numel(tx) || (int64_t)q[1] * q[3] != odl_tensor_numel(ty))
        return ODL_ERR_SHAPE;
    if (ty->bytes < odl_tensor_numel(ty) * is || tx->bytes < odl_tensor_numel(tx) * es) return ODL_ERR_MODEL;
    return odl_arg_max(q[0], es, is, q[1], q[2], q[3], odl_op_in(ctx, op, 0), odl_op_out(ctx, op, 0));
}
