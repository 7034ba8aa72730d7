/* odl_expm1f / odl_tanhf: glibc's expm1f and tanhf (the fdlibm single-precision
 * algorithms: expm1 by argument reduction with ln2 split in two floats and a
 * degree-5 rational correction; tanh from expm1 of 2|x|), written with plain
 * float operations so every target rounds alike. The Cortex-M's newlib builds
 * the same algorithms with fused multiply-adds (its FPU has VFMA), which round
 * differently: a float LSTM step differed by one ulp on mps2-an386. */
#include <string.h>

#include "odl/kernels_f32.h"

static uint32_t bits_of(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float float_of(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float odl_expm1f(float x) {
    static const float huge = 1.0e+30f, tiny = 1.0e-30f, o_threshold = 8.8721679688e+01f;
    static const float ln2_hi = 6.9313812256e-01f, ln2_lo = 9.0580006145e-06f, invln2 = 1.4426950216e+00f;
    static const float Q1 = -3.3333335072e-02f, Q2 = 1.5873016091e-03f, Q3 = -7.9365076090e-05f,
                       Q4 = 4.0082177293e-06f, Q5 = -2.0109921195e-07f;
    uint32_t hx = bits_of(x);
    const uint32_t xsb = hx & 0x80000000u;
    hx &= 0x7fffffffu;
    if (hx >= 0x4195b844u) { /* |x| >= 27 ln2 */
        if (hx >= 0x42b17218u) {
            if (hx > 0x7f800000u) return x + x; /* NaN */
            if (hx == 0x7f800000u) return xsb == 0 ? x : -1.0f;
            if (x > o_threshold) return huge * huge;
        }
        if (xsb != 0) return tiny - 1.0f;
    }
    float hi, lo, c = 0.0f;
    int32_t k;
    if (hx > 0x3eb17218u) { /* |x| > ln2 / 2 */
        if (hx < 0x3f851592u) { /* and < 1.5 ln2 */
            if (xsb == 0) {
                hi = x - ln2_hi, lo = ln2_lo, k = 1;
            } else {
                hi = x + ln2_hi, lo = -ln2_lo, k = -1;
            }
        } else {
            k = (int32_t)(invln2 * x + (xsb == 0 ? 0.5f : -0.5f));
            const float t = (float)k;
            hi = x - t * ln2_hi;
            lo = t * ln2_lo;
        }
        x = hi - lo;
        c = (hi - x) - lo;
    } else if (hx < 0x33000000u) { /* |x| < 2^-25 */
        const float t = huge + x;
        return x - (t - (huge + x));
    } else {
        k = 0;
    }
    const float hfx = 0.5f * x, hxs = x * hfx;
    const float r1 = 1.0f + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
    float t = 3.0f - r1 * hfx;
    float e = hxs * ((r1 - t) / (6.0f - x * t));
    if (k == 0) return x - (x * e - hxs);
    e = (x * (e - c) - c);
    e -= hxs;
    if (k == -1) return 0.5f * (x - e) - 0.5f;
    if (k == 1) {
        if (x < -0.25f) return -2.0f * (e - (x + 0.5f));
        return 1.0f + 2.0f * (x - e);
    }
    float y;
    if (k <= -2 || k > 56) { /* exp(x) - 1 */
        y = 1.0f - (e - x);
        y = float_of(bits_of(y) + ((uint32_t)k << 23));
        return y - 1.0f;
    }
    if (k < 23) {
        t = float_of(0x3f800000u - (0x1000000u >> k)); /* 1 - 2^-k */
        y = t - (e - x);
        y = float_of(bits_of(y) + ((uint32_t)k << 23));
    } else {
        t = float_of((uint32_t)(0x7f - k) << 23); /* 2^-k */
        y = x - (e + t);
        y += 1.0f;
        y = float_of(bits_of(y) + ((uint32_t)k << 23));
    }
    return y;
}

float odl_tanhf(float x) {
    const uint32_t jx = bits_of(x), ix = jx & 0x7fffffffu;
    if (ix >= 0x7f800000u) return (jx >> 31) == 0 ? 1.0f / x + 1.0f : 1.0f / x - 1.0f; /* +-1, NaN */
    float z;
    if (ix < 0x41b00000u) { /* |x| < 22 */
        if (ix == 0) return x;
        if (ix < 0x24000000u) return x * (1.0f + x); /* |x| < 2^-55 */
        const float ax = x < 0 ? -x : x;
        if (ix >= 0x3f800000u) { /* |x| >= 1 */
            const float t = odl_expm1f(2.0f * ax);
            z = 1.0f - 2.0f / (t + 2.0f);
        } else {
            const float t = odl_expm1f(-2.0f * ax);
            z = -t / (t + 2.0f);
        }
    } else {
        z = 1.0f - 1.0e-30f;
    }
    return (jx >> 31) == 0 ? z : -z;
}
