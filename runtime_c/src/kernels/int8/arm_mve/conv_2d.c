/* int8 CONV_2D with Helium (MVE), bit-identical to the portable
 * kernels/int8/conv_2d.c (its specification, and the fallback).
 *
 * Four output pixels share each filter load: their receptive fields are
 * copied into int8 columns (padding taps = -input_offset, i.e. they add
 * nothing), then per output channel one tail-predicated loop of VLDRB +
 * four VMLADAVA (16 MACs each) + one VADDVA (the filter sum, for the input
 * offset) covers the four pixels. A 1x1 stride-1 unpadded conv reads the
 * input rows in place (no copy). The four sums of one channel are
 * requantized together in one vector and scattered to the four pixels.
 * Receptive fields above ODL_ARM_MVE_CONV_COLUMN_MAX bytes are cut into
 * chunks whose partial sums wait in a stack array (ODL_ARM_MVE_CONV_OC_TILE
 * channels at a time). Grouped convolution takes the portable path. */
#include <string.h>

#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

#define odl_conv2d_s8 odl_conv2d_s8_portable
#include "../conv_2d.c"
#undef odl_conv2d_s8

#include "mve_int8.h"

#ifndef ODL_ARM_MVE_CONV_COLUMN_MAX
#define ODL_ARM_MVE_CONV_COLUMN_MAX 512 /* bytes per column; four columns on the stack */
#endif
#ifndef ODL_ARM_MVE_CONV_OC_TILE
#define ODL_ARM_MVE_CONV_OC_TILE 32
#endif

typedef struct {
    const odl_conv_params_t *p;
    int32_t in_h, in_w, in_c, k_h, k_w, k_c, k;
    int8_t pad;
} mconv_geom_t;

/* Elements [k0, k0 + len) of output pixel px's receptive field. */
static void fill_column(const mconv_geom_t *g, const int8_t *in_b, int32_t oy, int32_t ox, int32_t k0,
                        int32_t len, int8_t *col) {
    const odl_conv_params_t *p = g->p;
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w, k_c = g->k_c;
    int32_t tap = k0 / k_c, c = k0 - tap * k_c, fy = tap / g->k_w, fx = tap - fy * g->k_w;
    for (int32_t j = 0; j < len; c = 0) {
        const int32_t n = k_c - c < len - j ? k_c - c : len - j;
        const int32_t y = y0 + fy * p->dilation_h, x = x0 + fx * p->dilation_w;
        if (y >= 0 && y < g->in_h && x >= 0 && x < g->in_w)
            odl_mve_copy8(col + j, in_b + ((size_t)y * g->in_w + x) * g->in_c + c, n);
        else
            odl_mve_fill8(col + j, g->pad, n);
        j += n;
        if (++fx == g->k_w) fx = 0, ++fy;
    }
}

/* Four columns (col + j * cstride) times one filter row, len elements:
 * sums into acc[0..3], the filter sum into *wsum. */
static inline void dot4(const int8_t *col, int32_t cstride, const int8_t *w, int32_t len, int32_t *acc,
                        int32_t *wsum) {
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, ws = 0;
    const int8_t *c0 = col, *c1 = col + cstride, *c2 = c1 + cstride, *c3 = c2 + cstride;
    /* Full blocks of 16 unpredicated (post-incremented pointers), then one
     * predicated tail. */
    for (int32_t n = len >> 4; n > 0; --n) {
        const int8x16_t wv = vldrbq_s8(w);
        w += 16;
        ws = vaddvaq_s8(ws, wv);
        a0 = vmladavaq_s8(a0, vldrbq_s8(c0), wv);
        c0 += 16;
        a1 = vmladavaq_s8(a1, vldrbq_s8(c1), wv);
        c1 += 16;
        a2 = vmladavaq_s8(a2, vldrbq_s8(c2), wv);
        c2 += 16;
        a3 = vmladavaq_s8(a3, vldrbq_s8(c3), wv);
        c3 += 16;
    }
    if (len & 15) {
        const mve_pred16_t pr = vctp8q((uint32_t)(len & 15));
        const int8x16_t wv = vldrbq_z_s8(w, pr);
        ws = vaddvaq_s8(ws, wv);
        a0 = vmladavaq_s8(a0, vldrbq_z_s8(c0, pr), wv);
        a1 = vmladavaq_s8(a1, vldrbq_z_s8(c1, pr), wv);
        a2 = vmladavaq_s8(a2, vldrbq_z_s8(c2, pr), wv);
        a3 = vmladavaq_s8(a3, vldrbq_z_s8(c3, pr), wv);
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
    *wsum = ws;
}

typedef struct {
    const int32_t *bias, *mult, *shift;
    int32_t out_c;
    uint32x4_t offs; /* byte offsets of the four pixels' outputs */
} mconv_out_t;

/* Output channels [oc0, oc1) of npix (<= 4) pixels whose columns start at
 * col (stride cstride), over K elements [k0, k0 + len); partial: sums of
 * earlier chunks in/out of part (NULL: single pass). */
static void pixels_times_filters(const mconv_geom_t *g, const mconv_out_t *o, const int8_t *col, int32_t cstride,
                                 const int8_t *w, int32_t k0, int32_t len, int32_t oc0, int32_t oc1,
                                 int32_t npix, int32_t *part, int first, int last, int8_t *out0) {
    const odl_conv_params_t *p = g->p;
    const uint32_t off = (uint32_t)p->input_offset;
    const mve_pred16_t store = vctp32q((uint32_t)npix);
    for (int32_t oc = oc0; oc < oc1; ++oc) {
        int32_t acc[4], ws;
        dot4(col, cstride, w + (size_t)oc * g->k + k0, len, acc, &ws);
        /* + input_offset * sum(w), wrapping like the portable int32 sum. */
        const int32_t corr = (int32_t)(off * (uint32_t)ws) + (first && o->bias ? o->bias[oc] : 0);
        int32x4_t v = vaddq_n_s32(vld1q_s32(acc), corr);
        if (part) {
            int32_t *pp = part + 4 * (oc - oc0);
            if (!first) v = vaddq_s32(v, vld1q_s32(pp));
            if (!last) {
                vst1q_s32(pp, v);
                continue;
            }
        }
        v = odl_mve_output(v, vdupq_n_s32(o->mult[oc]), vdupq_n_s32(o->shift[oc]), p->output_offset, p->act_min,
                           p->act_max);
        vstrbq_scatter_offset_p_s32(out0 + oc, o->offs, v, store);
    }
}

odl_status_t odl_conv2d_s8(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                           const odl_dims4_t *in_dims, const int8_t *in,
                           const odl_dims4_t *w_dims, const int8_t *w, const int32_t *bias,
                           const odl_dims4_t *out_dims, int8_t *out) {
    if (!p || !mult || !shift || !in_dims || !in || !w_dims || !w || !out_dims || !out) return ODL_ERR_ARG;
    const int32_t k = w_dims->h * w_dims->w * w_dims->c;
    if (w_dims->c != in_dims->c || k <= 0 || w_dims->n != out_dims->c || in_dims->n != out_dims->n ||
        out_dims->c <= 0 || !odl_dsp_quant_ok(mult, shift, out_dims->c))
        return odl_conv2d_s8_portable(p, mult, shift, in_dims, in, w_dims, w, bias, out_dims, out);

    int8_t cols[4 * ODL_ARM_MVE_CONV_COLUMN_MAX] __attribute__((aligned(16)));
    int32_t part[4 * ODL_ARM_MVE_CONV_OC_TILE] __attribute__((aligned(16)));
    const mconv_geom_t g = {p, in_dims->h, in_dims->w, in_dims->c, w_dims->h, w_dims->w, w_dims->c, k,
                            (int8_t)(-p->input_offset)};
    const int32_t out_w = out_dims->w, out_c = out_dims->c, pixels = out_dims->h * out_w;
    const uint32_t oc_u = (uint32_t)out_c;
    const mconv_out_t o = {bias, mult, shift, out_c, vmulq_n_u32(vidupq_n_u32(0, 1), oc_u)};
    /* 1x1, stride 1, no padding: the input rows are the columns. */
    const int direct = w_dims->h == 1 && w_dims->w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
                       p->pad_h == 0 && p->pad_w == 0 && out_dims->h == in_dims->h && out_w == in_dims->w;
    const int32_t n_chunks = (k + ODL_ARM_MVE_CONV_COLUMN_MAX - 1) / ODL_ARM_MVE_CONV_COLUMN_MAX;
    const int32_t chunk = (k + n_chunks - 1) / n_chunks;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * g.in_h * g.in_w * g.in_c;
        int8_t *out_b = out + (size_t)b * pixels * out_c;
        for (int32_t px = 0; px < pixels; px += 4) {
            const int32_t npix = pixels - px < 4 ? pixels - px : 4;
            int8_t *out0 = out_b + (size_t)px * out_c;
            if (direct && npix == 4) {
                pixels_times_filters(&g, &o, in_b + (size_t)px * k, k, w, 0, k, 0, out_c, 4, NULL, 1, 1, out0);
                continue;
            }
            /* im2col (also the last pixels of a direct conv: no reads past the input). */
            for (int32_t oc0 = 0; oc0 < out_c; oc0 += (n_chunks > 1 ? ODL_ARM_MVE_CONV_OC_TILE : out_c)) {
                const int32_t oc1 = n_chunks == 1 || out_c - oc0 < ODL_ARM_MVE_CONV_OC_TILE
                                         ? out_c
                                         : oc0 + ODL_ARM_MVE_CONV_OC_TILE;
                for (int32_t k0 = 0; k0 < k; k0 += chunk) {
                    const int32_t len = k - k0 < chunk ? k - k0 : chunk;
                    for (int32_t j = 0; j < 4; ++j) {
                        const int32_t q = px + (j < npix ? j : 0);
                        fill_column(&g, in_b, q / out_w, q % out_w, k0, len, cols + j * ODL_ARM_MVE_CONV_COLUMN_MAX);
                    }
                    pixels_times_filters(&g, &o, cols, ODL_ARM_MVE_CONV_COLUMN_MAX, w, k0, len, oc0, oc1, npix,
                                         n_chunks > 1 ? part : NULL, k0 == 0, k0 + len >= k, out0);
                }
            }
        }
    }
    return ODL_OK;
}
