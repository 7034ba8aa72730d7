/* odl_expf: glibc's expf algorithm (see pytool/ops/f32_expf.py), double
 * multiplies and adds only, so every target rounds alike. */
#include <string.h>

#include "expf_table.h"
#include "odl/kernels_f32.h"

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

float odl_expf(float x) {
    const uint32_t abstop = (f32_bits(x) >> 20) & 0x7ffu;
    if (abstop >= 0x42bu) { /* |x| >= 88, inf or nan */
        if (f32_bits(x) == 0xff800000u) return 0.0f;
        if (abstop >= 0x7f8u) return x + x;
        if (x > 0x1.62e42ep6f) return x * 0x1p127f * 0x1p127f; /* overflow: inf */
        if (x < -0x1.9fe368p6f) return 0.0f;
    }
    const double invln2n = 0x1.71547652b82fep+0 * 32, shift = 0x1.8p+52;
    const double c0 = 0x1.c6af84b912394p-5 / 32 / 32 / 32, c1 = 0x1.ebfce50fac4f3p-3 / 32 / 32;
    const double c2 = 0x1.62e42ff0c52d6p-1 / 32;
    /* x / ln2 = (k + r) / 32: 2^(k/32) from the table, 2^(r/32) from the cubic */
    const double z = invln2n * (double)x;
    double kd = z + shift;
    uint64_t ki;
    memcpy(&ki, &kd, sizeof ki);
    kd -= shift;
    const double r = z - kd;
    const uint64_t t = odl_expf_table[ki % 32] + (ki << 47);
    double s;
    memcpy(&s, &t, sizeof s);
    const double p = c0 * r + c1, r2 = r * r;
    double y = c2 * r + 1;
    y = p * r2 + y;
    return (float)(y * s);
}
