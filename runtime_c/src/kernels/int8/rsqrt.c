/* RSQRT, int8 and int16, bit-exact with TFLite Micro's RsqrtEvalQuantized:
 * 1/sqrt(x - zx) by GetInvSqrtQuantizedMultiplierExp, applied to 1 with 20
 * extra bits, then the output multiplier 1 / (sqrt(s_x) s_y). x == zx gives
 * the type's maximum. Negative inputs (TFLite Micro fails the invoke) take
 * the x - zx <= 1 path. */
#include "gemmlowp_fixedpoint.h"
#include "odl/kernels_ext.h"

static int32_t rsqrt_one(int32_t v, int32_t zy, int32_t mult, int32_t shift, int32_t lo, int32_t hi) {
    if (v == 0) return hi;
    int s;
    const int32_t m = odl_fp_inv_sqrt_exp(v, -1, &s);
    const int32_t data = odl_mul_by_quantized_multiplier(1, m, s + 20);
    return odl_clamp_i32(odl_mul_by_quantized_multiplier(data, mult, shift - 20) + zy, lo, hi);
}

odl_status_t odl_rsqrt(int32_t elem, int32_t zx, int32_t zy, int32_t mult, int32_t shift, int32_t size, const void *in,
                       void *out) {
    if (!in || !out || size < 0 || shift > 31 || shift < -31) return ODL_ERR_ARG;
    if (elem == 1) {
        const int8_t *x = (const int8_t *)in;
        int8_t *y = (int8_t *)out;
        for (int32_t i = 0; i < size; ++i) y[i] = (int8_t)rsqrt_one(x[i] - zx, zy, mult, shift, INT8_MIN, INT8_MAX);
        return ODL_OK;
    }
    if (elem == 2) {
        const int16_t *x = (const int16_t *)in;
        int16_t *y = (int16_t *)out;
        for (int32_t i = 0; i < size; ++i)
            y[i] = (int16_t)rsqrt_one(x[i] - zx, zy, mult, shift, INT16_MIN, INT16_MAX);
        return ODL_OK;
    }
    return ODL_ERR_ARG;
}
