/* CONV_2D with int16 weights for cores with the DSP extension,
 * bit-identical to the portable kernels/int8/conv_2d_s8w16.c (its
 * specification and the fallback).
 *
 * im2col as in arm_dsp/conv_2d.c: the receptive fields of two output pixels
 * are widened once into int16 columns (x + input_offset, padding taps 0, so
 * they add nothing as in the portable loop), in natural order: the int16
 * weights already pair up with them, one SMLAD per two taps. Each weight
 * word serves both pixels. Exactness: |w16| <= 2^15 and
 * |x + input_offset| <= 255, so up to 256 products fit an int32 sum; larger
 * receptive fields, grouped convolution and malformed shapes take the
 * portable path. */
#include "odl/fixedpoint.h"
#include "odl/kernels_s8w16.h"
#include "dsp_simd.h"
#include "conv_col_s16.h"

#define odl_conv2d_s8w16 odl_conv2d_s8w16_portable
#include "../conv_2d_s8w16.c"
#undef odl_conv2d_s8w16

static inline int8_t conv_output(int32_t sum, const odl_conv_params_t *p, const int32_t *bias, int32_t oc,
                                 const int32_t *mult, const int32_t *shift) {
    /* odl_w16_acc_to_i32 of an int32 sum: the rounding shift is (sum >> 7)
     * plus bit 6 of sum, and QADD saturates the bias sum */
    int32_t a = __qadd((sum >> ODL_W16_SHIFT) + ((sum >> (ODL_W16_SHIFT - 1)) & 1), bias ? bias[oc] : 0);
    a = odl_dsp_requantize(a, mult[oc], shift[oc]) + p->output_offset;
    return (int8_t)odl_clamp_i32(a, p->act_min, p->act_max);
}

/* Two columns (col1 == NULL: one) x every output channel. */
static void columns_times_filters(const geom_t *g, const int16_t *col0, const int16_t *col1, const int16_t *w,
                                  int32_t out_c, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                                  int8_t *out0, int8_t *out1) {
    const int32_t k = g->k, k2 = k & ~1;
    for (int32_t oc = 0; oc < out_c; ++oc) {
        const int16_t *wf = w + (size_t)oc * k;
        int32_t a0 = 0, a1 = 0;
        if (col1) {
            for (int32_t i = 0; i < k2; i += 2) {
                const int32_t wv = odl_dsp_ld32(wf + i);
                a0 = __smlad(wv, odl_dsp_ld32(col0 + i), a0);
                a1 = __smlad(wv, odl_dsp_ld32(col1 + i), a1);
            }
            if (k & 1) {
                a0 += (int32_t)wf[k2] * col0[k2];
                a1 += (int32_t)wf[k2] * col1[k2];
            }
            out1[oc] = conv_output(a1, g->p, bias, oc, mult, shift);
        } else {
            for (int32_t i = 0; i < k2; i += 2) a0 = __smlad(odl_dsp_ld32(wf + i), odl_dsp_ld32(col0 + i), a0);
            if (k & 1) a0 += (int32_t)wf[k2] * col0[k2];
        }
        out0[oc] = conv_output(a0, g->p, bias, oc, mult, shift);
    }
}

odl_status_t odl_conv2d_s8w16(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                              const odl_dims4_t *in_dims, const int8_t *in,
                              const odl_dims4_t *w_dims, const int16_t *w, const int32_t *bias,
                              const odl_dims4_t *out_dims, int8_t *out) {
    if (!p || !mult || !shift || !in_dims || !in || !w_dims || !w || !out_dims || !out)
        return ODL_ERR_ARG;
    const int32_t k = w_dims->h * w_dims->w * w_dims->c;
    if (w_dims->c != in_dims->c || k <= 0 || k > KMAX || w_dims->n != out_dims->c || in_dims->n != out_dims->n ||
        !odl_dsp_quant_ok(mult, shift, out_dims->c))
        return odl_conv2d_s8w16_portable(p, mult, shift, in_dims, in, w_dims, w, bias, out_dims, out);

    int16_t cols[2][KMAX] __attribute__((aligned(4)));
    const geom_t g = {p, in_dims->h, in_dims->w, in_dims->c, w_dims->h, w_dims->w, w_dims->c, k};
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
