/* Requantization for the optimised int8 kernels: the same value as
 * odl_mul_by_quantized_multiplier (TFLite's double rounding) for every
 * int32 input, in about half the instructions. Plain C (no intrinsics), so
 * the host test suite checks it against the portable function.
 *
 * With a = x << max(shift, 0), r = max(-shift, 0) and P = a * m:
 * - TFLite's SRDHM, (P + nudge) / 2^31 truncating with nudge 2^30 or
 *   1 - 2^30 by sign, equals Q = floor((P + 2^30) / 2^31) for both signs
 *   (r = 0 ends here);
 * - its rounding divide by 2^r >= 2 (half away from zero) is
 *   floor((Q + 2^(r-1) - [Q < 0]) / 2^r); nested floors of divisions by
 *   powers of two compose, so with T = P + 2^30 - [Q < 0] * 2^31 it is
 *   floor((T + 2^(30+r)) / 2^(31+r)) = ((U >> (r-1)) + 1) >> 1, where
 *   U = floor(T / 2^31) (halving with round-half-up);
 * - with m >= 0, [Q < 0] can be replaced by [x < 0]: when x < 0 but Q >= 0,
 *   Q is 0 and both corrections round 0 to 0;
 * - T's low constant is one 64-bit value per sign, the start of an SMLAL:
 *   about ten instructions in all, no 64-bit variable shifts, no branches.
 * Preconditions (odl_dsp_quant_ok, checked once per call): m >= 0 (so the
 * INT32_MIN * INT32_MIN saturation never happens) and -31 <= shift <= 30. */
#ifndef ODL_ARM_DSP_REQUANT_H
#define ODL_ARM_DSP_REQUANT_H

#include <stdint.h>

static inline int odl_dsp_quant_ok(const int32_t *mult, const int32_t *shift, int32_t n) {
    for (int32_t i = 0; i < n; ++i)
        if (mult[i] < 0 || shift[i] < -31 || shift[i] > 30) return 0;
    return 1;
}

/* shift >= 0 (rare: an effective scale >= 0.5); out of line so that GCC
 * branches to it instead of computing both versions for every output. */
__attribute__((noinline, unused)) static int32_t odl_dsp_requantize_left(int32_t x, int32_t m, int32_t shift) {
    return (int32_t)(((int64_t)(int32_t)((uint32_t)x << shift) * m + (1ll << 30)) >> 31);
}

static inline int32_t odl_dsp_requantize(int32_t x, int32_t m, int32_t shift) {
    if (__builtin_expect(shift >= 0, 0)) return odl_dsp_requantize_left(x, m, shift);
    /* 2^30 - [x < 0] * 2^31 as a 64-bit value: high word x >> 31. */
    const uint64_t start = ((uint64_t)(uint32_t)(x >> 31) << 32) | (0x40000000u | ((uint32_t)x & 0x80000000u));
    const int32_t u = (int32_t)(((int64_t)start + (int64_t)x * m) >> 31);
    return ((u >> ~shift) + 1) >> 1; /* ~shift = r - 1 */
}

#endif
