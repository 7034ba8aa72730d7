/* int8 MEAN as TFLite Micro runs it (EvalIntegerMean ->
 * reference_ops::QuantizedMeanOrSum): (sum - input_zp * count) requantized
 * with a multiplier that has 1/count folded in, plus output_zp, clamped; the
 * current tflite-micro takes this path even when input and output share
 * their quantization. same_quant != 0 selects the older same-quantization
 * path (reference_ops::Mean: int32 sum / count, C division truncating toward
 * zero); with reduce == 1 it is the plain copy TFLite does for empty axes.
 * The input is viewed as [outer, reduce, inner]; integer sums do not depend
 * on order. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

odl_status_t odl_mean_s8(const odl_mean_params_t *p, int32_t outer, int32_t reduce, int32_t inner,
                         const int8_t *in, int8_t *out) {
    if (!p || !in || !out) return ODL_ERR_ARG;
    if (outer < 0 || reduce <= 0 || inner < 0) return ODL_ERR_SHAPE;
    for (int32_t o = 0; o < outer; ++o) {
        const int8_t *base = in + (size_t)o * reduce * inner;
        for (int32_t i = 0; i < inner; ++i) {
            int32_t sum = 0;
            for (int32_t r = 0; r < reduce; ++r) sum += base[(size_t)r * inner + i];
            int32_t v;
            if (p->same_quant) {
                v = sum / reduce;
            } else {
                v = odl_mul_by_quantized_multiplier(sum - p->input_zp * reduce, p->multiplier, p->shift) +
                    p->output_zp;
                v = odl_clamp_i32(v, -128, 127);
            }
            out[(size_t)o * inner + i] = (int8_t)v;
        }
    }
    return ODL_OK;
}
