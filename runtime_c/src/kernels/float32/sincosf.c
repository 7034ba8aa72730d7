/* odl_sinf / odl_cosf: glibc's sinf and cosf algorithm (ARM optimized-routines:
 * |x| < pi/4 straight to the polynomial, |x| < 120 reduced by one double
 * multiply-subtract with pi/2, larger |x| reduced exactly in integers with
 * 4/pi to 192 bits; then the sine or cosine polynomial in double), written
 * with plain double multiplies and adds so every target rounds alike
 * (newlib's sinf / cosf are another algorithm). Twin: pytool/ops/f32_sincosf.py. */
#include <string.h>

#include "odl/kernels_f32.h"

/* Sine signs per quadrant, 2/pi * 2^24, pi/2, cosine c0..c4, sine s1..s3 (glibc's published constants). */
static const double SIGN[4] = {1.0, -1.0, -1.0, 1.0};
static const double HPI_INV = 0x1.45f306dc9c883p+23, HPI = 0x1.921fb54442d18p0, PI63 = 0x1.921fb54442d18p-62;
static const double C[2][5] = {
    {0x1p0, -0x1.ffffffd0c621cp-2, 0x1.55553e1068f19p-5, -0x1.6c087e89a359dp-10, 0x1.99343027bf8c3p-16},
    {-0x1p0, 0x1.ffffffd0c621cp-2, -0x1.55553e1068f19p-5, 0x1.6c087e89a359dp-10, -0x1.99343027bf8c3p-16}};
static const double S1 = -0x1.555545995a603p-3, S2 = 0x1.1107605230bc4p-7, S3 = -0x1.994eb3774cf24p-13;
/* 4/pi in 192 bits, 8 new bits per entry so every 32-bit window is one load. */
static const uint32_t INV_PIO4[24] = {
    0xa2u,       0xa2f9u,     0xa2f983u,   0xa2f9836eu, 0xf9836e4eu, 0x836e4e44u, 0x6e4e4415u, 0x4e441529u,
    0x441529fcu, 0x1529fc27u, 0x29fc2757u, 0xfc2757d1u, 0x2757d1f5u, 0x57d1f534u, 0xd1f534ddu, 0xf534ddc0u,
    0x34ddc0dbu, 0xddc0db62u, 0xc0db6295u, 0xdb629599u, 0x6295993cu, 0x95993c43u, 0x993c4390u, 0x3c439041u};

static uint32_t top12(uint32_t bits) { return (bits >> 20) & 0x7ffu; }

/* Even n: sine polynomial of x; odd n: cosine polynomial (table t: +cos or -cos). */
static float poly(double x, double x2, int t, int n) {
    if ((n & 1) == 0) {
        const double x3 = x * x2, s1 = S2 + x2 * S3, x7 = x3 * x2, s = x + x3 * S1;
        return (float)(s + x7 * s1);
    }
    const double x4 = x2 * x2, c2 = C[t][3] + x2 * C[t][4], c1 = C[t][0] + x2 * C[t][1], x6 = x4 * x2;
    const double c = c1 + x4 * C[t][2];
    return (float)(c + x6 * c2);
}

/* |x| < 120: x - n pi/2 with n from the product scaled by 2^24 (rounds halves up). */
static double reduce_fast(double x, int *np) {
    const double r = x * HPI_INV;
    const int n = ((int32_t)r + 0x800000) >> 24;
    *np = n;
    return x - n * HPI;
}

/* |x| >= 120: the exact 2.62 fixed-point x * 4/pi modulo 4 from a 32 x 96-bit product. */
static double reduce_large(uint32_t xi, int *np) {
    const uint32_t *arr = &INV_PIO4[(xi >> 26) & 15u];
    const int shift = (int)((xi >> 23) & 7u);
    xi = ((xi & 0xffffffu) | 0x800000u) << shift;
    uint64_t res0 = (uint64_t)(uint32_t)(xi * arr[0]); /* only the low 32 bits count */
    const uint64_t res1 = (uint64_t)xi * arr[4], res2 = (uint64_t)xi * arr[8];
    res0 = (res2 >> 32) | (res0 << 32);
    res0 += res1;
    const uint64_t n = (res0 + (1ull << 61)) >> 62;
    res0 -= n << 62;
    *np = (int)n;
    return (double)(int64_t)res0 * PI63;
}

/* cos = 1: the cosine's quadrant is the sine's plus one. */
static float sincos_f(float y, int cos) {
    uint32_t xi;
    memcpy(&xi, &y, sizeof xi);
    const uint32_t t = top12(xi);
    double x = y;
    int n;
    if (t < 0x3f4u) { /* |y| < pi/4 (its top 12 bits) */
        if (t < 0x398u) return cos ? 1.0f : y; /* |y| < 2^-12 */
        return poly(x, x * x, 0, cos);
    }
    int q;
    if (t < 0x42fu) { /* |y| < 120 */
        x = reduce_fast(x, &n);
        q = n;
    } else if (t < 0x7f8u) {
        x = reduce_large(xi, &n);
        q = n + (int)(xi >> 31);
    } else {
        return (y - y) / (y - y); /* inf, nan */
    }
    const double s = SIGN[q & 3];
    return poly(x * s, x * x, (q & 2) ? 1 : 0, n ^ cos);
}

float odl_sinf(float x) { return sincos_f(x, 0); }

float odl_cosf(float x) { return sincos_f(x, 1); }
