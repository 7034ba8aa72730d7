/* The forward gradient's CONV_2D split at the accumulator
 * (odl/kernels_s8w16.h) for cores with the DSP extension, bit-identical to
 * the portable kernels/int8/conv_2d_lin_s8w16.c (its specification and the
 * fallback).
 *
 * Both sums run the column x filter SMLAD loop of arm_dsp/conv_2d_s8w16.c
 * (two output pixels per column fill, int32 sums: exact for K <= 256).
 * z_acc first writes the signs of a block of output channels as int16 +-1
 * filters on the stack (one PRNG word per 32 weights), then runs the same
 * loop on them, on the caller's columns when given (odl_conv2d_z_cols: the
 * input is fixed within a forward-gradient step, so they are filled once).
 * Grouped convolution and larger receptive fields: portable. */
#include <string.h>

#include "odl/fixedpoint.h"
#include "odl/kernels_s8w16.h"
#include "odl/prng.h"
#include "dsp_simd.h"
#include "conv_col_s16.h"

#define odl_conv2d_s8w16_acc odl_conv2d_s8w16_acc_portable
#define odl_conv2d_z_acc odl_conv2d_z_acc_portable
#define odl_conv2d_z_cols odl_conv2d_z_cols_portable
#include "../conv_2d_lin_s8w16.c"
#undef odl_conv2d_s8w16_acc
#undef odl_conv2d_z_acc
#undef odl_conv2d_z_cols

#define ZMAX 512 /* sign filters per block: 1 KiB of stack */

static int dsp_shape_ok(const odl_dims4_t *in_dims, const odl_dims4_t *w_dims, const odl_dims4_t *out_dims) {
    const int32_t k = w_dims->h * w_dims->w * w_dims->c;
    return w_dims->c == in_dims->c && k > 0 && k <= KMAX && w_dims->n == out_dims->c && in_dims->n == out_dims->n;
}

static inline int32_t dot(const int16_t *f, const int16_t *col, int32_t k) {
    const int32_t k2 = k & ~1;
    int32_t a = 0;
    for (int32_t i = 0; i < k2; i += 2) a = __smlad(odl_dsp_ld32(f + i), odl_dsp_ld32(col + i), a);
    if (k & 1) a += (int32_t)f[k2] * col[k2];
    return a;
}

static inline void dot2(const int16_t *f, const int16_t *c0, const int16_t *c1, int32_t k, int32_t *a0, int32_t *a1) {
    const int32_t k2 = k & ~1;
    int32_t s0 = 0, s1 = 0;
#pragma GCC unroll 4
    for (int32_t i = 0; i < k2; i += 2) {
        const int32_t fv = odl_dsp_ld32(f + i);
        s0 = __smlad(fv, odl_dsp_ld32(c0 + i), s0);
        s1 = __smlad(fv, odl_dsp_ld32(c1 + i), s1);
    }
    if (k & 1) {
        s0 += (int32_t)f[k2] * c0[k2];
        s1 += (int32_t)f[k2] * c1[k2];
    }
    *a0 = s0;
    *a1 = s1;
}

static inline void put(int64_t *acc64, int32_t *acc32, size_t i, int32_t v) {
    if (acc64) {
        const int64_t a = v;
        memcpy(&acc64[i], &a, sizeof a);
    } else {
        acc32[i] = v;
    }
}

/* Output channels [oc0, oc1) with filters f (f[(oc - oc0) * K + tap]). */
/* cached: the columns of every pixel (odl_conv2d_z_cols), or 0: filled here */
__attribute__((always_inline)) static inline void cols_times_filters(const geom_t *g, const int8_t *in,
                                                                     const odl_dims4_t *out_dims, const int16_t *f,
                                                                     int32_t oc0, int32_t oc1, int64_t *acc64,
                                                                     int32_t *acc32, const int16_t *cached) {
    int16_t cols[2][KMAX] __attribute__((aligned(4)));
    const int32_t out_w = out_dims->w, out_c = out_dims->c, pixels = out_dims->h * out_w, k = g->k;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * g->in_h * g->in_w * g->in_c;
        const size_t base = (size_t)b * pixels * out_c;
        int32_t px = 0;
        for (; px + 2 <= pixels; px += 2) {
            const int16_t *c0 = cols[0], *c1 = cols[1];
            if (cached) {
                c0 = cached + ((size_t)b * pixels + (size_t)px) * (size_t)k;
                c1 = c0 + k;
            } else {
                fill_column(g, in_b, px / out_w, px % out_w, cols[0]);
                fill_column(g, in_b, (px + 1) / out_w, (px + 1) % out_w, cols[1]);
            }
            const size_t i0 = base + (size_t)px * out_c, i1 = i0 + (size_t)out_c;
            for (int32_t oc = oc0; oc < oc1; ++oc) {
                int32_t a0, a1;
                dot2(f + (size_t)(oc - oc0) * k, c0, c1, k, &a0, &a1);
                put(acc64, acc32, i0 + (size_t)oc, a0);
                put(acc64, acc32, i1 + (size_t)oc, a1);
            }
        }
        if (px < pixels) {
            const int16_t *c0 = cols[0];
            if (cached)
                c0 = cached + ((size_t)b * pixels + (size_t)px) * (size_t)k;
            else
                fill_column(g, in_b, px / out_w, px % out_w, cols[0]);
            const size_t i0 = base + (size_t)px * out_c;
            for (int32_t oc = oc0; oc < oc1; ++oc)
                put(acc64, acc32, i0 + (size_t)oc, dot(f + (size_t)(oc - oc0) * k, c0, k));
        }
    }
}

/* Receptive fields of at most 10 taps on cached columns: one pixel at a
 * time with its column in five registers (an odd last tap alone in its
 * lane, so nothing past the column is read), five SMLAD per output channel.
 * Filters may be read up to 9 entries past the block (times a zero lane). */
#define SMALL_K 10
__attribute__((always_inline)) static inline void small_k(const int16_t *zf, int32_t k, int32_t oc0, int32_t oc1,
                                                          int32_t out_c, int32_t pixels, const int16_t *cols,
                                                          int32_t *acc32, int64_t *acc64) {
    const int32_t words = (k + 1) >> 1;
    for (int32_t px = 0; px < pixels; ++px, cols += k) {
        int32_t c[5] = {0, 0, 0, 0, 0};
        for (int32_t i = 0; i < words; ++i)
            c[i] = 2 * i + 1 < k ? odl_dsp_ld32(cols + 2 * i) : (int32_t)(uint16_t)cols[2 * i];
        const int32_t c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3], c4 = c[4];
        const size_t i0 = (size_t)px * out_c;
        const int16_t *f = zf;
        for (int32_t oc = oc0; oc < oc1; ++oc, f += k) {
            int32_t a = __smlad(odl_dsp_ld32(f), c0, 0);
            a = __smlad(odl_dsp_ld32(f + 2), c1, a);
            a = __smlad(odl_dsp_ld32(f + 4), c2, a);
            a = __smlad(odl_dsp_ld32(f + 6), c3, a);
            put(acc64, acc32, i0 + (size_t)oc, __smlad(odl_dsp_ld32(f + 8), c4, a));
        }
    }
}

void odl_conv2d_z_acc(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                      const odl_dims4_t *w_dims, uint32_t key, const odl_dims4_t *out_dims, int32_t *acc,
                      const int16_t *cols) {
    if (!dsp_shape_ok(in_dims, w_dims, out_dims)) {
        odl_conv2d_z_acc_portable(p, in_dims, in, w_dims, key, out_dims, acc, cols);
        return;
    }
    const geom_t g = {p, in_dims->h, in_dims->w, in_dims->c, w_dims->h, w_dims->w, w_dims->c,
                      w_dims->h * w_dims->w * w_dims->c};
    const int32_t k = g.k, block = ZMAX / k, out_c = out_dims->c;
    int16_t zf[ZMAX + SMALL_K] __attribute__((aligned(4)));
    for (int32_t i = 0; i < SMALL_K; ++i) zf[ZMAX + i] = 0; /* read by z_small past a full block */
    for (int32_t oc0 = 0; oc0 < out_c; oc0 += block) {
        const int32_t oc1 = out_c - oc0 < block ? out_c : oc0 + block;
        const uint32_t e0 = (uint32_t)(oc0 * k), e1 = (uint32_t)(oc1 * k);
        uint32_t bits = odl_prng_word(key, e0 >> 5) >> (e0 & 31u);
        for (uint32_t e = e0; e < e1;) {
            zf[e - e0] = (int16_t)(1 - 2 * (int32_t)(bits & 1u));
            ++e;
            bits = (e & 31u) ? bits >> 1 : odl_prng_word(key, e >> 5);
        }
        if (cols && k <= SMALL_K) {
            for (uint32_t e = e1 - e0; e < (uint32_t)(e1 - e0) + SMALL_K && e < ZMAX + SMALL_K; ++e) zf[e] = 0;
            small_k(zf, k, oc0, oc1, out_c, out_dims->n * out_dims->h * out_dims->w, cols, acc, 0);
        } else {
            cols_times_filters(&g, in, out_dims, zf, oc0, oc1, 0, acc, cols);
        }
    }
}

void odl_conv2d_z_cols(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                       const odl_dims4_t *w_dims, const odl_dims4_t *out_dims, int16_t *cols) {
    if (!dsp_shape_ok(in_dims, w_dims, out_dims)) {
        odl_conv2d_z_cols_portable(p, in_dims, in, w_dims, out_dims, cols);
        return;
    }
    const geom_t g = {p, in_dims->h, in_dims->w, in_dims->c, w_dims->h, w_dims->w, w_dims->c,
                      w_dims->h * w_dims->w * w_dims->c};
    const int32_t out_w = out_dims->w, pixels = out_dims->h * out_w;
    for (int32_t b = 0; b < out_dims->n; ++b)
        for (int32_t px = 0; px < pixels; ++px, cols += g.k)
            fill_column(&g, in + (size_t)b * g.in_h * g.in_w * g.in_c, px / out_w, px % out_w, cols);
}

void odl_conv2d_s8w16_acc(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                          const odl_dims4_t *w_dims, const int16_t *w, const odl_dims4_t *out_dims, int64_t *acc,
                          const int16_t *cols) {
    if (!dsp_shape_ok(in_dims, w_dims, out_dims)) {
        odl_conv2d_s8w16_acc_portable(p, in_dims, in, w_dims, w, out_dims, acc, cols);
        return;
    }
    const geom_t g = {p, in_dims->h, in_dims->w, in_dims->c, w_dims->h, w_dims->w, w_dims->c,
                      w_dims->h * w_dims->w * w_dims->c};
    const int32_t n = g.k * out_dims->c;
    if (cols && g.k <= SMALL_K && n <= ZMAX) { /* the weights copied with a zero tail (small_k reads past them) */
        int16_t wf[ZMAX + SMALL_K] __attribute__((aligned(4)));
        memcpy(wf, w, (size_t)n * 2u);
        for (int32_t i = n; i < n + SMALL_K; ++i) wf[i] = 0;
        small_k(wf, g.k, 0, out_dims->c, out_dims->c, out_dims->n * out_dims->h * out_dims->w, cols, 0, acc);
        return;
    }
    cols_times_filters(&g, in, out_dims, w, 0, out_dims->c, acc, 0, cols);
}
