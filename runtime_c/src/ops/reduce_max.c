/* REDUCE_MAX / REDUCE_MIN decoder: inputs [x int8|int16], outputs [y, same
 * dtype and quantization]; params [outer, reduce, inner (, is_min)] for
 * contiguous reduced axes, or [d0..d4, mask, is_min] for any (dims lifted to
 * 5-D, mask bit d = axis d reduced) (pytool/ops/reduce_max.py). REDUCE_ALL / REDUCE_ANY run it on bool (0 / 1
 * bytes): all is the minimum, any the maximum (pytool/ops/reduce_all.py). */
#include "odl/ops_ext.h"

odl_status_t odl_op_reduce_max(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || (op->n_params != 3 && op->n_params != 4 && op->n_params != 7)) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    const int32_t es = tx->dtype == ODL_DT_UINT8 ? 1 : odl_elem_size(tx->dtype);
    if ((es != 1 && es != 2) || ty->dtype != tx->dtype) return ODL_ERR_UNSUPPORTED;
    const int32_t *q = op->params;
    if (ty->bytes < odl_tensor_numel(ty) * es || tx->bytes < odl_tensor_numel(tx) * es) return ODL_ERR_MODEL;
    if (op->n_params == 7) {
        int64_t n_in = 1, n_out = 1;
        for (int d = 0; d < 5; ++d) {
            n_in *= q[d];
            if (!((q[5] >> d) & 1)) n_out *= q[d];
        }
        if (n_in != odl_tensor_numel(tx) || n_out != odl_tensor_numel(ty)) return ODL_ERR_SHAPE;
        return odl_reduce_minmax_nd(es, q[6], q, q[5], odl_op_in(ctx, op, 0), odl_op_out(ctx, op, 0));
    }
    if ((int64_t)q[0] * q[1] * q[2] != odl_tensor_numel(tx) || (int64_t)q[0] * q[2] != odl_tensor_numel(ty))
        return ODL_ERR_SHAPE;
    const int32_t is_min = op->n_params == 4 ? q[3] : 0;
    return odl_reduce_minmax(es, is_min, q[0], q[1], q[2], odl_op_in(ctx, op, 0), odl_op_out(ctx, op, 0));
}
