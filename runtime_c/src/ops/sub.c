/* SUB decoder: inputs [a, b], outputs [y], int8 or int16; params as ADD's
 * (12, pytool/ops/sub.py; left_shift 20 for int8, 15 for int16). Also the
 * shared decoder of the ops with ADD's params (odl_op_add_like). */
#include "odl/ops_ext.h"

odl_status_t odl_op_add_like(odl_ctx_t *ctx, const odl_op_t *op, odl_add_like_s8_fn s8, odl_add_like_s16_fn s16) {
    if (!op->params || op->n_params < 12) return ODL_ERR_MODEL;
    odl_dims4_t da, db, dy;
    const int32_t dt = odl_op_binary_dims(ctx, op, &da, &db, &dy);
    if (dt < 0) return (odl_status_t)-dt;
    const odl_add_params_t p = odl_add_params_of(op->params);
    if (dt == ODL_DT_INT8)
        return s8(&p, &da, (const int8_t *)odl_op_in(ctx, op, 0), &db, (const int8_t *)odl_op_in(ctx, op, 1), &dy,
                  (int8_t *)odl_op_out(ctx, op, 0));
    return s16(&p, &da, (const int16_t *)odl_op_in(ctx, op, 0), &db, (const int16_t *)odl_op_in(ctx, op, 1), &dy,
               (int16_t *)odl_op_out(ctx, op, 0));
}

odl_status_t odl_op_sub(odl_ctx_t *ctx, const odl_op_t *op) { return odl_op_add_like(ctx, op, odl_sub_s8, odl_sub_s16); }
