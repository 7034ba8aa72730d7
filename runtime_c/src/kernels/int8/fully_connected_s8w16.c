/* FULLY_CONNECTED with int16 weights (see odl/kernels_s8w16.h). The int8
 * filter offset is scaled to the int16 weight scale. */
#include "odl/fixedpoint.h"
#include "odl/kernels_s8w16.h"

odl_status_t odl_fully_connected_s8w16(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                       int32_t per_channel, int32_t batches, int32_t in_depth,
                                       const int8_t *in, int32_t out_depth, const int16_t *w,
                                       const int32_t *bias, int8_t *out) {
    if (!p || !mult || !shift || !in || !w || !out) return ODL_ERR_ARG;
    if (batches < 0 || in_depth <= 0 || out_depth <= 0) return ODL_ERR_SHAPE;
    const int32_t in_off = p->input_offset, w_off = p->filter_offset * (1 << ODL_W16_SHIFT);
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (size_t)b * in_depth;
        for (int32_t o = 0; o < out_depth; ++o) {
            const int16_t *wr = w + (size_t)o * in_depth;
            int64_t acc = 0;
            for (int32_t d = 0; d < in_depth; ++d)
                acc += (int64_t)((int32_t)wr[d] + w_off) * ((int32_t)x[d] + in_off);
            const int32_t k = per_channel ? o : 0;
            int32_t a = odl_w16_acc_to_i32(acc, bias ? bias[o] : 0);
            a = odl_mul_by_quantized_multiplier(a, mult[k], shift[k]) + p->output_offset;
            *out++ = (int8_t)odl_clamp_i32(a, p->act_min, p->act_max);
        }
    }
    return ODL_OK;
}
