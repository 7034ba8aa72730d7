/* int8 RELU, bit-exact with TFLite Micro (ReluQuantized): requantize from
 * the input to the output quantization, then clamp at the output's zero. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

odl_status_t odl_relu_s8(const odl_relu_params_t *p, int32_t size, const int8_t *in, int8_t *out) {
    if (!p || !in || !out || size < 0 || p->output_shift > 31 || p->output_shift < -31) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t v = p->output_zero_point + odl_mul_by_quantized_multiplier((int32_t)in[i] - p->input_zero_point,
                                                                                 p->output_multiplier, p->output_shift);
        out[i] = (int8_t)odl_clamp_i32(v, p->act_min, p->act_max);
    }
    return ODL_OK;
}
