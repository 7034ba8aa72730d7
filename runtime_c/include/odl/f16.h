/* IEEE binary16 storage with FP32 arithmetic, identical on every target.
 *
 * The conversions are specified by the integer routines odl_f32_to_f16_soft /
 * odl_f16_to_f32_soft, so x86 hosts, Cortex-M4F, Cortex-M55 and RISC-V produce
 * the same bits: float -> half rounds to nearest, ties to even; overflow gives
 * +-inf; every NaN becomes the canonical quiet NaN 0x7e00 (hosts and Arm cores
 * disagree on the sign of a default NaN). half -> float is exact.
 *
 * On Cortex-M cores with a single-precision FPU (FPv4-SP, FPv5, Armv8.1-M)
 * odl_f32_to_f16 / odl_f16_to_f32 are the VCVTB instructions, which give the
 * same bits provided the FPSCR holds DN=1 (every NaN becomes 0x7e00), FZ=0,
 * AHP=0 (IEEE half, not the alternative format) and round to nearest: the
 * training entry points set that mode with odl_f16_fp_enter() and restore the
 * caller's with odl_f16_fp_leave(). The one visible difference, the payload of
 * a NaN widened to FP32, cannot reach stored bits (every FP32 value is rounded
 * by odl_f32_to_f16 or only compared). Define ODL_F16_SOFT to force the
 * integer routines everywhere (benchmark baseline).
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

static inline odl_f16_t odl_f32_to_f16_soft(float f) {
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

static inline float odl_f16_to_f32_soft(odl_f16_t h) {
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

#if !defined(ODL_F16_SOFT) && defined(__ARM_FP) && (__ARM_FP & 4) && defined(__ARM_ARCH_PROFILE) && \
    __ARM_ARCH_PROFILE == 'M'
#define ODL_F16_HW_ARM 1

static inline float odl_f16_to_f32(odl_f16_t h) {
    float f;
    __asm__("vmov %0, %1\n\tvcvtb.f32.f16 %0, %0" : "=t"(f) : "r"((uint32_t)h));
    return f;
}

static inline odl_f16_t odl_f32_to_f16(float f) {
    float t;
    uint32_t u;
    __asm__("vcvtb.f16.f32 %0, %1" : "=t"(t) : "t"(f));
    __asm__("vmov %0, %1" : "=r"(u) : "t"(t));
    return (odl_f16_t)u; /* bits 16..31 of the register are not part of the result */
}

/* Two halves at p (any alignment) <-> two floats: one load, two conversions. */
static inline void odl_f16x2_to_f32(const odl_f16_t *p, float *lo, float *hi) {
    uint32_t u;
    float a, b;
    memcpy(&u, p, sizeof u);
    __asm__("vmov %0, %2\n\tvcvtt.f32.f16 %1, %0\n\tvcvtb.f32.f16 %0, %0" : "=&t"(a), "=t"(b) : "r"(u));
    *lo = a;
    *hi = b;
}

static inline void odl_f32x2_to_f16(float lo, float hi, odl_f16_t *p) {
    float t;
    uint32_t u;
    __asm__("vcvtb.f16.f32 %0, %1\n\tvcvtt.f16.f32 %0, %2" : "=&t"(t) : "t"(lo), "t"(hi));
    __asm__("vmov %0, %1" : "=r"(u) : "t"(t));
    memcpy(p, &u, sizeof u);
}

/* FPSCR: DN (bit 25) set; AHP (26), FZ (24), RMode (22-23) and FZ16 (19) clear. */
typedef uint32_t odl_f16_fp_mode_t;

static inline odl_f16_fp_mode_t odl_f16_fp_enter(void) {
    uint32_t old, mode;
    __asm__ volatile("vmrs %0, fpscr" : "=r"(old));
    mode = (old & ~((1u << 26) | (1u << 24) | (3u << 22) | (1u << 19))) | (1u << 25);
    __asm__ volatile("vmsr fpscr, %0" : : "r"(mode) : "memory");
    return old;
}

static inline void odl_f16_fp_leave(odl_f16_fp_mode_t old) {
    __asm__ volatile("vmsr fpscr, %0" : : "r"(old) : "memory");
}
#else
static inline float odl_f16_to_f32(odl_f16_t h) { return odl_f16_to_f32_soft(h); }
static inline odl_f16_t odl_f32_to_f16(float f) { return odl_f32_to_f16_soft(f); }
static inline void odl_f16x2_to_f32(const odl_f16_t *p, float *lo, float *hi) {
    *lo = odl_f16_to_f32_soft(p[0]);
    *hi = odl_f16_to_f32_soft(p[1]);
}
static inline void odl_f32x2_to_f16(float lo, float hi, odl_f16_t *p) {
    p[0] = odl_f32_to_f16_soft(lo);
    p[1] = odl_f32_to_f16_soft(hi);
}
typedef int odl_f16_fp_mode_t;
static inline odl_f16_fp_mode_t odl_f16_fp_enter(void) { return 0; }
static inline void odl_f16_fp_leave(odl_f16_fp_mode_t old) { (void)old; }
#endif

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
