/* TFLite's integer requantization primitives, bit for bit (the default,
 * double-rounding variant that TFLite Micro's reference kernels use). */
#ifndef ODL_FIXEDPOINT_H
#define ODL_FIXEDPOINT_H

#include <stdint.h>

static inline int32_t odl_sat_rounding_doubling_high_mul(int32_t a, int32_t b) {
    if (a == b && a == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
    /* Division (not shift) truncates toward zero, as TFLite does. */
    return (int32_t)((ab + nudge) / (1ll << 31));
}

static inline int32_t odl_rounding_divide_by_pot(int32_t x, int exponent) {
    const int32_t mask = (int32_t)((1ll << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * multiplier * 2^shift, multiplier a Q0.31 in [2^30, 2^31), shift signed
 * (positive = left). */
static inline int32_t odl_mul_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    return odl_rounding_divide_by_pot(
        odl_sat_rounding_doubling_high_mul((int32_t)((uint32_t)x << left), multiplier), right);
}

static inline int32_t odl_clamp_i32(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* std::round of a float (half away from zero), as TFLite's AffineQuantize
 * applies to x / scale. |v| < 2^24 there, where v - trunc(v) is exact; far
 * out of range (and inf) saturates to +-1e6, NaN maps to 0 (TFLite's
 * float->int32 cast is undefined there). Shared by the int8 and int16
 * QUANTIZE kernels. */
static inline int32_t odl_quantize_round_f32(float v) {
    if (v >= 1e6f) return 1000000;
    if (v <= -1e6f) return -1000000;
    if (v != v) return 0;
    const int32_t t = (int32_t)v;
    const float frac = v - (float)t;
    if (frac >= 0.5f) return t + 1;
    if (frac <= -0.5f) return t - 1;
    return t;
}

#endif
