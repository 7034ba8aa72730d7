/* int8 LOG_SOFTMAX over the last axis, bit-exact with TFLite Micro's
 * LogSoftmaxQuantized: exp of the Q5.26 scaled differences summed in Q12, its
 * log by log_x_for_x_greater_than_or_equal_to_1 (Q5 out), each difference
 * minus that log rescaled to the output (scale 16/256, zero point 127). */
#include "gemmlowp_fixedpoint.h"
#include "odl/kernels_ext.h"

static int32_t sat_add(int32_t a, int32_t b) {
    const int64_t s = (int64_t)a + (int64_t)b;
    return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}

static int32_t sat_sub(int32_t a, int32_t b) {
    const int64_t s = (int64_t)a - (int64_t)b;
    return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}

/* log(x) for x >= 1 in Q12, result in Q5 (accumulated in Q6), as gemmlowp's
 * log_x_for_x_greater_than_or_equal_to_1_impl<5, 12>. */
static int32_t log_q12_to_q5(int32_t x) {
    enum { IN_BITS = 12, ACC_BITS = 6 };
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
    const int32_t shifted_quarter = odl_fp_mul_pot(536870912, -ACC_BITS);
    const int za_hr1 = odl_fp_count_leading_zeros((uint32_t)x);
    const int32_t ra_tmp = odl_fp_mul_pot(x, za_hr1 - 1);
    const int32_t ra = odl_fp_mul_pot(odl_fp_mul(ra_tmp, sqrt_half), 1);
    const int32_t za_adj = sat_add(odl_fp_mul_pot(IN_BITS - za_hr1, 31 - ACC_BITS), shifted_quarter);
    const int32_t zb = odl_fp_mul(x, sqrt_half);
    const int zb_hr = odl_fp_count_leading_zeros((uint32_t)zb) - 1;
    const int32_t rb = odl_fp_mul_pot(x, zb_hr);
    const int32_t zb_adj = sat_sub(odl_fp_mul_pot(IN_BITS - zb_hr, 31 - ACC_BITS), shifted_quarter);
    const int32_t r = ra < rb ? ra : rb;
    const int32_t z_adj = za_adj > zb_adj ? za_adj : zb_adj;
    const int32_t p = odl_fp_rounding_half_sum(r, sqrt_sqrt_half);
    int32_t q = odl_fp_sub(r, sqrt_sqrt_half);
    q = odl_fp_add(q, q);
    const int32_t common_sq = odl_fp_mul(q, q);
    const int32_t num = odl_fp_add(odl_fp_mul(q, r), odl_fp_mul(odl_fp_mul(q, common_sq), alpha_n));
    const int32_t denom_minus_one =
        odl_fp_add(odl_fp_mul(p, odl_fp_add(odl_fp_add(alpha_i, q), odl_fp_mul(alpha_d, common_sq))),
                   odl_fp_mul(alpha_f, q));
    const int32_t recip = odl_fp_one_over_one_plus_x_for_x_in_0_1(denom_minus_one);
    const int32_t num_scaled = odl_fp_mul_pot(num, -ACC_BITS);
    return odl_fp_mul_pot(odl_fp_add(odl_fp_mul(z_adj, log_2), odl_fp_mul(num_scaled, recip)), 1);
}

odl_status_t odl_log_softmax_s8(const odl_log_softmax_params_t *p, int32_t outer, int32_t depth, const int8_t *in,
                                int8_t *out) {
    if (!p || !in || !out || outer < 0 || depth < 1) return ODL_ERR_ARG;
    for (int32_t o = 0; o < outer; ++o) {
        const int8_t *x = in + (size_t)o * depth;
        int8_t *y = out + (size_t)o * depth;
        int32_t max_in_row = INT8_MIN;
        for (int32_t c = 0; c < depth; ++c) max_in_row = x[c] > max_in_row ? x[c] : max_in_row;
        int32_t sum_q12 = 0;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = x[c] - max_in_row;
            if (diff >= p->diff_min) {
                const int32_t d5 = odl_mul_by_quantized_multiplier(diff, p->input_multiplier, p->input_left_shift);
                sum_q12 = odl_fp_add(sum_q12, odl_fp_mul_pot(odl_fp_exp_on_negative_values(d5, 5), -12));
            }
        }
        const int32_t log_q5 = log_q12_to_q5(sum_q12);
        const int32_t shifted = odl_fp_add(log_q5, INT32_MIN);
        const int32_t scaled_min =
            odl_mul_by_quantized_multiplier(shifted, p->reverse_scaling_divisor, p->reverse_scaling_shift);
        const int32_t adjusted_diff_min = p->diff_min - 1 > scaled_min ? p->diff_min - 1 : scaled_min;
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t diff = x[c] - max_in_row;
            if (diff > adjusted_diff_min) {
                const int32_t d5 = odl_mul_by_quantized_multiplier(diff, p->input_multiplier, p->input_left_shift);
                const int32_t v = odl_rounding_divide_by_pot(odl_fp_sub(d5, log_q5), 31 - 5 - 4) + 127;
                y[c] = (int8_t)odl_clamp_i32(v, INT8_MIN, INT8_MAX);
            } else {
                y[c] = INT8_MIN;
            }
        }
    }
    return ODL_OK;
}
