/* AVERAGE_POOL_2D and MEAN backward: each input receives the output error
 * divided by the number of elements averaged (Q30 reciprocal; the result
 * keeps 10 extra fraction bits before normalization). */
#include "odl/kernels_bw_s8.h"

#define POOL_FRAC 10

static int64_t recip_q30(int32_t count) { return (((int64_t)1 << 30) + count / 2) / count; }

odl_status_t odl_average_pool2d_s8_bw_input(const odl_pool_params_t *p, const odl_dims4_t *in_dims,
                                            const odl_dims4_t *out_dims, const int32_t *e_out, int32_t exp_out,
                                            int32_t *e_in, int32_t *exp_in) {
    if (!p || !in_dims || !out_dims || !e_out || !e_in || !exp_in || p->stride_h <= 0 || p->stride_w <= 0)
        return ODL_ERR_ARG;
    const int32_t C = in_dims->c, H = in_dims->h, W = in_dims->w;
    if (out_dims->c != C) return ODL_ERR_SHAPE;
    const int32_t wins = ((p->filter_h + p->stride_h - 1) / p->stride_h) * ((p->filter_w + p->stride_w - 1) / p->stride_w);
    const int32_t s0 = odl_bw_sum_shift(wins, ODL_BW_MANT_BITS + POOL_FRAC);
    const int32_t n_in = in_dims->n * H * W * C;
    for (int32_t k = 0; k < n_in; ++k) e_in[k] = 0;
    for (int32_t b = 0; b < out_dims->n; ++b)
        for (int32_t oy = 0; oy < out_dims->h; ++oy)
            for (int32_t ox = 0; ox < out_dims->w; ++ox) {
                const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
                const int32_t fy0 = y0 < 0 ? -y0 : 0, fx0 = x0 < 0 ? -x0 : 0;
                const int32_t fy1 = p->filter_h < H - y0 ? p->filter_h : H - y0;
                const int32_t fx1 = p->filter_w < W - x0 ? p->filter_w : W - x0;
                const int32_t count = (fy1 - fy0) * (fx1 - fx0);
                if (count <= 0) continue;
                const int64_t r = recip_q30(count);
                const int32_t *eo = e_out + ((b * out_dims->h + oy) * out_dims->w + ox) * C;
                for (int32_t c = 0; c < C; ++c) {
                    const int32_t ep = (int32_t)odl_bw_round_shift((int64_t)eo[c] * r, 30 - POOL_FRAC + s0);
                    if (ep == 0) continue;
                    for (int32_t fy = fy0; fy < fy1; ++fy)
                        for (int32_t fx = fx0; fx < fx1; ++fx) e_in[((b * H + y0 + fy) * W + x0 + fx) * C + c] += ep;
                }
            }
    *exp_in = exp_out - POOL_FRAC + s0;
    odl_bw_normalize(e_in, n_in, exp_in);
    return ODL_OK;
}

odl_status_t odl_mean_s8_bw_input(int32_t outer, int32_t reduce, int32_t inner, const int32_t *e_out,
                                  int32_t exp_out, int32_t *e_in, int32_t *exp_in) {
    if (!e_out || !e_in || !exp_in || outer < 0 || reduce <= 0 || inner < 0) return ODL_ERR_ARG;
    const int64_t r = recip_q30(reduce);
    for (int32_t o = 0; o < outer; ++o)
        for (int32_t k = 0; k < inner; ++k) {
            const int32_t ep = (int32_t)odl_bw_round_shift((int64_t)e_out[o * inner + k] * r, 30 - POOL_FRAC);
            for (int32_t j = 0; j < reduce; ++j) e_in[(o * reduce + j) * inner + k] = ep;
        }
    *exp_in = exp_out - POOL_FRAC;
    odl_bw_normalize(e_in, outer * reduce * inner, exp_in);
    return ODL_OK;
}

odl_status_t odl_max_pool2d_s8_bw_input(const odl_pool_params_t *p, const odl_dims4_t *in_dims, const int8_t *x,
                                        const odl_dims4_t *out_dims, const int32_t *e_out, int32_t exp_out,
                                        int32_t *e_in, int32_t *exp_in) {
    if (!p || !in_dims || !x || !out_dims || !e_out || !e_in || !exp_in || p->stride_h <= 0 || p->stride_w <= 0)
        return ODL_ERR_ARG;
    const int32_t C = in_dims->c, H = in_dims->h, W = in_dims->w;
    if (out_dims->c != C || out_dims->n != in_dims->n) return ODL_ERR_SHAPE;
    const int32_t n_in = in_dims->n * H * W * C;
    for (int32_t k = 0; k < n_in; ++k) e_in[k] = 0;
    for (int32_t b = 0; b < out_dims->n; ++b)
        for (int32_t oy = 0; oy < out_dims->h; ++oy)
            for (int32_t ox = 0; ox < out_dims->w; ++ox) {
                const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
                const int32_t fy0 = y0 < 0 ? -y0 : 0, fx0 = x0 < 0 ? -x0 : 0;
                const int32_t fy1 = p->filter_h < H - y0 ? p->filter_h : H - y0;
                const int32_t fx1 = p->filter_w < W - x0 ? p->filter_w : W - x0;
                const int32_t *eo = e_out + ((b * out_dims->h + oy) * out_dims->w + ox) * C;
                if (fy1 <= fy0 || fx1 <= fx0) continue;
                const int32_t base = ((b * H + y0 + fy0) * W + x0 + fx0) * C, row = W * C;
                for (int32_t c = 0; c < C; ++c) {
                    if (eo[c] == 0) continue;
                    int32_t best = -129, at = 0;
                    for (int32_t fy = fy0, r = base + c; fy < fy1; ++fy, r += row)
                        for (int32_t fx = fx0, k = r; fx < fx1; ++fx, k += C)
                            if (x[k] > best) {
                                best = x[k];
                                at = k;
                            }
                    e_in[at] += eo[c];
                }
            }
    *exp_in = exp_out;
    /* Windows that do not overlap move each error once: |e| stays < 2^15 and
     * normalizing would change nothing. */
    if (p->stride_h < p->filter_h || p->stride_w < p->filter_w) odl_bw_normalize(e_in, n_in, exp_in);
    return ODL_OK;
}
