/* SignalFilterBankLog decoder (pytool/ops/signal_filter_bank_log.py).
 * inputs : [x uint32 [c]]; outputs: [int16 [c]]; params : [input_correction_bits, output_scale] */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_filter_bank_log(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, ny = 0;
    const uint32_t *x = odl_signal_io(ctx, op, 0, 0, ODL_DT_INT32, &nx);
    int16_t *y = odl_signal_io(ctx, op, 1, 0, ODL_DT_INT16, &ny);
    if (op->n_params != 2 || !x || !y) return ODL_ERR_MODEL;
    if (nx != ny || op->params[0] < 0 || op->params[0] > 31) return ODL_ERR_SHAPE;
    odl_signal_filter_bank_log_u32(x, nx, op->params[0], op->params[1], y);
    return ODL_OK;
}
