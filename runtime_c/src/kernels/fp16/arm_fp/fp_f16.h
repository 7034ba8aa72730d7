/* Cortex-M FPU (FPv4-SP, FPv5, Armv8.1-M scalar FP) building blocks for the
 * FP16 training kernels.
 *
 * Exactness rules (docs/design/fp16.md, "Speed"): conversions are VCVTB/VCVTT
 * in the mode odl_f16_fp_enter() sets, which give the portable routines' bits;
 * the kernels keep the portable summation order per output. A product of two
 * binary16 values has at most 22 significant bits and lies in [2^-48, 2^32],
 * so it is exact in FP32 and a fused multiply-add rounds exactly like the
 * portable multiply-then-add: VFMA is used only where both factors are binary16
 * values. Values are converted once per row or tile, not once per MAC. */
#ifndef ODL_FP_F16_H
#define ODL_FP_F16_H

#include <stdint.h>
#include <string.h>

#include "../f16_common.h"

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
#include <arm_mve.h>
#endif

#ifndef ODL_F16_HW_ARM
#error "arm_fp kernels need a Cortex-M core with a single-precision FPU (e.g. -mcpu=cortex-m4 -mfpu=fpv4-sp-d16)"
#endif

/* Stack tile (FP32 values) for rows and small tensors converted once. */
#define ODL_FP_TILE 256

/* acc + a * b with one rounding; exact here (see above). */
static inline float odl_fp_fma(float a, float b, float acc) { return __builtin_fmaf(a, b, acc); }

/* Two binary16 values at p (any alignment) <-> FP32 (odl/f16.h). */
static inline void odl_fp_widen2(const odl_f16_t *p, float *lo, float *hi) { odl_f16x2_to_f32(p, lo, hi); }

static inline void odl_fp_narrow2(float lo, float hi, odl_f16_t *p) { odl_f32x2_to_f16(lo, hi, p); }

/* 1 when no half of p[0..n) is inf or NaN (the exponent field plus one
 * carries into bit 15 only when it is all ones). */
static inline int odl_fp_all_finite(const odl_f16_t *p, int32_t n) {
    uint32_t bad = 0;
    int32_t i = 0;
    for (; i + 2 <= n; i += 2) {
        uint32_t u;
        memcpy(&u, p + i, sizeof u);
        bad |= (u & 0x7c007c00u) + 0x04000400u;
    }
    if (i < n) bad |= ((uint32_t)p[i] & 0x7c00u) + 0x0400u;
    return !(bad & 0x80008000u);
}

/* 1 when every half of p[0..n) is +0. */
static inline int odl_fp_all_zero(const odl_f16_t *p, int32_t n) {
    uint32_t any = 0;
    int32_t i = 0;
    for (; i + 2 <= n; i += 2) {
        uint32_t u;
        memcpy(&u, p + i, sizeof u);
        any |= u;
    }
    if (i < n) any |= p[i];
    return any == 0;
}

/* 1 when R(F(h) + 0) == h for every half of p[0..n): no -0 and no NaN. */
static inline int odl_fp_row_canonical(const odl_f16_t *p, int32_t n) {
    for (int32_t i = 0; i < n; ++i) {
        uint32_t h = p[i];
        if (h == 0x8000u || (h & 0x7fffu) > 0x7c00u) return 0;
    }
    return 1;
}

/* dst[i] = F(src[i]) for i < n. */
static inline void odl_fp_widen_row(const odl_f16_t *src, float *dst, int32_t n) {
    int32_t i = 0;
    for (; i + 2 <= n; i += 2) odl_fp_widen2(src + i, dst + i, dst + i + 1);
    if (i < n) dst[i] = F(src[i]);
}

/* p[0..n) = +0 (p word aligned); on Helium four floats per store (the
 * C library's memset may go byte by byte). */
static inline void odl_fp_zero_f32(float *p, int32_t n) {
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
    for (; n >= 4; n -= 4, p += 4) __asm__ volatile("vstrw.32 %q1, [%0]" : : "r"(p), "w"(vdupq_n_u32(0)) : "memory");
#endif
    if (n > 0) memset(p, 0, (size_t)n * sizeof *p);
}

/* 1 when p is 4-byte aligned (VLDM/VSTM need word alignment). */
static inline int odl_fp_aligned(const void *p) { return ((uintptr_t)p & 3u) == 0; }

/* One FC row of the fused gradient + SGD step, four weights per iteration
 * (n4 > 0 iterations, x / gw / w word aligned, z four +0 floats):
 * gw[i] = R(0 + g * x[i]) as one VFMA onto +0 (the product of two binary16
 * values is exact, and a zero product becomes +0 as in the portable sum) and
 * w[i] = R(F(w[i]) - c * F(gw[i])). The gradient is narrowed and widened back
 * in registers; loads and stores move whole words. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
/* Helium: the same operations with the multiply-adds, the scaling by c and
 * the subtraction four lanes at a time (vector by scalar) and the
 * conversions scalar on the lanes (the emulated vector conversions are wrong,
 * docs/design/fp16-mve.md). Helium floating point may flush FP32 subnormals:
 * the operands here are binary16 values (normal in FP32), products of two
 * of them (>= 2^-48) and c * g with c >= 2^-100 (callers check), normal; a
 * subnormal difference narrows to a signed zero either way. */
static inline void odl_fp_grad_sgd4(const float *x, float g, float c, odl_f16_t *gw, odl_f16_t *w, int32_t n4,
                                    const float *z) {
    uint32_t gr, cr;
    memcpy(&gr, &g, sizeof gr);
    memcpy(&cr, &c, sizeof cr);
    (void)z;
    __asm__ volatile(
        "1:\n\t"
        "vldrw.u32 q2, [%[x]], #16\n\t"
        "vmov.i32 q0, #0\n\t"
        "vfma.f32 q0, q2, %[g]\n\t"
        "vcvtb.f16.f32 s4, s0\n\t"
        "vcvtt.f16.f32 s4, s1\n\t"
        "vcvtb.f16.f32 s5, s2\n\t"
        "vcvtt.f16.f32 s5, s3\n\t"
        "vstmia %[gw]!, {s4-s5}\n\t"
        "vldmia %[w], {s6-s7}\n\t"
        "vcvtb.f32.f16 s0, s4\n\t"
        "vcvtt.f32.f16 s1, s4\n\t"
        "vcvtb.f32.f16 s2, s5\n\t"
        "vcvtt.f32.f16 s3, s5\n\t"
        "vmul.f32 q0, q0, %[c]\n\t"
        "vcvtb.f32.f16 s8, s6\n\t"
        "vcvtt.f32.f16 s9, s6\n\t"
        "vcvtb.f32.f16 s10, s7\n\t"
        "vcvtt.f32.f16 s11, s7\n\t"
        "vsub.f32 q2, q2, q0\n\t"
        "vcvtb.f16.f32 s6, s8\n\t"
        "vcvtt.f16.f32 s6, s9\n\t"
        "vcvtb.f16.f32 s7, s10\n\t"
        "vcvtt.f16.f32 s7, s11\n\t"
        "vstmia %[w]!, {s6-s7}\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b"
        : [x] "+r"(x), [gw] "+r"(gw), [w] "+r"(w), [n] "+r"(n4)
        : [g] "r"(gr), [c] "r"(cr)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "cc", "memory");
}
#else
static inline void odl_fp_grad_sgd4(const float *x, float g, float c, odl_f16_t *gw, odl_f16_t *w, int32_t n4,
                                    const float *z) {
    __asm__ volatile(
        "1:\n\t"
        "vldmia %[x]!, {s8-s11}\n\t"
        "vldmia %[z], {s0-s3}\n\t"
        "vfma.f32 s0, s8, %[g]\n\t"
        "vfma.f32 s1, s9, %[g]\n\t"
        "vfma.f32 s2, s10, %[g]\n\t"
        "vfma.f32 s3, s11, %[g]\n\t"
        "vcvtb.f16.f32 s4, s0\n\t"
        "vcvtt.f16.f32 s4, s1\n\t"
        "vcvtb.f16.f32 s5, s2\n\t"
        "vcvtt.f16.f32 s5, s3\n\t"
        "vstmia %[gw]!, {s4-s5}\n\t"
        "vldmia %[w], {s6-s7}\n\t"
        "vcvtb.f32.f16 s0, s4\n\t"
        "vcvtt.f32.f16 s1, s4\n\t"
        "vcvtb.f32.f16 s2, s5\n\t"
        "vcvtt.f32.f16 s3, s5\n\t"
        "vmul.f32 s0, s0, %[c]\n\t"
        "vmul.f32 s1, s1, %[c]\n\t"
        "vmul.f32 s2, s2, %[c]\n\t"
        "vmul.f32 s3, s3, %[c]\n\t"
        "vcvtb.f32.f16 s8, s6\n\t"
        "vcvtt.f32.f16 s9, s6\n\t"
        "vcvtb.f32.f16 s10, s7\n\t"
        "vcvtt.f32.f16 s11, s7\n\t"
        "vsub.f32 s8, s8, s0\n\t"
        "vsub.f32 s9, s9, s1\n\t"
        "vsub.f32 s10, s10, s2\n\t"
        "vsub.f32 s11, s11, s3\n\t"
        "vcvtb.f16.f32 s6, s8\n\t"
        "vcvtt.f16.f32 s6, s9\n\t"
        "vcvtb.f16.f32 s7, s10\n\t"
        "vcvtt.f16.f32 s7, s11\n\t"
        "vstmia %[w]!, {s6-s7}\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b"
        : [x] "+r"(x), [gw] "+r"(gw), [w] "+r"(w), [n] "+r"(n4)
        : [g] "t"(g), [c] "t"(c), [z] "r"(z)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "cc", "memory");
}
#endif

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
/* Helium, one FC row of the fused gradient + SGD step, eight weights per
 * iteration (n8 > 0, x / gw / w halfword aligned, g the binary16 bits of the
 * row's nonzero act-gradient): gw[i] = R(0 + g * x[i]) as one half-precision
 * VFMAS (x[i] * g + 0, a single rounding of the exact product plus +0: the
 * portable FP32 product is exact, so it is the same rounding, and an exactly
 * zero product becomes +0 while one that underflows keeps its sign), then
 * w[i] = R(F(w[i]) - c * F(gw[i])) with the scaling and subtraction in FP32
 * lanes and scalar conversions. Half-precision Helium arithmetic keeps
 * subnormals with FPSCR.FZ16 = 0 (odl_f16_fp_enter); the FP32 operands are
 * those of odl_fp_grad_sgd4. A low-overhead loop (LE) closes each iteration. */
static inline void odl_mve_grad_sgd8(const odl_f16_t *x, uint32_t g, float c, odl_f16_t *gw, odl_f16_t *w,
                                     int32_t n8) {
    uint32_t cr;
    memcpy(&cr, &c, sizeof cr);
    __asm__ volatile(
        "vdup.16 q6, %[g]\n\t"
        "dls lr, %[n]\n\t"
        "1:\n\t"
        "vldrh.u16 q0, [%[x]], #16\n\t"
        "vfmas.f16 q0, q6, %[z]\n\t"
        "vldrh.u16 q3, [%[w]]\n\t"
        "vstrh.16 q0, [%[gw]], #16\n\t"
        "vcvtb.f32.f16 s4, s0\n\t"
        "vcvtt.f32.f16 s5, s0\n\t"
        "vcvtb.f32.f16 s6, s1\n\t"
        "vcvtt.f32.f16 s7, s1\n\t"
        "vcvtb.f32.f16 s8, s2\n\t"
        "vcvtt.f32.f16 s9, s2\n\t"
        "vcvtb.f32.f16 s10, s3\n\t"
        "vcvtt.f32.f16 s11, s3\n\t"
        "vmul.f32 q1, q1, %[c]\n\t"
        "vmul.f32 q2, q2, %[c]\n\t"
        "vcvtb.f32.f16 s16, s12\n\t"
        "vcvtt.f32.f16 s17, s12\n\t"
        "vcvtb.f32.f16 s18, s13\n\t"
        "vcvtt.f32.f16 s19, s13\n\t"
        "vcvtb.f32.f16 s20, s14\n\t"
        "vcvtt.f32.f16 s21, s14\n\t"
        "vcvtb.f32.f16 s22, s15\n\t"
        "vcvtt.f32.f16 s23, s15\n\t"
        "vsub.f32 q4, q4, q1\n\t"
        "vsub.f32 q5, q5, q2\n\t"
        "vcvtb.f16.f32 s12, s16\n\t"
        "vcvtt.f16.f32 s12, s17\n\t"
        "vcvtb.f16.f32 s13, s18\n\t"
        "vcvtt.f16.f32 s13, s19\n\t"
        "vcvtb.f16.f32 s14, s20\n\t"
        "vcvtt.f16.f32 s14, s21\n\t"
        "vcvtb.f16.f32 s15, s22\n\t"
        "vcvtt.f16.f32 s15, s23\n\t"
        "vstrh.16 q3, [%[w]], #16\n\t"
        "le lr, 1b"
        : [x] "+r"(x), [gw] "+r"(gw), [w] "+r"(w)
        : [g] "r"(g), [c] "r"(cr), [z] "r"(0u), [n] "r"(n8)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15",
          "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "lr", "memory");
}

/* Helium, a ReLU-masked FC row of the fused step (n8 > 0): gw[0 .. 8 * n8) =
 * +0, and 1 when no half of w[0 .. 8 * n8) is inf or NaN (a half shifted
 * left by one, its sign dropped, is at least 0xf800 exactly then). */
static inline int odl_mve_zero_row_finite8(odl_f16_t *gw, const odl_f16_t *w, int32_t n8) {
    uint32_t m = 0;
    __asm__ volatile(
        "vmov.i32 q1, #0\n\t"
        "dls lr, %[n]\n\t"
        "1:\n\t"
        "vldrh.u16 q0, [%[w]], #16\n\t"
        "vshl.i16 q0, q0, #1\n\t"
        "vstrh.16 q1, [%[gw]], #16\n\t"
        "vmaxv.u16 %[m], q0\n\t"
        "le lr, 1b"
        : [w] "+r"(w), [gw] "+r"(gw), [m] "+r"(m)
        : [n] "r"(n8)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "lr", "memory");
    return m < 0xf800u;
}
#endif

/* p[0 .. 4 * n4) = +0 (p word aligned, n4 > 0): one STRD per four halves. */
static inline void odl_fp_zero4(odl_f16_t *p, int32_t n4) {
    __asm__ volatile("1:\n\t"
                     "strd %[z], %[z], [%[p]], #8\n\t"
                     "subs %[n], %[n], #1\n\t"
                     "bne 1b"
                     : [p] "+r"(p), [n] "+r"(n4)
                     : [z] "r"(0u)
                     : "cc", "memory");
}

#endif /* ODL_FP_F16_H */
