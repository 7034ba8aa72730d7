/* MINIMUM decoder: inputs [a, b], outputs [y], int8 or int16 sharing one
 * quantization (pytool/ops/minimum.py); params []. */
#include "odl/ops_ext.h"

odl_status_t odl_op_minimum(odl_ctx_t *ctx, const odl_op_t *op) {
    odl_dims4_t da, db, dy;
    const int32_t dt = odl_op_binary_dims(ctx, op, &da, &db, &dy);
    if (dt < 0) return (odl_status_t)-dt;
    if (dt == ODL_DT_INT8)
        return odl_maximum_s8(1, &da, (const int8_t *)odl_op_in(ctx, op, 0), &db,
                              (const int8_t *)odl_op_in(ctx, op, 1), &dy, (int8_t *)odl_op_out(ctx, op, 0));
    return odl_maximum_s16(1, &da, (const int16_t *)odl_op_in(ctx, op, 0), &db,
                           (const int16_t *)odl_op_in(ctx, op, 1), &dy, (int16_t *)odl_op_out(ctx, op, 0));
}
