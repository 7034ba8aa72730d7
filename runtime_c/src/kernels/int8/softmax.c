/* int8 SOFTMAX, bit-exact with TFLite Micro (reference_ops::Softmax for
 * int8 in / int8 out): differences to the row maximum are scaled to Q5.26,
 * exponentiated in gemmlowp fixed point, summed in Q12.19, and divided
 * through a fixed-point reciprocal. */
#include "gemmlowp_fixedpoint.h"
#include "odl/kernels_int8.h"

enum { SCALED_DIFF_INTEGER_BITS = 5, ACCUM_INTEGER_BITS = 12 };

static int32_t scaled_exp(const odl_softmax_params_t *p, int32_t diff) {
    /* MultiplyByQuantizedMultiplierGreaterThanOne; |diff| <= -diff_min keeps
     * the shifted value inside int32. */
    const int32_t rescaled =
        odl_sat_rounding_doubling_high_mul((int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier);
    return odl_fp_exp_on_negative_values(rescaled, SCALED_DIFF_INTEGER_BITS);
}

odl_status_t odl_softmax_s8(const odl_softmax_params_t *p, int32_t outer, int32_t depth, const int8_t *in,
                            int8_t *out) {
    if (!p || !in || !out || outer < 0 || depth <= 0) return ODL_ERR_ARG;
    if (p->input_left_shift < 0 || p->input_left_shift > 31 || p->diff_min > 0) return ODL_ERR_ARG;
    /* Row sums stay below 2^31 in Q12.19 (each exp adds at most 2^19). */
    if (depth > 4095) return ODL_ERR_SHAPE;
    for (int32_t r = 0; r < outer; ++r) {
        const int8_t *x = in + (size_t)r * (size_t)depth;
        int8_t *y = out + (size_t)r * (size_t)depth;
        int32_t max_in_row = -128;
        for (int32_t c = 0; c < depth; ++c)
            if (x[c] > max_in_row) max_in_row = x[c];
        int32_t sum_of_exps = 0;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = x[c] - max_in_row;
            if (diff >= p->diff_min)
                sum_of_exps += odl_fp_mul_pot(scaled_exp(p, diff), -ACCUM_INTEGER_BITS);
        }
        /* The row maximum alone contributes 2^19, so the sum is positive. */
        int bits_over_unit;
        const int32_t shifted_scale = odl_fp_reciprocal(sum_of_exps, ACCUM_INTEGER_BITS, &bits_over_unit);
        const int exponent = bits_over_unit + 31 - 8;
        if (exponent < 0 || exponent > 31) return ODL_ERR_NUMERIC;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = x[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t e = scaled_exp(p, diff);
                const int32_t unsat = odl_rounding_divide_by_pot(odl_fp_mul(shifted_scale, e), exponent);
                y[c] = (int8_t)odl_clamp_i32(unsat - 128, -128, 127);
            } else {
                y[c] = -128;
            }
        }
    }
    return ODL_OK;
}
