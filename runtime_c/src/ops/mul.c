/* MUL: inputs [a, b] (either may be const), outputs [y], int8 or int16.
 * params (7 int32, TFLite Micro's Prepare, see pytool/ops/mul.py):
 *   [0] input1_offset (-za)   [1] input2_offset (-zb)   [2] output_offset (zy)
 *   [3] output_multiplier     [4] output_shift (signed, s_a*s_b/s_y)
 *   [5] act_min               [6] act_max
 * Shapes broadcast numpy-style up to rank 4 (rank 5 only without broadcast). */
#include "odl/kernels_int8.h"
#include "odl/ops.h"
#include "odl/ops_ext.h"

odl_status_t odl_op_mul(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || op->n_params < 7) return ODL_ERR_MODEL;
    odl_dims4_t da, db, dy;
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (ty && ty->dtype == ODL_DT_INT16) {
        const int32_t dt = odl_op_binary_dims(ctx, op, &da, &db, &dy);
        if (dt < 0) return (odl_status_t)-dt;
        const int32_t *r = op->params;
        const odl_mul_params_t p16 = {r[0], r[1], r[2], r[3], r[4], r[5], r[6]};
        return odl_mul_s16(&p16, &da, (const int16_t *)odl_op_in(ctx, op, 0), &db,
                           (const int16_t *)odl_op_in(ctx, op, 1), &dy, (int16_t *)odl_op_out(ctx, op, 0));
    }
    odl_status_t s = odl_op_binary_s8_dims(ctx, op, &da, &db, &dy);
    if (s != ODL_OK) return s;
    const int8_t *a = (const int8_t *)odl_op_in(ctx, op, 0);
    const int8_t *b = (const int8_t *)odl_op_in(ctx, op, 1);
    int8_t *y = (int8_t *)odl_op_out(ctx, op, 0);
    if (!a || !b || !y) return ODL_ERR_MODEL;
    const int32_t *q = op->params;
    const odl_mul_params_t p = {
        .input1_offset = q[0], .input2_offset = q[1], .output_offset = q[2],
        .output_multiplier = q[3], .output_shift = q[4], .act_min = q[5], .act_max = q[6],
    };
    return odl_mul_s8(&p, &da, a, &db, b, &dy, y);
}
