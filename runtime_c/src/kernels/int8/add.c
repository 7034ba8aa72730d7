/* int8 ADD, bit-exact with TFLite Micro (reference_integer_ops AddFunc):
 * both inputs are shifted left by left_shift, rescaled to a common scale
 * (twice the larger input scale), summed, then rescaled to the output. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"
#include "broadcast.h"

/* Element strides of an input broadcast against the output shape. */
static int8_t add_one(const odl_add_params_t *p, int32_t a, int32_t b) {
    const int32_t a_shifted = (int32_t)((uint32_t)(p->input1_offset + a) << p->left_shift);
    const int32_t b_shifted = (int32_t)((uint32_t)(p->input2_offset + b) << p->left_shift);
    const int32_t a_scaled = odl_mul_by_quantized_multiplier(a_shifted, p->input1_multiplier, p->input1_shift);
    const int32_t b_scaled = odl_mul_by_quantized_multiplier(b_shifted, p->input2_multiplier, p->input2_shift);
    const int32_t sum = a_scaled + b_scaled;
    const int32_t raw = odl_mul_by_quantized_multiplier(sum, p->output_multiplier, p->output_shift) + p->output_offset;
    return (int8_t)odl_clamp_i32(raw, p->act_min, p->act_max);
}

odl_status_t odl_add_s8(const odl_add_params_t *p, const odl_dims4_t *in1_dims, const int8_t *in1,
                        const odl_dims4_t *in2_dims, const int8_t *in2, const odl_dims4_t *out_dims,
                        int8_t *out) {
    int32_t s1[4], s2[4];
    if (!p || !in1_dims || !in1 || !in2_dims || !in2 || !out_dims || !out) return ODL_ERR_ARG;
    if (p->left_shift < 0 || p->left_shift > 24) return ODL_ERR_ARG;
    if (!odl_broadcast_strides(in1_dims, out_dims, s1) || !odl_broadcast_strides(in2_dims, out_dims, s2))
        return ODL_ERR_SHAPE;
    int8_t *o = out;
    for (int32_t n = 0; n < out_dims->n; ++n)
        for (int32_t h = 0; h < out_dims->h; ++h)
            for (int32_t w = 0; w < out_dims->w; ++w) {
                const int8_t *a = in1 + n * s1[0] + h * s1[1] + w * s1[2];
                const int8_t *b = in2 + n * s2[0] + h * s2[1] + w * s2[2];
                for (int32_t c = 0; c < out_dims->c; ++c) *o++ = add_one(p, a[c * s1[3]], b[c * s2[3]]);
            }
    return ODL_OK;
}
