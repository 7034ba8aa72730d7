/* int16 RELU and RELU6, bit-exact with TFLite Micro: its ReluQuantized and
 * Relu6Quantized templates, instantiated for int16 (RELU requantizes with
 * the 32-bit MultiplyByQuantizedMultiplier; RELU6 only clamps). */
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"
#include "odl/kernels_int8_math.h"

odl_status_t odl_relu_s16(const odl_relu_params_t *p, int32_t size, const int16_t *in, int16_t *out) {
    if (!p || !in || !out || size < 0 || p->output_shift > 31 || p->output_shift < -31) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t v = p->output_zero_point + odl_mul_by_quantized_multiplier((int32_t)in[i] - p->input_zero_point,
                                                                                 p->output_multiplier, p->output_shift);
        out[i] = (int16_t)odl_clamp_i32(v, p->act_min, p->act_max);
    }
    return ODL_OK;
}

odl_status_t odl_relu6_s16(int32_t lower, int32_t upper, int32_t size, const int16_t *in, int16_t *out) {
    if (!in || !out || size < 0 || lower > upper) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) out[i] = (int16_t)odl_clamp_i32(in[i], lower, upper);
    return ODL_OK;
}
