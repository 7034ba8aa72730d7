/* Helpers shared by the Helium (MVE) int8 kernels.
 *
 * Exactness: the kernels sum w * (x + input_offset) in int32 lanes or with
 * VMLADAVA (int8 x int8 products summed into an int32, modulo 2^32 like the
 * portable int32 accumulator); the offset is folded as
 * sum(w * x) + offset * sum(w). Padding taps are filled with -input_offset
 * (an int8 value: it is the input zero point), so they add nothing.
 * Requantization: see odl_mve_requantize. */
#ifndef ODL_ARM_MVE_INT8_H
#define ODL_ARM_MVE_INT8_H

#include <arm_mve.h>
#include <stdint.h>

#include "../arm_dsp/dsp_requant.h"

#if !defined(__ARM_FEATURE_MVE)
#error "arm_mve kernels need a core with Helium (MVE), e.g. Cortex-M55"
#endif

/* odl_mul_by_quantized_multiplier on four lanes, multiplier >= 0 and
 * -31 <= shift <= 30 (odl_dsp_quant_ok): VQRDMULH is TFLite's SRDHM
 * (floor((a*m + 2^30) / 2^31); it saturates only for INT32_MIN^2, ruled out
 * by m >= 0); VRSHL by -r rounds half up, so negative lanes first get -1
 * when r > 0, which makes it TFLite's half-away-from-zero (no overflow: the
 * SRDHM result is above INT32_MIN when m >= 0). */
static inline int32x4_t odl_mve_requantize(int32x4_t acc, int32x4_t mult, int32x4_t shift) {
    const int32x4_t zero = vdupq_n_s32(0);
    const int32x4_t right = vminq_s32(shift, zero); /* -r */
    const int32x4_t q = vqrdmulhq_s32(vshlq_s32(acc, vmaxq_s32(shift, zero)), mult);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(q, right), 31);
    return vrshlq_s32(vaddq_s32(q, fixup), right);
}

/* The same with one multiplier and shift for all lanes, branch-free (scalar
 * operands: no vector constants to keep in the eight Q registers). `left`
 * may include a left shift applied before (ADD's input shift), `fix` is -31
 * when there is a right shift, else -32: a logical VSHL of a 32-bit lane by
 * -32 gives 0, by -31 the sign bit, i.e. the -1 that turns VRSHL's
 * half-up rounding into TFLite's half-away-from-zero. */
typedef struct {
    int32_t mult, left, right, fix;
} odl_mve_rq_t;

static inline odl_mve_rq_t odl_mve_rq(int32_t mult, int32_t shift, int32_t pre_left) {
    const odl_mve_rq_t r = {mult, pre_left + (shift > 0 ? shift : 0), shift < 0 ? shift : 0, shift < 0 ? -31 : -32};
    return r;
}

static inline int32x4_t odl_mve_requantize_n(int32x4_t acc, odl_mve_rq_t r) {
    const int32x4_t q = vqrdmulhq_n_s32(vshlq_r_s32(acc, r.left), r.mult);
    const int32x4_t neg = vreinterpretq_s32_u32(vshlq_r_u32(vreinterpretq_u32_s32(q), r.fix));
    return vrshlq_n_s32(vsubq_s32(q, neg), r.right);
}

/* Requantize, add the output offset, clamp. */
static inline int32x4_t odl_mve_output(int32x4_t acc, int32x4_t mult, int32x4_t shift, int32_t out_off,
                                       int32_t act_min, int32_t act_max) {
    const int32x4_t v = vaddq_n_s32(odl_mve_requantize(acc, mult, shift), out_off);
    return vminq_s32(vmaxq_s32(v, vdupq_n_s32(act_min)), vdupq_n_s32(act_max));
}

/* n int8 values from src to dst: whole 16-byte blocks, then one
 * predicated tail. */
static inline void odl_mve_copy8(int8_t *dst, const int8_t *src, int32_t n) {
    for (; n >= 16; n -= 16, src += 16, dst += 16) vstrbq_s8(dst, vldrbq_s8(src));
    if (n > 0) {
        const mve_pred16_t p = vctp8q((uint32_t)n);
        vstrbq_p_s8(dst, vldrbq_z_s8(src, p), p);
    }
}

static inline void odl_mve_fill8(int8_t *dst, int8_t v, int32_t n) {
    const int8x16_t vv = vdupq_n_s8(v);
    for (; n >= 16; n -= 16, dst += 16) vstrbq_s8(dst, vv);
    if (n > 0) vstrbq_p_s8(dst, vv, vctp8q((uint32_t)n));
}

#endif
