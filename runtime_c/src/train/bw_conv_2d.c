/* CONV_2D backward (OHWI filter; 1x1 is the same code). Input position
 * iy = oy*stride - pad + ky*dilation, as in the forward kernel; padded
 * positions contribute nothing. bw_input scatters each output error through
 * the filter into int32 accumulators (pre-shifted so they cannot overflow). */
#include "odl/kernels_bw_s8.h"

odl_status_t odl_conv2d_s8_bw_input(const odl_conv_params_t *p, const odl_dims4_t *in_dims,
                                    const odl_dims4_t *w_dims, const int8_t *w, const int32_t *w_mult,
                                    const int32_t *w_shift, const odl_dims4_t *out_dims, const int32_t *e_out,
                                    int32_t exp_out, int32_t *e_in, int32_t *exp_in) {
    if (!p || !in_dims || !w_dims || !w || !w_mult || !w_shift || !out_dims || !e_out || !e_in || !exp_in)
        return ODL_ERR_ARG;
    const int32_t C = in_dims->c, H = in_dims->h, W = in_dims->w;
    const int32_t O = out_dims->c, KH = w_dims->h, KW = w_dims->w;
    if (w_dims->n != O || w_dims->c != C) return ODL_ERR_SHAPE;
    const int32_t shmax = odl_bw_max_shift(w_shift, O);
    const int32_t s0 = odl_bw_sum_shift((int64_t)O * KH * KW, ODL_BW_MANT_BITS + 7);
    const int32_t n_in = in_dims->n * H * W * C;
    for (int32_t k = 0; k < n_in; ++k) e_in[k] = 0;
    for (int32_t b = 0; b < out_dims->n; ++b)
        for (int32_t oy = 0; oy < out_dims->h; ++oy)
            for (int32_t ox = 0; ox < out_dims->w; ++ox) {
                const int32_t *eo = e_out + ((b * out_dims->h + oy) * out_dims->w + ox) * O;
                for (int32_t o = 0; o < O; ++o) {
                    if (eo[o] == 0) continue;
                    const int32_t ep = (int32_t)odl_bw_round_shift((int64_t)eo[o] * w_mult[o],
                                                                   31 + shmax - w_shift[o] + s0);
                    if (ep == 0) continue;
                    for (int32_t ky = 0; ky < KH; ++ky) {
                        const int32_t iy = oy * p->stride_h - p->pad_h + ky * p->dilation_h;
                        if (iy < 0 || iy >= H) continue;
                        for (int32_t kx = 0; kx < KW; ++kx) {
                            const int32_t ix = ox * p->stride_w - p->pad_w + kx * p->dilation_w;
                            if (ix < 0 || ix >= W) continue;
                            int32_t *ei = e_in + ((b * H + iy) * W + ix) * C;
                            const int8_t *wr = w + ((o * KH + ky) * KW + kx) * C;
                            for (int32_t c = 0; c < C; ++c) ei[c] += ep * wr[c];
                        }
                    }
                }
            }
    *exp_in = exp_out + shmax + s0;
    odl_bw_normalize(e_in, n_in, exp_in);
    return ODL_OK;
}

/* g += e * (x + z) over the taps of output position (b, oy, ox). Inlined
 * into both callers: a frame of its own would deepen the training stack. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void bw_weight_position(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *x, int32_t KH,
                               int32_t KW, int32_t b, int32_t oy, int32_t ox, int32_t e, int64_t *grad_w) {
    const int32_t C = in_dims->c, H = in_dims->h, W = in_dims->w;
    for (int32_t ky = 0; ky < KH; ++ky) {
        const int32_t iy = oy * p->stride_h - p->pad_h + ky * p->dilation_h;
        if (iy < 0 || iy >= H) continue;
        for (int32_t kx = 0; kx < KW; ++kx) {
            const int32_t ix = ox * p->stride_w - p->pad_w + kx * p->dilation_w;
            if (ix < 0 || ix >= W) continue;
            const int8_t *xr = x + ((b * H + iy) * W + ix) * C;
            int64_t *g = grad_w + (ky * KW + kx) * C;
            for (int32_t c = 0; c < C; ++c) g[c] += (int64_t)e * (xr[c] + p->input_offset);
        }
    }
}

odl_status_t odl_conv2d_s8_bw_weight(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *x,
                                     const odl_dims4_t *w_dims, const odl_dims4_t *out_dims, const int32_t *e_out,
                                     int32_t channel, int64_t *grad_w, int64_t *grad_b) {
    if (!p || !in_dims || !x || !w_dims || !out_dims || !e_out) return ODL_ERR_ARG;
    const int32_t C = in_dims->c, O = out_dims->c, KH = w_dims->h, KW = w_dims->w;
    if (channel < 0 || channel >= O || w_dims->c != C) return ODL_ERR_ARG;
    if (grad_w)
        for (int32_t k = 0; k < KH * KW * C; ++k) grad_w[k] = 0;
    int64_t gb = 0;
    for (int32_t b = 0; b < out_dims->n; ++b)
        for (int32_t oy = 0; oy < out_dims->h; ++oy)
            for (int32_t ox = 0; ox < out_dims->w; ++ox) {
                const int32_t e = e_out[((b * out_dims->h + oy) * out_dims->w + ox) * O + channel];
                gb += e;
                if (grad_w && e != 0) bw_weight_position(p, in_dims, x, KH, KW, b, oy, ox, e, grad_w);
            }
    if (grad_b) *grad_b = gb;
    return ODL_OK;
}

int odl_bw_pool_disjoint(const odl_pool_params_t *pp) {
    return pp && pp->stride_h >= pp->filter_h && pp->stride_w >= pp->filter_w && pp->filter_h > 0 &&
           pp->filter_w > 0;
}

/* The conv output's error is the max-pool's routed one: zero except at the
 * first largest element of each window (the scan of odl_max_pool2d_s8_bw_input),
 * where it is the window's error, unless the conv's own mask stops it there.
 * Disjoint windows move each error once without normalizing, so these are
 * the values the unfused steps would hold in the conv output's error. */
odl_status_t odl_conv2d_s8_bw_weight_pooled(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *x,
                                            const odl_dims4_t *w_dims, const odl_dims4_t *out_dims, const int8_t *y,
                                            const odl_bw_pool_mask_t *m, const odl_dims4_t *pool_dims,
                                            const int32_t *e_pool, int32_t channel, int64_t *grad_w,
                                            int64_t *grad_b) {
    if (!p || !in_dims || !x || !w_dims || !out_dims || !y || !m || !odl_bw_pool_disjoint(m->pool) || !pool_dims ||
        !e_pool)
        return ODL_ERR_ARG;
    const odl_pool_params_t *pp = m->pool;
    const int32_t C = in_dims->c, O = out_dims->c, H = out_dims->h, W = out_dims->w, KH = w_dims->h, KW = w_dims->w;
    if (channel < 0 || channel >= O || w_dims->c != C || pool_dims->c != O || pool_dims->n != out_dims->n)
        return ODL_ERR_ARG;
    if (grad_w)
        for (int32_t k = 0; k < KH * KW * C; ++k) grad_w[k] = 0;
    int64_t gb = 0;
    for (int32_t b = 0; b < pool_dims->n; ++b)
        for (int32_t py = 0; py < pool_dims->h; ++py)
            for (int32_t px = 0; px < pool_dims->w; ++px) {
                const int32_t e = e_pool[((b * pool_dims->h + py) * pool_dims->w + px) * O + channel];
                const int32_t y0 = py * pp->stride_h - pp->pad_h, x0 = px * pp->stride_w - pp->pad_w;
                const int32_t fy0 = y0 < 0 ? -y0 : 0, fx0 = x0 < 0 ? -x0 : 0;
                const int32_t fy1 = pp->filter_h < H - y0 ? pp->filter_h : H - y0;
                const int32_t fx1 = pp->filter_w < W - x0 ? pp->filter_w : W - x0;
                if (e == 0 || fy1 <= fy0 || fx1 <= fx0) continue;
                int32_t best = -129, ay = 0, ax = 0;
                for (int32_t fy = fy0; fy < fy1; ++fy)
                    for (int32_t fx = fx0; fx < fx1; ++fx) {
                        const int32_t v = y[((b * H + y0 + fy) * W + x0 + fx) * O + channel];
                        if (v > best) best = v, ay = y0 + fy, ax = x0 + fx;
                    }
                if (!odl_bw_pool_mask_pass(m, best, e)) continue;
                gb += e;
                if (grad_w) bw_weight_position(p, in_dims, x, KH, KW, b, ay, ax, e, grad_w);
            }
    if (grad_b) *grad_b = gb;
    return ODL_OK;
}
