/* RSQRT decoder: inputs [x int8|int16], outputs [y, same dtype];
 * params [zx, zy, multiplier, shift] (pytool/ops/rsqrt.py). */
#include "odl/ops_ext.h"

odl_status_t odl_op_rsqrt(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t n;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, 4, &n, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    const int32_t es = odl_elem_size(dt);
    if (es != 1 && es != 2) return ODL_ERR_UNSUPPORTED;
    const int32_t *q = op->params;
    return odl_rsqrt(es, q[0], q[1], q[2], q[3], n, x, y);
}
