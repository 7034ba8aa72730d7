/* int8 DEPTHWISE_CONV_2D with Helium (MVE), bit-identical to the portable
 * kernels/int8/depthwise_conv_2d.c (its specification, and the fallback).
 *
 * Four output channels per vector (int32 lanes): per tap one widening load
 * of the inputs (contiguous for depth multiplier 1, a gather by input
 * channel otherwise, e.g. one input channel x 8 loads one value into all
 * lanes), one of the filters, the input offset added, a multiply and an add
 * (MVE's VMLA takes only a scalar operand). Bias,
 * requantization, clamp and the narrowing store run on the vector too. The
 * valid tap range of each output pixel is computed once (no bounds checks
 * inside; padding taps add nothing). No scratch memory. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

#define odl_depthwise_conv2d_s8 odl_depthwise_conv2d_s8_portable
#include "../depthwise_conv_2d.c"
#undef odl_depthwise_conv2d_s8

#include "mve_int8.h"
#include "../arm_dsp/opt_prologue.h"

/* Depth multiplier 1, eight channels at a time: inputs (offset added) and
 * filters widened to int16 lanes, VMULLB / VMULLT give the int32 products
 * of the even and odd channels; per tap 2 loads, 1 add, 2 multiplies and
 * 2 adds for 8 MACs. Even and odd channels are requantized separately and
 * scattered back in place. */
static void dw8_pixel(const int8_t *xrow, const int8_t *wrow, size_t x_step, size_t w_step, size_t x_row,
                      size_t w_row, int32_t rows, int32_t taps, int32_t out_c, const odl_conv_params_t *p,
                      const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *out) {
    const int16_t in_off = (int16_t)p->input_offset;
    const uint32x4_t even = vidupq_n_u32(0, 2), odd = vidupq_n_u32(1, 2);
    for (int32_t oc = 0; oc < out_c; oc += 8) {
        int32x4_t ae = bias ? vldrwq_gather_shifted_offset_s32(bias + oc, even) : vdupq_n_s32(0);
        int32x4_t ao = bias ? vldrwq_gather_shifted_offset_s32(bias + oc, odd) : vdupq_n_s32(0);
        const int8_t *xp = xrow + oc, *wp = wrow + oc;
#define DW8_TAP(x, wt)                                                                \
    do {                                                                              \
        const int16x8_t xv = vaddq_n_s16(vldrbq_s16(x), in_off), wv = vldrbq_s16(wt); \
        ae = vaddq_s32(ae, vmullbq_int_s16(xv, wv));                                  \
        ao = vaddq_s32(ao, vmulltq_int_s16(xv, wv));                                  \
    } while (0)
        if (taps == 3) {
            /* 3x3 filters: a row's three taps unrolled. */
            for (int32_t r = 0; r < rows; ++r, xp += x_row, wp += w_row) {
                DW8_TAP(xp, wp);
                DW8_TAP(xp + x_step, wp + w_step);
                DW8_TAP(xp + 2 * x_step, wp + 2 * w_step);
            }
        } else {
            for (int32_t r = 0; r < rows; ++r, xp += x_row, wp += w_row) {
                const int8_t *x = xp, *wt = wp;
                for (int32_t t = 0; t < taps; ++t, x += x_step, wt += w_step) DW8_TAP(x, wt);
            }
        }
#undef DW8_TAP
        const int32x4_t ve = odl_mve_output(ae, vldrwq_gather_shifted_offset_s32(mult + oc, even),
                                            vldrwq_gather_shifted_offset_s32(shift + oc, even), p->output_offset,
                                            p->act_min, p->act_max);
        vstrbq_scatter_offset_s32(out + oc, even, ve);
        const int32x4_t vo = odl_mve_output(ao, vldrwq_gather_shifted_offset_s32(mult + oc, odd),
                                            vldrwq_gather_shifted_offset_s32(shift + oc, odd), p->output_offset,
                                            p->act_min, p->act_max);
        vstrbq_scatter_offset_s32(out + oc, odd, vo);
    }
}

/* Depth multiplier 1, a 3x3 window wholly inside the image: the input
 * offset is folded into base (bias + input_offset * sum of the channel's
 * nine weights, per call), so a tap of eight channels is two widening
 * loads, VMULLB / VMULLT and two adds (a row's three taps unrolled). */
static void dw8_pixel_3x3(const int8_t *x, const int8_t *wt, size_t x_row, int32_t out_c, const int32_t *base,
                          const int32_t *mult, const int32_t *shift, int32_t out_off, int32_t lo, int32_t hi,
                          int8_t *out) {
    const size_t s = (size_t)out_c; /* dm 1, dilation 1: input and filter taps both out_c apart */
    for (int32_t oc = 0; oc < out_c; oc += 8) {
        const uint32x4_t even = vidupq_n_u32(0, 2);
        int32x4_t ae = vldrwq_gather_shifted_offset_s32(base + oc, even);
        int32x4_t ao = vldrwq_gather_shifted_offset_s32(base + oc, vidupq_n_u32(1, 2));
        const int8_t *xp = x + oc, *wp = wt + oc, *xq, *wq;
        int16x8_t xv, wv;
        int32x4_t t;
        /* In assembly: written in C, GCC computed all products first and
         * spilled the sums (about twice the instructions). Widening loads
         * take low base registers only ("l"). */
#define DW8_TAP3 \
    "vldrb.s16 %q[xv], [%[xp]]\n\tvldrb.s16 %q[wv], [%[wp]]\n\tadd %[xq], %[xp], %[s]\n\tadd %[wq], %[wp], %[s]\n\t" \
    "vmullb.s16 %q[t], %q[xv], %q[wv]\n\tvadd.i32 %q[ae], %q[ae], %q[t]\n\t"                                \
    "vmullt.s16 %q[t], %q[xv], %q[wv]\n\tvadd.i32 %q[ao], %q[ao], %q[t]\n\t"                                \
    "vldrb.s16 %q[xv], [%[xq]]\n\tvldrb.s16 %q[wv], [%[wq]]\n\tadd %[xq], %[xq], %[s]\n\tadd %[wq], %[wq], %[s]\n\t" \
    "vmullb.s16 %q[t], %q[xv], %q[wv]\n\tvadd.i32 %q[ae], %q[ae], %q[t]\n\t"                                \
    "vmullt.s16 %q[t], %q[xv], %q[wv]\n\tvadd.i32 %q[ao], %q[ao], %q[t]\n\t"                                \
    "vldrb.s16 %q[xv], [%[xq]]\n\tvldrb.s16 %q[wv], [%[wq]]\n\t"                                            \
    "vmullb.s16 %q[t], %q[xv], %q[wv]\n\tvadd.i32 %q[ae], %q[ae], %q[t]\n\t"                                \
    "vmullt.s16 %q[t], %q[xv], %q[wv]\n\tvadd.i32 %q[ao], %q[ao], %q[t]\n\t"
        __asm__(DW8_TAP3 "add %[xp], %[xp], %[xr]\n\tadd %[wp], %[wp], %[wr]\n\t"
                DW8_TAP3 "add %[xp], %[xp], %[xr]\n\tadd %[wp], %[wp], %[wr]\n\t" DW8_TAP3
                : [ae] "+w"(ae), [ao] "+w"(ao), [xp] "+l"(xp), [wp] "+l"(wp), [xq] "=&l"(xq), [wq] "=&l"(wq),
                  [xv] "=&w"(xv), [wv] "=&w"(wv), [t] "=&w"(t)
                : [s] "r"(s), [xr] "r"(x_row), [wr] "r"(3 * s)
                : "memory");
#undef DW8_TAP3
        const uint32x4_t e = vidupq_n_u32(0, 2), o = vidupq_n_u32(1, 2);
        const int32x4_t ve = odl_mve_output(ae, vldrwq_gather_shifted_offset_s32(mult + oc, e),
                                            vldrwq_gather_shifted_offset_s32(shift + oc, e), out_off, lo, hi);
        vstrbq_scatter_offset_s32(out + oc, e, ve);
        const int32x4_t vo = odl_mve_output(ao, vldrwq_gather_shifted_offset_s32(mult + oc, o),
                                            vldrwq_gather_shifted_offset_s32(shift + oc, o), out_off, lo, hi);
        vstrbq_scatter_offset_s32(out + oc, o, vo);
    }
}

/* A 3x3 window (c channels) that crosses the image border, copied with its
 * padding taps set to -input_offset (the input zero point, an int8 value):
 * with the offset folded they add w * (-xo) + w * xo = 0, as in the
 * portable kernel, so border pixels take the 3x3 path too. */
static void dw_window3x3(const int8_t *in_b, int32_t in_h, int32_t in_w, int32_t c, int32_t y0, int32_t x0,
                         int8_t pad, int8_t *win) {
    for (int32_t fy = 0; fy < 3; ++fy)
        for (int32_t fx = 0; fx < 3; ++fx, win += c) {
            const int32_t y = y0 + fy, x = x0 + fx;
            if (y >= 0 && y < in_h && x >= 0 && x < in_w)
                odl_mve_copy8(win, in_b + ((size_t)y * in_w + x) * c, c);
            else
                odl_mve_fill8(win, pad, c);
        }
}

/* Output channels whose folded constant fits the stack array of the 3x3
 * path (more channels take the general path). */
#ifndef ODL_ARM_MVE_DW_OC_MAX
#define ODL_ARM_MVE_DW_OC_MAX 256
#endif

odl_status_t odl_depthwise_conv2d_s8(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                                     const odl_dims4_t *in_dims, const int8_t *in,
                                     const odl_dims4_t *w_dims, const int8_t *w, const int32_t *bias,
                                     const odl_dims4_t *out_dims, int8_t *out) {
    const int chk = odl_opt_dw_check(p, mult, shift, in_dims, in, w_dims, w, out_dims, out);
    if (chk == ODL_OPT_PORTABLE)
        return odl_depthwise_conv2d_s8_portable(p, mult, shift, in_dims, in, w_dims, w, bias, out_dims, out);
    if (chk != ODL_OPT_FAST) return (odl_status_t)chk;
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = w_dims->h, k_w = w_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t dm = p->depth_multiplier;
    const int32_t in_off = p->input_offset, dh = p->dilation_h, dw = p->dilation_w;
    const size_t x_step = (size_t)dw * in_c;
    int32_t base[ODL_ARM_MVE_DW_OC_MAX] __attribute__((aligned(16)));
    int8_t win[9 * ODL_ARM_MVE_DW_OC_MAX];
    const int fold = dm == 1 && (out_c & 7) == 0 && dh == 1 && dw == 1 && k_h == 3 && k_w == 3 && out_c <= ODL_ARM_MVE_DW_OC_MAX;
    if (fold) {
        for (int32_t oc = 0; oc < out_c; oc += 4) {
            int32x4_t ws = vdupq_n_s32(0);
            for (int32_t t = 0; t < 9; ++t) ws = vaddq_s32(ws, vldrbq_s32(w + (size_t)t * out_c + oc));
            const int32x4_t b = bias ? vldrwq_s32(bias + oc) : vdupq_n_s32(0);
            vstrwq_s32(base + oc, vmlaq_n_s32(b, ws, in_off));
        }
    }
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            const int32_t fy_lo = odl_opt_first_tap(y0, dh), fy_hi = odl_opt_end_tap(y0, dh, in_h, k_h);
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                const int32_t fx_lo = odl_opt_first_tap(x0, dw), fx_hi = odl_opt_end_tap(x0, dw, in_w, k_w);
                const int32_t taps_x = fx_hi - fx_lo;
                if (fold) {
                    if (fy_hi - fy_lo == 3 && taps_x == 3) {
                        dw8_pixel_3x3(in_b + ((size_t)y0 * in_w + x0) * in_c, w, (size_t)in_w * in_c, out_c, base,
                                      mult, shift, p->output_offset, p->act_min, p->act_max, out);
                    } else {
                        dw_window3x3(in_b, in_h, in_w, in_c, y0, x0, (int8_t)(-in_off), win);
                        dw8_pixel_3x3(win, w, (size_t)3 * in_c, out_c, base, mult, shift, p->output_offset,
                                      p->act_min, p->act_max, out);
                    }
                    out += out_c;
                    continue;
                }
                if (dm == 1 && (out_c & 7) == 0) {
                    const int8_t *xrow = in_b + ((size_t)(y0 + fy_lo * dh) * in_w + (x0 + fx_lo * dw)) * in_c;
                    const int8_t *wrow = w + ((size_t)fy_lo * k_w + fx_lo) * out_c;
                    dw8_pixel(xrow, wrow, x_step, out_c, (size_t)dh * in_w * in_c, (size_t)k_w * out_c,
                              fy_hi - fy_lo, taps_x, out_c, p, bias, mult, shift, out);
                    out += out_c;
                    continue;
                }
                for (int32_t oc = 0; oc < out_c; oc += 4) {
                    const mve_pred16_t pr = vctp32q((uint32_t)(out_c - oc));
                    int32x4_t acc = bias ? vldrwq_z_s32(bias + oc, pr) : vdupq_n_s32(0);
                    /* Input channel of each lane: (oc + lane) / dm. */
                    uint32x4_t xoff;
                    if (dm != 1) {
                        const int32_t lanes[4] = {oc / dm, (oc + 1) / dm, (oc + 2) / dm, (oc + 3) / dm};
                        xoff = vreinterpretq_u32_s32(vld1q_s32(lanes));
                    } else {
                        xoff = vidupq_n_u32((uint32_t)oc, 1);
                    }
                    for (int32_t fy = fy_lo; fy < fy_hi; ++fy) {
                        const int8_t *xp = in_b + ((size_t)(y0 + fy * dh) * in_w + (x0 + fx_lo * dw)) * in_c;
                        const int8_t *wp = w + ((size_t)fy * k_w + fx_lo) * out_c + oc;
                        for (int32_t t = 0; t < taps_x; ++t, xp += x_step, wp += out_c) {
                            const int32x4_t xv = dm == 1 ? vldrbq_z_s32(xp + oc, pr)
                                                         : vldrbq_gather_offset_z_s32(xp, xoff, pr);
                            acc = vaddq_s32(acc, vmulq_s32(vaddq_n_s32(xv, in_off), vldrbq_z_s32(wp, pr)));
                        }
                    }
                    const int32x4_t v = odl_mve_output(acc, vldrwq_z_s32(mult + oc, pr), vldrwq_z_s32(shift + oc, pr),
                                                       p->output_offset, p->act_min, p->act_max);
                    vstrbq_p_s32(out + oc, v, pr);
                }
                out += out_c;
            }
        }
    }
    return ODL_OK;
}
