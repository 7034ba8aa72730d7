/* QUANTIZE to and from int16, bit-exact with TFLite Micro: float32 -> int16
 * (AffineQuantize: round half away from zero of x / s in float32) and
 * requantization between int8, uint8, int16 and int32 (reference_ops::Requantize). */
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

odl_status_t odl_quantize_f32_s16(float scale, int32_t zero_point, int32_t size, const float *in, int16_t *out) {
    if (!in || !out || size < 0 || !(scale > 0.0f)) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i)
        out[i] = (int16_t)odl_clamp_i32(odl_quantize_round_f32(in[i] / scale) + zero_point, -32768, 32767);
    return ODL_OK;
}

static int32_t load_as_i32(int32_t dtype, const void *p, int32_t i) {
    switch (dtype) {
    case ODL_DT_INT8: return ((const int8_t *)p)[i];
    case ODL_DT_UINT8: return ((const uint8_t *)p)[i];
    case ODL_DT_INT16: return ((const int16_t *)p)[i];
    default: return ((const int32_t *)p)[i];
    }
}

odl_status_t odl_requantize(int32_t in_dtype, int32_t out_dtype, int32_t input_zero_point, int32_t multiplier,
                            int32_t shift, int32_t output_zero_point, int32_t size, const void *in, void *out) {
    if (!in || !out || size < 0 || shift > 31 || shift < -31) return ODL_ERR_ARG;
    int32_t lo, hi;
    switch (out_dtype) {
    case ODL_DT_INT8: lo = INT8_MIN, hi = INT8_MAX; break;
    case ODL_DT_UINT8: lo = 0, hi = UINT8_MAX; break;
    case ODL_DT_INT16: lo = INT16_MIN, hi = INT16_MAX; break;
    case ODL_DT_INT32: lo = INT32_MIN, hi = INT32_MAX; break;
    default: return ODL_ERR_ARG;
    }
    if (in_dtype != ODL_DT_INT8 && in_dtype != ODL_DT_UINT8 && in_dtype != ODL_DT_INT16 && in_dtype != ODL_DT_INT32)
        return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = load_as_i32(in_dtype, in, i);
        /* int32 arithmetic wraps as the C++ does on its (two's-complement) targets */
        const int32_t d = (int32_t)((uint32_t)x - (uint32_t)input_zero_point);
        const int32_t m = odl_mul_by_quantized_multiplier(d, multiplier, shift);
        const int32_t v = odl_clamp_i32((int32_t)((uint32_t)m + (uint32_t)output_zero_point), lo, hi);
        switch (out_dtype) {
        case ODL_DT_INT8: ((int8_t *)out)[i] = (int8_t)v; break;
        case ODL_DT_UINT8: ((uint8_t *)out)[i] = (uint8_t)v; break;
        case ODL_DT_INT16: ((int16_t *)out)[i] = (int16_t)v; break;
        default: ((int32_t *)out)[i] = v; break;
        }
    }
    return ODL_OK;
}

/* y = scale * (x - zp), one float32 multiply (reference_ops::Dequantize). */
odl_status_t odl_dequantize_s16_f32(float scale, int32_t zero_point, int32_t size, const int16_t *in, float *out) {
    if (!in || !out || size < 0) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) out[i] = scale * (float)((int32_t)in[i] - zero_point);
    return ODL_OK;
}

odl_status_t odl_dequantize_u8_f32(float scale, int32_t zero_point, int32_t size, const uint8_t *in, float *out) {
    if (!in || !out || size < 0) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) out[i] = scale * (float)((int32_t)in[i] - zero_point);
    return ODL_OK;
}
