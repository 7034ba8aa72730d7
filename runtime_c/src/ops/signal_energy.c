/* SignalEnergy decoder (pytool/ops/signal_energy.py).
 * inputs : [spectrum int16 [2 m]]; outputs: [energy uint32 [k]]; params : [start, end] */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_energy(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, ny = 0;
    const int16_t *x = odl_signal_io(ctx, op, 0, 0, ODL_DT_INT16, &nx);
    uint32_t *y = odl_signal_io(ctx, op, 1, 0, ODL_DT_INT32, &ny);
    if (op->n_params != 2 || !x || !y) return ODL_ERR_MODEL;
    const int32_t start = op->params[0], end = op->params[1];
    if (start < 0 || start > end || end > ny || 2 * end > nx) return ODL_ERR_SHAPE;
    odl_signal_energy_s16(x, start, end, ny, y);
    return ODL_OK;
}
