/* RELU6: inputs [x], outputs [y], int8. params (2 int32, see pytool/ops/relu6.py):
 *   [0] lower (input zero point)  [1] upper (6.0 quantized with the input's
 *   scale and zero point, clamped to int8). No requantization, as in
 *   TFLite Micro. */
#include "odl/kernels_int8.h"
#include "odl/ops.h"

odl_status_t odl_op_relu6(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    if (!op->params || op->n_params < 2) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    if (tx->rank > ODL_MAX_RANK || ty->rank > ODL_MAX_RANK) return ODL_ERR_SHAPE;
    const int32_t numel = odl_tensor_numel(tx);
    if (numel < 0 || numel != odl_tensor_numel(ty)) return ODL_ERR_SHAPE;
    if (tx->bytes < numel || ty->bytes < numel) return ODL_ERR_MODEL;
    const int8_t *x = (const int8_t *)odl_op_in(ctx, op, 0);
    int8_t *y = (int8_t *)odl_op_out(ctx, op, 0);
    if (!x || !y) return ODL_ERR_MODEL;
    return odl_relu6_s8(op->params[0], op->params[1], numel, x, y);
}
