/* SignalDelay decoder (pytool/ops/signal_delay.py).
 * inputs : [x int16 [..., n], state int16 [rows, d] (variable, updated)]; outputs: [y int16, x's shape]
 * params : [delay_length d] */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_delay(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, ns = 0, ny = 0;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    const int16_t *x = odl_signal_io(ctx, op, 0, 0, ODL_DT_INT16, &nx);
    int16_t *st = odl_signal_io(ctx, op, 0, 1, ODL_DT_INT16, &ns);
    int16_t *y = odl_signal_io(ctx, op, 1, 0, ODL_DT_INT16, &ny);
    if (op->n_inputs != 2 || op->n_params != 1 || !x || !st || !y || tx->rank < 1) return ODL_ERR_MODEL;
    const int32_t n = tx->dims[tx->rank - 1], d = op->params[0];
    if (n <= 0 || d < 0 || nx != ny || nx % n || ns != (nx / n) * d) return ODL_ERR_SHAPE;
    odl_signal_delay_s16(x, nx / n, n, d, st, y);
    return ODL_OK;
}
