/* RELU6: inputs [x], outputs [y], int8 or int16. params (2 int32, see pytool/ops/relu6.py):
 *   [0] lower (input zero point)  [1] upper (6.0 quantized with the input's
 *   scale and zero point, clamped to the type). No requantization, as in
 *   TFLite Micro. */
#include "odl/kernels_int8.h"
#include "odl/ops_ext.h"

odl_status_t odl_op_relu6(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t numel;
    const void *x;
    void *y;
    const int32_t dt = odl_op_unary_io(ctx, op, 2, &numel, &x, &y);
    if (dt < 0) return (odl_status_t)-dt;
    if (dt == ODL_DT_INT8) return odl_relu6_s8(op->params[0], op->params[1], numel, (const int8_t *)x, (int8_t *)y);
    if (dt == ODL_DT_INT16)
        return odl_relu6_s16(op->params[0], op->params[1], numel, (const int16_t *)x, (int16_t *)y);
    return ODL_ERR_UNSUPPORTED;
}
