/* Losses in fixed point (Q16.16), so integer-only cores report and train on
 * the same numbers as the host. */
#include "odl/train.h"

/* 2^f for f in [0,1) in Q16, cubic fit (max error ~1e-4). The operands are
 * non-negative and every product stays below 2^32, so unsigned 32-bit
 * arithmetic gives the bits of the int64 formula (checked exhaustively). */
static int32_t exp2_frac_q16(uint32_t f) {
    /* 2^f ~= 1 + f*(0.6951 + f*(0.2262 + f*0.0787)) */
    uint32_t p = 5158;              /* 0.0787 */
    p = 14824 + ((p * f) >> 16);    /* 0.2262 */
    p = 45554 + ((p * f) >> 16);    /* 0.6951; p <= 65534 */
    return (int32_t)(65536 + ((p * f) >> 16));
}

static inline int32_t exp_neg_q16(int32_t x) {
    if (x >= 0) return 65536;
    /* exp(x) = 2^(x*log2(e)); log2(e) = 94548/65536. With y = x*94548 (Q32),
     * the integer part is floor(y / 2^32), the Q16 fraction bits 16..31 of y. */
    const int64_t y = (int64_t)x * 94548;
    const int32_t ip = (int32_t)(y >> 32);
    if (ip < -30) return 0;
    return exp2_frac_q16((uint32_t)y >> 16) >> (-ip);
}

int32_t odl_exp_neg_q16(int32_t x) { return exp_neg_q16(x); }

int32_t odl_ln_q16(int64_t x64) {
    if (x64 <= 0) return INT32_MIN;
    /* ln(x) = e*ln(2) + ln(m), m in [1,2) */
    int32_t e = 0;
    while (x64 >= (1ll << 31)) { x64 >>= 1; e++; }
    uint32_t x = (uint32_t)x64;
    while (x >= (2u << 16)) { x >>= 1; e++; }
    while (x < (1u << 16)) { x <<= 1; e--; }
    /* ln(m) = 2 atanh(t), t = (m-1)/(m+1) in [0, 1/3]: four odd terms; all
     * operands non-negative and below 2^32 (the int64 formula's bits) */
    const uint32_t t = ((x - 65536u) << 16) / (x + 65536u);
    const uint32_t t2 = (t * t) >> 16;
    uint32_t p = 65536 / 7;
    p = 65536 / 5 + ((p * t2) >> 16);
    p = 65536 / 3 + ((p * t2) >> 16);
    p = 65536 + ((p * t2) >> 16);
    const uint32_t ln_m = (2u * p * t) >> 16;
    return e * 45426 + (int32_t)ln_m; /* e*ln(2) + ln(m) */
}

odl_status_t odl_loss_q16(const odl_ctx_t *ctx, int32_t label, int32_t *loss_q16, int32_t *predicted) {
    const odl_train_config_t *tc = ctx->model->train;
    return odl_loss_q16_of(ctx, odl_tensor_info(ctx, tc->logits), (const int8_t *)odl_tensor_ptr(ctx, tc->logits),
                           label, loss_q16, predicted);
}

odl_status_t odl_loss_q16_of(const odl_ctx_t *ctx, const odl_tensor_t *t, const int8_t *q, int32_t label,
                             int32_t *loss_q16, int32_t *predicted) {
    const odl_train_config_t *tc = ctx->model->train;
    if (!t || !q || t->dtype != ODL_DT_INT8) return ODL_ERR_TRAIN;
    int32_t n = odl_tensor_numel(t);
    if (label < 0 || label >= n) return ODL_ERR_ARG;
    int32_t best = 0;
    for (int32_t k = 1; k < n; ++k)
        if (q[k] > q[best]) best = k;
    *predicted = best;
    if (tc->loss == ODL_LOSS_MSE) {
        /* one-hot target in real units */
        int64_t acc = 0;
        for (int32_t k = 0; k < n; ++k) {
            int64_t v = ((int64_t)(q[k] - t->zero_point) * tc->logit_scale_q16) - (k == label ? 65536 : 0);
            acc += (v * v) >> 16;
        }
        *loss_q16 = (int32_t)(acc / n);
        return ODL_OK;
    }
    int64_t sum = 0;
    for (int32_t k = 0; k < n; ++k)
        sum += exp_neg_q16((int32_t)(q[k] - q[best]) * tc->logit_scale_q16);
    int32_t d_label = (int32_t)(q[label] - q[best]) * tc->logit_scale_q16;
    *loss_q16 = odl_ln_q16(sum) - d_label;
    return ODL_OK;
}

int32_t odl_ce_q16_values(const int32_t *v, int32_t n, int32_t label) {
    int32_t best = 0;
    for (int32_t k = 1; k < n; ++k)
        if (v[k] > v[best]) best = k;
    int64_t sum = 0;
    for (int32_t k = 0; k < n; ++k) sum += exp_neg_q16(v[k] - v[best]);
    return odl_ln_q16(sum) - (v[label] - v[best]);
}
