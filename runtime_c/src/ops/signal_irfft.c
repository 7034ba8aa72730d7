/* SignalIrfft decoders (pytool/ops/signal_irfft.py): odl_op_signal_irfft_<type> (radix 2, 3, 4, 5) and
 * odl_op_signal_irfft_pow2_<type> (radix 2 and 4) each link one kernel; odl_op_signal_irfft (code 113)
 * picks the type at run time and links all three.
 * inputs : [x int16|int32|float32 [..., 2 (n/2 + 1)], twiddles int16|int32|float32 [n/2, 2], super_twiddles int16|int32|float32 [n/4, 2]] (inverse tables)
 * outputs: [y int16|int32|float32 [..., n]]
 * params : [fft_length n, n_factors, p0, m0, p1, m1, ...] (radix 2, 3, 4, 5) */
#include "odl/ops_signal.h"

typedef struct {
    const void *x, *tw, *sup;
    void *y;
    int32_t n, rows, in_len;
} irfft_io_t;

static odl_status_t irfft_io(odl_ctx_t *ctx, const odl_op_t *op, int32_t dt, irfft_io_t *io) {
    int32_t nx = 0, ny = 0, ntw = 0, nsup = 0;
    io->x = odl_signal_io(ctx, op, 0, 0, dt, &nx);
    io->tw = odl_signal_io(ctx, op, 0, 1, dt, &ntw);
    io->sup = odl_signal_io(ctx, op, 0, 2, dt, &nsup);
    io->y = odl_signal_io(ctx, op, 1, 0, dt, &ny);
    if (op->n_inputs != 3 || op->n_params < 2 || !io->x || !io->tw || !io->sup || !io->y) return ODL_ERR_MODEL;
    io->n = op->params[0];
    const odl_status_t plan = odl_signal_fft_plan(op, ntw, nsup);
    if (plan != ODL_OK) return plan;
    io->in_len = 2 * (io->n / 2 + 1);
    if (nx % io->in_len || ny != (nx / io->in_len) * io->n) return ODL_ERR_SHAPE;
    io->rows = nx / io->in_len;
    return ODL_OK;
}

/* One decoder per kernel; POW2 also refuses radix 3 and 5 plans. */
#define IRFFT_OP(kernel, T, DT, POW2)                                                                         \
    odl_status_t odl_op_##kernel(odl_ctx_t *ctx, const odl_op_t *op) {                                     \
        irfft_io_t io;                                                                                     \
        odl_status_t s = irfft_io(ctx, op, DT, &io);                                                       \
        if (s == ODL_OK && POW2) s = odl_signal_fft_pow2(op);                                              \
        if (s != ODL_OK) return s;                                                                         \
        for (int32_t r = 0; r < io.rows; ++r)                                                              \
            odl_##kernel((const T *)io.x + r * io.in_len, io.n, op->params + 2, (const T *)io.tw,          \
                         (const T *)io.sup, (T *)io.y + r * io.n);                                         \
        return ODL_OK;                                                                                     \
    }

IRFFT_OP(signal_irfft_s16, int16_t, ODL_DT_INT16, 0)
IRFFT_OP(signal_irfft_s32, int32_t, ODL_DT_INT32, 0)
IRFFT_OP(signal_irfft_f32, float, ODL_DT_FLOAT32, 0)
IRFFT_OP(signal_irfft_pow2_s16, int16_t, ODL_DT_INT16, 1)
IRFFT_OP(signal_irfft_pow2_s32, int32_t, ODL_DT_INT32, 1)
IRFFT_OP(signal_irfft_pow2_f32, float, ODL_DT_FLOAT32, 1)

odl_status_t odl_op_signal_irfft(odl_ctx_t *ctx, const odl_op_t *op) {
    const odl_tensor_t *t0 = odl_op_in_info(ctx, op, 0);
    const int32_t dt = t0 ? t0->dtype : ODL_DT_INT16;
    if (dt == ODL_DT_FLOAT32) return odl_op_signal_irfft_f32(ctx, op);
    if (dt == ODL_DT_INT32) return odl_op_signal_irfft_s32(ctx, op);
    return odl_op_signal_irfft_s16(ctx, op);
}
