/* Decoder helper of the signal-library ops (runtime_c/src/ops/signal_*.c). */
#ifndef ODL_OPS_SIGNAL_H
#define ODL_OPS_SIGNAL_H

#include "odl/kernels_signal.h"
#include "odl/ops.h"

/* Input (out = 0) or output (out = 1) i when it has the storage dtype and
 * holds at least its element count; its element count in *numel. NULL otherwise. */
static inline void *odl_signal_io(const odl_ctx_t *ctx, const odl_op_t *op, int out, int i, int32_t dtype,
                                  int32_t *numel) {
    const odl_tensor_t *t = out ? odl_op_out_info(ctx, op, i) : odl_op_in_info(ctx, op, i);
    if (!t || t->dtype != dtype) return 0;
    const int32_t n = odl_tensor_numel(t);
    if (n < 0 || (size_t)t->bytes < (size_t)n * odl_dtype_size((odl_dtype_t)dtype)) return 0;
    if (numel) *numel = n;
    return out ? odl_op_out(ctx, op, i) : odl_op_in(ctx, op, i);
}

/* The FFT plan in an Rfft / Irfft op's params [n, n_factors, p0, m0, ...]
 * against its twiddle tables (ntw, nsup values): ODL_OK, or why not. */
static inline odl_status_t odl_signal_fft_plan(const odl_op_t *op, int32_t ntw, int32_t nsup) {
    if (op->n_params < 2) return ODL_ERR_MODEL;
    const int32_t n = op->params[0], nf = op->params[1];
    if (n < 4 || (n & 1) || nf < 1 || op->n_params != 2 + 2 * nf || ntw != n || nsup < 2 * (n / 4))
        return ODL_ERR_MODEL;
    int32_t prod = 1;
    for (int32_t k = 0; k < nf; ++k) {
        const int32_t p = op->params[2 + 2 * k];
        if (p < 2 || p > 5) return ODL_ERR_UNSUPPORTED; /* KISS FFT's radix 2, 3, 4, 5 butterflies */
        prod *= p;
        if (op->params[3 + 2 * k] * prod != n / 2) return ODL_ERR_MODEL;
    }
    return ODL_OK;
}

/* A power-of-two plan (radix 2 and 4 only), as the _pow2 decoders take. */
static inline odl_status_t odl_signal_fft_pow2(const odl_op_t *op) {
    for (int32_t k = 0; k < op->params[1]; ++k)
        if (op->params[2 + 2 * k] != 2 && op->params[2 + 2 * k] != 4) return ODL_ERR_UNSUPPORTED;
    return ODL_OK;
}

#endif
