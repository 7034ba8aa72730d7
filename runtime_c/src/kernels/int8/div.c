/* int8 DIV, bit-exact with TFLite Micro (reference_ops::DivElementwise): the
 * divisor's reciprocal in fixed point (GetReciprocal), the dividend
 * normalised by its leading sign bits, one rescale by s_a / (s_b s_y).
 * A zero divisor (undefined in TFLite) saturates by the dividend's sign. */
#include "binary_loop.h"
#include "gemmlowp_fixedpoint.h"
#include "odl/kernels_ext.h"

static int leading_sign_bits(int32_t x) {
    if (x == 0) return 31;
    const uint32_t u = x < 0 ? ~(uint32_t)x : (uint32_t)x;
    return odl_fp_count_leading_zeros(u) - 1;
}

static int32_t div_one(const odl_mul_params_t *p, int32_t a, int32_t b) {
    int32_t x = p->input1_offset + a, d = p->input2_offset + b;
    if (d == 0) return x >= 0 ? p->act_max : p->act_min;
    if (d < 0) {
        x = -x;
        d = -d;
    }
    int recip_shift;
    const int32_t inv = odl_fp_reciprocal(d, 31, &recip_shift);
    const int headroom = leading_sign_bits(x);
    const int32_t q = odl_sat_rounding_doubling_high_mul((int32_t)((uint32_t)x << headroom), inv);
    const int total = p->output_shift - recip_shift - headroom;
    const int32_t m = odl_sat_rounding_doubling_high_mul(q, p->output_multiplier);
    const int32_t r = total <= 0 ? odl_rounding_divide_by_pot(m, -total) : (int32_t)((uint32_t)m << total);
    return odl_clamp_i32(p->output_offset + r, p->act_min, p->act_max);
}

odl_status_t odl_div_s8(const odl_mul_params_t *p, const odl_dims4_t *d1, const int8_t *in1, const odl_dims4_t *d2,
                        const int8_t *in2, const odl_dims4_t *dy, int8_t *out) {
    if (!p || !d1 || !in1 || !d2 || !in2 || !dy || !out || p->output_shift > 31 || p->output_shift < -31)
        return ODL_ERR_ARG;
    ODL_BINARY_LOOP(int8_t, d1, in1, d2, in2, dy, out, div_one(p, a, b));
    return ODL_OK;
}
