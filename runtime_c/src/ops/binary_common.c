/* Checks shared by the int8 ADD and MUL decoders (see odl/ops.h). */
#include "odl/ops.h"

odl_status_t odl_op_binary_s8_dims(const odl_ctx_t *ctx, const odl_op_t *op, odl_dims4_t *da, odl_dims4_t *db,
                                   odl_dims4_t *dy) {
    const odl_tensor_t *ta = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *tb = odl_op_in_info(ctx, op, 1);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!ta || !tb || !ty) return ODL_ERR_MODEL;
    if (ta->dtype != ODL_DT_INT8 || tb->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT8)
        return ODL_ERR_UNSUPPORTED;
    if (!odl_broadcast_views4(ta, tb, ty, da, db, dy)) return ODL_ERR_SHAPE;
    if (ta->bytes < odl_tensor_numel(ta) || tb->bytes < odl_tensor_numel(tb) || ty->bytes < odl_tensor_numel(ty))
        return ODL_ERR_MODEL;
    return ODL_OK;
}
