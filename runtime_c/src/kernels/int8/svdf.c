/* int8 SVDF with an int16 (or int8) activation state, bit-exact with TFLite
 * Micro (EvalIntegerSvdfReference): the state (batch x filters x memory)
 * shifts left by one element, each filter's newest slot takes the rescaled
 * feature dot product (plus the state zero point, clamped), then the time
 * weights reduce the memory, ranks are summed with the bias and rescaled to
 * the int8 output. The state lives across invokes (a variable tensor). */
#include <string.h>

#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

odl_status_t odl_svdf_s8(const odl_svdf_params_t *p, int32_t state_elem, const int8_t *in, const int8_t *w_feature,
                         const void *w_time, const int32_t *bias, void *state, int8_t *out) {
    if (!p || !in || !w_feature || !w_time || !state || !out || (state_elem != 1 && state_elem != 2)) return ODL_ERR_ARG;
    const int32_t nb = p->batches, ni = p->inputs, nf = p->filters, nm = p->memory, nr = p->rank;
    if (nb <= 0 || ni <= 0 || nf <= 0 || nm <= 0 || nr <= 0 || nf % nr) return ODL_ERR_ARG;
    const int32_t nu = nf / nr, total = nb * nf * nm;
    const int32_t lo = state_elem == 1 ? -128 : -32768, hi = state_elem == 1 ? 127 : 32767;
    int16_t *s16 = (int16_t *)state;
    int8_t *s8 = (int8_t *)state;
    if (state_elem == 2) memmove(s16, s16 + 1, (size_t)(total - 1) * 2);
    else memmove(s8, s8 + 1, (size_t)(total - 1));
    for (int32_t b = 0; b < nb; ++b)
        for (int32_t f = 0; f < nf; ++f) {
            int32_t dot = 0;
            for (int32_t c = 0; c < ni; ++c)
                dot += (int32_t)w_feature[f * ni + c] * ((int32_t)in[b * ni + c] - p->input_zero_point);
            dot = odl_mul_by_quantized_multiplier(dot, p->mult_1, p->shift_1) + p->state_zero_point;
            const int32_t k = (b * nf + f) * nm + nm - 1;
            if (state_elem == 2) s16[k] = (int16_t)odl_clamp_i32(dot, lo, hi);
            else s8[k] = (int8_t)odl_clamp_i32(dot, lo, hi);
        }
    for (int32_t b = 0; b < nb; ++b)
        for (int32_t u = 0; u < nu; ++u) {
            uint32_t acc = bias ? (uint32_t)bias[u] : 0u; /* int32 sums, wrapping as the C++ would */
            for (int32_t r = 0; r < nr; ++r) {
                const int32_t f = u * nr + r;
                int32_t t = 0;
                for (int32_t j = 0; j < nm; ++j) {
                    const int32_t k = (b * nf + f) * nm + j;
                    const int32_t sv = (state_elem == 2 ? s16[k] : s8[k]) - p->state_zero_point;
                    const int32_t wt = state_elem == 2 ? ((const int16_t *)w_time)[f * nm + j]
                                                       : ((const int8_t *)w_time)[f * nm + j];
                    t = (int32_t)((uint32_t)t + (uint32_t)(wt * sv));
                }
                acc += (uint32_t)t;
            }
            const int32_t v = odl_mul_by_quantized_multiplier((int32_t)acc, p->mult_2, p->shift_2) + p->output_zero_point;
            out[b * nu + u] = (int8_t)odl_clamp_i32(v, -128, 127);
        }
    return ODL_OK;
}
