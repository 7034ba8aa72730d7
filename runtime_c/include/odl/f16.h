/* IEEE binary16 storage with FP32 arithmetic, identical on every target.
 *
 * Conversions are integer code (no _Float16, no FPU conversion instruction),
 * so x86 hosts, Cortex-M4F, Cortex-M55 and RISC-V produce the same bits:
 * float -> half rounds to nearest, ties to even; overflow gives +-inf; every
 * NaN becomes the canonical quiet NaN 0x7e00 (hosts and Arm cores disagree on
 * the sign of a default NaN). half -> float is exact.
 *
 * The transcendental helpers use only +, -, *, / (correctly rounded in IEEE
 * FP32 everywhere), so their results are bit-identical too; the numpy twin is
 * pytool/training/fp16_ref.py. */
#ifndef ODL_F16_H
#define ODL_F16_H

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef uint16_t odl_f16_t; /* binary16 bits */

#define ODL_F16_NAN 0x7e00u
#define ODL_F16_INF 0x7c00u

static inline uint32_t odl_f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float odl_bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline odl_f16_t odl_f32_to_f16(float f) {
    uint32_t x = odl_f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t man = x & 0x7fffffu;
    if (exp == 0xffu) return (odl_f16_t)(man ? ODL_F16_NAN : (sign | ODL_F16_INF));
    int32_t e = (int32_t)exp - 112; /* rebias 127 -> 15 */
    if (e >= 31) return (odl_f16_t)(sign | ODL_F16_INF);
    if (e <= 0) {
        /* half subnormal: value / 2^-24, from the full 24-bit significand */
        if (e < -10) return (odl_f16_t)sign; /* below half the smallest subnormal */
        uint32_t full = man | 0x800000u;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t h = full >> shift;
        uint32_t rem = full & ((1u << shift) - 1u);
        uint32_t half = 1u << (shift - 1u);
        if (rem > half || (rem == half && (h & 1u))) h++;
        return (odl_f16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++; /* a carry may reach inf: correct */
    return (odl_f16_t)(sign | h);
}

static inline float odl_f16_to_f32(odl_f16_t h) {
    uint32_t sign = ((uint32_t)h & 0x8000u) << 16;
    uint32_t exp = ((uint32_t)h >> 10) & 0x1fu;
    uint32_t man = (uint32_t)h & 0x3ffu;
    if (exp == 0) {
        if (man == 0) return odl_bits_f32(sign);
        uint32_t e = 113;
        while (!(man & 0x400u)) {
            man <<= 1;
            e--;
        }
        return odl_bits_f32(sign | (e << 23) | ((man & 0x3ffu) << 13));
    }
    if (exp == 31) return odl_bits_f32(sign | 0x7f800000u | (man << 13));
    return odl_bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

static inline int odl_f16_is_finite(odl_f16_t h) { return ((h >> 10) & 0x1fu) != 0x1fu; }

/* exp(x) for x <= 0 (softmax after subtracting the max); 0 below 2^-125. */
float odl_f16_expf(float x);
/* ln(x) for x >= 1 (log of a softmax denominator). */
float odl_f16_logf(float x);
/* sqrt(x) for x >= 0 by three Newton steps from a bit-level guess (Adam). */
float odl_f16_sqrtf(float x);

#ifdef __cplusplus
}
#endif

#endif /* ODL_F16_H */
