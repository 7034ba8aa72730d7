/* SPACE_TO_BATCH_ND decoder: inputs [x NHWC], outputs [y NHWC, same dtype]; params
 * [block_h, block_w, pad_or_crop_top, pad_or_crop_left, pad_value]
 * (pytool/ops/space_to_batch_nd.py; 1-D blocks are lowered as block_w = 1 on a [N, H, 1, C] view). */
#include "odl/ops_ext.h"

odl_status_t odl_op_space_to_batch_nd(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || op->n_params != 5) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    const int32_t es = odl_elem_size(tx->dtype);
    if (!es || ty->dtype != tx->dtype) return ODL_ERR_UNSUPPORTED;
    odl_dims4_t xd, yd;
    if (!odl_dims4_broadcast_of(tx, &xd) || !odl_dims4_broadcast_of(ty, &yd)) return ODL_ERR_SHAPE;
    if (tx->rank == 3) xd = (odl_dims4_t){tx->dims[0], tx->dims[1], 1, tx->dims[2]};
    if (ty->rank == 3) yd = (odl_dims4_t){ty->dims[0], ty->dims[1], 1, ty->dims[2]};
    if (tx->bytes < odl_tensor_numel(tx) * es || ty->bytes < odl_tensor_numel(ty) * es) return ODL_ERR_MODEL;
    const int32_t *q = op->params;
    return odl_space_to_batch(es, &xd, odl_op_in(ctx, op, 0), q[0], q[1], q[2], q[3], q[4], &yd, odl_op_out(ctx, op, 0));
}
