/* int8 LOGISTIC, bit-exact with TFLite Micro (reference_integer_ops::Logistic
 * for int8): the input is rescaled to Q4.27 and fed to gemmlowp's
 * fixed-point logistic; inputs beyond the radius saturate. */
#include "gemmlowp_fixedpoint.h"
#include "odl/kernels_int8.h"

enum { INPUT_INTEGER_BITS = 4, OUTPUT_INTEGER_BITS = 8 };

odl_status_t odl_logistic_s8(const odl_logistic_params_t *p, int32_t size, const int8_t *in, int8_t *out) {
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
            const int32_t y_q0 = odl_fp_logistic(x_q4, INPUT_INTEGER_BITS);
            const int32_t y = odl_rounding_divide_by_pot(y_q0, 31 - OUTPUT_INTEGER_BITS) - 128;
            out[i] = (int8_t)odl_clamp_i32(y, -128, 127);
        }
    }
    return ODL_OK;
}
