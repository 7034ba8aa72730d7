/* Small helpers over the DSP extension's SIMD32 instructions (ACLE
 * <arm_acle.h>) shared by the arm_dsp int8 kernels.
 *
 * Widening trick used throughout: SXTB16 sign-extends bytes 0 and 2 of a
 * word into two int16 lanes, SXTB16 of the word rotated by 8 gives bytes 1
 * and 3. A group of four int8 values [v0 v1 v2 v3] therefore widens to the
 * lane pairs (v0, v2) and (v1, v3); both operands of an SMLAD are widened
 * the same way, so their lanes pair up without any reordering. SXTAB16 adds
 * a per-lane int16 offset during the same step (input zero points). */
#ifndef ODL_ARM_DSP_SIMD_H
#define ODL_ARM_DSP_SIMD_H

#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "odl/fixedpoint.h"
#include "dsp_requant.h"

#if !defined(__ARM_FEATURE_DSP) || !defined(__ARM_FEATURE_SIMD32)
#error "arm_dsp kernels need a core with the DSP extension (Cortex-M4/M7/M33/M55)"
#endif

/* Unaligned 32-bit load/store: LDR/STR accept any alignment on these cores;
 * memcpy keeps the C free of aliasing and alignment assumptions. */
static inline int32_t odl_dsp_ld32(const void *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void odl_dsp_st32(void *p, int32_t v) { memcpy(p, &v, sizeof v); }

static inline void odl_dsp_st16(void *p, uint32_t v) {
    const uint16_t h = (uint16_t)v;
    memcpy(p, &h, sizeof h);
}


/* An int16 value in both lanes (for SXTAB16 offsets). */
static inline int32_t odl_dsp_dup16(int32_t v) {
    return (int32_t)(((uint32_t)v & 0xffffu) * 0x10001u);
}

/* Bytes 0 and 2, and bytes 1 and 3, widened to int16 lanes. */
static inline int32_t odl_dsp_even(int32_t v) { return __sxtb16(v); }
/* GCC 12 does not fold a rotate into SXTB16's ROR operand: say it in asm. */
static inline int32_t odl_dsp_odd(int32_t v) {
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
/* The same, plus an int16 offset in each lane (offset from odl_dsp_dup16). */
static inline int32_t odl_dsp_even_off(int32_t v, int32_t off2) { return __sxtab16(off2, v); }
static inline int32_t odl_dsp_odd_off(int32_t v, int32_t off2) {
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(off2), "r"(v));
    return r;
}

#endif
