/* int8 DEPTHWISE_CONV_2D for cores with the DSP extension, bit-identical
 * to the portable kernels/int8/depthwise_conv_2d.c (its specification).
 *
 * Each output channel has its own sum, so SMLAD's pairwise add does not
 * fit; instead, for depth multiplier 1, four neighbouring channels share
 * one input and one filter word per tap: SXTAB16 / SXTB16 widen them to
 * (c0, c2) and (c1, c3) lanes, and SMLABB / SMLATT accumulate the bottom
 * and top lanes into four int32 sums (2.5 instructions per MAC).
 * The valid tap range of each output pixel is computed once, so the inner
 * loops carry no bounds checks (padding taps add nothing, as in the
 * portable loop). Other depth multipliers use the same hoisted bounds with
 * scalar MACs. No scratch memory. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"
#include "dsp_simd.h"

/* The portable kernel, renamed, for shapes this one does not take. */
#define odl_depthwise_conv2d_s8 odl_depthwise_conv2d_s8_portable
#include "../depthwise_conv_2d.c"
#undef odl_depthwise_conv2d_s8

/* First tap f with start + f * dilation >= 0. */
static inline int32_t first_tap(int32_t start, int32_t dilation) {
    return start >= 0 ? 0 : (-start + dilation - 1) / dilation;
}

/* One past the last tap f < taps with start + f * dilation < size. */
static inline int32_t end_tap(int32_t start, int32_t dilation, int32_t size, int32_t taps) {
    if (start >= size) return 0;
    const int32_t e = (size - start + dilation - 1) / dilation;
    return e < taps ? e : taps;
}

static inline int8_t dw_output(int32_t acc, const odl_conv_params_t *p, const int32_t *bias, int32_t oc,
                               const int32_t *mult, const int32_t *shift) {
    if (bias) acc += bias[oc];
    acc = odl_dsp_requantize(acc, mult[oc], shift[oc]) + p->output_offset;
    return (int8_t)odl_clamp_i32(acc, p->act_min, p->act_max);
}

odl_status_t odl_depthwise_conv2d_s8(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                                     const odl_dims4_t *in_dims, const int8_t *in,
                                     const odl_dims4_t *w_dims, const int8_t *w, const int32_t *bias,
                                     const odl_dims4_t *out_dims, int8_t *out) {
    if (!p || !mult || !shift || !in_dims || !in || !w_dims || !w || !out_dims || !out) return ODL_ERR_ARG;
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = w_dims->h, k_w = w_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t dm = p->depth_multiplier;
    if (dm <= 0 || out_c != in_c * dm || w_dims->c != out_c || w_dims->n != 1 || in_dims->n != out_dims->n)
        return ODL_ERR_SHAPE;
    if (p->dilation_h <= 0 || p->dilation_w <= 0 || !odl_dsp_quant_ok(mult, shift, out_c))
        return odl_depthwise_conv2d_s8_portable(p, mult, shift, in_dims, in, w_dims, w, bias, out_dims, out);
    const int32_t in_off = p->input_offset, off2 = odl_dsp_dup16(in_off);
    const int32_t dh = p->dilation_h, dw = p->dilation_w;
    const size_t x_step = (size_t)dw * in_c; /* input bytes between horizontal taps */

    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t fy_lo = first_tap(y0, dh), fy_hi = end_tap(y0, dh, in_h, k_h);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t fx_lo = first_tap(x0, dw), fx_hi = end_tap(x0, dw, in_w, k_w);
                const int32_t taps_x = fx_hi - fx_lo;
                int32_t oc = 0;
                if (dm == 1) {
                    for (; oc + 4 <= out_c; oc += 4) {
                        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                        for (int32_t fy = fy_lo; fy < fy_hi; ++fy) {
                            const int32_t y = y0 + fy * dh;
                            const int8_t *xp = in_b + ((size_t)y * in_w + (x0 + fx_lo * dw)) * in_c + oc;
                            const int8_t *wp = w + ((size_t)fy * k_w + fx_lo) * out_c + oc;
                            for (int32_t t = 0; t < taps_x; ++t, xp += x_step, wp += out_c) {
                                const int32_t xv = odl_dsp_ld32(xp), wv = odl_dsp_ld32(wp);
                                const int32_t xe = odl_dsp_even_off(xv, off2), xo = odl_dsp_odd_off(xv, off2);
                                const int32_t we = odl_dsp_even(wv), wo = odl_dsp_odd(wv);
                                a0 = __smlabb(we, xe, a0);
                                a2 = __smlatt(we, xe, a2);
                                a1 = __smlabb(wo, xo, a1);
                                a3 = __smlatt(wo, xo, a3);
                            }
                        }
                        *out++ = dw_output(a0, p, bias, oc, mult, shift);
                        *out++ = dw_output(a1, p, bias, oc + 1, mult, shift);
                        *out++ = dw_output(a2, p, bias, oc + 2, mult, shift);
                        *out++ = dw_output(a3, p, bias, oc + 3, mult, shift);
                    }
                }
                /* Remaining channels (all of them when dm != 1). */
                for (; oc < out_c; ++oc) {
                    const int32_t ic = oc / dm;
                    int32_t acc = 0;
                    for (int32_t fy = fy_lo; fy < fy_hi; ++fy) {
                        const int32_t y = y0 + fy * dh;
                        const int8_t *xp = in_b + ((size_t)y * in_w + (x0 + fx_lo * dw)) * in_c + ic;
                        const int8_t *wp = w + ((size_t)fy * k_w + fx_lo) * out_c + oc;
                        for (int32_t t = 0; t < taps_x; ++t, xp += x_step, wp += out_c)
                            acc += (int32_t)*wp * ((int32_t)*xp + in_off);
                    }
                    *out++ = dw_output(acc, p, bias, oc, mult, shift);
                }
            }
        }
    }
    return ODL_OK;
}
