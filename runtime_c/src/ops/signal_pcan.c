/* SignalPCAN decoder (pytool/ops/signal_pcan.py).
 * inputs : [x uint32 [c], noise_estimate uint32 [c], gain_lut int16 [>= 125]]
 * outputs: [uint32 [c]]; params : [snr_shift] */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_pcan(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, nn = 0, nl = 0, ny = 0;
    const uint32_t *x = odl_signal_io(ctx, op, 0, 0, ODL_DT_INT32, &nx);
    const uint32_t *noise = odl_signal_io(ctx, op, 0, 1, ODL_DT_INT32, &nn);
    const int16_t *lut = odl_signal_io(ctx, op, 0, 2, ODL_DT_INT16, &nl);
    uint32_t *y = odl_signal_io(ctx, op, 1, 0, ODL_DT_INT32, &ny);
    if (op->n_inputs != 3 || op->n_params != 1 || !x || !noise || !lut || !y) return ODL_ERR_MODEL;
    if (nx != nn || nx != ny || nl < 125 || op->params[0] < 0 || op->params[0] > 63) return ODL_ERR_SHAPE;
    odl_signal_pcan_u32(x, noise, lut, nx, op->params[0], y);
    return ODL_OK;
}
