/* odl_logf: glibc's logf algorithm (ARM optimized-routines: 16 table entries
 * of 1/c and log(c) in double, a cubic in r = z/c - 1), written with plain
 * double multiplies and adds so every target rounds alike (newlib's logf is
 * another algorithm). The numpy twin is pytool/ops/f32_logf.py. */
#include <string.h>

#include "odl/kernels_f32.h"

static const double INVC[16] = {
    0x1.661ec79f8f3bep+0, 0x1.571ed4aaf883dp+0, 0x1.49539f0f010b0p+0, 0x1.3c995b0b80385p+0,
    0x1.30d190c8864a5p+0, 0x1.25e227b0b8ea0p+0, 0x1.1bb4a4a1a343fp+0, 0x1.12358f08ae5bap+0,
    0x1.0953f419900a7p+0, 0x1.0000000000000p+0, 0x1.e608cfd9a47acp-1, 0x1.ca4b31f026aa0p-1,
    0x1.b2036576afce6p-1, 0x1.9c2d163a1aa2dp-1, 0x1.886e6037841edp-1, 0x1.767dcf5534862p-1};
static const double LOGC[16] = {
    -0x1.57bf7808caadep-2, -0x1.2bef0a7c06ddbp-2, -0x1.01eae7f513a67p-2, -0x1.b31d8a68224e9p-3,
    -0x1.6574f0ac07758p-3, -0x1.1aa2bc79c8100p-3, -0x1.a4e76ce8c0e5ep-4, -0x1.1973c5a611cccp-4,
    -0x1.252f438e10c1ep-5, 0.0, 0x1.aa5aa5df25984p-5, 0x1.c5e53aa362eb4p-4,
    0x1.526e57720db08p-3, 0x1.bc2860d224770p-3, 0x1.1058bc8a07ee1p-2, 0x1.4043057b6ee09p-2};
static const double LN2 = 0x1.62e42fefa39efp-1;
static const double A0 = -0x1.00ea348b88334p-2, A1 = 0x1.5575b0be00b6ap-2, A2 = -0x1.ffffef20a4123p-2;

float odl_logf(float x) {
    uint32_t ix;
    memcpy(&ix, &x, sizeof ix);
    if (ix == 0x3f800000u) return 0.0f;
    if (ix - 0x00800000u >= 0x7f800000u - 0x00800000u) { /* below 2^-126, inf or nan */
        if (ix * 2 == 0) return -1.0f / 0.0f;
        if (ix == 0x7f800000u) return x;
        if ((ix & 0x80000000u) || ix * 2 >= 0xff000000u) return (x - x) / (x - x);
        const float n = x * 0x1p23f; /* subnormal: normalize */
        memcpy(&ix, &n, sizeof ix);
        ix -= 23u << 23;
    }
    const uint32_t tmp = ix - 0x3f330000u;
    const int32_t i = (int32_t)((tmp >> 19) % 16u);
    const int32_t k = (int32_t)tmp >> 23; /* arithmetic shift */
    const uint32_t iz = ix - (tmp & 0xff800000u);
    float zf;
    memcpy(&zf, &iz, sizeof zf);
    const double z = zf, r = z * INVC[i] - 1.0, y0 = LOGC[i] + (double)k * LN2, r2 = r * r;
    double y = A1 * r + A2;
    y = A0 * r2 + y;
    y = y * r2 + (y0 + r);
    return (float)y;
}
