/* QUANTIZE to and from int16, bit-exact with TFLite Micro: float32 -> int16
 * (AffineQuantize: round half away from zero of x / s in float32) and
 * requantization between int8 and int16 (reference_ops::Requantize). */
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

static int32_t round_half_away(float v) {
    const int32_t t = (int32_t)v;
    const float frac = v - (float)t;
    if (frac >= 0.5f) return t + 1;
    if (frac <= -0.5f) return t - 1;
    return t;
}

odl_status_t odl_quantize_f32_s16(float scale, int32_t zero_point, int32_t size, const float *in, int16_t *out) {
    if (!in || !out || size < 0 || !(scale > 0.0f)) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) {
        const float v = in[i] / scale;
        int32_t q;
        if (v >= 1e6f) q = 1000000;
        else if (v <= -1e6f) q = -1000000;
        else if (v != v) q = 0;
        else q = round_half_away(v);
        out[i] = (int16_t)odl_clamp_i32(q + zero_point, -32768, 32767);
    }
    return ODL_OK;
}

odl_status_t odl_requantize_s16(int32_t in_elem, int32_t out_elem, int32_t input_zero_point, int32_t multiplier,
                                int32_t shift, int32_t output_zero_point, int32_t size, const void *in, void *out) {
    if (!in || !out || size < 0 || shift > 31 || shift < -31) return ODL_ERR_ARG;
    if ((in_elem != 1 && in_elem != 2) || (out_elem != 1 && out_elem != 2)) return ODL_ERR_ARG;
    const int32_t lo = out_elem == 1 ? -128 : -32768, hi = out_elem == 1 ? 127 : 32767;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = in_elem == 1 ? ((const int8_t *)in)[i] : ((const int16_t *)in)[i];
        const int32_t v = odl_clamp_i32(
            odl_mul_by_quantized_multiplier(x - input_zero_point, multiplier, shift) + output_zero_point, lo, hi);
        if (out_elem == 1) ((int8_t *)out)[i] = (int8_t)v;
        else ((int16_t *)out)[i] = (int16_t)v;
    }
    return ODL_OK;
}
