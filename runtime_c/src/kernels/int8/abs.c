/* ABS (int8, int16), bit-exact with TFLite Micro (AbsEvalQuantized):
 * |x - zx|, rescaled by s_x / s_y only when the scales differ, plus zy, clamped. */
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

odl_status_t odl_abs(int32_t elem, int32_t zx, int32_t zy, int32_t rescale, int32_t mult, int32_t shift, int32_t size,
                     const void *in, void *out) {
    if (!in || !out || size < 0 || (elem != 1 && elem != 2) || shift > 31 || shift < -31) return ODL_ERR_ARG;
    const int32_t lo = elem == 1 ? -128 : -32768, hi = elem == 1 ? 127 : 32767;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = elem == 1 ? ((const int8_t *)in)[i] : ((const int16_t *)in)[i];
        const int32_t v = x - zx < 0 ? zx - x : x - zx;
        const int32_t r = (rescale ? odl_mul_by_quantized_multiplier(v, mult, shift) : v) + zy;
        if (elem == 1) ((int8_t *)out)[i] = (int8_t)odl_clamp_i32(r, lo, hi);
        else ((int16_t *)out)[i] = (int16_t)odl_clamp_i32(r, lo, hi);
    }
    return ODL_OK;
}
