/* QUANTIZE to and from int16, bit-exact with TFLite Micro: float32 -> int16
 * (AffineQuantize: round half away from zero of x / s in float32) and
 * requantization between int8, int16 and int32 (reference_ops::Requantize). */
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

odl_status_t odl_quantize_f32_s16(float scale, int32_t zero_point, int32_t size, const float *in, int16_t *out) {
    if (!in || !out || size < 0 || !(scale > 0.0f)) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i)
        out[i] = (int16_t)odl_clamp_i32(odl_quantize_round_f32(in[i] / scale) + zero_point, -32768, 32767);
    return ODL_OK;
}

odl_status_t odl_requantize_s16(int32_t in_elem, int32_t out_elem, int32_t input_zero_point, int32_t multiplier,
                                int32_t shift, int32_t output_zero_point, int32_t size, const void *in, void *out) {
    if (!in || !out || size < 0 || shift > 31 || shift < -31) return ODL_ERR_ARG;
    if ((in_elem != 1 && in_elem != 2 && in_elem != 4) || (out_elem != 1 && out_elem != 2 && out_elem != 4))
        return ODL_ERR_ARG;
    const int32_t lo = out_elem == 1 ? -128 : out_elem == 2 ? -32768 : INT32_MIN;
    const int32_t hi = out_elem == 1 ? 127 : out_elem == 2 ? 32767 : INT32_MAX;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = in_elem == 1 ? ((const int8_t *)in)[i]
                          : in_elem == 2 ? ((const int16_t *)in)[i] : ((const int32_t *)in)[i];
        /* int32 arithmetic wraps as the C++ does on its (two's-complement) targets */
        const int32_t d = (int32_t)((uint32_t)x - (uint32_t)input_zero_point);
        const int32_t m = odl_mul_by_quantized_multiplier(d, multiplier, shift);
        const int32_t v = odl_clamp_i32((int32_t)((uint32_t)m + (uint32_t)output_zero_point), lo, hi);
        if (out_elem == 1) ((int8_t *)out)[i] = (int8_t)v;
        else if (out_elem == 2) ((int16_t *)out)[i] = (int16_t)v;
        else ((int32_t *)out)[i] = v;
    }
    return ODL_OK;
}

/* y = scale * (x - zp), one float32 multiply (reference_ops::Dequantize). */
odl_status_t odl_dequantize_s16_f32(float scale, int32_t zero_point, int32_t size, const int16_t *in, float *out) {
    if (!in || !out || size < 0) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) out[i] = scale * (float)((int32_t)in[i] - zero_point);
    return ODL_OK;
}
