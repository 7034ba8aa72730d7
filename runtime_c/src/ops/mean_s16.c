/* MEAN_S16 decoder (int16 MEAN and SUM; params as MEAN's, pytool/ops/mean.py). */
#include "odl/ops_ext.h"

odl_status_t odl_op_mean_s16(odl_ctx_t *ctx, const odl_op_t *op) {
    if (op->n_inputs != 1 || op->n_outputs != 1 || (op->n_params != 8 && op->n_params != 14)) return ODL_ERR_MODEL;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0), *ty = odl_op_out_info(ctx, op, 0);
    if (!tx || !ty) return ODL_ERR_MODEL;
    if (tx->dtype != ODL_DT_INT16 || ty->dtype != ODL_DT_INT16) return ODL_ERR_UNSUPPORTED;
    const int32_t *q = op->params;
    const int32_t outer = q[0], reduce = q[1], inner = q[2];
    if (outer < 0 || reduce <= 0 || inner < 0) return ODL_ERR_MODEL;
    if ((int64_t)outer * reduce * inner != odl_tensor_numel(tx) || (int64_t)outer * inner != odl_tensor_numel(ty))
        return ODL_ERR_SHAPE;
    if (tx->bytes < odl_tensor_numel(tx) * 2 || ty->bytes < odl_tensor_numel(ty) * 2) return ODL_ERR_MODEL;
    const odl_mean_params_t p = {
        .same_quant = q[3], .input_zp = q[4], .output_zp = q[5], .multiplier = q[6], .shift = q[7],
    };
    if (op->n_params == 14) /* any set of axes: [.., d0..d4, mask] */
        return odl_mean_nd_s16(&p, q + 8, q[13], (const int16_t *)odl_op_in(ctx, op, 0), (int16_t *)odl_op_out(ctx, op, 0));
    return odl_mean_s16(&p, outer, reduce, inner, (const int16_t *)odl_op_in(ctx, op, 0),
                        (int16_t *)odl_op_out(ctx, op, 0));
}
