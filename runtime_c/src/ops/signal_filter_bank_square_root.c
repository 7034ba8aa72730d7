/* SignalFilterBankSquareRoot decoder (pytool/ops/signal_filter_bank_square_root.py).
 * inputs : [x uint64 [c], scale_bits int32 []]; outputs: [uint32 [c]] */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_filter_bank_square_root(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, ns = 0, ny = 0;
    const uint64_t *x = odl_signal_io(ctx, op, 0, 0, ODL_DT_INT64, &nx);
    const int32_t *s = odl_signal_io(ctx, op, 0, 1, ODL_DT_INT32, &ns);
    uint32_t *y = odl_signal_io(ctx, op, 1, 0, ODL_DT_INT32, &ny);
    if (op->n_inputs != 2 || !x || !s || !y) return ODL_ERR_MODEL;
    if (nx != ny || ns != 1) return ODL_ERR_SHAPE;
    odl_signal_filter_bank_sqrt_u64(x, nx, *s, y);
    return ODL_OK;
}
