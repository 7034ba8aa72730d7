/* int8 RELU6, bit-exact with TFLite Micro (Relu6Quantized): a clamp to
 * [zero point, quantized 6.0] of the input, without requantization. */
#include "odl/kernels_int8.h"

odl_status_t odl_relu6_s8(int32_t lower, int32_t upper, int32_t size, const int8_t *in, int8_t *out) {
    if (!in || !out || size < 0 || lower > upper) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t v = in[i];
        out[i] = (int8_t)(v > upper ? upper : (v < lower ? lower : v));
    }
    return ODL_OK;
}
