/* SQUARED_DIFFERENCE decoder: inputs [a, b], outputs [y], int8 or int16;
 * params as ADD's (12, pytool/ops/squared_difference.py). */
#include "odl/ops_ext.h"

odl_status_t odl_op_squared_difference(odl_ctx_t *ctx, const odl_op_t *op) {
    return odl_op_add_like(ctx, op, odl_squared_difference_s8, odl_squared_difference_s16);
}
