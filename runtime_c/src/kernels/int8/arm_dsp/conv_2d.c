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
 * two of them). A larger receptive field K is cut into equal chunks of at
 * most that size (multiples of four, so the groups of four line up with the
 * weights); the partial sums of up to ODL_ARM_DSP_CONV_OC_TILE output
 * channels wait in a small stack array between chunks. Grouped convolution
 * takes the portable path. */
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

/* Output channels whose partial sums wait between chunks of a large K. */
#ifndef ODL_ARM_DSP_CONV_OC_TILE
#define ODL_ARM_DSP_CONV_OC_TILE 64
#endif

typedef struct {
    const odl_conv_params_t *p;
    int32_t in_h, in_w, in_c, k_h, k_w, k_c, k, off2;
} conv_geom_t;

/* One chunk [k0, k0 + len) of K, and what happens to its sums. */
typedef struct {
    int32_t k0, len, len4;
    const int32_t *acc_in;  /* partial sums of earlier chunks, or NULL (start at 0) */
    int32_t *acc_out;       /* keep the sums for a later chunk, or NULL (requantize) */
} conv_chunk_t;

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

/* Elements [k0, k0 + len) of an output pixel's receptive field, in K order
 * (fy, fx, c) with the input offset added and padding taps zero; k0 is a
 * multiple of four. */
static void fill_column(const conv_geom_t *g, const int8_t *in_b, int32_t oy, int32_t ox, int32_t k0,
                        int32_t len, int16_t *col) {
    const odl_conv_params_t *p = g->p;
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
    const int32_t in_off = p->input_offset, k_c = g->k_c, row_len = g->k_w * k_c;
    const int aligned = (k_c & 3) == 0;
    for (int32_t j = 0; j < len;) {
        const int32_t kk = k0 + j, fy = kk / row_len, r = kk - fy * row_len, fx = r / k_c, c = r - fx * k_c;
        const int32_t y = y0 + fy * p->dilation_h, x = x0 + fx * p->dilation_w;
        const int inside = y >= 0 && y < g->in_h && x >= 0 && x < g->in_w;
        int32_t n = k_c - c;
        /* With horizontal dilation 1, the following taps of this filter row
         * that are inside the image are contiguous input bytes: one run. */
        if (inside && p->dilation_w == 1) {
            const int32_t more = (g->in_w - 1 - x) < (g->k_w - 1 - fx) ? (g->in_w - 1 - x) : (g->k_w - 1 - fx);
            n += more * k_c;
        }
        if (n > len - j) n = len - j;
        if (!inside) {
            memset(col + j, 0, (size_t)n * sizeof *col);
        } else {
            const int8_t *src = in_b + ((size_t)y * g->in_w + x) * g->in_c + c;
            if (aligned) {
                for (int32_t i = 0; i < n; i += 4) {
                    const int32_t v = odl_dsp_ld32(src + i);
                    odl_dsp_st32(col + j + i, odl_dsp_even_off(v, g->off2));
                    odl_dsp_st32(col + j + i + 2, odl_dsp_odd_off(v, g->off2));
                }
            } else {
                for (int32_t i = 0; i < n; ++i) col[j + i] = (int16_t)((int32_t)src[i] + in_off);
            }
        }
        j += n;
    }
    if (!aligned) reorder_groups(col, len & ~3);
}

static inline int8_t conv_output(int32_t acc, const odl_conv_params_t *p, const int32_t *bias, int32_t oc,
                                 const int32_t *mult, const int32_t *shift) {
    if (bias) acc += bias[oc];
    acc = odl_dsp_requantize(acc, mult[oc], shift[oc]) + p->output_offset;
    return (int8_t)odl_clamp_i32(acc, p->act_min, p->act_max);
}

/* The hot loop: filters a, b (wb = wa + stride) times columns col and
 * col + ODL_ARM_DSP_CONV_COLUMN_MAX, n4 elements (a multiple of four);
 * sums in acc[0..3] = (a, pixel 0), (a, pixel 1), (b, 0), (b, 1). Its own
 * function with the second column at a constant offset, so that every
 * operand stays in a register (GCC spilled three of them inline). */
/* A 4-byte-aligned column word pair (LDRD). */
static inline void ld_pair(const int16_t *p, int32_t *lo, int32_t *hi) {
    const int32_t *q = (const int32_t *)(const void *)p;
    *lo = q[0], *hi = q[1];
}

#define ODL_DOT_2X2_STEP()                                                           \
    do {                                                                             \
        const int32_t wva = odl_dsp_ld32(wa), wvb = odl_dsp_ld32(wa + stride);       \
        int32_t c0e, c0o, c1e, c1o;                                                  \
        ld_pair(col, &c0e, &c0o);                                                    \
        ld_pair(col + ODL_ARM_DSP_CONV_COLUMN_MAX, &c1e, &c1o);                      \
        wa += 4, col += 4;                                                           \
        int32_t we = odl_dsp_even(wva);                                              \
        a0 = __smlad(we, c0e, a0), a1 = __smlad(we, c1e, a1);                        \
        we = odl_dsp_odd(wva);                                                       \
        a0 = __smlad(we, c0o, a0), a1 = __smlad(we, c1o, a1);                        \
        we = odl_dsp_even(wvb);                                                      \
        b0 = __smlad(we, c0e, b0), b1 = __smlad(we, c1e, b1);                        \
        we = odl_dsp_odd(wvb);                                                       \
        b0 = __smlad(we, c0o, b0), b1 = __smlad(we, c1o, b1);                        \
    } while (0)

__attribute__((noinline)) static void dot_2x2(const int16_t *col, const int8_t *wa, int32_t stride, int32_t n4,
                                              int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1], b0 = acc[2], b1 = acc[3];
    const int8_t *const end = wa + n4;
    if (n4 & 4) ODL_DOT_2X2_STEP();
    while (wa < end) {
        ODL_DOT_2X2_STEP();
        ODL_DOT_2X2_STEP();
    }
    acc[0] = a0, acc[1] = a1, acc[2] = b0, acc[3] = b1;
}

/* Two columns (pixels) x output channels [oc0, oc1) over one chunk of K;
 * out0/out1 are the pixels' output rows. col1 == NULL: one pixel only, else
 * col1 == col0 + ODL_ARM_DSP_CONV_COLUMN_MAX.
 * Chunk sums for channel oc sit at acc[2 * (oc - oc0) + pixel]. */
static void columns_times_filters(const conv_geom_t *g, const conv_chunk_t *ch, const int16_t *col0,
                                  const int16_t *col1, const int8_t *w, int32_t oc0, int32_t oc1,
                                  const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *out0,
                                  int8_t *out1) {
    const int32_t k = ch->len, k4 = ch->len4, stride = g->k;
    const int32_t *acc_in = ch->acc_in;
    int32_t *acc_out = ch->acc_out;
    w += ch->k0;
    int32_t oc = oc0;
    for (; oc + 2 <= oc1; oc += 2) {
        const int8_t *wa = w + (size_t)oc * stride, *wb = wa + stride;
        int32_t a0 = 0, a1 = 0, b0 = 0, b1 = 0; /* filter a/b x pixel 0/1 */
        if (acc_in) {
            const int32_t *ai = acc_in + 2 * (oc - oc0);
            a0 = ai[0], a1 = ai[1], b0 = ai[2], b1 = ai[3];
        }
        if (col1) {
            int32_t acc[4] = {a0, a1, b0, b1};
            dot_2x2(col0, wa, stride, k4, acc);
            a0 = acc[0], a1 = acc[1], b0 = acc[2], b1 = acc[3];
            for (int32_t i = k4; i < k; ++i) {
                a0 += (int32_t)wa[i] * col0[i];
                a1 += (int32_t)wa[i] * col1[i];
                b0 += (int32_t)wb[i] * col0[i];
                b1 += (int32_t)wb[i] * col1[i];
            }
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
        if (acc_out) {
            int32_t *ao = acc_out + 2 * (oc - oc0);
            ao[0] = a0, ao[1] = a1, ao[2] = b0, ao[3] = b1;
            continue;
        }
        out0[oc] = conv_output(a0, g->p, bias, oc, mult, shift);
        out0[oc + 1] = conv_output(b0, g->p, bias, oc + 1, mult, shift);
        if (col1) {
            out1[oc] = conv_output(a1, g->p, bias, oc, mult, shift);
            out1[oc + 1] = conv_output(b1, g->p, bias, oc + 1, mult, shift);
        }
    }
    if (oc < oc1) {
        const int8_t *wa = w + (size_t)oc * stride;
        int32_t a0 = 0, a1 = 0;
        if (acc_in) a0 = acc_in[2 * (oc - oc0)], a1 = acc_in[2 * (oc - oc0) + 1];
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
        if (acc_out) {
            acc_out[2 * (oc - oc0)] = a0, acc_out[2 * (oc - oc0) + 1] = a1;
            return;
        }
        out0[oc] = conv_output(a0, g->p, bias, oc, mult, shift);
        if (col1) out1[oc] = conv_output(a1, g->p, bias, oc, mult, shift);
    }
}

/* Output-stage constants in locals (an int8 store may alias anything, so
 * fields read through a pointer are reloaded after every output). */
typedef struct {
    const int32_t *bias, *mult, *shift;
    int32_t out_off, lo, hi;
} conv_out_t;

static inline uint32_t conv_out_byte(int32_t acc, const conv_out_t *o, int32_t oc) {
    if (o->bias) acc += o->bias[oc];
    return (uint8_t)odl_clamp_i32(odl_dsp_requantize(acc, o->mult[oc], o->shift[oc]) + o->out_off, o->lo, o->hi);
}

/* The common case without chunks: two whole columns, pairs of output
 * channels straight from dot_2x2 to the outputs. K not a multiple of four
 * (first layers: 3x3x1, 3x3x3, 10x4x1): the columns are zero-padded to
 * k_pad and the last group reordered too, so a row's final weight word may
 * take up to three bytes of the next row: they meet zeros. The last row has
 * no next row inside the tensor, so the channels that would read past it
 * (from `safe` on) are summed one by one in natural order. */
static void pairs_whole(const int16_t *col, const int8_t *w, int32_t k, int32_t k_pad, int32_t out_c, conv_out_t o,
                        int8_t *out0, int8_t *out1) {
    const int32_t safe = k == k_pad ? out_c : ((out_c - 1) & ~1);
    int32_t oc = 0;
    for (; oc + 2 <= safe; oc += 2) {
        int32_t acc[4] = {0, 0, 0, 0};
        dot_2x2(col, w + (size_t)oc * k, k, k_pad, acc);
        const uint32_t a0 = conv_out_byte(acc[0], &o, oc), b0 = conv_out_byte(acc[2], &o, oc + 1);
        const uint32_t a1 = conv_out_byte(acc[1], &o, oc), b1 = conv_out_byte(acc[3], &o, oc + 1);
        odl_dsp_st16(out0 + oc, a0 | b0 << 8);
        odl_dsp_st16(out1 + oc, a1 | b1 << 8);
    }
    for (; oc < out_c; ++oc) {
        const int8_t *wa = w + (size_t)oc * k;
        int32_t a0 = 0, a1 = 0;
        for (int32_t i = 0; i < k; ++i) {
            /* Natural index i sits at (i & ~3) | (0, 2, 1, 3)[i & 3] in SMLAD order. */
            const int32_t j = (i & ~3) | ((i & 1) << 1) | ((i >> 1) & 1);
            a0 += (int32_t)wa[i] * col[j];
            a1 += (int32_t)wa[i] * col[ODL_ARM_DSP_CONV_COLUMN_MAX + j];
        }
        out0[oc] = (int8_t)conv_out_byte(a0, &o, oc);
        out1[oc] = (int8_t)conv_out_byte(a1, &o, oc);
    }
}

/* Output pixels px and px + 1 (two == 0: px only) of one image. */
static void conv_pixels(const conv_geom_t *g, const int8_t *in_b, int32_t px, int two, int32_t out_w,
                        const int8_t *w, int32_t out_c, const int32_t *bias, const int32_t *mult,
                        const int32_t *shift, int8_t *out_b, int16_t (*cols)[ODL_ARM_DSP_CONV_COLUMN_MAX]) {
    int8_t *out0 = out_b + (size_t)px * out_c, *out1 = two ? out0 + out_c : NULL;
    const int32_t k = g->k;
    if (k <= ODL_ARM_DSP_CONV_COLUMN_MAX) {
        const conv_chunk_t ch = {0, k, k & ~3, NULL, NULL};
        fill_column(g, in_b, px / out_w, px % out_w, 0, k, cols[0]);
        if (two) fill_column(g, in_b, (px + 1) / out_w, (px + 1) % out_w, 0, k, cols[1]);
        if (two) {
            const int32_t k_pad = (k + 3) & ~3;
            if (k_pad != k) {
                for (int32_t c = 0; c < 2; ++c) {
                    for (int32_t i = k; i < k_pad; ++i) cols[c][i] = 0;
                    reorder_groups(cols[c] + (k & ~3), 4);
                }
            }
            const odl_conv_params_t *p = g->p;
            const conv_out_t o = {bias, mult, shift, p->output_offset, p->act_min, p->act_max};
            pairs_whole(cols[0], w, k, k_pad, out_c, o, out0, out1);
            return;
        }
        columns_times_filters(g, &ch, cols[0], two ? cols[1] : NULL, w, 0, out_c, bias, mult, shift, out0, out1);
        return;
    }
    /* Equal chunks, multiples of four, none above the column size. */
    const int32_t n_chunks = (k + ODL_ARM_DSP_CONV_COLUMN_MAX - 1) / ODL_ARM_DSP_CONV_COLUMN_MAX;
    const int32_t chunk = ((k + n_chunks - 1) / n_chunks + 3) & ~3;
    int32_t acc[2 * ODL_ARM_DSP_CONV_OC_TILE];
    for (int32_t oc0 = 0; oc0 < out_c; oc0 += ODL_ARM_DSP_CONV_OC_TILE) {
        const int32_t oc1 = out_c - oc0 < ODL_ARM_DSP_CONV_OC_TILE ? out_c : oc0 + ODL_ARM_DSP_CONV_OC_TILE;
        for (int32_t k0 = 0; k0 < k; k0 += chunk) {
            const int32_t len = k - k0 < chunk ? k - k0 : chunk;
            const conv_chunk_t ch = {k0, len, len & ~3, k0 ? acc : NULL, k0 + len < k ? acc : NULL};
            fill_column(g, in_b, px / out_w, px % out_w, k0, len, cols[0]);
            if (two) fill_column(g, in_b, (px + 1) / out_w, (px + 1) % out_w, k0, len, cols[1]);
            columns_times_filters(g, &ch, cols[0], two ? cols[1] : NULL, w, oc0, oc1, bias, mult, shift, out0,
                                  out1);
        }
    }
}

/* One input channel, filters of at most 4x4 (first layers such as 3x3x1):
 * im2col's per-pixel column fill and the 2x2 blocking cost more than the
 * few MACs per output. Each filter row is at most four contiguous input
 * bytes: one word load and two SXTAB16 give its taps (offset added) as the
 * lane pairs (0, 2) and (1, 3); the filters are widened once per call into
 * the same pairs (taps past k_w are zero, so the extra input lanes add
 * nothing). Per output: 2 * k_h SMLAD, then the usual output stage. Rows
 * outside the image are zero; pixels with a tap outside the image, or a
 * word load that would leave the input tensor, take the taps inside byte
 * by byte and mask the other lanes to zero. */
#define ODL_DSP_C1_MAX_OC 32
#define ODL_DSP_C1_MAX_KH 4

static inline int odl_conv_c1_ok(const odl_conv_params_t *p, const odl_dims4_t *w_dims, int32_t out_c) {
    return w_dims->c == 1 && w_dims->w <= 4 && w_dims->h <= ODL_DSP_C1_MAX_KH && p->dilation_w == 1 &&
           p->dilation_h >= 1 && out_c <= ODL_DSP_C1_MAX_OC;
}

static inline uint32_t lanes16(int32_t lo, int32_t hi) { return ((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16); }

/* One output channel over a block of pixels whose columns are ready
 * (n2 words each): the filter words and the output stage stay in registers. */
static inline uint32_t c1_out(int32_t acc, int32_t bias, int32_t m, int32_t sh, const conv_out_t *o) {
    return (uint8_t)odl_clamp_i32(odl_dsp_requantize(acc + bias, m, sh) + o->out_off, o->lo, o->hi);
}

/* Two output channels (filter words wa, wa + 6) over the block's pixels.
 * sat8: the clamp is the whole int8 range (no activation, or ReLU with the
 * zero point at -128), one SSAT. */
__attribute__((always_inline)) static inline void c1_pair(const int32_t *c, int32_t n_px, const int32_t *wa,
                                                          int32_t ba, int32_t ma, int32_t sa, int32_t bb, int32_t mb,
                                                          int32_t sb, const conv_out_t *o, int32_t out_c, int8_t *op,
                                                          const int sat8) {
    for (int32_t px = 0; px < n_px; ++px, c += 6, op += out_c) {
        const int32_t c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4], c5 = c[5];
        int32_t a = __smlad(wa[0], c0, ba), b = __smlad(wa[6], c0, bb);
        a = __smlad(wa[1], c1, a), b = __smlad(wa[7], c1, b);
        a = __smlad(wa[2], c2, a), b = __smlad(wa[8], c2, b);
        a = __smlad(wa[3], c3, a), b = __smlad(wa[9], c3, b);
        a = __smlad(wa[4], c4, a), b = __smlad(wa[10], c4, b);
        a = __smlad(wa[5], c5, a), b = __smlad(wa[11], c5, b);
        uint32_t ya, yb;
        if (sat8) {
            ya = (uint8_t)__ssat(odl_dsp_requantize(a, ma, sa) + o->out_off, 8);
            yb = (uint8_t)__ssat(odl_dsp_requantize(b, mb, sb) + o->out_off, 8);
        } else {
            ya = c1_out(a, 0, ma, sa, o), yb = c1_out(b, 0, mb, sb, o);
        }
        odl_dsp_st16(op, ya | yb << 8);
    }
}

__attribute__((noinline)) static void c1_block(const int32_t *cols, int32_t n_px, int32_t n2, const int32_t *ws,
                                               int32_t out_c, const conv_out_t *po, int8_t *ob) {
    const conv_out_t o = *po;
    int32_t oc = 0;
    if (n2 == 6) /* 3-row filters: two output channels share each column load */
        for (; oc + 2 <= out_c; oc += 2, ws += 12) {
            const int32_t ba = o.bias ? o.bias[oc] : 0, ma = o.mult[oc], sa = o.shift[oc];
            const int32_t bb = o.bias ? o.bias[oc + 1] : 0, mb = o.mult[oc + 1], sb = o.shift[oc + 1];
            if (o.lo == -128 && o.hi == 127)
                c1_pair(cols, n_px, ws, ba, ma, sa, bb, mb, sb, &o, out_c, ob + oc, 1);
            else
                c1_pair(cols, n_px, ws, ba, ma, sa, bb, mb, sb, &o, out_c, ob + oc, 0);
        }
    for (; oc < out_c; ++oc, ws += n2) {
        const int32_t bias = o.bias ? o.bias[oc] : 0, m = o.mult[oc], sh = o.shift[oc];
        int8_t *op = ob + oc;
        const int32_t *c = cols;
        if (n2 == 6) {
            const int32_t w0 = ws[0], w1 = ws[1], w2 = ws[2], w3 = ws[3], w4 = ws[4], w5 = ws[5];
            for (int32_t px = 0; px < n_px; ++px, c += 6, op += out_c) {
                int32_t acc = __smuad(w0, c[0]);
                acc = __smlad(w1, c[1], acc);
                acc = __smlad(w2, c[2], acc);
                acc = __smlad(w3, c[3], acc);
                acc = __smlad(w4, c[4], acc);
                acc = __smlad(w5, c[5], acc);
                *op = (int8_t)c1_out(acc, bias, m, sh, &o);
            }
        } else {
            for (int32_t px = 0; px < n_px; ++px, c += n2, op += out_c) {
                int32_t acc = 0;
                for (int32_t i = 0; i < n2; ++i) acc = __smlad(ws[i], c[i], acc);
                *op = (int8_t)c1_out(acc, bias, m, sh, &o);
            }
        }
    }
}

#define ODL_DSP_C1_BLOCK 16 /* output pixels whose columns wait on the stack */

__attribute__((noinline)) static void conv_c1(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                                              const odl_dims4_t *in_dims, const int8_t *in, const odl_dims4_t *w_dims,
                                              const int8_t *w, const int32_t *bias, const odl_dims4_t *out_dims,
                                              int8_t *out) {
    const int32_t k_h = w_dims->h, k_w = w_dims->w, out_c = out_dims->c, n2 = 2 * k_h;
    const int32_t h = in_dims->h, wd = in_dims->w, off = p->input_offset, off2 = odl_dsp_dup16(off);
    int32_t ws[ODL_DSP_C1_MAX_OC * 2 * ODL_DSP_C1_MAX_KH];
    for (int32_t oc = 0; oc < out_c; ++oc)
        for (int32_t fy = 0; fy < k_h; ++fy) {
            const int8_t *wr = w + ((size_t)oc * k_h + fy) * k_w;
            int32_t t[4];
            for (int32_t j = 0; j < 4; ++j) t[j] = j < k_w ? wr[j] : 0;
            ws[oc * n2 + 2 * fy] = (int32_t)lanes16(t[0], t[2]);
            ws[oc * n2 + 2 * fy + 1] = (int32_t)lanes16(t[1], t[3]);
        }
    const conv_out_t o = {bias, mult, shift, p->output_offset, p->act_min, p->act_max};
    int32_t cols[ODL_DSP_C1_BLOCK * 2 * ODL_DSP_C1_MAX_KH];
    const int32_t out_w = out_dims->w;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * h * wd;
        for (int32_t oy = 0; oy < out_dims->h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            /* Filter rows of this output row (NULL: outside the image), and the
             * last x0 whose taps are inside every row and whose word loads stay
             * inside the input tensor. */
            const int8_t *rows[ODL_DSP_C1_MAX_KH];
            int32_t x_word_max = wd - k_w;
            for (int32_t fy = 0; fy < k_h; ++fy) {
                const int32_t y = y0 + fy * p->dilation_h;
                rows[fy] = y >= 0 && y < h ? in_b + (size_t)y * wd : NULL;
                if (rows[fy] && (h - y) * wd - 4 < x_word_max) x_word_max = (h - y) * wd - 4;
            }
            for (int32_t ox0 = 0; ox0 < out_w; ox0 += ODL_DSP_C1_BLOCK) {
                const int32_t n_px = out_w - ox0 < ODL_DSP_C1_BLOCK ? out_w - ox0 : ODL_DSP_C1_BLOCK;
                for (int32_t i = 0; i < n_px; ++i) {
                    const int32_t x0 = (ox0 + i) * p->stride_w - p->pad_w;
                    int32_t *c = cols + i * n2;
                    if (x0 >= 0 && x0 <= x_word_max) { /* all taps inside their rows: one word per row */
                        for (int32_t fy = 0; fy < k_h; ++fy, c += 2) {
                            if (!rows[fy]) {
                                c[0] = 0, c[1] = 0;
                                continue;
                            }
                            const int32_t v = odl_dsp_ld32(rows[fy] + x0);
                            c[0] = odl_dsp_even_off(v, off2), c[1] = odl_dsp_odd_off(v, off2);
                        }
                        continue;
                    }
                    /* Taps [j0, j1) of each row are inside the image: those bytes
                     * into a word, widened like the others, the lanes outside
                     * masked to zero (no load outside the row). */
                    const int32_t j0 = x0 < 0 ? -x0 : 0, j1 = wd - x0 < k_w ? wd - x0 : k_w;
                    uint32_t me = 0, mo = 0;
                    for (int32_t j = j0; j < j1; ++j) {
                        const uint32_t lane = j & 2 ? 0xffff0000u : 0xffffu;
                        if (j & 1) mo |= lane;
                        else me |= lane;
                    }
                    for (int32_t fy = 0; fy < k_h; ++fy, c += 2) {
                        uint32_t v = 0;
                        if (rows[fy])
                            for (int32_t j = j0; j < j1; ++j) v |= (uint32_t)(uint8_t)rows[fy][x0 + j] << (8 * j);
                        c[0] = (int32_t)((uint32_t)odl_dsp_even_off((int32_t)v, off2) & me);
                        c[1] = (int32_t)((uint32_t)odl_dsp_odd_off((int32_t)v, off2) & mo);
                        if (!rows[fy]) c[0] = 0, c[1] = 0;
                    }
                }
                c1_block(cols, n_px, n2, ws, out_c, &o, out + (((size_t)b * out_dims->h + oy) * out_w + ox0) * out_c);
            }
        }
    }
}

__attribute__((noinline)) static void conv_columns(const odl_conv_params_t *p, const int32_t *mult,
                                                   const int32_t *shift, const odl_dims4_t *in_dims,
                                                   const int8_t *in, const odl_dims4_t *w_dims, const int8_t *w,
                                                   const int32_t *bias, const odl_dims4_t *out_dims, int8_t *out) {
    const int32_t k = w_dims->h * w_dims->w * w_dims->c;
    int16_t cols[2][ODL_ARM_DSP_CONV_COLUMN_MAX] __attribute__((aligned(4)));
    const conv_geom_t g = {p, in_dims->h, in_dims->w, in_dims->c, w_dims->h, w_dims->w, w_dims->c, k,
                           odl_dsp_dup16(p->input_offset)};
    const int32_t out_w = out_dims->w, out_c = out_dims->c;
    const int32_t pixels = out_dims->h * out_w;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * g.in_h * g.in_w * g.in_c;
        int8_t *out_b = out + (size_t)b * pixels * out_c;
        int32_t px = 0;
        for (; px + 2 <= pixels; px += 2) conv_pixels(&g, in_b, px, 1, out_w, w, out_c, bias, mult, shift, out_b, cols);
        if (px < pixels) conv_pixels(&g, in_b, px, 0, out_w, w, out_c, bias, mult, shift, out_b, cols);
    }
}

odl_status_t odl_conv2d_s8(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                           const odl_dims4_t *in_dims, const int8_t *in,
                           const odl_dims4_t *w_dims, const int8_t *w, const int32_t *bias,
                           const odl_dims4_t *out_dims, int8_t *out) {
    if (!p || !mult || !shift || !in_dims || !in || !w_dims || !w || !out_dims || !out) return ODL_ERR_ARG;
    const int32_t k = w_dims->h * w_dims->w * w_dims->c;
    /* Grouped convolution, malformed shapes (the portable kernel reports
     * those) and out-of-range requantization parameters go the portable way. */
    if (w_dims->c != in_dims->c || k <= 0 || w_dims->n != out_dims->c || in_dims->n != out_dims->n ||
        out_dims->c <= 0 || !odl_dsp_quant_ok(mult, shift, out_dims->c))
        return odl_conv2d_s8_portable(p, mult, shift, in_dims, in, w_dims, w, bias, out_dims, out);
    /* Separate frames: the column path's 2 KiB of columns never sit under the other. */
    if (odl_conv_c1_ok(p, w_dims, out_dims->c))
        conv_c1(p, mult, shift, in_dims, in, w_dims, w, bias, out_dims, out);
    else
        conv_columns(p, mult, shift, in_dims, in, w_dims, w, bias, out_dims, out);
    return ODL_OK;
}
