/* int8 DEPTHWISE_CONV_2D for cores with the DSP extension, bit-identical
 * to the portable kernels/int8/depthwise_conv_2d.c (its specification).
 *
 * Each output channel has its own sum, so SMLAD's pairwise add does not
 * fit; instead, for depth multiplier 1, four neighbouring channels share
 * one input and one filter word per tap: SXTAB16 / SXTB16 widen them to
 * (c0, c2) and (c1, c3) lanes, and SMLABB / SMLATT accumulate the bottom
 * and top lanes into four int32 sums (2.5 instructions per MAC).
 * Rows of up to three taps (3x3 filters) are unrolled, in assembly.
 * Depth multiplier > 1: four output channels still share one filter word per
 * tap; when they share one input channel too (multiplier a multiple of four,
 * e.g. one input channel x 8) that input is loaded once and SMLABB / SMLATB
 * take it from the bottom lane, otherwise the four inputs are gathered.
 * The valid tap range of each output pixel is computed once, so the inner
 * loops carry no bounds checks (padding taps add nothing, as in the
 * portable loop). No scratch memory. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"
#include "dsp_simd.h"
#include "opt_prologue.h"

/* The portable kernel, renamed, for shapes this one does not take. */
#define odl_depthwise_conv2d_s8 odl_depthwise_conv2d_s8_portable
#include "../depthwise_conv_2d.c"
#undef odl_depthwise_conv2d_s8

/* Output-stage constants in locals: an int8 store may alias anything, so
 * fields read through a pointer would be reloaded after every output. */
typedef struct {
    const int32_t *bias, *mult, *shift;
    int32_t out_off, lo, hi;
} dw_out_t;

static inline int32_t dw_output(int32_t acc, const dw_out_t *o, int32_t oc) {
    if (o->bias) acc += o->bias[oc];
    return odl_clamp_i32(odl_dsp_requantize(acc, o->mult[oc], o->shift[oc]) + o->out_off, o->lo, o->hi);
}

/* Four outputs oc..oc+3 in one word store. */
static inline void dw_output4(const int32_t *acc, dw_out_t o, int32_t oc, int8_t *out) {
    const uint32_t b0 = (uint8_t)dw_output(acc[0], &o, oc), b1 = (uint8_t)dw_output(acc[1], &o, oc + 1);
    const uint32_t b2 = (uint8_t)dw_output(acc[2], &o, oc + 2), b3 = (uint8_t)dw_output(acc[3], &o, oc + 3);
    odl_dsp_st32(out, (int32_t)(b0 | b1 << 8 | b2 << 16 | b3 << 24));
}

/* One tap of four channels (dm == 1): input and filter words widened to
 * (c0, c2) / (c1, c3) lanes, bottom and top lanes into four sums. */
#define DW4_TAP(xp, wp)                                                                   \
    do {                                                                                  \
        const int32_t xv_ = odl_dsp_ld32(xp), wv_ = odl_dsp_ld32(wp);                     \
        const int32_t xe_ = odl_dsp_even_off(xv_, off2), we_ = odl_dsp_even(wv_);         \
        a0 = __smlabb(we_, xe_, a0);                                                      \
        a2 = __smlatt(we_, xe_, a2);                                                      \
        const int32_t xo_ = odl_dsp_odd_off(xv_, off2), wo_ = odl_dsp_odd(wv_);           \
        a1 = __smlabb(wo_, xo_, a1);                                                      \
        a3 = __smlatt(wo_, xo_, a3);                                                      \
    } while (0)

/* Four channels (dm == 1) over `rows` filter rows of 1-3 taps each, with
 * equal input and filter steps between taps (dilation 1). Each row is
 * written in assembly (GCC spilled half of the twelve live values): per
 * tap two loads, four SXT(A)B16 and four SMLA, no pointer updates. */
#define DW4_ASM_TAP(addr_x, addr_w)                          \
    "ldr %[xv], " addr_x "\n\t"                              \
    "ldr %[wv], " addr_w "\n\t"                              \
    "sxtab16 %[t0], %[off], %[xv]\n\t"                       \
    "sxtb16 %[t1], %[wv]\n\t"                                \
    "smlabb %[a0], %[t1], %[t0], %[a0]\n\t"                  \
    "smlatt %[a2], %[t1], %[t0], %[a2]\n\t"                  \
    "sxtab16 %[t0], %[off], %[xv], ror #8\n\t"               \
    "sxtb16 %[t1], %[wv], ror #8\n\t"                        \
    "smlabb %[a1], %[t1], %[t0], %[a1]\n\t"                  \
    "smlatt %[a3], %[t1], %[t0], %[a3]\n\t"
#define DW4_ASM_TAP0 DW4_ASM_TAP("[%[x]]", "[%[w]]")
#define DW4_ASM_TAP1 DW4_ASM_TAP("[%[x], %[s]]", "[%[w], %[s]]")
#define DW4_ASM_TAP2 DW4_ASM_TAP("[%[x], %[s], lsl #1]", "[%[w], %[s], lsl #1]")
#define DW4_ASM_OPERANDS                                                                                   \
    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xv] "=&r"(xv), [wv] "=&r"(wv),      \
      [t0] "=&r"(t0), [t1] "=&r"(t1)                                                                     \
    : [x] "r"(xp), [w] "r"(wp), [s] "r"(step), [off] "r"(off2)                                          \
    : "memory"

static inline void dw4_rows_short(const int8_t *xp, const int8_t *wp, size_t step, size_t x_row, size_t w_row,
                                  int32_t rows, int32_t taps, int32_t off2, int32_t *acc) {
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
#if !defined(__OPTIMIZE__)
    /* Unoptimised builds keep r7 as the frame pointer: too few registers for
     * the assembly, so the C taps (same products, same order). */
    for (; rows > 0; --rows, xp += x_row, wp += w_row) {
        const int8_t *x = xp, *wt = wp;
        for (int32_t t = 0; t < taps; ++t, x += step, wt += step) DW4_TAP(x, wt);
    }
#else
    int32_t xv, wv, t0, t1;
    if (taps == 3 && rows == 3 && w_row == 3 * step) {
        /* The whole 3x3 window: x steps x_row between rows, w three taps. */
        __asm__(DW4_ASM_TAP0 DW4_ASM_TAP1 DW4_ASM_TAP2
                "add %[x], %[x], %[xr]\n\t"
                "add %[w], %[w], %[s], lsl #1\n\t"
                "add %[w], %[w], %[s]\n\t"
                DW4_ASM_TAP0 DW4_ASM_TAP1 DW4_ASM_TAP2
                "add %[x], %[x], %[xr]\n\t"
                "add %[w], %[w], %[s], lsl #1\n\t"
                "add %[w], %[w], %[s]\n\t"
                DW4_ASM_TAP0 DW4_ASM_TAP1 DW4_ASM_TAP2
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xv] "=&r"(xv), [wv] "=&r"(wv),
                  [t0] "=&r"(t0), [t1] "=&r"(t1), [x] "+r"(xp), [w] "+r"(wp)
                : [s] "r"(step), [off] "r"(off2), [xr] "r"(x_row)
                : "memory");
    } else if (taps == 3) {
        for (; rows > 0; --rows, xp += x_row, wp += w_row)
            __asm__(DW4_ASM_TAP0 DW4_ASM_TAP1 DW4_ASM_TAP2 DW4_ASM_OPERANDS);
    } else if (taps == 2) {
        for (; rows > 0; --rows, xp += x_row, wp += w_row) __asm__(DW4_ASM_TAP0 DW4_ASM_TAP1 DW4_ASM_OPERANDS);
    } else if (taps == 1) {
        for (; rows > 0; --rows, xp += x_row, wp += w_row) __asm__(DW4_ASM_TAP0 DW4_ASM_OPERANDS);
    }
#endif
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* Four channels (dm == 1), any number of taps per row. */
__attribute__((noinline)) static void dw4_rows(const int8_t *xp, const int8_t *wp, size_t x_step, size_t w_step,
                                               size_t x_row, size_t w_row, int32_t rows, int32_t taps,
                                               int32_t off2, int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (; rows > 0; --rows, xp += x_row, wp += w_row) {
        const int8_t *x = xp, *wt = wp;
        for (int32_t t = 0; t < taps; ++t, x += x_step, wt += w_step) DW4_TAP(x, wt);
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* Four output channels reading one input channel (dm a multiple of four):
 * the input, offset added, sits in the bottom lane for all four. */
__attribute__((noinline)) static void dw4_shared_rows(const int8_t *xp, const int8_t *wp, size_t x_step,
                                                      size_t w_step, size_t x_row, size_t w_row, int32_t rows,
                                                      int32_t taps, int32_t in_off, int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (; rows > 0; --rows, xp += x_row, wp += w_row) {
        const int8_t *x = xp, *wt = wp;
        for (int32_t t = 0; t < taps; ++t, x += x_step, wt += w_step) {
            const int32_t xv = (int32_t)*x + in_off, wv = odl_dsp_ld32(wt);
            const int32_t we = odl_dsp_even(wv), wo = odl_dsp_odd(wv);
            a0 = __smlabb(we, xv, a0);
            a2 = __smlatb(we, xv, a2);
            a1 = __smlabb(wo, xv, a1);
            a3 = __smlatb(wo, xv, a3);
        }
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* Four output channels over input channels ics[0..3] (other multipliers). */
__attribute__((noinline)) static void dw4_gather_rows(const int8_t *xp, const int32_t *ics, const int8_t *wp,
                                                      size_t x_step, size_t w_step, size_t x_row, size_t w_row,
                                                      int32_t rows, int32_t taps, int32_t in_off, int32_t *acc) {
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int32_t i0 = ics[0], i1 = ics[1], i2 = ics[2], i3 = ics[3];
    for (; rows > 0; --rows, xp += x_row, wp += w_row) {
        const int8_t *x = xp, *wt = wp;
        for (int32_t t = 0; t < taps; ++t, x += x_step, wt += w_step) {
            const int32_t wv = odl_dsp_ld32(wt);
            const int32_t we = odl_dsp_even(wv), wo = odl_dsp_odd(wv);
            a0 = __smlabb(we, (int32_t)x[i0] + in_off, a0);
            a2 = __smlatb(we, (int32_t)x[i2] + in_off, a2);
            a1 = __smlabb(wo, (int32_t)x[i1] + in_off, a1);
            a3 = __smlatb(wo, (int32_t)x[i3] + in_off, a3);
        }
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}

/* One input channel (in_c == 1, multiplier = out_c, e.g. a keyword
 * model's first layer with multiplier 8): every output channel reads the
 * same window, so per pixel the window (offset added, padding taps 0, as
 * int16) is packed once into tap pairs, and per channel SMLAD takes two taps
 * at a time against the filter repacked per call into the same pairs (about
 * 1.1 instructions per MAC before the output stage, instead of ~4 with one
 * SMLAxB per MAC and the per-group call). */
#ifndef ODL_ARM_DSP_DW1_OC_MAX
#define ODL_ARM_DSP_DW1_OC_MAX 32
#endif
#define ODL_ARM_DSP_DW1_PAIRS 8 /* up to 16 taps (4x4) */

/* Two int16 lanes (low, high), for SMLAD. */
static inline int32_t dw_pack(int32_t lo, int32_t hi) {
    return (int32_t)(((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16));
}

/* Four channels of one pixel from the five tap pairs p[0..4] (3x3): the
 * bias starts each sum, five SMLAD, the requantization, one word store.
 * sat8: the clamp is the int8 range (one SSAT). */
static inline __attribute__((always_inline)) void dw1_four(const int32_t *wr, const int32_t *bias,
                                                            const int32_t *mult, const int32_t *shift,
                                                            const int32_t *pk, const dw_out_t *o, int sat8,
                                                            int8_t *out) {
    uint32_t word = 0;
#pragma GCC unroll 4
    for (int32_t k = 0; k < 4; ++k, wr += 5) {
        int32_t a = bias[k];
        a = __smlad(wr[0], pk[0], a), a = __smlad(wr[1], pk[1], a), a = __smlad(wr[2], pk[2], a);
        a = __smlad(wr[3], pk[3], a), a = __smlad(wr[4], pk[4], a);
        int32_t v = odl_dsp_requantize(a, mult[k], shift[k]) + o->out_off;
        v = sat8 ? __ssat(v, 8) : odl_clamp_i32(v, o->lo, o->hi);
        word |= (uint32_t)(uint8_t)v << (8 * k);
    }
    odl_dsp_st32(out, (int32_t)word);
}

/* All channels of a pixel (3x3 filter). */
static inline __attribute__((always_inline)) void dw1_pixel(const int32_t *wpk, const int32_t *pk, int32_t out_c,
                                                             const int32_t *bias, const dw_out_t *o, int sat8,
                                                             int8_t *out) {
    for (int32_t oc = 0; oc < out_c; oc += 4)
        dw1_four(wpk + oc * 5, bias + oc, o->mult + oc, o->shift + oc, pk, o, sat8, out + oc);
}

/* Requantization, output offset and int8 clamp of one sum when the shift
 * is <= -2 (r = -shift >= 2, nearly every layer): dsp_requant.h's
 * T = x * m + 2^30 - [x < 0] * 2^31 is one SMLAL; dividing it by
 * 2^(30 + r) >= 2^32 is its high word shifted by r2 = r - 2 (nested floors
 * compose), so the 64-bit shift disappears; the last halving with
 * round-half-up and the output offset fold into one add of k = 1 + 2 *
 * out_off before SSAT's own shift: floor((a + 1) / 2) + o = floor((a + 1 +
 * 2o) / 2). Six instructions in all. */
static inline __attribute__((always_inline)) int32_t dw1_rq8(int32_t x, int32_t m, int32_t r2, int32_t k,
                                                           uint32_t c30) {
    /* In assembly: GCC builds the low word with AND + ORR instead of one
     * ORR with a shifted operand. */
    int32_t hi, lo;
    __asm__("asr %[hi], %[x], #31\n\t"
            "orr %[lo], %[c30], %[hi], lsl #31\n\t"
            "smlal %[lo], %[hi], %[x], %[m]\n\t"
            "asr %[hi], %[hi], %[r2]\n\t"
            "add %[hi], %[hi], %[k]\n\t"
            "ssat %[hi], #8, %[hi], asr #1"
            : [hi] "=&r"(hi), [lo] "=&r"(lo)
            : [x] "r"(x), [m] "r"(m), [r2] "r"(r2), [k] "r"(k), [c30] "r"(c30));
    return hi;
}

/* Per-channel constants of the pair path, read once per two pixels. */
typedef struct {
    int32_t bias, m, r2;
} dw1_cst_t;

/* All channels of two pixels (3x3 window pairs pa, pb). */
static inline __attribute__((always_inline)) void dw1_two_pixels(const int32_t *wpk, const dw1_cst_t *cst,
                                                                  int32_t out_c, const int32_t *pa,
                                                                  const int32_t *pb, int32_t k, int8_t *oa,
                                                                  int8_t *ob) {
    /* 2^30 in a register: the start's low word is then one ORR. */
    uint32_t c30 = 0x40000000u;
    __asm__("" : "+r"(c30));
    const int32_t pa0 = pa[0], pa1 = pa[1], pa2 = pa[2], pa3 = pa[3], pa4 = pa[4];
    const int32_t pb0 = pb[0], pb1 = pb[1], pb2 = pb[2], pb3 = pb[3], pb4 = pb[4];
    for (int32_t oc = 0; oc < out_c; ++oc, wpk += 5, ++cst) {
        const dw1_cst_t c = *cst;
        int32_t a = c.bias, b = c.bias;
        const int32_t w0 = wpk[0], w1 = wpk[1], w2 = wpk[2], w3 = wpk[3], w4 = wpk[4];
        a = __smlad(w0, pa0, a), b = __smlad(w0, pb0, b);
        a = __smlad(w1, pa1, a), b = __smlad(w1, pb1, b);
        a = __smlad(w2, pa2, a), b = __smlad(w2, pb2, b);
        a = __smlad(w3, pa3, a), b = __smlad(w3, pb3, b);
        a = __smlad(w4, pa4, a), b = __smlad(w4, pb4, b);
        oa[oc] = (int8_t)dw1_rq8(a, c.m, c.r2, k, c30);
        ob[oc] = (int8_t)dw1_rq8(b, c.m, c.r2, k, c30);
    }
}

/* The window of the output pixel at (y0, x0) as int16 tap pairs, offset
 * added, padding taps 0 (they add nothing). */
static inline __attribute__((always_inline)) void dw1_window(const int8_t *in_b, int32_t in_h, int32_t in_w,
                                                              int32_t k_h, int32_t k_w, int32_t dh, int32_t dw,
                                                              int32_t y0, int32_t x0, int32_t in_off,
                                                              int32_t *pk) {
    if (k_h == 3 && k_w == 3 && y0 >= 0 && y0 + 2 * dh < in_h && x0 >= 0 && x0 + 2 * dw < in_w) {
        /* 3x3 inside the image: nine loads, five packs. */
        const int8_t *r = in_b + (size_t)y0 * in_w + x0;
        const size_t rs = (size_t)dh * in_w;
        pk[0] = dw_pack(r[0] + in_off, r[dw] + in_off);
        pk[1] = dw_pack(r[2 * dw] + in_off, r[rs] + in_off);
        pk[2] = dw_pack(r[rs + dw] + in_off, r[rs + 2 * dw] + in_off);
        pk[3] = dw_pack(r[2 * rs] + in_off, r[2 * rs + dw] + in_off);
        pk[4] = dw_pack(r[2 * rs + 2 * dw] + in_off, 0);
        return;
    }
    int16_t win[2 * ODL_ARM_DSP_DW1_PAIRS] __attribute__((aligned(4)));
    int32_t t = 0;
    for (int32_t fy = 0; fy < k_h; ++fy) {
        const int32_t y = y0 + fy * dh;
        const int row_in = y >= 0 && y < in_h;
        for (int32_t fx = 0; fx < k_w; ++fx, ++t) {
            const int32_t x = x0 + fx * dw;
            win[t] = (int16_t)(row_in && x >= 0 && x < in_w ? in_b[(size_t)y * in_w + x] + in_off : 0);
        }
    }
    if (t & 1) win[t] = 0;
    for (int32_t j = 0; j < (t + 1) >> 1; ++j) pk[j] = odl_dsp_ld32(win + 2 * j);
}

static void dw_one_channel(const odl_conv_params_t *p, const dw_out_t *o, const odl_dims4_t *in_dims,
                           const int8_t *in, const odl_dims4_t *w_dims, const int8_t *w,
                           const odl_dims4_t *out_dims, int8_t *out) {
    const int32_t k_h = w_dims->h, k_w = w_dims->w, taps = k_h * k_w, pairs = (taps + 1) >> 1;
    const int32_t out_c = out_dims->c, in_h = in_dims->h, in_w = in_dims->w, in_off = p->input_offset;
    const int32_t dh = p->dilation_h, dw = p->dilation_w;
    int32_t wpk[ODL_ARM_DSP_DW1_OC_MAX * ODL_ARM_DSP_DW1_PAIRS];
    for (int32_t oc = 0; oc < out_c; ++oc)
        for (int32_t j = 0; j < pairs; ++j) {
            const int32_t lo = w[(size_t)(2 * j) * out_c + oc];
            const int32_t hi = 2 * j + 1 < taps ? w[(size_t)(2 * j + 1) * out_c + oc] : 0;
            wpk[oc * pairs + j] = dw_pack(lo, hi);
        }
    /* The bias starts each sum (one less load and add per output); no bias:
     * zeros, so the loops carry no test. */
    static const int32_t no_bias[ODL_ARM_DSP_DW1_OC_MAX];
    const int32_t *bias = o->bias ? o->bias : no_bias;
    dw_out_t ost = *o;
    ost.bias = NULL;
    const int sat8 = ost.lo == -128 && ost.hi == 127;
    /* Two pixels per pass (3x3, int8 clamp, every shift <= -2). */
    dw1_cst_t cst[ODL_ARM_DSP_DW1_OC_MAX];
    int pair = taps == 9 && sat8;
    for (int32_t oc = 0; oc < out_c; ++oc) {
        pair = pair && o->shift[oc] <= -2;
        cst[oc] = (dw1_cst_t){bias[oc], o->mult[oc], -o->shift[oc] - 2};
    }
    const int32_t k8 = 1 + 2 * ost.out_off;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w;
        for (int32_t oy = 0; oy < out_dims->h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            int32_t ox = 0;
            if (pair)
                for (; ox + 2 <= out_dims->w; ox += 2, out += 2 * out_c) {
                    int32_t pa[ODL_ARM_DSP_DW1_PAIRS], pb[ODL_ARM_DSP_DW1_PAIRS];
                    const int32_t x0 = ox * p->stride_w - p->pad_w;
                    dw1_window(in_b, in_h, in_w, 3, 3, dh, dw, y0, x0, in_off, pa);
                    dw1_window(in_b, in_h, in_w, 3, 3, dh, dw, y0, x0 + p->stride_w, in_off, pb);
                    dw1_two_pixels(wpk, cst, out_c, pa, pb, k8, out, out + out_c);
                }
            for (; ox < out_dims->w; ++ox, out += out_c) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                int32_t pk[ODL_ARM_DSP_DW1_PAIRS];
                dw1_window(in_b, in_h, in_w, k_h, k_w, dh, dw, y0, x0, in_off, pk);
                if (taps == 9) {
                    if (sat8)
                        dw1_pixel(wpk, pk, out_c, bias, &ost, 1, out);
                    else
                        dw1_pixel(wpk, pk, out_c, bias, &ost, 0, out);
                    continue;
                }
                const int32_t *wr = wpk;
                for (int32_t oc = 0; oc < out_c; oc += 4) {
                    int32_t acc[4];
                    for (int32_t k = 0; k < 4; ++k, wr += pairs) {
                        int32_t a = bias[oc + k];
                        for (int32_t j = 0; j < pairs; ++j) a = __smlad(wr[j], pk[j], a);
                        acc[k] = a;
                    }
                    dw_output4(acc, ost, oc, out + oc);
                }
            }
        }
    }
}

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
    const int32_t in_off = p->input_offset, off2 = odl_dsp_dup16(in_off);
    const dw_out_t ostage = {bias, mult, shift, p->output_offset, p->act_min, p->act_max};
    const int32_t dh = p->dilation_h, dw = p->dilation_w;
    const size_t x_step = (size_t)dw * in_c; /* input bytes between horizontal taps */
    if (in_c == 1 && (out_c & 3) == 0 && out_c <= ODL_ARM_DSP_DW1_OC_MAX && k_h * k_w <= 2 * ODL_ARM_DSP_DW1_PAIRS) {
        dw_one_channel(p, &ostage, in_dims, in, w_dims, w, out_dims, out);
        return ODL_OK;
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
                int32_t oc = 0;
                const int8_t *xrow = in_b + ((size_t)(y0 + fy_lo * dh) * in_w + (x0 + fx_lo * dw)) * in_c;
                const int8_t *wrow = w + ((size_t)fy_lo * k_w + fx_lo) * out_c;
                const int32_t rows = fy_hi - fy_lo;
                const size_t x_row = (size_t)dh * in_w * in_c, w_row = (size_t)k_w * out_c;
                if (dm == 1) {
                    for (; oc + 4 <= out_c; oc += 4) {
                        int32_t acc[4] = {0, 0, 0, 0};
                        if (taps_x <= 3 && x_step == (size_t)out_c)
                            dw4_rows_short(xrow + oc, wrow + oc, x_step, x_row, w_row, rows, taps_x, off2, acc);
                        else
                            dw4_rows(xrow + oc, wrow + oc, x_step, out_c, x_row, w_row, rows, taps_x, off2, acc);
                        dw_output4(acc, ostage, oc, out);
                        out += 4;
                    }
                } else {
                    for (; oc + 4 <= out_c; oc += 4) {
                        int32_t acc[4] = {0, 0, 0, 0};
                        const int32_t ic = oc / dm;
                        if ((oc + 3) / dm == ic) {
                            dw4_shared_rows(xrow + ic, wrow + oc, x_step, out_c, x_row, w_row, rows, taps_x, in_off,
                                            acc);
                        } else {
                            const int32_t ics[4] = {ic, (oc + 1) / dm, (oc + 2) / dm, (oc + 3) / dm};
                            dw4_gather_rows(xrow, ics, wrow + oc, x_step, out_c, x_row, w_row, rows, taps_x, in_off,
                                            acc);
                        }
                        dw_output4(acc, ostage, oc, out);
                        out += 4;
                    }
                }
                /* Remaining channels. */
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
                    *out++ = (int8_t)dw_output(acc, &ostage, oc);
                }
            }
        }
    }
    return ODL_OK;
}
