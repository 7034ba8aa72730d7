/* Private fixed-point helpers for the int8 softmax and logistic kernels.
 *
 * Scalar int32 versions of gemmlowp's fixed-point functions, which TFLite
 * Micro's reference kernels call. A value "Qk" has k integer bits and 31-k
 * fractional bits. Additions wrap (as gemmlowp's plain int32 Add does), done
 * on uint32 so the C stays free of signed-overflow UB. */
#ifndef ODL_GEMMLOWP_FIXEDPOINT_H
#define ODL_GEMMLOWP_FIXEDPOINT_H

#include <stdint.h>

#include "odl/fixedpoint.h"

static inline int32_t odl_fp_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t odl_fp_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static inline int32_t odl_fp_mul(int32_t a, int32_t b) { return odl_sat_rounding_doubling_high_mul(a, b); }

/* x * 2^exponent with saturation (exponent > 0) or rounding (exponent < 0). */
static inline int32_t odl_fp_mul_pot(int32_t x, int exponent) {
    if (exponent < 0) return odl_rounding_divide_by_pot(x, -exponent);
    if (exponent == 0) return x;
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << exponent);
}

/* (a + b) / 2 rounded half away from zero. */
static inline int32_t odl_fp_rounding_half_sum(int32_t a, int32_t b) {
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* exp(a) for a in [-1/4, 0), a and result in Q0: a Taylor expansion
 * around -1/8 to the 4th order. */
static inline int32_t odl_fp_exp_quarter_interval(int32_t a) {
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0 */
    const int32_t one_third = 715827883;
    const int32_t x = odl_fp_add(a, 1 << 28); /* a + 1/8 */
    const int32_t x2 = odl_fp_mul(x, x);
    const int32_t x3 = odl_fp_mul(x2, x);
    const int32_t x4 = odl_fp_mul(x2, x2);
    const int32_t x4_over_4 = odl_fp_mul_pot(x4, -2);
    const int32_t poly = odl_fp_mul_pot(
        odl_fp_add(odl_fp_mul(odl_fp_add(x4_over_4, x3), one_third), x2), -1);
    return odl_fp_add(exp_minus_one_eighth, odl_fp_mul(exp_minus_one_eighth, odl_fp_add(x, poly)));
}

/* exp(a) for a <= 0 given in Q(integer_bits); result in Q0. The input is
 * split into a remainder in [-1/4, 0) and a sum of powers of two whose
 * exponentials are constants (a barrel shifter of multiplications). */
static inline int32_t odl_fp_exp_on_negative_values(int32_t a, int integer_bits) {
    static const int32_t exp_of_minus_pot[7] = {
        1672461947, /* exp(-1/4) */
        1302514674, /* exp(-1/2) */
        790015084,  /* exp(-1) */
        290630308,  /* exp(-2) */
        39332535,   /* exp(-4) */
        720401,     /* exp(-8) */
        242,        /* exp(-16) */
    };
    const int fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t mask = one_quarter - 1;
    const int32_t a_mod_quarter_minus_quarter = odl_fp_sub(a & mask, one_quarter);
    int32_t result = odl_fp_exp_quarter_interval(odl_fp_mul_pot(a_mod_quarter_minus_quarter, integer_bits));
    const int32_t remainder = odl_fp_sub(a_mod_quarter_minus_quarter, a);
    for (int k = 0; k < 7; ++k) {
        const int exponent = k - 2; /* this entry covers 2^exponent */
        if (integer_bits > exponent) {
            const int shift = fractional_bits + exponent;
            if (remainder & (int32_t)(1u << shift)) result = odl_fp_mul(result, exp_of_minus_pot[k]);
        }
    }
    if (integer_bits > 5) {
        const int32_t clamp = -(int32_t)(1u << (36 - integer_bits)); /* -32 */
        if (a < clamp) result = 0;
    }
    if (a == 0) result = INT32_MAX;
    return result;
}

/* 1 / (1 + a) for a in [0, 1), a and result in Q0: Newton-Raphson division
 * in Q2 starting from 48/17 - 32/17 * d. */
static inline int32_t odl_fp_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
    const int32_t half_denominator = odl_fp_rounding_half_sum(a, INT32_MAX);
    const int32_t c48_over_17 = 1515870810;      /* Q2 */
    const int32_t c_neg_32_over_17 = -1010580540; /* Q2 */
    const int32_t one_q2 = 1 << 29;
    int32_t x = odl_fp_add(c48_over_17, odl_fp_mul(half_denominator, c_neg_32_over_17));
    for (int i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = odl_fp_mul(half_denominator, x);
        const int32_t one_minus = odl_fp_sub(one_q2, half_denominator_times_x);
        x = odl_fp_add(x, odl_fp_mul_pot(odl_fp_mul(x, one_minus), 2)); /* Q4 -> Q2 */
    }
    return odl_fp_mul_pot(x, 1); /* x/2 in Q1 -> Q0 */
}

/* logistic(a) = 1 / (1 + exp(-a)); a in Q(integer_bits), result in Q0. */
static inline int32_t odl_fp_logistic(int32_t a, int integer_bits) {
    if (a == 0) return 1 << 30;
    const int32_t abs_a = a > 0 ? a : odl_fp_sub(0, a);
    const int32_t if_positive =
        odl_fp_one_over_one_plus_x_for_x_in_0_1(odl_fp_exp_on_negative_values(odl_fp_sub(0, abs_a), integer_bits));
    return a > 0 ? if_positive : odl_fp_sub(INT32_MAX, if_positive);
}

static inline int odl_fp_count_leading_zeros(uint32_t x) {
    int n = 0;
    if (x == 0) return 32;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

/* 1/x for x > 0 in Q(integer_bits): returns the Q0 significand and sets
 * *bits_over_unit so that 1/x = result * 2^-bits_over_unit. */
static inline int32_t odl_fp_reciprocal(int32_t x, int integer_bits, int *bits_over_unit) {
    const int headroom_plus_one = odl_fp_count_leading_zeros((uint32_t)x);
    *bits_over_unit = integer_bits - headroom_plus_one;
    const int32_t shifted_minus_one = (int32_t)(((uint32_t)x << headroom_plus_one) - (1u << 31));
    return odl_fp_one_over_one_plus_x_for_x_in_0_1(shifted_minus_one);
}

/* TFLite's GetInvSqrtQuantizedMultiplierExp: 1/sqrt(input) as a Q0
 * multiplier and a shift (times reverse_shift), by five Newton-Raphson steps
 * in Q3. input <= 1 gives (INT32_MAX, 0). */
static inline int32_t odl_fp_inv_sqrt_exp(int32_t input, int reverse_shift, int *shift) {
    if (input <= 1) {
        *shift = 0;
        return INT32_MAX;
    }
    int s = 11;
    while (input >= (1 << 29)) {
        input /= 4;
        ++s;
    }
    const unsigned pairs = ((unsigned)odl_fp_count_leading_zeros((uint32_t)input) - 1u) / 2u - 1u;
    s -= (int)pairs;
    input = (int32_t)((uint32_t)input << (2u * pairs));
    const int32_t half_input = odl_fp_mul_pot(input >> 1, -1);
    const int32_t half_three = (1 << 28) + (1 << 27);
    int32_t x = 1 << 28; /* 1.0 in Q3 */
    for (int i = 0; i < 5; ++i) {
        const int32_t x3 = odl_fp_mul_pot(odl_fp_mul(odl_fp_mul(x, x), x), 6);
        x = odl_fp_mul_pot(odl_fp_sub(odl_fp_mul(half_three, x), odl_fp_mul(half_input, x3)), 3);
    }
    x = odl_fp_mul(x, 1518500250); /* sqrt(2) / 2 in Q0 */
    if (s < 0) {
        x = (int32_t)((uint32_t)x << -s);
        s = 0;
    }
    *shift = s * reverse_shift;
    return x;
}

#endif
