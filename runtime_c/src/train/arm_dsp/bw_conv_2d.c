/* CONV_2D backward for cores with the DSP extension: bw_input is the
 * portable kernel; bw_weight walks the output positions once, skips zero
 * errors (after a ReLU / max-pool most are) and, for each remaining one,
 * adds e * (x + z) over the in-bounds taps row by row (one tap row is
 * contiguous in x and in the gradient when dilation_w is 1) with one SMLAL
 * per element and no per-tap bounds tests. Integer sums in another order:
 * the same int64 values as ../bw_conv_2d.c. */
#include "odl/kernels_bw_s8.h"

#define odl_conv2d_s8_bw_weight odl_conv2d_s8_bw_weight_portable
#include "../bw_conv_2d.c"
#undef odl_conv2d_s8_bw_weight

/* g[j] += e * (x[j] + off), j < n. */
static void axpy_s8_i64(int32_t n, int32_t e, const int8_t *x, int32_t off, int64_t *g) {
    for (int32_t j = 0; j < n; ++j) g[j] += (int64_t)e * (x[j] + off);
}

static int32_t first_tap(int32_t o0, int32_t dil) { return o0 >= 0 ? 0 : (-o0 + dil - 1) / dil; }
static int32_t end_tap(int32_t o0, int32_t dil, int32_t k, int32_t n) {
    const int32_t e = o0 >= n ? 0 : (n - o0 + dil - 1) / dil; /* taps with o0 + t * dil < n */
    return e < k ? e : k;
}

odl_status_t odl_conv2d_s8_bw_weight(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *x,
                                     const odl_dims4_t *w_dims, const odl_dims4_t *out_dims, const int32_t *e_out,
                                     int32_t channel, int64_t *grad_w, int64_t *grad_b) {
    if (!p || !in_dims || !x || !w_dims || !out_dims || !e_out) return ODL_ERR_ARG;
    if (p->dilation_w != 1 || p->dilation_h <= 0)
        return odl_conv2d_s8_bw_weight_portable(p, in_dims, x, w_dims, out_dims, e_out, channel, grad_w, grad_b);
    const int32_t C = in_dims->c, H = in_dims->h, W = in_dims->w;
    const int32_t O = out_dims->c, KH = w_dims->h, KW = w_dims->w;
    if (channel < 0 || channel >= O || w_dims->c != C) return ODL_ERR_ARG;
    if (grad_w)
        for (int32_t k = 0; k < KH * KW * C; ++k) grad_w[k] = 0;
    int64_t gb = 0;
    const int32_t off = p->input_offset;
    const int32_t *eo = e_out + channel;
    for (int32_t b = 0; b < out_dims->n; ++b)
        for (int32_t oy = 0; oy < out_dims->h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t ky0 = first_tap(y0, p->dilation_h), ky1 = end_tap(y0, p->dilation_h, KH, H);
            for (int32_t ox = 0; ox < out_dims->w; ++ox, eo += O) {
                const int32_t e = *eo;
                if (e == 0) continue;
                gb += e;
                if (!grad_w) continue;
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t kx0 = first_tap(x0, 1), kx1 = end_tap(x0, 1, KW, W);
                if (kx1 <= kx0 || ky1 <= ky0) continue;
                const int32_t n = (kx1 - kx0) * C;
                const int8_t *xr = x + ((b * H + y0 + ky0 * p->dilation_h) * W + x0 + kx0) * C;
                int64_t *gr = grad_w + (ky0 * KW + kx0) * C;
                const int32_t x_step = p->dilation_h * W * C, g_step = KW * C;
                for (int32_t ky = ky0; ky < ky1; ++ky, xr += x_step, gr += g_step) axpy_s8_i64(n, e, xr, off, gr);
            }
        }
    if (grad_b) *grad_b = gb;
    return ODL_OK;
}
