/* DEPTHWISE_CONV_2D backward: output channel oc = ic * M + m reads input
 * channel ic only, with filter column oc of the 1HW(C*M) filter. */
#include "odl/kernels_bw_s8.h"

odl_status_t odl_depthwise_conv2d_s8_bw_input(const odl_conv_params_t *p, const odl_dims4_t *in_dims,
                                              const odl_dims4_t *w_dims, const int8_t *w, const int32_t *w_mult,
                                              const int32_t *w_shift, const odl_dims4_t *out_dims,
                                              const int32_t *e_out, int32_t exp_out, int32_t *e_in,
                                              int32_t *exp_in) {
    if (!p || !in_dims || !w_dims || !w || !w_mult || !w_shift || !out_dims || !e_out || !e_in || !exp_in)
        return ODL_ERR_ARG;
    const int32_t C = in_dims->c, H = in_dims->h, W = in_dims->w, M = p->depth_multiplier;
    const int32_t O = out_dims->c, KH = w_dims->h, KW = w_dims->w;
    if (M <= 0 || O != C * M || w_dims->c != O) return ODL_ERR_SHAPE;
    const int32_t shmax = odl_bw_max_shift(w_shift, O);
    const int32_t s0 = odl_bw_sum_shift((int64_t)M * KH * KW, ODL_BW_MANT_BITS + 7);
    const int32_t n_in = in_dims->n * H * W * C;
    for (int32_t k = 0; k < n_in; ++k) e_in[k] = 0;
    for (int32_t b = 0; b < out_dims->n; ++b)
        for (int32_t oy = 0; oy < out_dims->h; ++oy)
            for (int32_t ox = 0; ox < out_dims->w; ++ox) {
                const int32_t *eo = e_out + ((b * out_dims->h + oy) * out_dims->w + ox) * O;
                for (int32_t oc = 0; oc < O; ++oc) {
                    if (eo[oc] == 0) continue;
                    const int32_t ep = (int32_t)odl_bw_round_shift((int64_t)eo[oc] * w_mult[oc],
                                                                   31 + shmax - w_shift[oc] + s0);
                    if (ep == 0) continue;
                    const int32_t ic = oc / M;
                    for (int32_t ky = 0; ky < KH; ++ky) {
                        const int32_t iy = oy * p->stride_h - p->pad_h + ky * p->dilation_h;
                        if (iy < 0 || iy >= H) continue;
                        for (int32_t kx = 0; kx < KW; ++kx) {
                            const int32_t ix = ox * p->stride_w - p->pad_w + kx * p->dilation_w;
                            if (ix < 0 || ix >= W) continue;
                            e_in[((b * H + iy) * W + ix) * C + ic] += ep * w[(ky * KW + kx) * O + oc];
                        }
                    }
                }
            }
    *exp_in = exp_out + shmax + s0;
    odl_bw_normalize(e_in, n_in, exp_in);
    return ODL_OK;
}

odl_status_t odl_depthwise_conv2d_s8_bw_weight(const odl_conv_params_t *p, const odl_dims4_t *in_dims,
                                               const int8_t *x, const odl_dims4_t *w_dims,
                                               const odl_dims4_t *out_dims, const int32_t *e_out, int32_t channel,
                                               int64_t *grad_w, int64_t *grad_b) {
    if (!p || !in_dims || !x || !w_dims || !out_dims || !e_out || p->depth_multiplier <= 0) return ODL_ERR_ARG;
    const int32_t C = in_dims->c, H = in_dims->h, W = in_dims->w;
    const int32_t O = out_dims->c, KH = w_dims->h, KW = w_dims->w;
    if (channel < 0 || channel >= O) return ODL_ERR_ARG;
    const int32_t ic = channel / p->depth_multiplier;
    if (grad_w)
        for (int32_t k = 0; k < KH * KW; ++k) grad_w[k] = 0;
    int64_t gb = 0;
    for (int32_t b = 0; b < out_dims->n; ++b)
        for (int32_t oy = 0; oy < out_dims->h; ++oy)
            for (int32_t ox = 0; ox < out_dims->w; ++ox) {
                const int32_t e = e_out[((b * out_dims->h + oy) * out_dims->w + ox) * O + channel];
                gb += e;
                if (!grad_w || e == 0) continue;
                for (int32_t ky = 0; ky < KH; ++ky) {
                    const int32_t iy = oy * p->stride_h - p->pad_h + ky * p->dilation_h;
                    if (iy < 0 || iy >= H) continue;
                    for (int32_t kx = 0; kx < KW; ++kx) {
                        const int32_t ix = ox * p->stride_w - p->pad_w + kx * p->dilation_w;
                        if (ix < 0 || ix >= W) continue;
                        grad_w[ky * KW + kx] += (int64_t)e * (x[((b * H + iy) * W + ix) * C + ic] + p->input_offset);
                    }
                }
            }
    if (grad_b) *grad_b = gb;
    return ODL_OK;
}
