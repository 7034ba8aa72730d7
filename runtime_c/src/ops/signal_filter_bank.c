/* SignalFilterBank decoder (pytool/ops/signal_filter_bank.py).
 * inputs : [energy uint32 [bins], weights int16 [k], unweights int16 [k], freq_starts int16 [c+1],
 *           weight_starts int16 [c+1], widths int16 [c+1]]
 * outputs: [uint64 [c]]; params : [num_channels c] */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_filter_bank(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, nw = 0, nu = 0, nfs = 0, nws = 0, nwd = 0, ny = 0;
    const uint32_t *x = odl_signal_io(ctx, op, 0, 0, ODL_DT_INT32, &nx);
    odl_signal_filter_bank_t fb = {
        .weights = odl_signal_io(ctx, op, 0, 1, ODL_DT_INT16, &nw),
        .unweights = odl_signal_io(ctx, op, 0, 2, ODL_DT_INT16, &nu),
        .freq_starts = odl_signal_io(ctx, op, 0, 3, ODL_DT_INT16, &nfs),
        .weight_starts = odl_signal_io(ctx, op, 0, 4, ODL_DT_INT16, &nws),
        .widths = odl_signal_io(ctx, op, 0, 5, ODL_DT_INT16, &nwd),
    };
    uint64_t *y = odl_signal_io(ctx, op, 1, 0, ODL_DT_INT64, &ny);
    if (op->n_inputs != 6 || op->n_params != 1 || !x || !y || !fb.weights || !fb.unweights || !fb.freq_starts ||
        !fb.weight_starts || !fb.widths)
        return ODL_ERR_MODEL;
    fb.num_channels = op->params[0];
    if (fb.num_channels != ny || nu != nw || nfs <= ny || nws <= ny || nwd <= ny) return ODL_ERR_SHAPE;
    for (int32_t i = 0; i <= ny; ++i) { /* no channel may read past its tables */
        const int32_t f = fb.freq_starts[i], s = fb.weight_starts[i], w = fb.widths[i];
        if (f < 0 || s < 0 || w < 0 || f + w > nx || s + w > nw) return ODL_ERR_MODEL;
    }
    odl_signal_filter_bank_u32(&fb, x, y);
    return ODL_OK;
}
