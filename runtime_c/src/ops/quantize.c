/* QUANTIZE: inputs [x], outputs [y int8 | uint8 | int16 | int32]. params (see pytool/ops/quantize.py):
 *   float32 -> int8:  [0] 0  [1] output scale (float32 bits)  [2] output zero point
 *   int8 -> int8:     [0] 1  [1] input zero point  [2] multiplier  [3] shift
 *                     [4] output zero point        (s_x / s_y, signed shift) */
#include <string.h>

#include "odl/kernels_int8.h"
#include "odl/ops.h"
#include "odl/ops_ext.h"

odl_status_t odl_op_quantize(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    if (!op->params || op->n_params < 1) return ODL_ERR_MODEL;
    if (ty->dtype == ODL_DT_INT16 || ty->dtype == ODL_DT_INT32 || ty->dtype == ODL_DT_UINT8 ||
        tx->dtype == ODL_DT_UINT8 ||
        (ty->dtype == ODL_DT_INT8 && (tx->dtype == ODL_DT_INT16 || tx->dtype == ODL_DT_INT32))) {
        /* 16x8 and uint8 models: [0] 0 (from float) or 2 (requantize), then as below */
        const int32_t n16 = odl_tensor_numel(tx);
        const int32_t eo = ty->dtype == ODL_DT_UINT8 ? 1 : odl_elem_size(ty->dtype);
        const int32_t ei = tx->dtype == ODL_DT_UINT8 ? 1 : odl_elem_size(tx->dtype);
        const void *x16 = odl_op_in(ctx, op, 0);
        void *y16 = odl_op_out(ctx, op, 0);
        if (n16 < 0 || n16 != odl_tensor_numel(ty) || !x16 || !y16 || !eo || ty->bytes < n16 * eo) return ODL_ERR_SHAPE;
        const int32_t *r = op->params;
        if (r[0] == 0 && tx->dtype == ODL_DT_FLOAT32 && ty->dtype == ODL_DT_INT16 && op->n_params >= 3 &&
            tx->bytes >= n16 * 4) {
            float scale16;
            memcpy(&scale16, &r[1], sizeof scale16);
            return odl_quantize_f32_s16(scale16, r[2], n16, (const float *)x16, (int16_t *)y16);
        }
        if (r[0] == 2 && ei && op->n_params >= 5 && tx->bytes >= n16 * ei)
            return odl_requantize(tx->dtype, ty->dtype, r[1], r[2], r[3], r[4], n16, x16, y16);
        return ODL_ERR_UNSUPPORTED;
    }
    if (ty->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
    if (tx->rank > ODL_MAX_RANK || ty->rank > ODL_MAX_RANK) return ODL_ERR_SHAPE;
    const int32_t numel = odl_tensor_numel(tx);
    if (numel < 0 || numel != odl_tensor_numel(ty)) return ODL_ERR_SHAPE;
    const void *x = odl_op_in(ctx, op, 0);
    int8_t *y = (int8_t *)odl_op_out(ctx, op, 0);
    if (!x || !y || ty->bytes < numel) return ODL_ERR_MODEL;
    const int32_t *q = op->params;
    if (q[0] == 0) {
        if (tx->dtype != ODL_DT_FLOAT32) return ODL_ERR_UNSUPPORTED;
        if (op->n_params < 3 || tx->bytes < numel * 4) return ODL_ERR_MODEL;
        float scale;
        memcpy(&scale, &q[1], sizeof scale);
        return odl_quantize_f32_s8(scale, q[2], numel, (const float *)x, y);
    }
    if (q[0] == 1) {
        if (tx->dtype != ODL_DT_INT8) return ODL_ERR_UNSUPPORTED;
        if (op->n_params < 5 || tx->bytes < numel) return ODL_ERR_MODEL;
        return odl_requantize_s8(q[1], q[2], q[3], q[4], numel, (const int8_t *)x, y);
    }
    return ODL_ERR_UNSUPPORTED;
}
