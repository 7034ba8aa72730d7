/* Helium (MVE) building blocks for the FP16 training kernels.
 *
 * Exactness rules (docs/design/fp16-mve.md): vectors run across independent
 * outputs, so every lane performs the portable kernel's scalar operations in
 * the same order; multiply and add stay separate instructions (no VFMA).
 *
 * Conversions are integer lane code, not VCVTB/VCVTT: MVE floating point runs
 * with the standard FPSCR value (flush-to-zero, default NaN), and the
 * emulated core's half<->single vector conversions did not match the
 * portable integer conversion. FP32 flush-to-zero cannot change a result
 * here: every value the kernels form is 0 or a multiple of 2^-48 (products
 * of binary16 numbers and their sums), far above the FP32 subnormal range.
 * The one place a tiny input meets the flush (narrowing an FP32 subnormal)
 * gives +-0 in both versions. */
#ifndef ODL_MVE_F16_H
#define ODL_MVE_F16_H

#if !defined(__ARM_FEATURE_MVE) || !(__ARM_FEATURE_MVE & 2)
#error "arm_mve kernels need a core with floating-point MVE (e.g. -mcpu=cortex-m55)"
#endif

#include <arm_mve.h>

#include "../f16_common.h"

/* Widest output tile: four vectors of four FP32 lanes. */
#define ODL_MVE_TILE 16

/* binary16 bits (low half of each u32 lane) -> FP32, exact. */
static inline float32x4_t odl_mve_widen(uint32x4_t h) {
    uint32x4_t sign = vshlq_n_u32(vandq_u32(h, vdupq_n_u32(0x8000u)), 16);
    uint32x4_t a = vandq_u32(h, vdupq_n_u32(0x7fffu));
    /* normal: rebias the exponent; inf / NaN: rebias once more to 255 */
    uint32x4_t bits = vaddq_n_u32(vshlq_n_u32(a, 13), 112u << 23);
    bits = vaddq_m_n_u32(bits, bits, 112u << 23, vcmpcsq_n_u32(a, 0x7c00u));
    /* subnormal a * 2^-24: (1 + a/1024) * 2^-14 - 2^-14, exact (Sterbenz) */
    float32x4_t biased = vreinterpretq_f32_u32(vaddq_n_u32(vshlq_n_u32(a, 13), 113u << 23));
    uint32x4_t sub = vreinterpretq_u32_f32(vsubq_n_f32(biased, 0x1p-14f));
    bits = vpselq_u32(sub, bits, vcmphiq_u32(vdupq_n_u32(0x400u), a));
    return vreinterpretq_f32_u32(vorrq_u32(bits, sign));
}

/* FP32 -> binary16 bits in u32 lanes, as odl_f32_to_f16: round to nearest
 * even, overflow to +-inf, every NaN to 0x7e00. */
static inline uint32x4_t odl_mve_narrow(float32x4_t f) {
    uint32x4_t x = vreinterpretq_u32_f32(f);
    uint32x4_t sign = vandq_u32(x, vdupq_n_u32(0x80000000u));
    x = vbicq_u32(x, vdupq_n_u32(0x80000000u));
    /* normal: rebias, add 0x0fff plus the kept LSB (ties to even), shift */
    uint32x4_t odd = vandq_u32(vshrq_n_u32(x, 13), vdupq_n_u32(1u));
    uint32x4_t h = vshrq_n_u32(vaddq_u32(vaddq_n_u32(x, 0xc8000fffu), odd), 13);
    /* below 2^-14: adding 0.5 leaves the subnormal code, rounded by the FPU */
    float32x4_t aligned = vaddq_n_f32(vreinterpretq_f32_u32(x), 0.5f);
    uint32x4_t sub = vsubq_n_u32(vreinterpretq_u32_f32(aligned), 0x3f000000u);
    h = vpselq_u32(sub, h, vcmphiq_u32(vdupq_n_u32(113u << 23), x));
    h = vpselq_u32(vdupq_n_u32(0x7c00u), h, vcmpcsq_n_u32(x, 143u << 23));
    h = vorrq_u32(h, vshrq_n_u32(sign, 16));
    return vpselq_u32(vdupq_n_u32(0x7e00u), h, vcmphiq_n_u32(x, 0x7f800000u));
}

static inline mve_pred16_t odl_mve_lanes(int32_t n) { return vctp32q((uint32_t)(n > 0 ? n : 0)); }

/* Up to ODL_MVE_TILE FP32 accumulators, one per output. */
typedef struct {
    float32x4_t v[ODL_MVE_TILE / 4];
    int32_t n; /* live lanes, 1..ODL_MVE_TILE */
} odl_mve_acc_t;

static inline void odl_mve_acc_zero(odl_mve_acc_t *a, int32_t n) {
    a->n = n;
    for (int32_t q = 0; q * 4 < n; ++q) a->v[q] = vdupq_n_f32(0.0f);
}

/* acc[l] = acc[l] + s * F(p[l]) for contiguous p. */
static inline void odl_mve_acc_axpy(odl_mve_acc_t *a, float s, const odl_f16_t *p) {
    for (int32_t q = 0; q * 4 < a->n; ++q) {
        uint32x4_t h = vldrhq_z_u32(p + 4 * q, odl_mve_lanes(a->n - 4 * q));
        a->v[q] = vaddq_f32(a->v[q], vmulq_n_f32(odl_mve_widen(h), s));
    }
}

/* acc[l] = acc[l] + F(p[l * stride]) * s (a column of a row-major matrix;
 * offsets holds l * stride per vector). */
static inline void odl_mve_acc_column(odl_mve_acc_t *a, float s, const odl_f16_t *p, const uint32x4_t *offsets) {
    for (int32_t q = 0; q * 4 < a->n; ++q) {
        uint32x4_t h = vldrhq_gather_shifted_offset_z_u32(p, offsets[q], odl_mve_lanes(a->n - 4 * q));
        a->v[q] = vaddq_f32(a->v[q], vmulq_n_f32(odl_mve_widen(h), s));
    }
}

static inline void odl_mve_column_offsets(uint32x4_t *offsets, int32_t stride) {
    for (int32_t q = 0; q < ODL_MVE_TILE / 4; ++q)
        offsets[q] = vmulq_n_u32(vidupq_n_u32((uint32_t)(4 * q), 1), (uint32_t)stride);
}

/* Forward epilogue: acc + bias (if any), activation, round, store. */
static inline void odl_mve_acc_store_fw(const odl_mve_acc_t *a, const odl_f16_t *bias, int32_t act, odl_f16_t *dst) {
    for (int32_t q = 0; q * 4 < a->n; ++q) {
        mve_pred16_t live = odl_mve_lanes(a->n - 4 * q);
        float32x4_t v = a->v[q];
        if (bias) v = vaddq_f32(v, odl_mve_widen(vldrhq_z_u32(bias + 4 * q, live)));
        if (act != ODL_F16_ACT_NONE) {
            v = vpselq_f32(v, vdupq_n_f32(0.0f), vcmpgtq_n_f32(v, 0.0f)); /* NaN -> 0 too */
            if (act == ODL_F16_ACT_RELU6) v = vpselq_f32(v, vdupq_n_f32(6.0f), vcmpltq_n_f32(v, 6.0f));
        }
        vstrhq_p_u32(dst + 4 * q, odl_mve_narrow(v), live);
    }
}

/* Backward epilogue: dst[l] = R(F(dst[l]) + acc[l]). */
static inline void odl_mve_acc_accumulate(const odl_mve_acc_t *a, odl_f16_t *dst) {
    for (int32_t q = 0; q * 4 < a->n; ++q) {
        mve_pred16_t live = odl_mve_lanes(a->n - 4 * q);
        float32x4_t old = odl_mve_widen(vldrhq_z_u32(dst + 4 * q, live));
        vstrhq_p_u32(dst + 4 * q, odl_mve_narrow(vaddq_f32(old, a->v[q])), live);
    }
}

static inline int32_t odl_mve_tile(int32_t remaining) {
    return remaining < ODL_MVE_TILE ? remaining : ODL_MVE_TILE;
}

/* --- matrix forms shared by FULLY_CONNECTED and pointwise conv -------------------------------
 * x [rows, K], w [O, K], y / g [rows, O]. */

/* y[r, j] = R(act(sum_i w[j, i] * x[r, i] + b[j])): lanes over j. */
static inline void odl_mve_gemm_fw(const odl_f16_t *x, int32_t rows, int32_t k, const odl_f16_t *w, int32_t o,
                                   const odl_f16_t *bias, int32_t act, odl_f16_t *y) {
    uint32x4_t offsets[ODL_MVE_TILE / 4];
    odl_mve_column_offsets(offsets, k);
    for (int32_t r = 0; r < rows; ++r) {
        const odl_f16_t *xr = x + r * k;
        for (int32_t j0 = 0; j0 < o; j0 += ODL_MVE_TILE) {
            odl_mve_acc_t a;
            odl_mve_acc_zero(&a, odl_mve_tile(o - j0));
            const odl_f16_t *wc = w + j0 * k;
            for (int32_t i = 0; i < k; ++i) odl_mve_acc_column(&a, F(xr[i]), wc + i, offsets);
            odl_mve_acc_store_fw(&a, bias ? bias + j0 : 0, act, y + r * o + j0);
        }
    }
}

/* xgrad[r, i] += sum_j g'[r, j] * w[j, i]: lanes over i. */
static inline void odl_mve_gemm_bw_input(const odl_f16_t *y, const odl_f16_t *g, int32_t rows, int32_t o,
                                         const odl_f16_t *w, int32_t k, int32_t act, odl_f16_t *xgrad) {
    for (int32_t r = 0; r < rows; ++r)
        for (int32_t i0 = 0; i0 < k; i0 += ODL_MVE_TILE) {
            odl_mve_acc_t a;
            odl_mve_acc_zero(&a, odl_mve_tile(k - i0));
            for (int32_t j = 0; j < o; ++j)
                odl_mve_acc_axpy(&a, odl_f16_act_grad(act, y[r * o + j], g[r * o + j]), w + j * k + i0);
            odl_mve_acc_accumulate(&a, xgrad + r * k + i0);
        }
}

/* wgrad[j, i] += sum_r g'[r, j] * x[r, i]: lanes over i. */
static inline void odl_mve_gemm_bw_weight(const odl_f16_t *y, const odl_f16_t *g, int32_t rows, int32_t o,
                                          const odl_f16_t *x, int32_t k, int32_t act, odl_f16_t *wgrad) {
    for (int32_t j = 0; j < o; ++j)
        for (int32_t i0 = 0; i0 < k; i0 += ODL_MVE_TILE) {
            odl_mve_acc_t a;
            odl_mve_acc_zero(&a, odl_mve_tile(k - i0));
            for (int32_t r = 0; r < rows; ++r)
                odl_mve_acc_axpy(&a, odl_f16_act_grad(act, y[r * o + j], g[r * o + j]), x + r * k + i0);
            odl_mve_acc_accumulate(&a, wgrad + j * k + i0);
        }
}

#endif /* ODL_MVE_F16_H */
