/* int8 CONV_2D with Helium (MVE), bit-identical to the portable
 * kernels/int8/conv_2d.c (its specification, and the fallback).
 *
 * Usual case (receptive field within one column, up to 256 output
 * channels): bias + input_offset * sum(w) is precomputed per channel, then
 * each output pixel's column (copied, or the input row itself for a 1x1
 * stride-1 unpadded conv) runs against four filters at a time: per 16
 * elements one column load, four filter loads and four VMLADAVA; the four
 * channels are requantized as one vector and stored as one word.
 * Otherwise four output pixels share each filter load: their receptive fields are
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

/* Elements [k0, k0 + len) of output pixel (oy, ox)'s receptive field. With
 * horizontal dilation 1 the taps of one filter row that lie inside the
 * image are contiguous input bytes: one copy per run (first layers with one
 * or three channels would otherwise pay a loop per tap). */
static void fill_column(const mconv_geom_t *g, const int8_t *in_b, int32_t oy, int32_t ox, int32_t k0,
                        int32_t len, int8_t *col) {
    const odl_conv_params_t *p = g->p;
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w, k_c = g->k_c;
    const int32_t row_len = g->k_w * k_c;
    for (int32_t j = 0; j < len;) {
        const int32_t kk = k0 + j, fy = kk / row_len, r = kk - fy * row_len, fx = r / k_c, c = r - fx * k_c;
        const int32_t y = y0 + fy * p->dilation_h, x = x0 + fx * p->dilation_w;
        int32_t n = k_c - c; /* this tap */
        const int inside = y >= 0 && y < g->in_h && x >= 0 && x < g->in_w;
        if (inside && p->dilation_w == 1) {
            /* Extend over the following taps of this row that are inside too. */
            const int32_t more = (g->in_w - 1 - x) < (g->k_w - 1 - fx) ? (g->in_w - 1 - x) : (g->k_w - 1 - fx);
            n += more * k_c;
        }
        if (n > len - j) n = len - j;
        if (inside) {
            const int8_t *src = in_b + ((size_t)y * g->in_w + x) * g->in_c + c;
            if (n < 8)
                for (int32_t i = 0; i < n; ++i) col[j + i] = src[i];
            else
                odl_mve_copy8(col + j, src, n);
        } else if (n < 8) {
            for (int32_t i = 0; i < n; ++i) col[j + i] = g->pad;
        } else {
            odl_mve_fill8(col + j, g->pad, n);
        }
        j += n;
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

/* Output channels with bias + input_offset * sum(w) precomputed per call
 * (the fast path below); more channels use the four-pixel path. */
#ifndef ODL_ARM_MVE_CONV_OC_MAX
#define ODL_ARM_MVE_CONV_OC_MAX 256
#endif

/* One column times four filter rows (w, w + k, w + 2k, w + 3k), len
 * elements: per 16 one column load, four filter loads, four VMLADAVA. */
static inline int32x4_t dot1x4(const int8_t *col, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                               const int8_t *w3, int32_t len) {
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    if (len <= 16) {
        /* Small receptive fields (first layers, narrow 1x1): one predicated step. */
        const mve_pred16_t pr = vctp8q((uint32_t)len);
        const int8x16_t cv = vldrbq_z_s8(col, pr);
        int32x4_t v = vdupq_n_s32(vmladavq_s8(cv, vldrbq_z_s8(w0, pr)));
        v = vsetq_lane_s32(vmladavq_s8(cv, vldrbq_z_s8(w1, pr)), v, 1);
        v = vsetq_lane_s32(vmladavq_s8(cv, vldrbq_z_s8(w2, pr)), v, 2);
        return vsetq_lane_s32(vmladavq_s8(cv, vldrbq_z_s8(w3, pr)), v, 3);
    }
    for (int32_t n = len >> 4; n > 0; --n) {
        const int8x16_t cv = vldrbq_s8(col);
        col += 16;
        a0 = vmladavaq_s8(a0, cv, vldrbq_s8(w0));
        w0 += 16;
        a1 = vmladavaq_s8(a1, cv, vldrbq_s8(w1));
        w1 += 16;
        a2 = vmladavaq_s8(a2, cv, vldrbq_s8(w2));
        w2 += 16;
        a3 = vmladavaq_s8(a3, cv, vldrbq_s8(w3));
        w3 += 16;
    }
    if (len & 15) {
        const mve_pred16_t pr = vctp8q((uint32_t)(len & 15));
        const int8x16_t cv = vldrbq_z_s8(col, pr);
        a0 = vmladavaq_s8(a0, cv, vldrbq_z_s8(w0, pr));
        a1 = vmladavaq_s8(a1, cv, vldrbq_z_s8(w1, pr));
        a2 = vmladavaq_s8(a2, cv, vldrbq_z_s8(w2, pr));
        a3 = vmladavaq_s8(a3, cv, vldrbq_z_s8(w3, pr));
    }
    int32x4_t v = vdupq_n_s32(a0);
    v = vsetq_lane_s32(a1, v, 1);
    v = vsetq_lane_s32(a2, v, 2);
    return vsetq_lane_s32(a3, v, 3);
}

/* The whole receptive field of output pixel (oy, ox), horizontal dilation
 * 1: per filter row one run of input bytes (the taps inside the image are
 * contiguous, k_c == in_c) between runs of padding; the tap range inside
 * the image is the same for every row. */
static void fill_column_rows(const mconv_geom_t *g, const int8_t *in_b, int32_t oy, int32_t ox, int8_t *col) {
    const odl_conv_params_t *p = g->p;
    const int32_t k_c = g->k_c, k_w = g->k_w, row_len = k_w * k_c, in_w = g->in_w;
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w, dh = p->dilation_h;
    int32_t lo = x0 < 0 ? -x0 : 0, hi = in_w - x0 < k_w ? in_w - x0 : k_w;
    if (lo > k_w) lo = k_w;
    if (hi < lo) hi = lo;
    const int32_t pre = lo * k_c, mid = (hi - lo) * k_c, post = row_len - pre - mid;
    for (int32_t fy = 0, y = y0; fy < g->k_h; ++fy, y += dh, col += row_len) {
        if (y < 0 || y >= g->in_h) {
            odl_mve_fill8(col, g->pad, row_len);
            continue;
        }
        if (pre) odl_mve_fill8(col, g->pad, pre);
        odl_mve_copy8(col + pre, in_b + ((size_t)y * in_w + x0 + lo) * k_c, mid);
        if (post) odl_mve_fill8(col + pre + mid, g->pad, post);
    }
}

typedef struct {
    const int32_t *base; /* bias + input_offset * sum(w), per channel */
    const int32_t *mult, *shift;
    int32_t out_off, lo, hi;
} mconv_fast_t;

/* Four output channels [oc, oc + 4) of npix pixels (columns cols[j], outputs
 * out + j * out_c): the channel constants are loaded once, then per pixel
 * one dot1x4, one vector requantization and one narrowing store. Inlined
 * twice: all four channels (no predication) and the last, partial group. */
static inline __attribute__((always_inline)) void group_times_pixels(
    const mconv_fast_t *f, const int8_t *const *cols, int32_t npix, const int8_t *w, int32_t k, int32_t oc,
    int32_t left, int32_t out_c, int8_t *out, int partial) {
    const int8_t *w0 = w + (size_t)oc * k;
    /* Rows past the last channel repeat it; their lanes are not stored. */
    const int8_t *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
    mve_pred16_t pr = 0xffff;
    int32x4_t base, mult, shift;
    if (partial) {
        w1 = left > 1 ? w1 : w0, w2 = left > 2 ? w2 : w0, w3 = w0;
        pr = vctp32q((uint32_t)left);
        base = vldrwq_z_s32(f->base + oc, pr), mult = vldrwq_z_s32(f->mult + oc, pr);
        shift = vldrwq_z_s32(f->shift + oc, pr);
    } else {
        base = vldrwq_s32(f->base + oc), mult = vldrwq_s32(f->mult + oc), shift = vldrwq_s32(f->shift + oc);
    }
    const int32_t out_off = f->out_off, lo = f->lo, hi = f->hi;
    for (int32_t j = 0; j < npix; ++j) {
        const int32x4_t acc = vaddq_s32(dot1x4(cols[j], w0, w1, w2, w3, k), base);
        const int32x4_t v = odl_mve_output(acc, mult, shift, out_off, lo, hi);
        if (partial)
            vstrbq_p_s32(out + (size_t)j * out_c + oc, v, pr);
        else
            vstrbq_s32(out + (size_t)j * out_c + oc, v);
    }
}

/* Stack bytes for the columns of the fast path (the chunked path's four
 * columns): up to four pixels' columns (fewer when K is large) share each
 * group's constants. */
#define ODL_ARM_MVE_CONV_FAST_BYTES (4 * ODL_ARM_MVE_CONV_COLUMN_MAX)

/* Convolutions whose receptive field fits the column buffer (or 1x1 in
 * place) and with at most ODL_ARM_MVE_CONV_OC_MAX output channels: up to
 * four pixels against four filters at a time, the per-channel constant
 * precomputed. */
static void conv_fast(const mconv_geom_t *g, const odl_dims4_t *out_dims, const int8_t *in, const int8_t *w,
                      const int32_t *bias, const int32_t *mult, const int32_t *shift, int direct, int8_t *colbuf,
                      int8_t *out) {
    const odl_conv_params_t *p = g->p;
    const int32_t k = g->k, out_c = out_dims->c, out_w = out_dims->w, pixels = out_dims->h * out_w;
    int32_t base[ODL_ARM_MVE_CONV_OC_MAX] __attribute__((aligned(16)));
    const uint32_t off = (uint32_t)p->input_offset;
    for (int32_t oc = 0; oc < out_c; ++oc) {
        const int8_t *wr = w + (size_t)oc * k;
        int32_t ws = 0;
        for (int32_t i = 0; i < k; i += 16) ws = vaddvaq_s8(ws, vldrbq_z_s8(wr + i, vctp8q((uint32_t)(k - i))));
        base[oc] = (int32_t)(off * (uint32_t)ws + (uint32_t)(bias ? bias[oc] : 0));
    }
    const mconv_fast_t f = {base, mult, shift, p->output_offset, p->act_min, p->act_max};
    const int32_t per = ODL_ARM_MVE_CONV_FAST_BYTES / k;
    const int32_t batch = direct || per > 4 ? 4 : per;
    const int32_t full = out_c & ~3;
    const int rows = p->dilation_w == 1;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * g->in_h * g->in_w * g->in_c;
        int8_t *out_b = out + (size_t)b * pixels * out_c;
        for (int32_t px = 0; px < pixels; px += batch) {
            const int32_t npix = pixels - px < batch ? pixels - px : batch;
            const int8_t *cols[4];
            for (int32_t j = 0; j < npix; ++j) {
                const int32_t q = px + j;
                if (direct) {
                    cols[j] = in_b + (size_t)q * k;
                    continue;
                }
                int8_t *c = colbuf + (size_t)j * k;
                if (rows)
                    fill_column_rows(g, in_b, q / out_w, q % out_w, c);
                else
                    fill_column(g, in_b, q / out_w, q % out_w, 0, k, c);
                cols[j] = c;
            }
            int8_t *o = out_b + (size_t)px * out_c;
            for (int32_t oc = 0; oc < full; oc += 4) group_times_pixels(&f, cols, npix, w, k, oc, 4, out_c, o, 0);
            if (full < out_c) group_times_pixels(&f, cols, npix, w, k, full, out_c - full, out_c, o, 1);
        }
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
    if ((direct || k <= ODL_ARM_MVE_CONV_FAST_BYTES) && out_c <= ODL_ARM_MVE_CONV_OC_MAX) {
        conv_fast(&g, out_dims, in, w, bias, mult, shift, direct, cols, out);
        return ODL_OK;
    }
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
