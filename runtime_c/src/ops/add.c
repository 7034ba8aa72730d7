/* ADD: inputs [a, b] (either may be const), outputs [y], int8 or int16.
 * params (12 int32, TFLite Micro's Prepare, see pytool/ops/add.py):
 *   [0] input1_offset (-za)   [1] input2_offset (-zb)   [2] output_offset (zy)
 *   [3] left_shift (20)
 *   [4] input1_multiplier     [5] input1_shift (<= 0)
 *   [6] input2_multiplier     [7] input2_shift (<= 0)
 *   [8] output_multiplier     [9] output_shift (<= 0)
 *   [10] act_min              [11] act_max
 * Shapes broadcast numpy-style up to rank 4 (rank 5 only without broadcast). */
#include "odl/kernels_int8.h"
#include "odl/ops.h"
#include "odl/ops_ext.h"

odl_status_t odl_op_add(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || op->n_params < 12) return ODL_ERR_MODEL;
    odl_dims4_t da, db, dy;
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (ty && ty->dtype == ODL_DT_INT16) { /* 16x8 models: left_shift 15 */
        const int32_t dt = odl_op_binary_dims(ctx, op, &da, &db, &dy);
        if (dt < 0) return (odl_status_t)-dt;
        const odl_add_params_t p16 = odl_add_params_of(op->params);
        return odl_add_s16(&p16, &da, (const int16_t *)odl_op_in(ctx, op, 0), &db,
                           (const int16_t *)odl_op_in(ctx, op, 1), &dy, (int16_t *)odl_op_out(ctx, op, 0));
    }
    odl_status_t s = odl_op_binary_s8_dims(ctx, op, &da, &db, &dy);
    if (s != ODL_OK) return s;
    const int8_t *a = (const int8_t *)odl_op_in(ctx, op, 0);
    const int8_t *b = (const int8_t *)odl_op_in(ctx, op, 1);
    int8_t *y = (int8_t *)odl_op_out(ctx, op, 0);
    if (!a || !b || !y) return ODL_ERR_MODEL;
    const int32_t *q = op->params;
    const odl_add_params_t p = {
        .input1_offset = q[0], .input2_offset = q[1], .output_offset = q[2], .left_shift = q[3],
        .input1_multiplier = q[4], .input1_shift = q[5], .input2_multiplier = q[6], .input2_shift = q[7],
        .output_multiplier = q[8], .output_shift = q[9], .act_min = q[10], .act_max = q[11],
    };
    return odl_add_s8(&p, &da, a, &db, b, &dy, y);
}
