/* FULLY_CONNECTED FP16 training kernels for Cortex-M FPUs: the same bytes as
 * ../fully_connected.c (included below under other names for its shape checks
 * and as the fallback for shapes beyond the stack tile); see fp_f16.h. */
#define odl_fc_f16_fw odl_fc_f16_fw_portable
#define odl_fc_f16_bw_input odl_fc_f16_bw_input_portable
#define odl_fc_f16_bw_weight odl_fc_f16_bw_weight_portable
#define odl_fc_f16_bw_weight_sgd odl_fc_f16_bw_weight_sgd_portable
#include "../fully_connected.c"
#undef odl_fc_f16_fw
#undef odl_fc_f16_bw_input
#undef odl_fc_f16_bw_weight
#undef odl_fc_f16_bw_weight_sgd

#include "fp_f16.h"

/* Another family may include this file and rename the entry points. */
#ifndef ODL_FP_PUBLIC
#define ODL_FP_PUBLIC(name) name
#endif

static inline odl_f16_t fc_out(float acc, const odl_f16_t *bias, int32_t j, int32_t act) {
    if (bias) acc = acc + F(bias[j]);
    return R(odl_f16_act(act, acc));
}

/* Four output sums of the forward, a[q] += sum over i < 4 * n4 of F(w_q[i]) * x[i]
 * in index order: per step one VLDM of four inputs, and per row one VLDM of
 * four weights, widened in registers (rows and x word aligned). */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
/* Helium: the four sums as one vector (lane q = row q); per step the four
 * weights of each row are widened into four vectors (one per input index,
 * lanes = rows) and multiply-added by the input in a core register, in index
 * order. Operands and partial sums are 0 or normal (flush-to-zero is moot). */
static inline void fw_rows4(float *a, const float *x, const odl_f16_t *w0, const odl_f16_t *w1,
                            const odl_f16_t *w2, const odl_f16_t *w3, int32_t n4) {
    uint32_t x0, x1, x2, x3;
    __asm__ volatile(
        "vldrw.u32 q6, [%[a]]\n\t"
        "1:\n\t"
        "ldrd %[x0], %[x1], [%[x]], #8\n\t"
        "ldrd %[x2], %[x3], [%[x]], #8\n\t"
        "vldmia %[w0]!, {s16-s17}\n\t"
        "vldmia %[w1]!, {s18-s19}\n\t"
        "vldmia %[w2]!, {s20-s21}\n\t"
        "vldmia %[w3]!, {s22-s23}\n\t"
        "vcvtb.f32.f16 s0, s16\n\t"
        "vcvtb.f32.f16 s1, s18\n\t"
        "vcvtb.f32.f16 s2, s20\n\t"
        "vcvtb.f32.f16 s3, s22\n\t"
        "vcvtt.f32.f16 s4, s16\n\t"
        "vcvtt.f32.f16 s5, s18\n\t"
        "vcvtt.f32.f16 s6, s20\n\t"
        "vcvtt.f32.f16 s7, s22\n\t"
        "vcvtb.f32.f16 s8, s17\n\t"
        "vcvtb.f32.f16 s9, s19\n\t"
        "vcvtb.f32.f16 s10, s21\n\t"
        "vcvtb.f32.f16 s11, s23\n\t"
        "vcvtt.f32.f16 s12, s17\n\t"
        "vcvtt.f32.f16 s13, s19\n\t"
        "vcvtt.f32.f16 s14, s21\n\t"
        "vcvtt.f32.f16 s15, s23\n\t"
        "vfma.f32 q6, q0, %[x0]\n\t"
        "vfma.f32 q6, q1, %[x1]\n\t"
        "vfma.f32 q6, q2, %[x2]\n\t"
        "vfma.f32 q6, q3, %[x3]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        "vstrw.32 q6, [%[a]]"
        : [x] "+&r"(x), [w0] "+&r"(w0), [w1] "+&r"(w1), [w2] "+&r"(w2), [w3] "+&r"(w3), [n] "+&r"(n4),
          [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3)
        : [a] "r"(a)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15",
          "s16", "s17", "s18", "s19", "s20", "s21", "s22", "s23", "s24", "s25", "s26", "s27", "cc", "memory");
}
#else
static inline void fw_rows4(float *a, const float *x, const odl_f16_t *w0, const odl_f16_t *w1,
                            const odl_f16_t *w2, const odl_f16_t *w3, int32_t n4) {
    __asm__ volatile(
        "vldmia %[a], {s0-s3}\n\t"
        "1:\n\t"
        "vldmia %[x]!, {s16-s19}\n\t"
        "vldmia %[w0]!, {s8-s9}\n\t"
        "vcvtb.f32.f16 s4, s8\n\t"
        "vcvtt.f32.f16 s5, s8\n\t"
        "vcvtb.f32.f16 s6, s9\n\t"
        "vcvtt.f32.f16 s7, s9\n\t"
        "vfma.f32 s0, s4, s16\n\t"
        "vfma.f32 s0, s5, s17\n\t"
        "vfma.f32 s0, s6, s18\n\t"
        "vfma.f32 s0, s7, s19\n\t"
        "vldmia %[w1]!, {s8-s9}\n\t"
        "vcvtb.f32.f16 s4, s8\n\t"
        "vcvtt.f32.f16 s5, s8\n\t"
        "vcvtb.f32.f16 s6, s9\n\t"
        "vcvtt.f32.f16 s7, s9\n\t"
        "vfma.f32 s1, s4, s16\n\t"
        "vfma.f32 s1, s5, s17\n\t"
        "vfma.f32 s1, s6, s18\n\t"
        "vfma.f32 s1, s7, s19\n\t"
        "vldmia %[w2]!, {s8-s9}\n\t"
        "vcvtb.f32.f16 s4, s8\n\t"
        "vcvtt.f32.f16 s5, s8\n\t"
        "vcvtb.f32.f16 s6, s9\n\t"
        "vcvtt.f32.f16 s7, s9\n\t"
        "vfma.f32 s2, s4, s16\n\t"
        "vfma.f32 s2, s5, s17\n\t"
        "vfma.f32 s2, s6, s18\n\t"
        "vfma.f32 s2, s7, s19\n\t"
        "vldmia %[w3]!, {s8-s9}\n\t"
        "vcvtb.f32.f16 s4, s8\n\t"
        "vcvtt.f32.f16 s5, s8\n\t"
        "vcvtb.f32.f16 s6, s9\n\t"
        "vcvtt.f32.f16 s7, s9\n\t"
        "vfma.f32 s3, s4, s16\n\t"
        "vfma.f32 s3, s5, s17\n\t"
        "vfma.f32 s3, s6, s18\n\t"
        "vfma.f32 s3, s7, s19\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        "vstmia %[a], {s0-s3}"
        : [x] "+&r"(x), [w0] "+&r"(w0), [w1] "+&r"(w1), [w2] "+&r"(w2), [w3] "+&r"(w3), [n] "+&r"(n4)
        : [a] "r"(a)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s16", "s17", "s18", "s19", "cc", "memory");
}
#endif

odl_status_t ODL_FP_PUBLIC(odl_fc_f16_fw)(const odl_f16_fc_params_t *p, const odl_f16_tensor_t *in, const odl_f16_tensor_t *w,
                           const odl_f16_tensor_t *b, odl_f16_tensor_t *out) {
    int32_t n, k, o;
    if (!p || !in || !w || !out || odl_f16_bad_act(p->act)) return ODL_ERR_ARG;
    odl_status_t s = fc_dims(in, w, out, &n, &k, &o);
    if (s != ODL_OK) return s;
    if (k > ODL_FP_TILE) return odl_fc_f16_fw_portable(p, in, w, b, out);
    const odl_f16_t *bias = b && b->data ? b->data : 0;
    float x[ODL_FP_TILE];
    for (int32_t r = 0; r < n; ++r) {
        odl_fp_widen_row(in->data + r * k, x, k);
        odl_f16_t *y = out->data + r * o;
        int32_t j = 0;
        if ((k & 3) == 0 && odl_fp_aligned(w->data))
            for (; j + 4 <= o; j += 4) {
                const odl_f16_t *w0 = w->data + j * k;
                float a[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                fw_rows4(a, x, w0, w0 + k, w0 + 2 * k, w0 + 3 * k, k >> 2);
                for (int32_t q = 0; q < 4; ++q) y[j + q] = fc_out(a[q], bias, j + q, p->act);
            }
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
        /* Helium: the last one to three rows as a four-lane pass, the spare
         * lanes repeating the last row (their sums are dropped) */
        if (j < o && (k & 3) == 0 && odl_fp_aligned(w->data)) {
            const odl_f16_t *w0 = w->data + j * k, *wl = w->data + (o - 1) * k;
            const odl_f16_t *w1 = j + 1 < o ? w0 + k : wl, *w2 = j + 2 < o ? w0 + 2 * k : wl;
            float a[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            fw_rows4(a, x, w0, w1, w2, wl, k >> 2);
            for (int32_t q = 0; j < o; ++q, ++j) y[j] = fc_out(a[q], bias, j, p->act);
        }
#endif
        for (; j + 4 <= o; j += 4) {
            const odl_f16_t *w0 = w->data + j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
            float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f, lo, hi;
            int32_t i = 0;
            for (; i + 2 <= k; i += 2) {
                float x0 = x[i], x1 = x[i + 1];
                odl_fp_widen2(w0 + i, &lo, &hi);
                a0 = odl_fp_fma(hi, x1, odl_fp_fma(lo, x0, a0));
                odl_fp_widen2(w1 + i, &lo, &hi);
                a1 = odl_fp_fma(hi, x1, odl_fp_fma(lo, x0, a1));
                odl_fp_widen2(w2 + i, &lo, &hi);
                a2 = odl_fp_fma(hi, x1, odl_fp_fma(lo, x0, a2));
                odl_fp_widen2(w3 + i, &lo, &hi);
                a3 = odl_fp_fma(hi, x1, odl_fp_fma(lo, x0, a3));
            }
            if (i < k) {
                a0 = odl_fp_fma(F(w0[i]), x[i], a0);
                a1 = odl_fp_fma(F(w1[i]), x[i], a1);
                a2 = odl_fp_fma(F(w2[i]), x[i], a2);
                a3 = odl_fp_fma(F(w3[i]), x[i], a3);
            }
            y[j] = fc_out(a0, bias, j, p->act);
            y[j + 1] = fc_out(a1, bias, j + 1, p->act);
            y[j + 2] = fc_out(a2, bias, j + 2, p->act);
            y[j + 3] = fc_out(a3, bias, j + 3, p->act);
        }
        for (; j < o; ++j) {
            const odl_f16_t *wr = w->data + j * k;
            float a = 0.0f;
            for (int32_t i = 0; i < k; ++i) a = odl_fp_fma(F(wr[i]), x[i], a);
            y[j] = fc_out(a, bias, j, p->act);
        }
    }
    return ODL_OK;
}

/* dst[i] = R(F(dst[i]) + acc[i]) for 8 lanes. */
static inline void accumulate8(odl_f16_t *dst, const float *acc) {
    for (int32_t q = 0; q < 8; q += 2) {
        float lo, hi;
        odl_fp_widen2(dst + q, &lo, &hi);
        odl_fp_narrow2(lo + acc[q], hi + acc[q + 1], dst + q);
    }
}

/* Eight input-gradient sums, a[q] += sum over j < o of g[j] * F(w[j][q]) in j
 * order: per j one VLDM of the eight weights (w word aligned, rows `stride`
 * bytes apart), widened in registers. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
/* Helium: the eight sums as two vectors, g[j] in a core register; operands
 * and partial sums are 0 or normal, as in the forward. */
static inline void bw_in8(float *a, const float *g, const odl_f16_t *w, int32_t stride, int32_t o) {
    uint32_t t;
    __asm__ volatile(
        "vldrw.u32 q0, [%[a]]\n\t"
        "vldrw.u32 q1, [%[a], #16]\n\t"
        "1:\n\t"
        "ldr %[t], [%[g]], #4\n\t"
        "vldmia %[w], {s16-s19}\n\t"
        "add %[w], %[w], %[st]\n\t"
        "vcvtb.f32.f16 s8, s16\n\t"
        "vcvtt.f32.f16 s9, s16\n\t"
        "vcvtb.f32.f16 s10, s17\n\t"
        "vcvtt.f32.f16 s11, s17\n\t"
        "vcvtb.f32.f16 s12, s18\n\t"
        "vcvtt.f32.f16 s13, s18\n\t"
        "vcvtb.f32.f16 s14, s19\n\t"
        "vcvtt.f32.f16 s15, s19\n\t"
        "vfma.f32 q0, q2, %[t]\n\t"
        "vfma.f32 q1, q3, %[t]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        "vstrw.32 q0, [%[a]]\n\t"
        "vstrw.32 q1, [%[a], #16]"
        : [g] "+&r"(g), [w] "+&r"(w), [n] "+&r"(o), [t] "=&r"(t)
        : [a] "r"(a), [st] "r"(stride)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15",
          "s16", "s17", "s18", "s19", "cc", "memory");
}
#else
static inline void bw_in8(float *a, const float *g, const odl_f16_t *w, int32_t stride, int32_t o) {
    __asm__ volatile(
        "vldmia %[a], {s0-s7}\n\t"
        "1:\n\t"
        "vldmia %[g]!, {s16}\n\t"
        "vldmia %[w], {s8-s11}\n\t"
        "add %[w], %[w], %[st]\n\t"
        "vcvtb.f32.f16 s12, s8\n\t"
        "vcvtt.f32.f16 s13, s8\n\t"
        "vcvtb.f32.f16 s14, s9\n\t"
        "vcvtt.f32.f16 s15, s9\n\t"
        "vfma.f32 s0, s16, s12\n\t"
        "vfma.f32 s1, s16, s13\n\t"
        "vfma.f32 s2, s16, s14\n\t"
        "vfma.f32 s3, s16, s15\n\t"
        "vcvtb.f32.f16 s12, s10\n\t"
        "vcvtt.f32.f16 s13, s10\n\t"
        "vcvtb.f32.f16 s14, s11\n\t"
        "vcvtt.f32.f16 s15, s11\n\t"
        "vfma.f32 s4, s16, s12\n\t"
        "vfma.f32 s5, s16, s13\n\t"
        "vfma.f32 s6, s16, s14\n\t"
        "vfma.f32 s7, s16, s15\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        "vstmia %[a], {s0-s7}"
        : [g] "+&r"(g), [w] "+&r"(w), [n] "+&r"(o)
        : [a] "r"(a), [st] "r"(stride)
        : "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12", "s13", "s14", "s15",
          "s16", "cc", "memory");
}
#endif

odl_status_t ODL_FP_PUBLIC(odl_fc_f16_bw_input)(const odl_f16_fc_params_t *p, odl_f16_tensor_t *in, const odl_f16_tensor_t *w,
                                 const odl_f16_tensor_t *out) {
    int32_t n, k, o;
    if (!p || !in || !w || !out || !out->grad) return ODL_ERR_ARG;
    odl_status_t s = fc_dims(in, w, out, &n, &k, &o);
    if (s != ODL_OK) return s;
    if (!in->grad) return ODL_OK;
    if (o > ODL_FP_TILE) return odl_fc_f16_bw_input_portable(p, in, w, out);
    float g[ODL_FP_TILE];
    for (int32_t r = 0; r < n; ++r) {
        for (int32_t j = 0; j < o; ++j) g[j] = odl_f16_act_grad(p->act, out->data[r * o + j], out->grad[r * o + j]);
        odl_f16_t *gx = in->grad + r * k;
        int32_t i = 0;
        if ((k & 1) == 0 && odl_fp_aligned(w->data))
            for (; i + 8 <= k; i += 8) {
                float a[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
                bw_in8(a, g, w->data + i, k * (int32_t)sizeof(odl_f16_t), o);
                accumulate8(gx + i, a);
            }
        for (; i + 8 <= k; i += 8) {
            float a[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}, lo, hi;
            const odl_f16_t *wc = w->data + i;
            for (int32_t j = 0; j < o; ++j, wc += k) {
                const float gj = g[j];
                odl_fp_widen2(wc, &lo, &hi);
                a[0] = odl_fp_fma(gj, lo, a[0]);
                a[1] = odl_fp_fma(gj, hi, a[1]);
                odl_fp_widen2(wc + 2, &lo, &hi);
                a[2] = odl_fp_fma(gj, lo, a[2]);
                a[3] = odl_fp_fma(gj, hi, a[3]);
                odl_fp_widen2(wc + 4, &lo, &hi);
                a[4] = odl_fp_fma(gj, lo, a[4]);
                a[5] = odl_fp_fma(gj, hi, a[5]);
                odl_fp_widen2(wc + 6, &lo, &hi);
                a[6] = odl_fp_fma(gj, lo, a[6]);
                a[7] = odl_fp_fma(gj, hi, a[7]);
            }
            accumulate8(gx + i, a);
        }
        for (; i < k; ++i) {
            float a = 0.0f;
            for (int32_t j = 0; j < o; ++j) a = odl_fp_fma(g[j], F(w->data[j * k + i]), a);
            odl_f16_accumulate(&gx[i], a);
        }
    }
    return ODL_OK;
}

odl_status_t ODL_FP_PUBLIC(odl_fc_f16_bw_weight)(const odl_f16_fc_params_t *p, const odl_f16_tensor_t *in, odl_f16_tensor_t *w,
                                  odl_f16_tensor_t *b, const odl_f16_tensor_t *out) {
    int32_t n, k, o;
    if (!p || !in || !w || !out || !out->grad) return ODL_ERR_ARG;
    odl_status_t s = fc_dims(in, w, out, &n, &k, &o);
    if (s != ODL_OK) return s;
    /* one sample (the training step's case): grad[j, i] += g'[j] * x[i] */
    if (n != 1 || k > ODL_FP_TILE) return odl_fc_f16_bw_weight_portable(p, in, w, b, out);
    float x[ODL_FP_TILE];
    odl_fp_widen_row(in->data, x, k);
    const int x_finite = odl_fp_all_finite(in->data, k);
    for (int32_t j = 0; j < o; ++j) {
        const float gj = odl_f16_act_grad(p->act, out->data[j], out->grad[j]);
        /* a zero row gradient (ReLU-masked unit) with a finite x adds +0 to
         * every entry: the row stays as it is unless it holds -0 or a NaN */
        if (w->grad && !(gj == 0.0f && x_finite && odl_fp_row_canonical(w->grad + j * k, k))) {
            /* portable: R(F(gw) + (0 + gj * x)); with the exact product that is
             * R((F(gw) + 0) + gj * x) in one rounding, also for signed zeros */
            odl_f16_t *gw = w->grad + j * k;
            int32_t i = 0;
            for (; i + 2 <= k; i += 2) {
                float lo, hi;
                odl_fp_widen2(gw + i, &lo, &hi);
                odl_fp_narrow2(odl_fp_fma(gj, x[i], lo + 0.0f), odl_fp_fma(gj, x[i + 1], hi + 0.0f), gw + i);
            }
            if (i < k) gw[i] = R(odl_fp_fma(gj, x[i], F(gw[i]) + 0.0f));
        }
        if (b && b->grad) odl_f16_accumulate(&b->grad[j], 0.0f + gj);
    }
    return ODL_OK;
}

/* One pass per weight row: the gradient R(0 + g'x) (the portable kernel
 * clears the gradients first), stored, and the weight updated from it. A row
 * whose g' is zero (a ReLU-masked unit) has a +0 gradient and keeps its
 * weights (w - c * 0 == w for finite c >= 0), unless it holds a NaN, which
 * the update makes the default NaN. */
odl_status_t ODL_FP_PUBLIC(odl_fc_f16_bw_weight_sgd)(const odl_f16_fc_params_t *p, const odl_f16_tensor_t *in,
                                                     odl_f16_tensor_t *w, odl_f16_tensor_t *b,
                                                     const odl_f16_tensor_t *out, float c) {
    int32_t n, k, o;
    if (!p || !in || !w || !out || !out->grad) return ODL_ERR_ARG;
    odl_status_t s = fc_dims(in, w, out, &n, &k, &o);
    if (s != ODL_OK) return s;
    /* c: finite, and 0 or >= 2^-100 so that c * g stays normal (fp_f16.h) */
    if (n != 1 || k > ODL_FP_TILE || !w->grad || !(c == 0.0f || (c >= 0x1p-100f && c <= 3.4e38f)) ||
        !odl_fp_all_finite(in->data, k))
        return odl_fc_f16_bw_weight_sgd_portable(p, in, w, b, out, c);
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
    /* Helium: the gradient in half precision from the halves (no FP32 tile);
     * a nonzero act-gradient is F(out->grad[j]) itself (odl_f16_act_grad) */
    if ((k & 7) == 0) {
        for (int32_t j = 0; j < o; ++j) {
            const float gj = odl_f16_act_grad(p->act, out->data[j], out->grad[j]);
            odl_f16_t *gw = w->grad + j * k, *wr = w->data + j * k;
            if (gj == 0.0f) {
                if (!odl_mve_zero_row_finite8(gw, wr, k >> 3))
                    for (int32_t i = 0; i < k; ++i) wr[i] = R(F(wr[i]) - c * 0.0f);
            } else {
                odl_mve_grad_sgd8(in->data, out->grad[j], c, gw, wr, k >> 3);
            }
            if (b && b->grad) {
                b->grad[j] = R(0.0f + gj);
                b->data[j] = R(F(b->data[j]) - c * F(b->grad[j]));
            }
        }
        return ODL_OK;
    }
#endif
    float x[ODL_FP_TILE];
    static const float zeros[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    odl_fp_widen_row(in->data, x, k);
    const int fast = (k & 3) == 0 && odl_fp_aligned(w->grad) && odl_fp_aligned(w->data);
    for (int32_t j = 0; j < o; ++j) {
        const float gj = odl_f16_act_grad(p->act, out->data[j], out->grad[j]);
        odl_f16_t *gw = w->grad + j * k, *wr = w->data + j * k;
        if (gj == 0.0f) {
            if (fast)
                odl_fp_zero4(gw, k >> 2);
            else
                memset(gw, 0, (size_t)k * sizeof *gw);
            if (!odl_fp_all_finite(wr, k))
                for (int32_t i = 0; i < k; ++i) wr[i] = R(F(wr[i]) - c * 0.0f);
        } else {
            int32_t i = 0;
            if (fast) {
                odl_fp_grad_sgd4(x, gj, c, gw, wr, k >> 2, zeros);
                i = k;
            }
            for (; i + 2 <= k; i += 2) {
                float g0, g1, w0, w1;
                odl_fp_narrow2(odl_fp_fma(gj, x[i], 0.0f), odl_fp_fma(gj, x[i + 1], 0.0f), gw + i);
                odl_fp_widen2(gw + i, &g0, &g1);
                odl_fp_widen2(wr + i, &w0, &w1);
                odl_fp_narrow2(w0 - c * g0, w1 - c * g1, wr + i);
            }
            if (i < k) {
                gw[i] = R(odl_fp_fma(gj, x[i], 0.0f));
                wr[i] = R(F(wr[i]) - c * F(gw[i]));
            }
        }
        if (b && b->grad) {
            b->grad[j] = R(0.0f + gj);
            b->data[j] = R(F(b->data[j]) - c * F(b->grad[j]));
        }
    }
    return ODL_OK;
}
