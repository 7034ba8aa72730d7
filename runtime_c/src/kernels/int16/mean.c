/* int16 MEAN and SUM as TFLite Micro runs them (QuantizedMeanOrSum<int16_t,
 * int32_t>): int32 sum, minus input_zp * count, requantized (1/count folded
 * in for MEAN only), plus output_zp, clamped. same_quant with reduce == 1 is
 * the copy of empty axes. Input viewed as [outer, reduce, inner]. */
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

odl_status_t odl_mean_s16(const odl_mean_params_t *p, int32_t outer, int32_t reduce, int32_t inner,
                          const int16_t *in, int16_t *out) {
    if (!p || !in || !out) return ODL_ERR_ARG;
    if (outer < 0 || reduce <= 0 || inner < 0 || p->shift > 31 || p->shift < -31) return ODL_ERR_SHAPE;
    for (int32_t o = 0; o < outer; ++o) {
        const int16_t *base = in + (size_t)o * reduce * inner;
        for (int32_t i = 0; i < inner; ++i) {
            int32_t sum = 0;
            for (int32_t r = 0; r < reduce; ++r) sum += base[(size_t)r * inner + i];
            int32_t v;
            if (p->same_quant) {
                v = sum / reduce;
            } else {
                v = odl_mul_by_quantized_multiplier(sum - p->input_zp * reduce, p->multiplier, p->shift) +
                    p->output_zp;
                v = odl_clamp_i32(v, -32768, 32767);
            }
            out[(size_t)o * inner + i] = (int16_t)v;
        }
    }
    return ODL_OK;
}
