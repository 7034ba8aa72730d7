/* SignalFilterBankSpectralSubtraction decoder (pytool/ops/signal_spectral_subtraction.py).
 * inputs : [x uint32 [c], noise_state uint32 [c] (variable, updated)]
 * outputs: [y uint32 [c], noise_estimate uint32 [c]]
 * params : [smoothing, one_minus_smoothing, alternate_smoothing, alternate_one_minus_smoothing,
 *           smoothing_bits, spectral_subtraction_bits, min_signal_remaining, clamping] */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_spectral_subtraction(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, ns = 0, ny = 0, nn = 0;
    const uint32_t *x = odl_signal_io(ctx, op, 0, 0, ODL_DT_INT32, &nx);
    uint32_t *state = odl_signal_io(ctx, op, 0, 1, ODL_DT_INT32, &ns);
    uint32_t *y = odl_signal_io(ctx, op, 1, 0, ODL_DT_INT32, &ny);
    uint32_t *noise = odl_signal_io(ctx, op, 1, 1, ODL_DT_INT32, &nn);
    if (op->n_inputs != 2 || op->n_outputs != 2 || op->n_params != 8 || !x || !state || !y || !noise)
        return ODL_ERR_MODEL;
    const int32_t *q = op->params;
    if (nx != ns || nx != ny || nx != nn) return ODL_ERR_SHAPE;
    if (q[4] < 0 || q[4] > 31 || q[5] < 0 || q[5] > 63) return ODL_ERR_MODEL;
    const odl_signal_spectral_subtraction_t p = {
        .smoothing = (uint32_t)q[0], .one_minus_smoothing = (uint32_t)q[1], .alternate_smoothing = (uint32_t)q[2],
        .alternate_one_minus_smoothing = (uint32_t)q[3], .smoothing_bits = (uint32_t)q[4],
        .spectral_subtraction_bits = (uint32_t)q[5], .min_signal_remaining = (uint32_t)q[6], .clamping = q[7],
    };
    odl_signal_spectral_subtraction_u32(&p, nx, x, state, y, noise);
    return ODL_OK;
}
