/* RESIZE_BILINEAR decoder (pytool/ops/resize_bilinear.py).
 * inputs [x int8 NHWC], outputs [y, same dtype];
 * params [(scaled, lo, hi) per output row, then per output column]. */
#include "odl/ops_ext.h"

odl_status_t odl_op_resize_bilinear(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty || !op->params) return ODL_ERR_MODEL;
    odl_dims4_t xd, yd;
    if (!odl_dims4_of(tx, &xd) || !odl_dims4_of(ty, &yd) || xd.n != yd.n || xd.c != yd.c) return ODL_ERR_SHAPE;
    if (op->n_params != 3 * (yd.h + yd.w)) return ODL_ERR_MODEL;
    const int32_t es = odl_elem_size(tx->dtype);
    if (ty->dtype != tx->dtype || es != 1) return ODL_ERR_UNSUPPORTED;
    if (tx->bytes < odl_tensor_numel(tx) * es || ty->bytes < odl_tensor_numel(ty) * es) return ODL_ERR_MODEL;
    const int32_t *tyy = op->params, *txx = op->params + 3 * yd.h;
    return odl_resize_bilinear_s8(&xd, (const int8_t *)odl_op_in(ctx, op, 0), &yd, tyy, txx,
                                  (int8_t *)odl_op_out(ctx, op, 0));
}
