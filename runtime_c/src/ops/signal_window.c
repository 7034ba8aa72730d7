/* SignalWindow decoder (pytool/ops/signal_window.py).
 * inputs : [x int16 [..., n], window int16 [n]]; outputs: [y int16, x's shape]
 * params : [shift] */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_window(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, nw = 0, ny = 0;
    const int16_t *x = odl_signal_io(ctx, op, 0, 0, ODL_DT_INT16, &nx);
    const int16_t *w = odl_signal_io(ctx, op, 0, 1, ODL_DT_INT16, &nw);
    int16_t *y = odl_signal_io(ctx, op, 1, 0, ODL_DT_INT16, &ny);
    if (op->n_inputs != 2 || op->n_params != 1 || !x || !w || !y) return ODL_ERR_MODEL;
    if (nw <= 0 || nx != ny || nx % nw || op->params[0] < 0 || op->params[0] > 31) return ODL_ERR_SHAPE;
    odl_signal_window_s16(x, w, nx / nw, nw, op->params[0], y);
    return ODL_OK;
}
