/* QUANTIZE kernels, bit-exact with TFLite Micro: float32 -> int8
 * (reference_ops::AffineQuantize) and int8 -> int8 (reference_ops::Requantize). */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

odl_status_t odl_quantize_f32_s8(float scale, int32_t zero_point, int32_t size, const float *in, int8_t *out) {
    if (!in || !out || size < 0 || !(scale > 0.0f)) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i)
        out[i] = (int8_t)odl_clamp_i32(odl_quantize_round_f32(in[i] / scale) + zero_point, -128, 127);
    return ODL_OK;
}

odl_status_t odl_requantize_s8(int32_t input_zero_point, int32_t multiplier, int32_t shift,
                               int32_t output_zero_point, int32_t size, const int8_t *in, int8_t *out) {
    if (!in || !out || size < 0 || shift > 31 || shift < -31) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t v =
            odl_mul_by_quantized_multiplier((int32_t)in[i] - input_zero_point, multiplier, shift) + output_zero_point;
        out[i] = (int8_t)odl_clamp_i32(v, -128, 127);
    }
    return ODL_OK;
}
