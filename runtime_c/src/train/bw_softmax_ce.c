/* Gradient of softmax cross-entropy with respect to the real logits:
 * softmax(l) - onehot(label), with the Q16.16 exponential of loss.c so the
 * probabilities match the reported loss. */
#include "odl/kernels_bw_s8.h"
#include "odl/train.h"

odl_status_t odl_softmax_ce_s8_bw_input(const int8_t *logits, int32_t n, int32_t logit_scale_q16, int32_t label,
                                        int32_t *e, int32_t *exp) {
    if (!logits || !e || !exp || n <= 0 || label < 0 || label >= n) return ODL_ERR_ARG;
    int32_t best = 0;
    for (int32_t k = 1; k < n; ++k)
        if (logits[k] > logits[best]) best = k;
    int64_t sum = 0;
    for (int32_t k = 0; k < n; ++k) {
        e[k] = odl_exp_neg_q16((int32_t)(logits[k] - logits[best]) * logit_scale_q16);
        sum += e[k];
    }
    for (int32_t k = 0; k < n; ++k) {
        const int32_t p = (int32_t)(((int64_t)e[k] << 16) / sum);
        e[k] = p - (k == label ? 65536 : 0);
    }
    *exp = -16;
    odl_bw_normalize(e, n, exp);
    return ODL_OK;
}
