/* SignalRfft int16 / int32 / float32 decoder (pytool/ops/signal_rfft.py).
 * inputs : [x int16|int32|float32 [..., len], twiddles int16|int32|float32 [n/2, 2], super_twiddles int16|int32|float32 [n/4, 2]]
 * outputs: [y int16|int32|float32 [..., 2 (n/2 + 1)]]
 * params : [fft_length n, n_factors, p0, m0, p1, m1, ...] (radix 2, 3, 4, 5) */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_rfft(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, ny = 0, ntw = 0, nsup = 0;
    const odl_tensor_t *tx = odl_op_in_info(ctx, op, 0);
    const int32_t dt = tx && (tx->dtype == ODL_DT_INT32 || tx->dtype == ODL_DT_FLOAT32) ? tx->dtype : ODL_DT_INT16;
    const void *x = odl_signal_io(ctx, op, 0, 0, dt, &nx);
    const void *tw = odl_signal_io(ctx, op, 0, 1, dt, &ntw);
    const void *sup = odl_signal_io(ctx, op, 0, 2, dt, &nsup);
    void *y = odl_signal_io(ctx, op, 1, 0, dt, &ny);
    if (op->n_inputs != 3 || op->n_params < 2 || !x || !tw || !sup || !y || tx->rank < 1) return ODL_ERR_MODEL;
    const int32_t n = op->params[0], len = tx->dims[tx->rank - 1];
    const odl_status_t plan = odl_signal_fft_plan(op, ntw, nsup);
    if (plan != ODL_OK) return plan;
    const int32_t out_len = 2 * (n / 2 + 1);
    if (len <= 0 || len > n || nx % len || ny != (nx / len) * out_len) return ODL_ERR_SHAPE;
    for (int32_t r = 0; r < nx / len; ++r) {
        if (dt == ODL_DT_FLOAT32) {
            odl_signal_rfft_f32((const float *)x + r * len, len, n, op->params + 2, tw, sup, (float *)y + r * out_len);
        } else if (dt == ODL_DT_INT32) {
            odl_signal_rfft_s32((const int32_t *)x + r * len, len, n, op->params + 2, tw, sup, (int32_t *)y + r * out_len);
        } else {
            odl_signal_rfft_s16((const int16_t *)x + r * len, len, n, op->params + 2, tw, sup, (int16_t *)y + r * out_len);
        }
    }
    return ODL_OK;
}
