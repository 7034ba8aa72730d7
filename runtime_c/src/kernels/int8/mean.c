/* int8 MEAN as TFLite Micro runs it (EvalIntegerMean ->
 * reference_ops::QuantizedMeanOrSum): (sum - input_zp * count) requantized
 * with a multiplier that has 1/count folded in, plus output_zp, clamped; the
 * current tflite-micro takes this path even when input and output share
 * their quantization. same_quant != 0 selects the older same-quantization
 * path (reference_ops::Mean: int32 sum / count, C division truncating toward
 * zero); with reduce == 1 it is the plain copy TFLite does for empty axes.
 * The loop (shared with int16) is in mean_loop.h. */
#include "mean_loop.h"
#include "odl/kernels_int8.h"

odl_status_t odl_mean_s8(const odl_mean_params_t *p, int32_t outer, int32_t reduce, int32_t inner,
                         const int8_t *in, int8_t *out) {
    ODL_MEAN_LOOP(int8_t, -128, 127, p, outer, reduce, inner, in, out);
    return ODL_OK;
}

odl_status_t odl_mean_nd_s8(const odl_mean_params_t *p, const int32_t dims[5], int32_t mask, const int8_t *in,
                            int8_t *out) {
    ODL_MEAN_ND_LOOP(int8_t, -128, 127, p, dims, mask, in, out);
    return ODL_OK;
}
