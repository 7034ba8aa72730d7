/* SUB, int8 and int16, bit-exact with TFLite Micro (reference_ops::Sub with
 * ADD's parameters: left shift 20 for int8, 15 for int16): both inputs
 * rescaled to twice the larger input scale, subtracted, rescaled. */
#include "binary_loop.h"
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

static int32_t sub_one(const odl_add_params_t *p, int32_t a, int32_t b) {
    const int32_t a_shifted = (int32_t)((uint32_t)(p->input1_offset + a) << p->left_shift);
    const int32_t b_shifted = (int32_t)((uint32_t)(p->input2_offset + b) << p->left_shift);
    const int32_t a_scaled = odl_mul_by_quantized_multiplier(a_shifted, p->input1_multiplier, p->input1_shift);
    const int32_t b_scaled = odl_mul_by_quantized_multiplier(b_shifted, p->input2_multiplier, p->input2_shift);
    const int32_t raw = odl_mul_by_quantized_multiplier(a_scaled - b_scaled, p->output_multiplier, p->output_shift);
    return odl_clamp_i32(raw + p->output_offset, p->act_min, p->act_max);
}

odl_status_t odl_sub_s8(const odl_add_params_t *p, const odl_dims4_t *d1, const int8_t *in1, const odl_dims4_t *d2,
                        const int8_t *in2, const odl_dims4_t *dy, int8_t *out) {
    if (!p || !d1 || !in1 || !d2 || !in2 || !dy || !out || p->left_shift < 0 || p->left_shift > 24) return ODL_ERR_ARG;
    ODL_BINARY_LOOP(int8_t, d1, in1, d2, in2, dy, out, sub_one(p, a, b));
    return ODL_OK;
}

odl_status_t odl_sub_s16(const odl_add_params_t *p, const odl_dims4_t *d1, const int16_t *in1, const odl_dims4_t *d2,
                         const int16_t *in2, const odl_dims4_t *dy, int16_t *out) {
    if (!p || !d1 || !in1 || !d2 || !in2 || !dy || !out || p->left_shift < 0 || p->left_shift > 24) return ODL_ERR_ARG;
    ODL_BINARY_LOOP(int16_t, d1, in1, d2, in2, dy, out, sub_one(p, a, b));
    return ODL_OK;
}

/* SQUARED_DIFFERENCE with the same parameters (TFLite Micro: left shift 7
 * for int8, 0 for int16; the output multiplier may exceed one). The square
 * of the rescaled difference fits 32 bits there; it wraps as int32 would. */
static int32_t sqdiff_one(const odl_add_params_t *p, int32_t a, int32_t b) {
    const int32_t a_shifted = (int32_t)((uint32_t)(p->input1_offset + a) << p->left_shift);
    const int32_t b_shifted = (int32_t)((uint32_t)(p->input2_offset + b) << p->left_shift);
    const int32_t d = odl_mul_by_quantized_multiplier(a_shifted, p->input1_multiplier, p->input1_shift) -
                      odl_mul_by_quantized_multiplier(b_shifted, p->input2_multiplier, p->input2_shift);
    const int32_t sq = (int32_t)((uint32_t)d * (uint32_t)d);
    const int32_t raw = odl_mul_by_quantized_multiplier(sq, p->output_multiplier, p->output_shift);
    return odl_clamp_i32(raw + p->output_offset, p->act_min, p->act_max);
}

odl_status_t odl_squared_difference_s8(const odl_add_params_t *p, const odl_dims4_t *d1, const int8_t *in1,
                                       const odl_dims4_t *d2, const int8_t *in2, const odl_dims4_t *dy, int8_t *out) {
    if (!p || !d1 || !in1 || !d2 || !in2 || !dy || !out || p->left_shift < 0 || p->left_shift > 24) return ODL_ERR_ARG;
    ODL_BINARY_LOOP(int8_t, d1, in1, d2, in2, dy, out, sqdiff_one(p, a, b));
    return ODL_OK;
}

odl_status_t odl_squared_difference_s16(const odl_add_params_t *p, const odl_dims4_t *d1, const int16_t *in1,
                                        const odl_dims4_t *d2, const int16_t *in2, const odl_dims4_t *dy,
                                        int16_t *out) {
    if (!p || !d1 || !in1 || !d2 || !in2 || !dy || !out || p->left_shift < 0 || p->left_shift > 24) return ODL_ERR_ARG;
    ODL_BINARY_LOOP(int16_t, d1, in1, d2, in2, dy, out, sqdiff_one(p, a, b));
    return ODL_OK;
}
