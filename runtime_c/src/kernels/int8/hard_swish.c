/* int8 HARD_SWISH, bit-exact with TFLite Micro (reference_ops::HardSwish):
 * x * relu6(x + 3) / 6 in 16-bit fixed point. The input is moved to a
 * "hi-res" scale (<< 7), multiplied by the output rescale, and by a
 * "relu-ish" factor in [0, 1] obtained by rescaling x from [-3, 3]. */
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

static int16_t sat16(int64_t v) { return (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v)); }

/* gemmlowp SaturatingRoundingDoublingHighMul on int16. */
static int16_t srdhm16(int16_t a, int16_t b) {
    if (a == b && a == INT16_MIN) return INT16_MAX;
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* Rounds toward zero (SQDMULH). */
static int16_t sdhm16(int16_t a, int16_t b) {
    if (a == b && a == INT16_MIN) return INT16_MAX;
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

static int16_t rdbp16(int16_t x, int exponent) {
    const int16_t mask = (int16_t)((1 << exponent) - 1);
    const int16_t remainder = (int16_t)(x & mask);
    const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
    return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

odl_status_t odl_hard_swish_s8(const odl_hard_swish_params_t *p, int32_t size, const int8_t *in, int8_t *out) {
    if (!p || !in || !out || size < 0) return ODL_ERR_ARG;
    if (p->output_exponent > 0 || p->output_exponent < -15 || p->reluish_exponent > 15 || p->reluish_exponent < -15)
        return ODL_ERR_ARG;
    const int16_t out_mult = (int16_t)p->output_mult, relu_mult = (int16_t)p->reluish_mult;
    for (int32_t i = 0; i < size; ++i) {
        const int16_t x = (int16_t)((int32_t)in[i] - p->input_zero_point);
        const int16_t hires = (int16_t)(x * (1 << 7));
        const int16_t preshift = srdhm16(hires, out_mult);
        int16_t r = hires;
        if (p->reluish_exponent > 0) r = sat16((int64_t)r * (1 << (p->reluish_exponent - 1)));
        r = srdhm16(r, relu_mult);
        if (p->reluish_exponent > 0) r = sat16((int64_t)r * 2);
        if (p->reluish_exponent < 0) r = rdbp16(r, -p->reluish_exponent);
        r = (int16_t)(((int32_t)r + (1 << 15)) >> 1);
        int32_t y = rdbp16(sdhm16(r, preshift), -p->output_exponent);
        y += p->output_zero_point;
        out[i] = (int8_t)odl_clamp_i32((int16_t)y, -128, 127);
    }
    return ODL_OK;
}
