/* SignalIrfft int16 / int32 / float32 decoder (pytool/ops/signal_irfft.py).
 * inputs : [x int16|int32|float32 [..., 2 (n/2 + 1)], twiddles int16|int32|float32 [n/2, 2], super_twiddles int16|int32|float32 [n/4, 2]] (inverse tables)
 * outputs: [y int16|int32|float32 [..., n]]
 * params : [fft_length n, n_factors, p0, m0, p1, m1, ...] (radix 2, 3, 4, 5) */
#include "odl/ops_signal.h"

odl_status_t odl_op_signal_irfft(odl_ctx_t *ctx, const odl_op_t *op) {
    int32_t nx = 0, ny = 0, ntw = 0, nsup = 0;
    const odl_tensor_t *t0 = odl_op_in_info(ctx, op, 0);
    const int32_t dt = t0 && (t0->dtype == ODL_DT_INT32 || t0->dtype == ODL_DT_FLOAT32) ? t0->dtype : ODL_DT_INT16;
    const void *x = odl_signal_io(ctx, op, 0, 0, dt, &nx);
    const void *tw = odl_signal_io(ctx, op, 0, 1, dt, &ntw);
    const void *sup = odl_signal_io(ctx, op, 0, 2, dt, &nsup);
    void *y = odl_signal_io(ctx, op, 1, 0, dt, &ny);
    if (op->n_inputs != 3 || op->n_params < 2 || !x || !tw || !sup || !y) return ODL_ERR_MODEL;
    const int32_t n = op->params[0];
    const odl_status_t plan = odl_signal_fft_plan(op, ntw, nsup);
    if (plan != ODL_OK) return plan;
    const int32_t in_len = 2 * (n / 2 + 1);
    if (nx % in_len || ny != (nx / in_len) * n) return ODL_ERR_SHAPE;
    for (int32_t r = 0; r < nx / in_len; ++r) {
        if (dt == ODL_DT_FLOAT32) {
            odl_signal_irfft_f32((const float *)x + r * in_len, n, op->params + 2, tw, sup, (float *)y + r * n);
        } else if (dt == ODL_DT_INT32) {
            odl_signal_irfft_s32((const int32_t *)x + r * in_len, n, op->params + 2, tw, sup, (int32_t *)y + r * n);
        } else {
            odl_signal_irfft_s16((const int16_t *)x + r * in_len, n, op->params + 2, tw, sup, (int16_t *)y + r * n);
        }
    }
    return ODL_OK;
}
