/* ASSIGN_VARIABLE: inputs [value, state], no outputs, params []. Copies the
 * value's bytes into the resource variable's state tensor (persistent arena),
 * as TFLite Micro's resource buffer assignment does. */
#include <string.h>

#include "odl/ops.h"

odl_status_t odl_op_assign_variable(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *tv = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *ts = odl_op_in_info(ctx, op, 1);
    if (!tv || !ts || !(ts->flags & ODL_T_ARENA)) return ODL_ERR_MODEL;
    if (tv->bytes != ts->bytes) return ODL_ERR_SHAPE;
    void *dst = odl_op_in(ctx, op, 1);
    const void *src = odl_op_in(ctx, op, 0);
    if (dst != src) memmove(dst, src, (size_t)ts->bytes);
    return ODL_OK;
}
