/* int8 PRELU, bit-exact with TFLite Micro (reference_ops::BroadcastPrelu4DSlow):
 * x >= 0 rescales x by s_x/s_y, x < 0 rescales x * alpha by s_x s_a / s_y;
 * alpha broadcasts against x. */
#include "binary_loop.h"
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

static int32_t prelu_one(const odl_prelu_params_t *p, int32_t x, int32_t a) {
    const int32_t v = p->input_offset + x;
    const int32_t r = v >= 0 ? odl_mul_by_quantized_multiplier(v, p->mult_pos, p->shift_pos)
                             : odl_mul_by_quantized_multiplier(v * (p->alpha_offset + a), p->mult_neg, p->shift_neg);
    return odl_clamp_i32(r + p->output_offset, -128, 127);
}

odl_status_t odl_prelu_s8(const odl_prelu_params_t *p, const odl_dims4_t *dx, const int8_t *x, const odl_dims4_t *da,
                          const int8_t *alpha, const odl_dims4_t *dy, int8_t *out) {
    if (!p || !dx || !x || !da || !alpha || !dy || !out) return ODL_ERR_ARG;
    if (p->shift_pos > 31 || p->shift_pos < -31 || p->shift_neg > 31 || p->shift_neg < -31) return ODL_ERR_ARG;
    ODL_BINARY_LOOP(int8_t, dx, x, da, alpha, dy, out, prelu_one(p, a, b));
    return ODL_OK;
}
