/* RESHAPE: inputs [x, (shape)], outputs [y], params []. A byte copy; the
 * planner may alias input and output, so memmove. */
#include <string.h>

#include "odl/ops.h"

odl_status_t odl_op_reshape(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *ti = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *to = odl_op_out_info(ctx, op, 0);
    if (!ti || !to) return ODL_ERR_MODEL;
    if (ti->bytes != to->bytes) return ODL_ERR_SHAPE;
    void *dst = odl_op_out(ctx, op, 0);
    const void *src = odl_op_in(ctx, op, 0);
    if (dst != src) memmove(dst, src, (size_t)to->bytes);
    return ODL_OK;
}
