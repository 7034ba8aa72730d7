/* exp / ln / sqrt from +, -, *, / only, so every target rounds alike. */
#include "odl/f16.h"

float odl_f16_expf(float x) {
    if (!(x <= 0.0f)) return x != x ? x : 1.0f; /* only x <= 0 is used: keep NaN, clamp above */
    float t = x * 1.44269504f;                  /* x / ln 2 */
    if (t < -125.0f) return 0.0f;
    int32_t k = -(int32_t)(0.5f - t); /* round half away from zero, t <= 0 */
    float kf = (float)k;
    /* Cody-Waite: r = x - k ln2 in two parts, |r| <= ~0.35 */
    float r = (x - kf * 0.693145752f) - kf * 1.42860677e-06f;
    float p = 1.0f / 720.0f;
    p = 1.0f / 120.0f + r * p;
    p = 1.0f / 24.0f + r * p;
    p = 1.0f / 6.0f + r * p;
    p = 0.5f + r * p;
    p = 1.0f + r * p;
    p = 1.0f + r * p;
    return p * odl_bits_f32((uint32_t)(k + 127) << 23);
}

float odl_f16_logf(float x) {
    if (!(x >= 1.0f)) return x != x ? x : 0.0f;
    uint32_t u = odl_f32_bits(x);
    int32_t e = (int32_t)(u >> 23) - 127;
    float m = odl_bits_f32((u & 0x7fffffu) | 0x3f800000u); /* [1, 2) */
    if (m > 1.41421356f) {
        m = m * 0.5f;
        e++;
    }
    /* ln m = 2 atanh(f), f = (m - 1) / (m + 1), |f| <= 0.172 */
    float f = (m - 1.0f) / (m + 1.0f);
    float s = f * f;
    float p = 1.0f / 9.0f;
    p = 1.0f / 7.0f + s * p;
    p = 1.0f / 5.0f + s * p;
    p = 1.0f / 3.0f + s * p;
    p = 1.0f + s * p;
    return (float)e * 0.693147181f + 2.0f * f * p;
}

float odl_f16_sqrtf(float x) {
    if (!(x > 0.0f)) return x == 0.0f ? 0.0f : x;
    float y = odl_bits_f32((odl_f32_bits(x) >> 1) + 0x1fbb4000u);
    y = 0.5f * (y + x / y);
    y = 0.5f * (y + x / y);
    y = 0.5f * (y + x / y);
    return y;
}
