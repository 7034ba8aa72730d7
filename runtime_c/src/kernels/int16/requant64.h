/* The 64-bit MultiplyByQuantizedMultiplier of TFLite's 16x8 kernels: the
 * Q31 multiplier rounded to 16 bits, one rounding shift. Private. */
#ifndef ODL_KERNELS_REQUANT64_H
#define ODL_KERNELS_REQUANT64_H

#include <stdint.h>

#include "odl/fixedpoint.h"

static inline int32_t odl_mul_by_quantized_multiplier64(int64_t x, int32_t multiplier, int32_t shift) {
    const int64_t reduced = multiplier < 0x7FFF0000 ? (int64_t)((multiplier + (1 << 15)) >> 16) : 0x7FFF;
    const int total_shift = 15 - shift;
    const int64_t r = x * reduced + ((int64_t)1 << (total_shift - 1));
    /* Arithmetic shift of a negative value, written portably. */
    return (int32_t)(r >= 0 ? r >> total_shift : -((-r - 1) >> total_shift) - 1);
}

/* The epilogue of the 16x8 kernels: an int32 bias (bias32) selects the int32
 * accumulator and the 32-bit rescale; an int64 bias or none the int64 ones
 * (TFLite Micro's int16 conv and FC run an absent bias through the int64
 * template), then the clamp. */
static inline int16_t odl_requant_s16(int64_t acc, const int64_t *bias64, const int32_t *bias32, int32_t c,
                                      int32_t mult, int32_t shift, int32_t lo, int32_t hi) {
    int32_t v;
    if (bias32) {
        const uint32_t a32 = (uint32_t)acc + (uint32_t)bias32[c]; /* int32 accumulator wraps */
        v = odl_mul_by_quantized_multiplier((int32_t)a32, mult, shift);
    } else {
        v = odl_mul_by_quantized_multiplier64(acc + (bias64 ? bias64[c] : 0), mult, shift);
    }
    return (int16_t)odl_clamp_i32(v, lo, hi);
}

#endif
