/* int8 FULLY_CONNECTED, TFLite's reference FullyConnected (per-tensor: one
 * multiplier, filter offset honoured) and FullyConnectedPerChannel (one
 * multiplier per output unit) bit for bit. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

odl_status_t odl_fully_connected_s8(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                    int32_t per_channel, int32_t batches, int32_t in_depth,
                                    const int8_t *in, int32_t out_depth, const int8_t *w,
                                    const int32_t *bias, int8_t *out) {
    if (!p || !mult || !shift || !in || !w || !out) return ODL_ERR_ARG;
    if (batches < 0 || in_depth <= 0 || out_depth <= 0) return ODL_ERR_SHAPE;
    const int32_t in_off = p->input_offset, w_off = p->filter_offset;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = in + (size_t)b * in_depth;
        for (int32_t o = 0; o < out_depth; ++o) {
            const int8_t *wr = w + (size_t)o * in_depth;
            int32_t acc = 0;
            for (int32_t d = 0; d < in_depth; ++d)
                acc += ((int32_t)wr[d] + w_off) * ((int32_t)x[d] + in_off);
            if (bias) acc += bias[o];
            const int32_t k = per_channel ? o : 0;
            acc = odl_mul_by_quantized_multiplier(acc, mult[k], shift[k]) + p->output_offset;
            *out++ = (int8_t)odl_clamp_i32(acc, p->act_min, p->act_max);
        }
    }
    return ODL_OK;
}
