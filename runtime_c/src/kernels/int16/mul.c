/* int16 MUL, bit-exact with TFLite Micro (reference_integer_ops::Mul on
 * int16): (a - za)(b - zb) rescaled by s_a s_b / s_y, plus zy, clamped. */
#include "../int8/binary_loop.h"
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

odl_status_t odl_mul_s16(const odl_mul_params_t *p, const odl_dims4_t *d1, const int16_t *in1, const odl_dims4_t *d2,
                         const int16_t *in2, const odl_dims4_t *dy, int16_t *out) {
    if (!p || !d1 || !in1 || !d2 || !in2 || !dy || !out || p->output_shift > 31 || p->output_shift < -31)
        return ODL_ERR_ARG;
    ODL_BINARY_LOOP(int16_t, d1, in1, d2, in2, dy, out,
                    odl_clamp_i32(p->output_offset + odl_mul_by_quantized_multiplier((p->input1_offset + a) *
                                                                                         (p->input2_offset + b),
                                                                                     p->output_multiplier,
                                                                                     p->output_shift),
                                  p->act_min, p->act_max));
    return ODL_OK;
}
