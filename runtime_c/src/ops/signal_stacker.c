/* SignalStacker decoder (pytool/ops/signal_stacker.py).
 * inputs : [x int16 [channels], state int16 [buffer + 2] (variable, updated)]
 * outputs: [y int16 [buffer], valid bool []]; params : [channels, left_context, buffer, step_size] */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_stacker(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, ns = 0, ny = 0, nv = 0;
    const int16_t *x = odl_signal_io(ctx, op, 0, 0, ODL_DT_INT16, &nx);
    int16_t *st = odl_signal_io(ctx, op, 0, 1, ODL_DT_INT16, &ns);
    int16_t *y = odl_signal_io(ctx, op, 1, 0, ODL_DT_INT16, &ny);
    uint8_t *valid = odl_signal_io(ctx, op, 1, 1, ODL_DT_UINT8, &nv);
    if (op->n_inputs != 2 || op->n_outputs != 2 || op->n_params != 4 || !x || !st || !y || !valid)
        return ODL_ERR_MODEL;
    const int32_t ch = op->params[0], left = op->params[1], buf = op->params[2], step = op->params[3];
    if (ch <= 0 || nx != ch || left < 0 || buf < ch || ny != buf || ns != buf + 2 || nv != 1 || step <= 0 ||
        step > buf)
        return ODL_ERR_SHAPE;
    if (st[buf] < 0 || st[buf] > buf - ch) return ODL_ERR_MODEL; /* a corrupt count would overrun the queue */
    *valid = (uint8_t)odl_signal_stacker_s16(x, ch, left, buf, step, st, y);
    return ODL_OK;
}
