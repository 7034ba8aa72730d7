/* FULLY_CONNECTED backward. acc[b,o] = sum_i (x[b,i] - z_x) w[o,i] + bias[o];
 * in real values y ~ s_x s_w[o] acc, so dL/dx_real[b,i] = sum_o D[b,o] s_w[o] w[o,i]
 * and dL/dW_real[o,i] = sum_b D[b,o] s_x (x[b,i] - z_x). */
#include "odl/kernels_bw_s8.h"

odl_status_t odl_fully_connected_s8_bw_input(int32_t batches, int32_t in_depth, int32_t out_depth, const int8_t *w,
                                             const int32_t *w_mult, const int32_t *w_shift, int32_t per_channel,
                                             const int32_t *e_out, int32_t exp_out, int32_t *e_in, int32_t *exp_in) {
    if (!w || !w_mult || !w_shift || !e_out || !e_in || !exp_in || batches < 0 || in_depth <= 0 || out_depth <= 0)
        return ODL_ERR_ARG;
    const int32_t shmax = odl_bw_max_shift(w_shift, per_channel ? out_depth : 1);
    const int32_t s0 = odl_bw_sum_shift(out_depth, ODL_BW_MANT_BITS + 7);
    for (int32_t k = 0; k < batches * in_depth; ++k) e_in[k] = 0;
    for (int32_t b = 0; b < batches; ++b) {
        int32_t *ei = e_in + b * in_depth;
        for (int32_t o = 0; o < out_depth; ++o) {
            const int32_t c = per_channel ? o : 0;
            const int32_t ep = (int32_t)odl_bw_round_shift((int64_t)e_out[b * out_depth + o] * w_mult[c],
                                                           31 + shmax - w_shift[c] + s0);
            if (ep == 0) continue;
            const int8_t *wr = w + (int64_t)o * in_depth;
            for (int32_t i = 0; i < in_depth; ++i) ei[i] += ep * wr[i];
        }
    }
    *exp_in = exp_out + shmax + s0;
    odl_bw_normalize(e_in, batches * in_depth, exp_in);
    return ODL_OK;
}

odl_status_t odl_fully_connected_s8_bw_weight(int32_t batches, int32_t in_depth, int32_t out_depth,
                                              const int8_t *x, int32_t input_offset, const int32_t *e_out,
                                              int32_t channel, int64_t *grad_w, int64_t *grad_b) {
    if (!x || !e_out || batches < 0 || in_depth <= 0 || channel < 0 || channel >= out_depth) return ODL_ERR_ARG;
    int64_t gb = 0;
    if (grad_w)
        for (int32_t i = 0; i < in_depth; ++i) grad_w[i] = 0;
    for (int32_t b = 0; b < batches; ++b) {
        const int32_t e = e_out[b * out_depth + channel];
        gb += e;
        if (!grad_w || e == 0) continue;
        const int8_t *xr = x + (int64_t)b * in_depth;
        for (int32_t i = 0; i < in_depth; ++i) grad_w[i] += (int64_t)e * (xr[i] + input_offset);
    }
    if (grad_b) *grad_b = gb;
    return ODL_OK;
}
