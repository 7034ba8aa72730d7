/* PAD_VIEW decoder (PAD of int16/int32 tensors, pytool/ops/pad.py): fills the
 * output with params[0], then copies the input into it through the
 * strided-view copy (params[1..] in STRIDED_SLICE's scatter form). */
#include <string.h>

#include "odl/ops_ext.h"

odl_status_t odl_op_pad_view(odl_ctx_t *ctx, const odl_op_t *op) {
    if (!op->params || op->n_params != 1 + 6 + 15 || op->n_inputs != 1 || op->n_outputs != 1) return ODL_ERR_MODEL;
    const odl_tensor_t *ty = odl_op_out_info(ctx, op, 0);
    if (!ty) return ODL_ERR_MODEL;
    const int32_t elem = odl_elem_size(ty->dtype), n = odl_tensor_numel(ty);
    uint8_t *y = (uint8_t *)odl_op_out(ctx, op, 0);
    if (!elem || n < 0 || !y || ty->bytes < n * elem) return ODL_ERR_MODEL;
    const int32_t v = op->params[0];
    for (int32_t i = 0; i < n; ++i) {
        if (elem == 1) ((int8_t *)y)[i] = (int8_t)v;
        else if (elem == 2) ((int16_t *)y)[i] = (int16_t)v;
        else ((int32_t *)y)[i] = v;
    }
    odl_op_t view = *op;
    view.params = op->params + 1;
    view.n_params = op->n_params - 1;
    return odl_op_strided_slice(ctx, &view);
}
