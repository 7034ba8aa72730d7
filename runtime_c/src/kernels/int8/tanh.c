/* int8 TANH, bit-exact with TFLite Micro (reference_integer_ops::Tanh): the
 * input in Q4.27, gemmlowp's tanh (through exp of -2|x|), output in Q0.7;
 * inputs beyond the radius saturate. */
#include "gemmlowp_fixedpoint.h"
#include "odl/kernels_ext.h"

enum { INPUT_INTEGER_BITS = 4, OUTPUT_FRACTION_BITS = 7 };

/* (1 - a) / (1 + a) for a in [0, 1), Q0: the Newton-Raphson of
 * odl_fp_one_over_one_plus_x_for_x_in_0_1 ending in (x - 1) instead of x / 2. */
static int32_t one_minus_x_over_one_plus_x(int32_t a) {
    const int32_t half_denominator = odl_fp_rounding_half_sum(a, INT32_MAX);
    const int32_t one_q2 = 1 << 29;
    int32_t x = odl_fp_add(1515870810, odl_fp_mul(half_denominator, -1010580540));
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus = odl_fp_sub(one_q2, odl_fp_mul(half_denominator, x));
        x = odl_fp_add(x, odl_fp_mul_pot(odl_fp_mul(x, one_minus), 2));
    }
    return odl_fp_mul_pot(odl_fp_sub(x, one_q2), 2);
}

/* tanh(a), a in Q(integer_bits), result in Q0. */
static int32_t fp_tanh(int32_t a, int integer_bits) {
    if (a == 0) return 0;
    const int32_t n = a < 0 ? a : odl_fp_sub(0, a); /* -|a| */
    /* exp(2n): the raw n read with one more integer bit. */
    const int32_t t = one_minus_x_over_one_plus_x(odl_fp_exp_on_negative_values(n, integer_bits + 1));
    return a < 0 ? odl_fp_sub(0, t) : t;
}

odl_status_t odl_tanh_s8(const odl_logistic_params_t *p, int32_t size, const int8_t *in, int8_t *out) {
    if (!p || !in || !out || size < 0) return ODL_ERR_ARG;
    if (p->input_left_shift > 31 || p->input_left_shift < -31) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = (int32_t)in[i] - p->input_zero_point;
        if (x <= -p->input_range_radius) {
            out[i] = -128;
        } else if (x >= p->input_range_radius) {
            out[i] = 127;
        } else {
            const int32_t x_q4 = odl_mul_by_quantized_multiplier(x, p->input_multiplier, p->input_left_shift);
            const int32_t y = odl_rounding_divide_by_pot(fp_tanh(x_q4, INPUT_INTEGER_BITS), 31 - OUTPUT_FRACTION_BITS);
            out[i] = (int8_t)odl_clamp_i32(y, -128, 127);
        }
    }
    return ODL_OK;
}
