/* BROADCAST_ARGS decoder (pytool/ops/broadcast_args.py): inputs [shape1,
 * shape2], outputs [y], all int32 or all int64, 1-D. params []. */
#include "odl/ops_ext.h"

odl_status_t odl_op_broadcast_args(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 2 || op->n_outputs != 1) return ODL_ERR_MODEL;
    const odl_tensor_t *ta = odl_op_in_info(ctx, op, 0), *tb = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!ta || !tb || !ty) return ODL_ERR_MODEL;
    if ((ty->dtype != ODL_DT_INT32 && ty->dtype != ODL_DT_INT64) || ta->dtype != ty->dtype || tb->dtype != ty->dtype)
        return ODL_ERR_UNSUPPORTED;
    const int32_t es = ty->dtype == ODL_DT_INT64 ? 8 : 4;
    const int32_t na = odl_tensor_numel(ta), nb = odl_tensor_numel(tb), ny = odl_tensor_numel(ty);
    if (ta->bytes < na * es || tb->bytes < nb * es || ty->bytes < ny * es) return ODL_ERR_MODEL;
    const void *a = odl_op_in(ctx, op, 0), *b = odl_op_in(ctx, op, 1);
    void *y = odl_op_out(ctx, op, 0);
    if (!a || !b || !y) return ODL_ERR_MODEL;
    return odl_broadcast_args(es == 8, na, a, nb, b, ny, y);
}
