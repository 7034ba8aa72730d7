/* SignalOverlapAdd int16 / float32 decoder (pytool/ops/signal_overlap_add.py).
 * inputs : [x int16 [..., frames, size], state int16 [rows, size] (variable, updated)]
 * outputs: [y int16 [..., frames * step]]; params : [frame_step] */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_overlap_add(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, ns = 0, ny = 0;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    const int32_t dt = tx && tx->dtype == ODL_DT_FLOAT32 ? ODL_DT_FLOAT32 : ODL_DT_INT16;
    const void *x = odl_signal_io(ctx, op, 0, 0, dt, &nx);
    void *st = odl_signal_io(ctx, op, 0, 1, dt, &ns);
    void *y = odl_signal_io(ctx, op, 1, 0, dt, &ny);
    if (op->n_inputs != 2 || op->n_params != 1 || !x || !st || !y || tx->rank < 2) return ODL_ERR_MODEL;
    const int32_t size = tx->dims[tx->rank - 1], frames = tx->dims[tx->rank - 2], step = op->params[0];
    if (size <= 0 || frames <= 0 || step <= 0 || step > size || nx % (size * frames)) return ODL_ERR_SHAPE;
    const int32_t rows = nx / (size * frames);
    if (ns != rows * size || ny != rows * frames * step) return ODL_ERR_SHAPE;
    if (dt == ODL_DT_FLOAT32) {
        odl_signal_overlap_add_f32(x, rows, frames, size, step, st, y);
    } else {
        odl_signal_overlap_add_s16(x, rows, frames, size, step, st, y);
    }
    return ODL_OK;
}
