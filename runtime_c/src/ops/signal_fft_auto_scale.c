/* SignalFftAutoScale decoder (pytool/ops/signal_fft_auto_scale.py).
 * inputs : [x int16 [n]]; outputs: [y int16 [n], scale_bits int32 []] */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_fft_auto_scale(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, ny = 0, ns = 0;
    const int16_t *x = odl_signal_io(ctx, op, 0, 0, ODL_DT_INT16, &nx);
    int16_t *y = odl_signal_io(ctx, op, 1, 0, ODL_DT_INT16, &ny);
    int32_t *s = odl_signal_io(ctx, op, 1, 1, ODL_DT_INT32, &ns);
    if (op->n_outputs != 2 || !x || !y || !s) return ODL_ERR_MODEL;
    if (nx != ny || ns != 1) return ODL_ERR_SHAPE;
    *s = odl_signal_fft_auto_scale_s16(x, nx, y);
    return ODL_OK;
}
