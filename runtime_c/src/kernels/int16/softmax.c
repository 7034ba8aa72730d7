/* int16 SOFTMAX, bit-exact with TFLite Micro (SoftmaxInt16): exp of the
 * rescaled difference to the row maximum from a 513-entry table (input
 * [-65535, 0] standing for [-10, 0], recentred), the sum's reciprocal from a
 * 1/(1+x) table after normalising it, output Q0.15 clamped to [0, 32767]. */
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"
#include "softmax_luts.h"

static int16_t lookup(int32_t v, const int16_t *lut) {
    const int32_t idx = 256 + (v >> 7); /* v in [-32768, 32767]: idx in [0, 511] */
    const int16_t base = lut[idx];
    const int16_t slope = (int16_t)(lut[idx + 1] - base);
    return (int16_t)(base + ((slope * (v & 0x7F) + 64) >> 7));
}

static int clz32(uint32_t x) {
    int n = 0;
    if (x == 0) return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

odl_status_t odl_softmax_s16(int32_t input_multiplier, int32_t input_left_shift, int32_t outer, int32_t depth,
                             const int16_t *in, int16_t *out) {
    if (!in || !out || outer < 0 || depth <= 0 || input_left_shift > 31 || input_left_shift < -31) return ODL_ERR_ARG;
    for (int32_t i = 0; i < outer; ++i) {
        const int16_t *x = in + (int64_t)i * depth;
        int16_t *y = out + (int64_t)i * depth;
        int32_t mx = -32768;
        for (int32_t c = 0; c < depth; ++c) mx = x[c] > mx ? x[c] : mx;
        int32_t sum = 0;
        for (int32_t c = 0; c < depth; ++c) { /* exps cached in the output, as the reference does */
            const int32_t d = odl_mul_by_quantized_multiplier(x[c] - mx, input_multiplier, input_left_shift) + 32767;
            y[c] = lookup(odl_clamp_i32(d, -32768, 32767), odl_softmax_exp_lut);
            sum += y[c];
        }
        if (sum <= 0) return ODL_ERR_NUMERIC;
        const int hp1 = clz32((uint32_t)sum);
        const int32_t shifted = (int32_t)((((int64_t)sum << (hp1 - 1)) + (1 << 13)) >> 14);
        const int32_t rec = lookup(odl_clamp_i32(shifted - ((1 << 15) + (1 << 16)), -32768, 32767),
                                   odl_softmax_recip_lut);
        const int rs = 31 - hp1;
        const int64_t round = (int64_t)1 << (rs - 1);
        for (int32_t c = 0; c < depth; ++c) {
            const int64_t v = ((int64_t)y[c] * rec + round);
            const int32_t r = (int32_t)(v >= 0 ? v >> rs : -((-v - 1) >> rs) - 1);
            y[c] = (int16_t)odl_clamp_i32(r, 0, 32767);
        }
    }
    return ODL_OK;
}
