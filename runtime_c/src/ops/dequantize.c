/* DEQUANTIZE: inputs [x int8 | uint8 | int16], outputs [y float32].
 * params (see pytool/ops/dequantize.py): [0] input scale (float32 bits)
 *   [1] input zero point */
#include <string.h>

#include "odl/kernels_int8.h"
#include "odl/ops.h"
#include "odl/ops_ext.h"

odl_status_t odl_op_dequantize(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    if (!op->params || op->n_params < 2) return ODL_ERR_MODEL;
    if (tx->dtype == ODL_DT_INT16 && ty->dtype == ODL_DT_FLOAT32) {
        const int32_t n16 = odl_tensor_numel(tx);
        if (n16 < 0 || n16 != odl_tensor_numel(ty) || tx->bytes < n16 * 2 || ty->bytes < n16 * 4) return ODL_ERR_SHAPE;
        float scale16;
        memcpy(&scale16, &op->params[0], sizeof scale16);
        return odl_dequantize_s16_f32(scale16, op->params[1], n16, (const int16_t *)odl_op_in(ctx, op, 0),
                                      (float *)odl_op_out(ctx, op, 0));
    }
    if (tx->dtype == ODL_DT_UINT8 && ty->dtype == ODL_DT_FLOAT32) {
        const int32_t n8 = odl_tensor_numel(tx);
        if (n8 < 0 || n8 != odl_tensor_numel(ty) || tx->bytes < n8 || ty->bytes < n8 * 4) return ODL_ERR_SHAPE;
        float scale8;
        memcpy(&scale8, &op->params[0], sizeof scale8);
        return odl_dequantize_u8_f32(scale8, op->params[1], n8, (const uint8_t *)odl_op_in(ctx, op, 0),
                                     (float *)odl_op_out(ctx, op, 0));
    }
    if (tx->dtype != ODL_DT_INT8 || ty->dtype != ODL_DT_FLOAT32) return ODL_ERR_UNSUPPORTED;
    if (tx->rank > ODL_MAX_RANK || ty->rank > ODL_MAX_RANK) return ODL_ERR_SHAPE;
    const int32_t numel = odl_tensor_numel(tx);
    if (numel < 0 || numel != odl_tensor_numel(ty)) return ODL_ERR_SHAPE;
    if (tx->bytes < numel || ty->bytes < numel * 4) return ODL_ERR_MODEL;
    const int8_t *x = (const int8_t *)odl_op_in(ctx, op, 0);
    float *y = (float *)odl_op_out(ctx, op, 0);
    if (!x || !y) return ODL_ERR_MODEL;
    float scale;
    memcpy(&scale, &op->params[0], sizeof scale);
    return odl_dequantize_s8_f32(scale, op->params[1], numel, x, y);
}
