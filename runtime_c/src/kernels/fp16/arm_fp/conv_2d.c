/* CONV_2D FP16 training kernels for Cortex-M FPUs: the same bytes as
 * ../conv_2d.c (included below under other names for its geometry checks and
 * as the fallback for tensors beyond the stack tiles); see fp_f16.h. The
 * input, the filters and the output gradient are widened once per call (per
 * block of four output channels for the gradient), not once per MAC. */
#define odl_conv2d_f16_fw odl_conv2d_f16_fw_portable
#define odl_conv2d_f16_bw_input odl_conv2d_f16_bw_input_portable
#define odl_conv2d_f16_bw_weight odl_conv2d_f16_bw_weight_portable
#include "../conv_2d.c"
#undef odl_conv2d_f16_fw
#undef odl_conv2d_f16_bw_input
#undef odl_conv2d_f16_bw_weight

#include "fp_f16.h"

/* Another family may include this file and rename the entry points. */
#ifndef ODL_FP_PUBLIC
#define ODL_FP_PUBLIC(name) name
#endif

/* Most filter taps of the forward fast path. */
#define ODL_FP_TAPS 49

/* Valid output range [lo, hi) along one axis for tap k: o * stride - pad + k * dil in [0, n). */
static void tap_range(int32_t n, int32_t out, int32_t k, int32_t stride, int32_t pad, int32_t dil, int32_t *lo,
                      int32_t *hi) {
    int32_t off = k * dil - pad; /* input = o * stride + off */
    int32_t a = off >= 0 ? 0 : (-off + stride - 1) / stride;
    int32_t b = n - off <= 0 ? 0 : (n - off + stride - 1) / stride;
    *lo = a;
    *hi = b < out ? b : out;
}

/* The whole input and the filters fit the stack tiles (the fast paths). */
static inline int odl_fp_conv_fw_fits(const conv_geo_t *g) {
    return g->n * g->h * g->w * g->ic <= ODL_FP_TILE && g->kh * g->kw * g->ic * g->oc <= ODL_FP_TILE &&
           g->kh * g->kw <= ODL_FP_TAPS;
}

static inline int odl_fp_conv_bw_weight_fits(const conv_geo_t *g) {
    return g->n * g->h * g->w * g->ic <= ODL_FP_TILE && 4 * g->n * g->oh * g->ow <= ODL_FP_TILE;
}

/* Padded extent of the input along one axis: every position a tap reads. */
static inline int32_t padded_extent(int32_t out, int32_t stride, int32_t k, int32_t dil) {
    return (out - 1) * stride + (k - 1) * dil + 1;
}

/* dst (zero-padded tile, [n][hp][wp][ic]) <- the input widened, placed at
 * (pad_top, pad_left); positions beyond hp / wp are never read. */
static void widen_padded(const odl_f16_conv_params_t *p, const conv_geo_t *g, const odl_f16_t *src, float *dst,
                         int32_t hp, int32_t wp) {
    odl_fp_zero_f32(dst, g->n * hp * wp * g->ic);
    for (int32_t n = 0; n < g->n; ++n)
        for (int32_t iy = 0; iy < g->h; ++iy) {
            const int32_t py = iy + p->pad_top;
            if (py >= hp) break;
            int32_t cols = g->w + p->pad_left > wp ? wp - p->pad_left : g->w;
            if (cols > 0)
                odl_fp_widen_row(src + (n * g->h + iy) * g->w * g->ic,
                                 dst + ((n * hp + py) * wp + p->pad_left) * g->ic, cols * g->ic);
        }
}

/* Eight output channels of one output position: acc = sum over the window
 * entries (tap offsets in bytes from xb, filters [entry][8] from wb) in the
 * portable order, + bias, narrowed; with relu, halves outside [+0, +inf]
 * (negative, NaN) become +0, which is R(relu(v)) since rounding keeps signs. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
/* Helium: the eight sums as two vectors, multiply-add by the input value in a
 * core register (vector by scalar); same order per sum. Every operand and
 * partial sum is 0 or a normal FP32 value (binary16 values, their products
 * >= 2^-48 and sums of those), so Helium's flush-to-zero changes nothing. */
#define ODL_FP_CONV8_BODY                                     \
    "vmov.i32 q0, #0\n\t"                                   \
    "vmov.i32 q1, #0\n\t"                                   \
    "1:\n\t"                                                \
    "ldr %[t], [%[l]], #4\n\t"                              \
    "ldr %[t], [%[xb], %[t]]\n\t"                           \
    "vldrw.u32 q2, [%[wb]], #16\n\t"                        \
    "vldrw.u32 q3, [%[wb]], #16\n\t"                        \
    "vfma.f32 q0, q2, %[t]\n\t"                             \
    "vfma.f32 q1, q3, %[t]\n\t"                             \
    "subs %[n], %[n], #1\n\t"                               \
    "bne 1b\n\t"                                            \
    "vldrw.u32 q2, [%[bf]]\n\t"                             \
    "vldrw.u32 q3, [%[bf], #16]\n\t"                        \
    "vadd.f32 q0, q0, q2\n\t"                               \
    "vadd.f32 q1, q1, q3\n\t"                               \
    "vcvtb.f16.f32 s8, s0\n\t"                                \
    "vcvtt.f16.f32 s8, s1\n\t"                                \
    "vcvtb.f16.f32 s9, s2\n\t"                                \
    "vcvtt.f16.f32 s9, s3\n\t"                                \
    "vcvtb.f16.f32 s10, s4\n\t"                               \
    "vcvtt.f16.f32 s10, s5\n\t"                               \
    "vcvtb.f16.f32 s11, s6\n\t"                               \
    "vcvtt.f16.f32 s11, s7\n\t"                               \
    "vmov %[l], %[n], s8, s9\n\t"                             \
    "vmov %[wb], %[t], s10, s11\n\t"

#else
#define ODL_FP_CONV8_BODY                                     \
    "vldmia %[z], {s0-s7}\n\t"                               \
    "1:\n\t"                                                  \
    "ldr %[t], [%[l]], #4\n\t"                                \
    "add %[t], %[t], %[xb]\n\t"                               \
    "vldr s16, [%[t]]\n\t"                                    \
    "vldmia %[wb]!, {s8-s15}\n\t"                             \
    "vfma.f32 s0, s8, s16\n\t"                                \
    "vfma.f32 s1, s9, s16\n\t"                                \
    "vfma.f32 s2, s10, s16\n\t"                               \
    "vfma.f32 s3, s11, s16\n\t"                               \
    "vfma.f32 s4, s12, s16\n\t"                               \
    "vfma.f32 s5, s13, s16\n\t"                               \
    "vfma.f32 s6, s14, s16\n\t"                               \
    "vfma.f32 s7, s15, s16\n\t"                               \
    "subs %[n], %[n], #1\n\t"                                 \
    "bne 1b\n\t"                                              \
    "vldmia %[bf], {s8-s15}\n\t"                              \
    "vadd.f32 s0, s0, s8\n\t"                                 \
    "vadd.f32 s1, s1, s9\n\t"                                 \
    "vadd.f32 s2, s2, s10\n\t"                                \
    "vadd.f32 s3, s3, s11\n\t"                                \
    "vadd.f32 s4, s4, s12\n\t"                                \
    "vadd.f32 s5, s5, s13\n\t"                                \
    "vadd.f32 s6, s6, s14\n\t"                                \
    "vadd.f32 s7, s7, s15\n\t"                                \
    "vcvtb.f16.f32 s8, s0\n\t"                                \
    "vcvtt.f16.f32 s8, s1\n\t"                                \
    "vcvtb.f16.f32 s9, s2\n\t"                                \
    "vcvtt.f16.f32 s9, s3\n\t"                                \
    "vcvtb.f16.f32 s10, s4\n\t"                               \
    "vcvtt.f16.f32 s10, s5\n\t"                               \
    "vcvtb.f16.f32 s11, s6\n\t"                               \
    "vcvtt.f16.f32 s11, s7\n\t"                               \
    "vmov %[l], %[n], s8, s9\n\t"                             \
    "vmov %[wb], %[t], s10, s11\n\t"

#endif

#define ODL_FP_CONV8_RELU                                     \
    "usub16 %[xb], %[lim], %[l]\n\t"                          \
    "sel %[l], %[l], %[zero]\n\t"                             \
    "usub16 %[xb], %[lim], %[n]\n\t"                          \
    "sel %[n], %[n], %[zero]\n\t"                             \
    "usub16 %[xb], %[lim], %[wb]\n\t"                         \
    "sel %[wb], %[wb], %[zero]\n\t"                           \
    "usub16 %[xb], %[lim], %[t]\n\t"                          \
    "sel %[t], %[t], %[zero]\n\t"

#define ODL_FP_CONV8_STORE                                    \
    "strd %[l], %[n], [%[y]]\n\t"                             \
    "strd %[wb], %[t], [%[y], #8]"

#define ODL_FP_CONV8_OPERANDS                                                                      \
    : [l] "+&r"(l), [n] "+&r"(ne), [wb] "+&r"(wb), [t] "=&r"(t), [xb] "+&r"(xb)                     \
    : [bf] "r"(bf), [z] "r"(z), [y] "r"(y), [lim] "r"(0x7c007c00u), [zero] "r"(0u)                  \
    : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", \
      "s15", "s16", "cc", "memory"

static inline void conv8(const int32_t *l, int32_t ne, const float *wb, const float *xb, const float *bf,
                         const float *z, odl_f16_t *y, int relu) {
    uint32_t t;
    if (relu)
        __asm__ volatile(ODL_FP_CONV8_BODY ODL_FP_CONV8_RELU ODL_FP_CONV8_STORE ODL_FP_CONV8_OPERANDS);
    else
        __asm__ volatile(ODL_FP_CONV8_BODY ODL_FP_CONV8_STORE ODL_FP_CONV8_OPERANDS);
}

/* Most window entries (taps x input channels) of the eight-channel path. */
#define ODL_FP_ENTRIES 32

/* Forward for output channels in blocks of eight (act NONE or RELU, finite
 * filters, word-aligned output): the input sits in a zero-padded tile, so
 * every output runs the same window; a padded tap adds w * (+0) = ±0, which
 * leaves the sum as the portable kernel's skip does (the sum starts at +0
 * and an FP32 sum that starts at +0 never becomes -0). Returns 0 when the
 * shape does not fit. */
static int conv_fw8(const odl_f16_conv_params_t *p, const conv_geo_t *g, const odl_f16_tensor_t *in,
                    const odl_f16_tensor_t *w, const odl_f16_tensor_t *b, odl_f16_tensor_t *out) {
    const int32_t hp = padded_extent(g->oh, p->stride_h, g->kh, p->dil_h);
    const int32_t wp = padded_extent(g->ow, p->stride_w, g->kw, p->dil_w);
    const int32_t ne = g->kh * g->kw * g->ic;
#if defined(__ARM_FEATURE_SIMD32)
    const int relu_ok = 1;
#else
    const int relu_ok = 0;
#endif
    if (g->oc % 8 || ne > ODL_FP_ENTRIES || ne * g->oc > ODL_FP_TILE || g->n * hp * wp * g->ic > ODL_FP_TILE ||
        p->act == ODL_F16_ACT_RELU6 || (p->act == ODL_F16_ACT_RELU && !relu_ok) || !odl_fp_aligned(out->data) ||
        !odl_fp_all_finite(w->data, ne * g->oc))
        return 0;
    float x[ODL_FP_TILE], wb[ODL_FP_TILE], bf[ODL_FP_TILE + 8]; /* wb: [block][entry][8]; bf: 8 zeros, bias */
    int32_t list[ODL_FP_ENTRIES];
    widen_padded(p, g, in->data, x, hp, wp);
    for (int32_t oc = 0; oc < g->oc; ++oc)
        for (int32_t e = 0; e < ne; ++e) wb[((oc >> 3) * ne + e) * 8 + (oc & 7)] = F(w->data[oc * ne + e]);
    memset(bf, 0, (size_t)(g->oc + 8) * sizeof *bf);
    if (b && b->data) odl_fp_widen_row(b->data, bf + 8, g->oc); /* adding +0 without bias changes nothing */
    int32_t e = 0;
    for (int32_t ky = 0; ky < g->kh; ++ky)
        for (int32_t kx = 0; kx < g->kw; ++kx)
            for (int32_t c = 0; c < g->ic; ++c)
                list[e++] = (int32_t)(((ky * p->dil_h * wp + kx * p->dil_w) * g->ic + c) * (int32_t)sizeof(float));
    const int relu = p->act == ODL_F16_ACT_RELU;
    for (int32_t n = 0; n < g->n; ++n)
        for (int32_t oy = 0; oy < g->oh; ++oy)
            for (int32_t ox = 0; ox < g->ow; ++ox) {
                const float *xb = x + ((n * hp + oy * p->stride_h) * wp + ox * p->stride_w) * g->ic;
                odl_f16_t *y = out->data + ((n * g->oh + oy) * g->ow + ox) * g->oc;
                for (int32_t oc0 = 0; oc0 < g->oc; oc0 += 8)
                    conv8(list, ne, wb + oc0 * ne, xb, bf + 8 + oc0, bf, y + oc0, relu);
            }
    return 1;
}

odl_status_t ODL_FP_PUBLIC(odl_conv2d_f16_fw)(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                               const odl_f16_tensor_t *w, const odl_f16_tensor_t *b, odl_f16_tensor_t *out) {
    conv_geo_t g;
    odl_status_t s = conv_geo(p, in, w, out, &g);
    if (s != ODL_OK) return s;
    const int32_t taps = g.kh * g.kw * g.ic, n_in = g.n * g.h * g.w * g.ic;
    if (conv_fw8(p, &g, in, w, b, out)) return ODL_OK;
    if (!odl_fp_conv_fw_fits(&g)) return odl_conv2d_f16_fw_portable(p, in, w, b, out);
    float x[ODL_FP_TILE], wt[ODL_FP_TILE]; /* wt: [ky][kx][c][oc], output channels contiguous */
    odl_fp_widen_row(in->data, x, n_in);
    for (int32_t oc = 0; oc < g.oc; ++oc)
        for (int32_t t = 0; t < taps; ++t) wt[t * g.oc + oc] = F(w->data[oc * taps + t]);
    const odl_f16_t *bias = b && b->data ? b->data : 0;
    /* Valid taps of one output (input offset, filter offset). Outputs whose
     * window lies inside the input share one list, relative to the window. */
    int32_t xo[ODL_FP_TAPS], wo[ODL_FP_TAPS], xi[ODL_FP_TAPS], wi[ODL_FP_TAPS], ni = 0;
    for (int32_t ky = 0; ky < g.kh; ++ky)
        for (int32_t kx = 0; kx < g.kw; ++kx) {
            xi[ni] = (ky * p->dil_h * g.w + kx * p->dil_w) * g.ic;
            wi[ni++] = (ky * g.kw + kx) * g.ic * g.oc;
        }
    float bf[ODL_FP_TILE];
    if (bias && g.oc <= ODL_FP_TILE) odl_fp_widen_row(bias, bf, g.oc);
    for (int32_t n = 0; n < g.n; ++n)
        for (int32_t oy = 0; oy < g.oh; ++oy)
            for (int32_t ox = 0; ox < g.ow; ++ox) {
                const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
                const int32_t *xt = xo, *wt_off = wo;
                int32_t nt = 0, base = 0;
                if (iy0 >= 0 && iy0 + (g.kh - 1) * p->dil_h < g.h && ix0 >= 0 && ix0 + (g.kw - 1) * p->dil_w < g.w) {
                    xt = xi, wt_off = wi, nt = ni, base = ((n * g.h + iy0) * g.w + ix0) * g.ic;
                } else {
                    for (int32_t ky = 0; ky < g.kh; ++ky) {
                        int32_t iy = iy0 + ky * p->dil_h;
                        if (iy < 0 || iy >= g.h) continue;
                        for (int32_t kx = 0; kx < g.kw; ++kx) {
                            int32_t ix = ix0 + kx * p->dil_w;
                            if (ix < 0 || ix >= g.w) continue;
                            xo[nt] = ((n * g.h + iy) * g.w + ix) * g.ic;
                            wo[nt++] = (ky * g.kw + kx) * g.ic * g.oc;
                        }
                    }
                }
                const float *xb = x + base;
                odl_f16_t *y = out->data + ((n * g.oh + oy) * g.ow + ox) * g.oc;
                for (int32_t oc0 = 0; oc0 < g.oc; oc0 += 8) {
                    const int32_t nb = g.oc - oc0 < 8 ? g.oc - oc0 : 8;
                    float a[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
                    if (nb == 8) {
                        /* eight accumulators in registers */
                        float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f, a4 = 0.0f, a5 = 0.0f, a6 = 0.0f, a7 = 0.0f;
                        for (int32_t t = 0; t < nt; ++t) {
                            const float *xr = xb + xt[t];
                            const float *wr = wt + wt_off[t] + oc0;
                            for (int32_t c = 0; c < g.ic; ++c, wr += g.oc) {
                                const float xv = xr[c];
                                a0 = odl_fp_fma(wr[0], xv, a0);
                                a1 = odl_fp_fma(wr[1], xv, a1);
                                a2 = odl_fp_fma(wr[2], xv, a2);
                                a3 = odl_fp_fma(wr[3], xv, a3);
                                a4 = odl_fp_fma(wr[4], xv, a4);
                                a5 = odl_fp_fma(wr[5], xv, a5);
                                a6 = odl_fp_fma(wr[6], xv, a6);
                                a7 = odl_fp_fma(wr[7], xv, a7);
                            }
                        }
                        a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3, a[4] = a4, a[5] = a5, a[6] = a6, a[7] = a7;
                    } else {
                        for (int32_t t = 0; t < nt; ++t) {
                            const float *xr = xb + xt[t];
                            const float *wr = wt + wt_off[t] + oc0;
                            for (int32_t c = 0; c < g.ic; ++c, wr += g.oc)
                                for (int32_t q = 0; q < nb; ++q) a[q] = odl_fp_fma(wr[q], xr[c], a[q]);
                        }
                    }
                    for (int32_t q = 0; q < nb; ++q) {
                        float v = a[q];
                        if (bias) v = v + bf[oc0 + q];
                        y[oc0 + q] = R(odl_f16_act(p->act, v));
                    }
                }
            }
    return ODL_OK;
}

odl_status_t ODL_FP_PUBLIC(odl_conv2d_f16_bw_input)(const odl_f16_conv_params_t *p, odl_f16_tensor_t *in,
                                     const odl_f16_tensor_t *w, const odl_f16_tensor_t *out) {
    return odl_conv2d_f16_bw_input_portable(p, in, w, out);
}

/* acc[0..8) += g[pos][0..8) * x at pos, in position order, for `images`
 * images of `rows` rows of `cols` positions: x steps xs bytes per position,
 * then skip bytes per row, then image bytes per image; g steps 32 bytes per
 * position. VFMA of two binary16 values rounds like multiply-then-add. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
/* Helium: two vectors of four sums, the input value in a core register
 * (vector by scalar); normal operands only, as for the forward. Bounds and
 * steps are read from memory and images are a C loop (few core registers). */
static inline void sum8(float *acc, const float *x, const float *g, int32_t images, int32_t rows, int32_t cols,
                        int32_t xs, int32_t skip, int32_t image) {
    const int32_t prm[4] = {rows, cols, xs, skip};
    for (int32_t n = 0; n < images; ++n) {
        int32_t r = 0, c = 0, step = 0;
        uint32_t t = 0;
        __asm__ volatile(
            "vldrw.u32 q0, [%[acc]]\n\t"
            "vldrw.u32 q1, [%[acc], #16]\n\t"
            "ldr %[step], [%[prm], #8]\n\t"
            "ldr %[r], [%[prm]]\n\t"
            "2:\n\t"
            "ldr %[c], [%[prm], #4]\n\t"
            "1:\n\t"
            "ldr %[t], [%[x]]\n\t"
            "add %[x], %[x], %[step]\n\t"
            "vldrw.u32 q2, [%[g]], #16\n\t"
            "vldrw.u32 q3, [%[g]], #16\n\t"
            "vfma.f32 q0, q2, %[t]\n\t"
            "vfma.f32 q1, q3, %[t]\n\t"
            "subs %[c], %[c], #1\n\t"
            "bne 1b\n\t"
            "ldr %[c], [%[prm], #12]\n\t"
            "add %[x], %[x], %[c]\n\t"
            "subs %[r], %[r], #1\n\t"
            "bne 2b\n\t"
            "vstrw.32 q0, [%[acc]]\n\t"
            "vstrw.32 q1, [%[acc], #16]"
            : [x] "+&r"(x), [g] "+&r"(g), [r] "+&r"(r), [c] "+&r"(c), [step] "+&r"(step), [t] "+&r"(t)
            : [acc] "r"(acc), [prm] "r"(prm)
            : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14",
              "s15", "cc", "memory");
        x = (const float *)(const void *)((const char *)x + image);
    }
}
#else
/* FPv4/FPv5: the loop bounds and steps are read from memory so the statement
 * needs few core registers (GCC for some cores, e.g. the M7, cannot otherwise
 * allocate them). */
static inline void sum8(float *acc, const float *x, const float *g, int32_t images, int32_t rows, int32_t cols,
                        int32_t xs, int32_t skip, int32_t image) {
    const int32_t prm[5] = {rows, cols, xs, skip, image};
    int32_t r = 0, c = 0, step = 0;
    __asm__ volatile(
        "vldmia %[acc], {s0-s7}\n\t"
        "ldr %[step], [%[prm], #8]\n\t"
        "3:\n\t"
        "ldr %[r], [%[prm]]\n\t"
        "2:\n\t"
        "ldr %[c], [%[prm], #4]\n\t"
        "1:\n\t"
        "vldr s16, [%[x]]\n\t"
        "add %[x], %[x], %[step]\n\t"
        "vldmia %[g]!, {s8-s15}\n\t"
        "vfma.f32 s0, s8, s16\n\t"
        "vfma.f32 s1, s9, s16\n\t"
        "vfma.f32 s2, s10, s16\n\t"
        "vfma.f32 s3, s11, s16\n\t"
        "vfma.f32 s4, s12, s16\n\t"
        "vfma.f32 s5, s13, s16\n\t"
        "vfma.f32 s6, s14, s16\n\t"
        "vfma.f32 s7, s15, s16\n\t"
        "subs %[c], %[c], #1\n\t"
        "bne 1b\n\t"
        "ldr %[c], [%[prm], #12]\n\t"
        "add %[x], %[x], %[c]\n\t"
        "subs %[r], %[r], #1\n\t"
        "bne 2b\n\t"
        "ldr %[c], [%[prm], #16]\n\t"
        "add %[x], %[x], %[c]\n\t"
        "subs %[images], %[images], #1\n\t"
        "bne 3b\n\t"
        "vstmia %[acc], {s0-s7}"
        : [x] "+&r"(x), [g] "+&r"(g), [images] "+&r"(images), [r] "+&r"(r), [c] "+&r"(c), [step] "+&r"(step)
        : [acc] "r"(acc), [prm] "r"(prm)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15",
          "s16", "cc", "memory");
}
#endif

/* Gradient at the pre-activation of two outputs (y, g: two halves each): g
 * where y - 1 <= lim per half (unsigned), else +0; lim 0x7bff per half keeps y in
 * (0, inf] (RELU), 0x45fe keeps y in (0, 6) (RELU6). */
static inline uint32_t act_grad_pair(uint32_t y, uint32_t g, uint32_t lim) {
    uint32_t r;
    __asm__("usub16 %0, %2, %3\n\t"
            "usub16 %0, %4, %0\n\t"
            "sel %0, %1, %5"
            : "=&r"(r)
            : "r"(g), "r"(y), "r"(0x00010001u), "r"(lim), "r"(0u)
            : "cc");
    return r;
}

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
/* Helium: for n positions (n > 0) of eight channels (y, g: halves, `stride`
 * bytes per position), g' = g where y - 1 <= lim (unsigned, per half; lim
 * 0xffff keeps every g) else +0, as act_grad_pair; g' widened into d[pos][8].
 * Returns the larger of m and the largest g' << 1 (16 bits): 0xf800 or more
 * exactly when a kept g' is inf or NaN. */
static inline uint32_t act_grad_widen8(const odl_f16_t *y, const odl_f16_t *g, int32_t stride, uint32_t lim,
                                       float *d, int32_t n, uint32_t m) {
    __asm__ volatile(
        "vmov.i32 q2, #0\n\t"
        "dls lr, %[n]\n\t"
        "1:\n\t"
        "vldrh.u16 q0, [%[y]]\n\t"
        "vldrh.u16 q1, [%[g]]\n\t"
        "add %[y], %[y], %[st]\n\t"
        "add %[g], %[g], %[st]\n\t"
        "vsub.i16 q0, q0, %[one]\n\t"
        "vcmp.u16 hi, q0, %[lim]\n\t"
        "vpsel q1, q2, q1\n\t"
        "vshl.i16 q0, q1, #1\n\t"
        "vmaxv.u16 %[m], q0\n\t"
        "vcvtb.f32.f16 s12, s4\n\t"
        "vcvtt.f32.f16 s13, s4\n\t"
        "vcvtb.f32.f16 s14, s5\n\t"
        "vcvtt.f32.f16 s15, s5\n\t"
        "vcvtb.f32.f16 s16, s6\n\t"
        "vcvtt.f32.f16 s17, s6\n\t"
        "vcvtb.f32.f16 s18, s7\n\t"
        "vcvtt.f32.f16 s19, s7\n\t"
        "vstrw.32 q3, [%[d]], #16\n\t"
        "vstrw.32 q4, [%[d]], #16\n\t"
        "le lr, 1b"
        : [y] "+r"(y), [g] "+r"(g), [d] "+r"(d), [m] "+r"(m)
        : [st] "r"(stride), [lim] "r"(lim), [one] "r"(1u), [n] "r"(n)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15",
          "s16", "s17", "s18", "s19", "lr", "memory");
    return m;
}
#endif

/* Weight (and bias) gradient for output channels in blocks of eight: the
 * act-gradients of a block widened once into [position][8], the input in a
 * zero-padded tile; every position of every tap then contributes, a padded
 * one g' * (+0) = ±0 with g' finite, which leaves the sum as the portable
 * skip does. Returns 0 (nothing written) when the shape does not fit or a
 * kept act-gradient is inf / NaN. */
static int conv_bw_weight8(const odl_f16_conv_params_t *p, const conv_geo_t *g, const odl_f16_tensor_t *in,
                           odl_f16_tensor_t *w, odl_f16_tensor_t *b, const odl_f16_tensor_t *out) {
#if defined(__ARM_FEATURE_SIMD32)
    const int32_t hp = padded_extent(g->oh, p->stride_h, g->kh, p->dil_h);
    const int32_t wp = padded_extent(g->ow, p->stride_w, g->kw, p->dil_w);
    const int32_t ne = g->kh * g->kw * g->ic, n_pos = g->n * g->oh * g->ow;
    if (g->oc % 8 || g->oc * n_pos > 2 * ODL_FP_TILE || g->n * hp * wp * g->ic > ODL_FP_TILE) return 0;
    float x[ODL_FP_TILE], gp[2 * ODL_FP_TILE], acc[8];
    const uint32_t lim = p->act == ODL_F16_ACT_RELU ? 0x7bff7bffu : 0x45fe45feu;
    const int32_t xs = p->stride_w * g->ic * (int32_t)sizeof(float);
    const int32_t skip = (p->stride_h * wp - g->ow * p->stride_w) * g->ic * (int32_t)sizeof(float);
    const int32_t image = (hp - g->oh * p->stride_h) * wp * g->ic * (int32_t)sizeof(float);
    static const float one = 1.0f;
    widen_padded(p, g, in->data, x, hp, wp);
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
    /* Helium: eight channels of a position per iteration, the same mask per
     * half (y - 1 > lim unsigned: +0), widened into gp [block][position][8] */
    uint32_t mx = 0;
    const uint32_t lim16 = p->act == ODL_F16_ACT_NONE ? 0xffffu : (lim & 0xffffu);
    for (int32_t oc0 = 0; oc0 < g->oc; oc0 += 8)
        mx = act_grad_widen8(out->data + oc0, out->grad + oc0, g->oc * (int32_t)sizeof(odl_f16_t), lim16,
                             gp + oc0 * n_pos, n_pos, mx);
    if (mx >= 0xf800u) return 0;
#else
    uint32_t bad = 0;
    for (int32_t i = 0; i < n_pos; ++i) {
        const odl_f16_t *yr = out->data + i * g->oc, *gr = out->grad + i * g->oc;
        for (int32_t q = 0; q < g->oc; q += 2) {
            uint32_t y2, g2;
            memcpy(&y2, yr + q, sizeof y2);
            memcpy(&g2, gr + q, sizeof g2);
            if (p->act != ODL_F16_ACT_NONE) g2 = act_grad_pair(y2, g2, lim);
            bad |= (g2 & 0x7c007c00u) + 0x04000400u;
            float *d = gp + ((q >> 3) * n_pos + i) * 8 + (q & 7); /* [block][position][8] */
            odl_fp_widen2((const odl_f16_t *)(const void *)&g2, d, d + 1);
        }
    }
    if (bad & 0x80008000u) return 0;
#endif
    for (int32_t oc0 = 0; oc0 < g->oc; oc0 += 8) {
        const float *gb = gp + oc0 * n_pos;
        if (w->grad) {
            int32_t e = 0;
            for (int32_t ky = 0; ky < g->kh; ++ky)
                for (int32_t kx = 0; kx < g->kw; ++kx)
                    for (int32_t c = 0; c < g->ic; ++c, ++e) {
                        memset(acc, 0, sizeof acc);
                        sum8(acc, x + (ky * p->dil_h * wp + kx * p->dil_w) * g->ic + c, gb, g->n, g->oh, g->ow, xs,
                             skip, image);
                        for (int32_t q = 0; q < 8; ++q) odl_f16_accumulate(&w->grad[(oc0 + q) * ne + e], acc[q]);
                    }
        }
        if (b && b->grad) {
            memset(acc, 0, sizeof acc); /* acc + g' * 1 == acc + g' */
            sum8(acc, &one, gb, 1, 1, n_pos, 0, 0, 0);
            for (int32_t q = 0; q < 8; ++q) odl_f16_accumulate(&b->grad[oc0 + q], acc[q]);
        }
    }
    return 1;
#else
    (void)p, (void)g, (void)in, (void)w, (void)b, (void)out;
    return 0;
#endif
}

odl_status_t ODL_FP_PUBLIC(odl_conv2d_f16_bw_weight)(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                                      odl_f16_tensor_t *w, odl_f16_tensor_t *b, const odl_f16_tensor_t *out) {
    conv_geo_t g;
    odl_status_t s = conv_geo(p, in, w, out, &g);
    if (s != ODL_OK) return s;
    if (!out->grad) return ODL_ERR_ARG;
    const int32_t n_in = g.n * g.h * g.w * g.ic, n_pos = g.n * g.oh * g.ow, taps = g.kh * g.kw * g.ic;
    if (conv_bw_weight8(p, &g, in, w, b, out)) return ODL_OK;
    if (!odl_fp_conv_bw_weight_fits(&g)) return odl_conv2d_f16_bw_weight_portable(p, in, w, b, out);
    float x[ODL_FP_TILE], gp[ODL_FP_TILE]; /* gp: [position][4] act-gradients of one block of channels */
    odl_fp_widen_row(in->data, x, n_in);
    for (int32_t oc0 = 0; oc0 < g.oc; oc0 += 4) {
        const int32_t nb = g.oc - oc0 < 4 ? g.oc - oc0 : 4;
        for (int32_t i = 0; i < n_pos; ++i)
            for (int32_t q = 0; q < 4; ++q) {
                const int32_t o = i * g.oc + oc0 + q;
                gp[4 * i + q] = q < nb ? odl_f16_act_grad(p->act, out->data[o], out->grad[o]) : 0.0f;
            }
        if (w->grad)
            for (int32_t ky = 0; ky < g.kh; ++ky) {
                int32_t oy0, oy1;
                tap_range(g.h, g.oh, ky, p->stride_h, p->pad_top, p->dil_h, &oy0, &oy1);
                for (int32_t kx = 0; kx < g.kw; ++kx) {
                    int32_t ox0, ox1;
                    tap_range(g.w, g.ow, kx, p->stride_w, p->pad_left, p->dil_w, &ox0, &ox1);
                    for (int32_t c = 0; c < g.ic; ++c) {
                        float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
                        for (int32_t n = 0; n < g.n; ++n)
                            for (int32_t oy = oy0; oy < oy1; ++oy) {
                                const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                                const float *gr = gp + 4 * ((n * g.oh + oy) * g.ow + ox0);
                                const float *xr = x + ((n * g.h + iy) * g.w) * g.ic + c;
                                int32_t ix = ox0 * p->stride_w - p->pad_left + kx * p->dil_w;
                                const int32_t step = p->stride_w * g.ic;
                                xr += ix * g.ic;
                                for (int32_t ox = ox0; ox < ox1; ++ox, gr += 4, xr += step) {
                                    const float xv = *xr;
                                    a0 = odl_fp_fma(gr[0], xv, a0);
                                    a1 = odl_fp_fma(gr[1], xv, a1);
                                    a2 = odl_fp_fma(gr[2], xv, a2);
                                    a3 = odl_fp_fma(gr[3], xv, a3);
                                }
                            }
                        float acc[4] = {a0, a1, a2, a3};
                        for (int32_t q = 0; q < nb; ++q)
                            odl_f16_accumulate(&w->grad[(oc0 + q) * taps + (ky * g.kw + kx) * g.ic + c], acc[q]);
                    }
                }
            }
        if (b && b->grad)
            for (int32_t q = 0; q < nb; ++q) {
                float acc = 0.0f;
                for (int32_t i = 0; i < n_pos; ++i) acc = acc + gp[4 * i + q];
                odl_f16_accumulate(&b->grad[oc0 + q], acc);
            }
    }
    return ODL_OK;
}
