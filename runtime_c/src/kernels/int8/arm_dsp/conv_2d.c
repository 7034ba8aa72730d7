/* int8 CONV_2D for cores with the DSP extension, bit-identical to the
 * portable kernels/int8/conv_2d.c (its specification, and the fallback).
 *
 * im2col + 2x2 blocking: the receptive fields of two output pixels are
 * widened once into int16 columns (input offset added, padding taps zero,
 * so they add nothing as in the portable loop), then each pair of output
 * channels runs over both columns: per four taps two weight loads, four
 * SXTB16, four column loads and eight SMLAD for sixteen MACs.
 * Column order: within each full group of four, elements are stored as
 * (0, 2, 1, 3) so that a column word pair lines up with SXTB16's even/odd
 * lanes of the weight word; a tail of K % 4 elements stays in order. When
 * k_c is a multiple of four the widening writes that order directly;
 * otherwise the column is filled in order and then reordered in place.
 * The columns live on the stack (ODL_ARM_DSP_CONV_COLUMN_MAX int16 each,
 * two of them); larger receptive fields and grouped convolution take the
 * portable path. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"
#include "dsp_simd.h"

/* The portable kernel, renamed, as the fallback. */
#define odl_conv2d_s8 odl_conv2d_s8_portable
#include "../conv_2d.c"
#undef odl_conv2d_s8

/* K = k_h * k_w * k_c bound: 2 columns * 512 * 2 bytes = 2 KiB of stack. */
#ifndef ODL_ARM_DSP_CONV_COLUMN_MAX
#define ODL_ARM_DSP_CONV_COLUMN_MAX 512
#endif

typedef struct {
    const odl_conv_params_t *p;
    int32_t in_h, in_w, in_c, k_h, k_w, k_c, k, k4, off2;
} conv_geom_t;

/* Natural order (0, 1, 2, 3) to SMLAD order (0, 2, 1, 3) in every full
 * group of four: swap the middle halfwords of two words (GCC emits
 * PKHBT / PKHTB for these masks). */
static void reorder_groups(int16_t *col, int32_t k4) {
    for (int32_t i = 0; i < k4; i += 4) {
        const uint32_t lo = (uint32_t)odl_dsp_ld32(col + i), hi = (uint32_t)odl_dsp_ld32(col + i + 2);
        odl_dsp_st32(col + i, (int32_t)((lo & 0xffffu) | (hi << 16)));
        odl_dsp_st32(col + i + 2, (int32_t)((hi & 0xffff0000u) | (lo >> 16)));
    }
}

static void fill_column(const conv_geom_t *g, const int8_t *in_b, int32_t oy, int32_t ox, int16_t *col) {
    const odl_conv_params_t *p = g->p;
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
    const int32_t in_off = p->input_offset, k_c = g->k_c;
    const int aligned = (k_c & 3) == 0;
    int32_t j = 0;
    for (int32_t fy = 0; fy < g->k_h; ++fy) {
        const int32_t y = y0 + fy * p->dilation_h;
        const int row_in = y >= 0 && y < g->in_h;
        for (int32_t fx = 0; fx < g->k_w; ++fx, j += k_c) {
            const int32_t x = x0 + fx * p->dilation_w;
            const int inside = row_in && x >= 0 && x < g->in_w;
            const int8_t *src = inside ? in_b + ((size_t)y * g->in_w + x) * g->in_c : in_b;
            if (aligned) {
                if (!inside) {
                    memset(col + j, 0, (size_t)k_c * sizeof *col);
                    continue;
                }
                for (int32_t c = 0; c < k_c; c += 4) {
                    const int32_t v = odl_dsp_ld32(src + c);
                    odl_dsp_st32(col + j + c, odl_dsp_even_off(v, g->off2));
                    odl_dsp_st32(col + j + c + 2, odl_dsp_odd_off(v, g->off2));
                }
            } else if (inside) {
                for (int32_t c = 0; c < k_c; ++c) col[j + c] = (int16_t)((int32_t)src[c] + in_off);
            } else {
                memset(col + j, 0, (size_t)k_c * sizeof *col);
            }
        }
    }
    if (!aligned) reorder_groups(col, g->k4);
}

static inline int8_t conv_output(int32_t acc, const odl_conv_params_t *p, const int32_t *bias, int32_t oc,
                                 const int32_t *mult, const int32_t *shift) {
    if (bias) acc += bias[oc];
    acc = odl_dsp_requantize(acc, mult[oc], shift[oc]) + p->output_offset;
    return (int8_t)odl_clamp_i32(acc, p->act_min, p->act_max);
}

/* Two columns (pixels) x all output channels; out0/out1 are the pixels'
 * output rows. col1 == NULL: one pixel only. */
static void columns_times_filters(const conv_geom_t *g, const int16_t *col0, const int16_t *col1,
                                  const int8_t *w, int32_t out_c, const int32_t *bias, const int32_t *mult,
                                  const int32_t *shift, int8_t *out0, int8_t *out1) {
    const int32_t k = g->k, k4 = g->k4;
    int32_t oc = 0;
    for (; oc + 2 <= out_c; oc += 2) {
        const int8_t *wa = w + (size_t)oc * k, *wb = wa + k;
        int32_t a0 = 0, a1 = 0, b0 = 0, b1 = 0; /* filter a/b x pixel 0/1 */
        if (col1) {
            for (int32_t i = 0; i < k4; i += 4) {
                const int32_t c0e = odl_dsp_ld32(col0 + i), c0o = odl_dsp_ld32(col0 + i + 2);
                const int32_t c1e = odl_dsp_ld32(col1 + i), c1o = odl_dsp_ld32(col1 + i + 2);
                const int32_t wva = odl_dsp_ld32(wa + i);
                const int32_t wae = odl_dsp_even(wva), wao = odl_dsp_odd(wva);
                a0 = __smlad(wae, c0e, a0);
                a0 = __smlad(wao, c0o, a0);
                a1 = __smlad(wae, c1e, a1);
                a1 = __smlad(wao, c1o, a1);
                const int32_t wvb = odl_dsp_ld32(wb + i);
                const int32_t wbe = odl_dsp_even(wvb), wbo = odl_dsp_odd(wvb);
                b0 = __smlad(wbe, c0e, b0);
                b0 = __smlad(wbo, c0o, b0);
                b1 = __smlad(wbe, c1e, b1);
                b1 = __smlad(wbo, c1o, b1);
            }
            for (int32_t i = k4; i < k; ++i) {
                a0 += (int32_t)wa[i] * col0[i];
                a1 += (int32_t)wa[i] * col1[i];
                b0 += (int32_t)wb[i] * col0[i];
                b1 += (int32_t)wb[i] * col1[i];
            }
            out1[oc] = conv_output(a1, g->p, bias, oc, mult, shift);
            out1[oc + 1] = conv_output(b1, g->p, bias, oc + 1, mult, shift);
        } else {
            for (int32_t i = 0; i < k4; i += 4) {
                const int32_t c0e = odl_dsp_ld32(col0 + i), c0o = odl_dsp_ld32(col0 + i + 2);
                const int32_t wva = odl_dsp_ld32(wa + i), wvb = odl_dsp_ld32(wb + i);
                a0 = __smlad(odl_dsp_even(wva), c0e, a0);
                a0 = __smlad(odl_dsp_odd(wva), c0o, a0);
                b0 = __smlad(odl_dsp_even(wvb), c0e, b0);
                b0 = __smlad(odl_dsp_odd(wvb), c0o, b0);
            }
            for (int32_t i = k4; i < k; ++i) {
                a0 += (int32_t)wa[i] * col0[i];
                b0 += (int32_t)wb[i] * col0[i];
            }
        }
        out0[oc] = conv_output(a0, g->p, bias, oc, mult, shift);
        out0[oc + 1] = conv_output(b0, g->p, bias, oc + 1, mult, shift);
    }
    if (oc < out_c) {
        const int8_t *wa = w + (size_t)oc * k;
        int32_t a0 = 0, a1 = 0;
        for (int32_t i = 0; i < k4; i += 4) {
            const int32_t wva = odl_dsp_ld32(wa + i);
            const int32_t wae = odl_dsp_even(wva), wao = odl_dsp_odd(wva);
            a0 = __smlad(wae, odl_dsp_ld32(col0 + i), a0);
            a0 = __smlad(wao, odl_dsp_ld32(col0 + i + 2), a0);
            if (col1) {
                a1 = __smlad(wae, odl_dsp_ld32(col1 + i), a1);
                a1 = __smlad(wao, odl_dsp_ld32(col1 + i + 2), a1);
            }
        }
        for (int32_t i = k4; i < k; ++i) {
            a0 += (int32_t)wa[i] * col0[i];
            if (col1) a1 += (int32_t)wa[i] * col1[i];
        }
        out0[oc] = conv_output(a0, g->p, bias, oc, mult, shift);
        if (col1) out1[oc] = conv_output(a1, g->p, bias, oc, mult, shift);
    }
}

odl_status_t odl_conv2d_s8(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                           const odl_dims4_t *in_dims, const int8_t *in,
                           const odl_dims4_t *w_dims, const int8_t *w, const int32_t *bias,
                           const odl_dims4_t *out_dims, int8_t *out) {
    if (!p || !mult || !shift || !in_dims || !in || !w_dims || !w || !out_dims || !out) return ODL_ERR_ARG;
    const int32_t k = w_dims->h * w_dims->w * w_dims->c;
    /* Grouped convolution, oversized receptive fields and malformed shapes
     * (the portable kernel reports those) go the portable way. */
    if (w_dims->c != in_dims->c || k <= 0 || k > ODL_ARM_DSP_CONV_COLUMN_MAX || w_dims->n != out_dims->c ||
        in_dims->n != out_dims->n)
        return odl_conv2d_s8_portable(p, mult, shift, in_dims, in, w_dims, w, bias, out_dims, out);

    int16_t cols[2][ODL_ARM_DSP_CONV_COLUMN_MAX] __attribute__((aligned(4)));
    const conv_geom_t g = {p, in_dims->h, in_dims->w, in_dims->c, w_dims->h, w_dims->w, w_dims->c, k, k & ~3,
                           odl_dsp_dup16(p->input_offset)};
    const int32_t out_w = out_dims->w, out_c = out_dims->c;
    const int32_t pixels = out_dims->h * out_w;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * g.in_h * g.in_w * g.in_c;
        int8_t *out_b = out + (size_t)b * pixels * out_c;
        int32_t px = 0;
        for (; px + 2 <= pixels; px += 2) {
            fill_column(&g, in_b, px / out_w, px % out_w, cols[0]);
            fill_column(&g, in_b, (px + 1) / out_w, (px + 1) % out_w, cols[1]);
            columns_times_filters(&g, cols[0], cols[1], w, out_c, bias, mult, shift, out_b + (size_t)px * out_c,
                                  out_b + (size_t)(px + 1) * out_c);
        }
        if (px < pixels) {
            fill_column(&g, in_b, px / out_w, px % out_w, cols[0]);
            columns_times_filters(&g, cols[0], NULL, w, out_c, bias, mult, shift, out_b + (size_t)px * out_c, NULL);
        }
    }
    return ODL_OK;
}
