/* RESIZE_NEAREST_NEIGHBOR decoder (pytool/ops/resize_nearest_neighbor.py).
 * inputs [x NHWC], outputs [y NHWC, same dtype]; params [iy[out_h], ix[out_w]]. */
#include "odl/ops_ext.h"

odl_status_t odl_op_resize_nearest_neighbor(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty || !op->params) return ODL_ERR_MODEL;
    odl_dims4_t xd, yd;
    if (!odl_dims4_of(tx, &xd) || !odl_dims4_of(ty, &yd) || xd.n != yd.n || xd.c != yd.c) return ODL_ERR_SHAPE;
    if (op->n_params != yd.h + yd.w) return ODL_ERR_MODEL;
    const int32_t es = odl_elem_size(tx->dtype);
    if (!es || ty->dtype != tx->dtype) return ODL_ERR_UNSUPPORTED;
    if (tx->bytes < odl_tensor_numel(tx) * es || ty->bytes < odl_tensor_numel(ty) * es) return ODL_ERR_MODEL;
    return odl_resize_nearest(es, &xd, odl_op_in(ctx, op, 0), &yd, op->params, op->params + yd.h,
                              odl_op_out(ctx, op, 0));
}
