/* BasicClassifier (TFLite Micro's custom op): the scores at the target
 * indices and whether each reaches its threshold. An index outside [0, n)
 * fails before anything is written. */
#include "odl/kernels_ext.h"

odl_status_t odl_basic_classifier_i32(int32_t n, const int32_t *scores, int32_t k, const int32_t *targets,
                                      const int32_t *thresholds, uint8_t *detected, int32_t *posteriors) {
    if (!scores || !targets || !thresholds || !detected || !posteriors || n < 0 || k < 0) return ODL_ERR_ARG;
    for (int32_t i = 0; i < k; ++i)
        if (targets[i] < 0 || targets[i] >= n) return ODL_ERR_ARG;
    for (int32_t i = 0; i < k; ++i) {
        const int32_t v = scores[targets[i]];
        posteriors[i] = v;
        detected[i] = (uint8_t)(v >= thresholds[i]);
    }
    return ODL_OK;
}
