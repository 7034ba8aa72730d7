/* SignalFramer decoder (pytool/ops/signal_framer.py).
 * inputs : [x int16 [..., k * step], state int16 [rows, capacity + 1] (variable, updated)]
 * outputs: [frames int16 [..., k, size], valid bool []]; params : [frame_size, frame_step, capacity] */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_framer(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, ns = 0, ny = 0, nv = 0;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    const int16_t *x = odl_signal_io(ctx, op, 0, 0, ODL_DT_INT16, &nx);
    int16_t *st = odl_signal_io(ctx, op, 0, 1, ODL_DT_INT16, &ns);
    int16_t *y = odl_signal_io(ctx, op, 1, 0, ODL_DT_INT16, &ny);
    uint8_t *valid = odl_signal_io(ctx, op, 1, 1, ODL_DT_UINT8, &nv);
    if (op->n_inputs != 2 || op->n_outputs != 2 || op->n_params != 3 || !x || !st || !y || !valid || tx->rank < 1)
        return ODL_ERR_MODEL;
    const int32_t size = op->params[0], step = op->params[1], cap = op->params[2], n = tx->dims[tx->rank - 1];
    if (step <= 0 || size < step || cap < size || cap % step || n % step || nx % n || nv != 1) return ODL_ERR_SHAPE;
    const int32_t rows = nx / n, frames = n / step;
    if (ns != rows * (cap + 1) || ny != rows * frames * size) return ODL_ERR_SHAPE;
    for (int32_t r = 0; r < rows; ++r) /* a corrupt count would overrun the queue */
        if (st[r * (cap + 1) + cap] < 0 || st[r * (cap + 1) + cap] > cap - step) return ODL_ERR_MODEL;
    *valid = (uint8_t)odl_signal_framer_s16(x, rows, frames, size, step, cap, st, y);
    return ODL_OK;
}
