/* LEAKY_RELU, int8 and int16, bit-exact with TFLite Micro (QuantizeLeakyRelu):
 * one requantization for x >= 0 (identity), another for x < 0 (alpha). */
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

static int32_t leaky_one(const odl_leaky_relu_params_t *p, int32_t v) {
    const int32_t x = v - p->input_zero_point;
    return p->output_zero_point + (x >= 0 ? odl_mul_by_quantized_multiplier(x, p->mult_identity, p->shift_identity)
                                          : odl_mul_by_quantized_multiplier(x, p->mult_alpha, p->shift_alpha));
}

static int bad(const odl_leaky_relu_params_t *p) {
    return p->shift_identity > 31 || p->shift_identity < -31 || p->shift_alpha > 31 || p->shift_alpha < -31;
}

odl_status_t odl_leaky_relu_s8(const odl_leaky_relu_params_t *p, int32_t size, const int8_t *in, int8_t *out) {
    if (!p || !in || !out || size < 0 || bad(p)) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) out[i] = (int8_t)odl_clamp_i32(leaky_one(p, in[i]), -128, 127);
    return ODL_OK;
}

odl_status_t odl_leaky_relu_s16(const odl_leaky_relu_params_t *p, int32_t size, const int16_t *in, int16_t *out) {
    if (!p || !in || !out || size < 0 || bad(p)) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) out[i] = (int16_t)odl_clamp_i32(leaky_one(p, in[i]), -32768, 32767);
    return ODL_OK;
}
