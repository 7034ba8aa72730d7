/* Softmax cross-entropy and MSE on FP16 logits (see odl/kernels_f16.h). */
#include "f16_common.h"

static int32_t argmax_f16(const odl_f16_t *z, int32_t n, float *max) {
    int32_t best = 0;
    float bv = F(z[0]);
    for (int32_t k = 1; k < n; ++k)
        if (F(z[k]) > bv) best = k, bv = F(z[k]);
    *max = bv;
    return best;
}

odl_status_t odl_softmax_ce_f16(odl_f16_tensor_t *z, int32_t n, int32_t label, float scale, float *loss,
                                int32_t *argmax) {
    if (!z || !z->data || !loss || !argmax || n < 1) return ODL_ERR_ARG;
    if (label < 0 || label >= n) return ODL_ERR_ARG;
    float m;
    *argmax = argmax_f16(z->data, n, &m);
    float sum = 0.0f;
    for (int32_t k = 0; k < n; ++k) sum = sum + odl_f16_expf(F(z->data[k]) - m);
    *loss = odl_f16_logf(sum) - (F(z->data[label]) - m);
    if (z->grad)
        for (int32_t k = 0; k < n; ++k) {
            float pk = odl_f16_expf(F(z->data[k]) - m) / sum;
            z->grad[k] = R((pk - (k == label ? 1.0f : 0.0f)) * scale);
        }
    return ODL_OK;
}

odl_status_t odl_mse_f16(odl_f16_tensor_t *z, int32_t n, int32_t label, float scale, float *loss, int32_t *argmax) {
    if (!z || !z->data || !loss || !argmax || n < 1) return ODL_ERR_ARG;
    if (label < 0 || label >= n) return ODL_ERR_ARG;
    float m;
    *argmax = argmax_f16(z->data, n, &m);
    float acc = 0.0f, two_over_n = 2.0f / (float)n;
    for (int32_t k = 0; k < n; ++k) {
        float d = F(z->data[k]) - (k == label ? 1.0f : 0.0f);
        acc = acc + d * d;
        if (z->grad) z->grad[k] = R((d * two_over_n) * scale);
    }
    *loss = acc / (float)n;
    return ODL_OK;
}
