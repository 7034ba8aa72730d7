/* Forward-gradient passes over int16 trainable tensors (odl/kernels_s8w16.h)
 * for Helium (MVE), bit-identical to the portable kernels/int8/perturb_s8w16.c
 * (its specification and fallback).
 *
 * Eight int16 lanes per vector take eight bits of a PRNG word (see signs()).
 * odl_perturb_w16:
 * saturating add (VQADD: its int16 limits enclose [lo, hi], so saturating
 * first and clamping after is the exact clamp), VMAX / VMIN clamp, the
 * clipped flag from the lanes the clamp changed, then the second stream
 * (wrap-around add, like the portable int16 store). odl_perturb_sum_w16:
 * every direction's stream added to the vector while it is in a register.
 * Tails (n % 8): element by element as the portable loop. odl_range_w16: VMIN / VMAX lanes, then VMINV /
 * VMAXV. */
#include <arm_mve.h>

#include "odl/kernels_s8w16.h"
#include "odl/prng.h"

#define odl_perturb_w16 odl_perturb_w16_portable
#define odl_perturb_sum_w16 odl_perturb_sum_w16_portable
#define odl_range_w16 odl_range_w16_portable
#define odl_perturb_i32 odl_perturb_i32_portable
#include "../perturb_s8w16.c"
#undef odl_perturb_w16
#undef odl_perturb_sum_w16
#undef odl_range_w16
#undef odl_perturb_i32

#if !defined(__ARM_FEATURE_MVE)
#error "arm_mve kernels need a core with Helium (MVE), e.g. Cortex-M55"
#endif

/* Lane j of an 8-element group reads bit j of the byte: shifted up to bit
 * 15 (VSHL by 15 - j), an arithmetic shift by 15 spreads it into a lane
 * mask m (0 or -1), and (a ^ m) - m is +a or -a. No predicates: GCC keeps
 * them in P0 and spills the vectors around them. */
static const int16_t up_shift[8] = {15, 14, 13, 12, 11, 10, 9, 8};

static inline int16x8_t signs(uint32_t bits, int16x8_t up, int16x8_t va) {
    const int16x8_t m = vshrq_n_s16(vshlq_s16(vdupq_n_s16((int16_t)bits), up), 15);
    return vsubq_s16(veorq_s16(va, m), m);
}

/* one element as the portable loop (tails) */
static inline int16_t one(int16_t x, int32_t da, int32_t clamp, int32_t lo, int32_t hi, int32_t db, int32_t *clipped) {
    int32_t v = (int32_t)x + da;
    if (clamp) {
        const int32_t c = v < lo ? lo : (v > hi ? hi : v);
        *clipped |= c != v;
        v = c;
    }
    return (int16_t)(v + db);
}

int32_t odl_perturb_w16(int16_t *w, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo, int32_t hi,
                        uint32_t key_b, int32_t b) {
    /* a clamp band outside int16 (never from the forward gradient): portable */
    if (!w || n <= 0 || a < -32767 || a > 32767 || b < -32767 || b > 32767 ||
        (clamp && (lo < INT16_MIN || hi > INT16_MAX || lo > hi)))
        return odl_perturb_w16_portable(w, n, key_a, a, clamp, lo, hi, key_b, b);
    const int16x8_t up = vld1q_s16(up_shift);
    const int16x8_t va = vdupq_n_s16((int16_t)a), vb = vdupq_n_s16((int16_t)b);
    const int16x8_t vlo = vdupq_n_s16((int16_t)(clamp ? lo : INT16_MIN)), vhi = vdupq_n_s16((int16_t)(clamp ? hi : INT16_MAX));
    int16x8_t diff = vdupq_n_s16(0);
    int32_t clipped = 0;
    for (int32_t e0 = 0; e0 < n; e0 += 32) {
        uint32_t wa = a ? odl_prng_word(key_a, (uint32_t)e0 >> 5) : 0u;
        uint32_t wb = b ? odl_prng_word(key_b, (uint32_t)e0 >> 5) : 0u;
        int32_t j = 0;
        for (; j < 32 && e0 + j + 8 <= n; j += 8, wa >>= 8, wb >>= 8) {
            int16_t *q = w + e0 + j;
            const int16x8_t v = vqaddq_s16(vld1q_s16(q), signs(wa, up, va));
            const int16x8_t c = vminq_s16(vmaxq_s16(v, vlo), vhi); /* no clamp: the int16 range, a no-op */
            diff = vorrq_s16(diff, veorq_s16(c, v));
            vst1q_s16(q, vaddq_s16(c, signs(wb, up, vb)));
        }
        for (; j < 32 && e0 + j < n; ++j, wa >>= 1, wb >>= 1)
            w[e0 + j] = one(w[e0 + j], (wa & 1u) ? -a : a, clamp, lo, hi, (wb & 1u) ? -b : b, &clipped);
    }
    return clipped | (vmaxvq_u16(0, vreinterpretq_u16_s16(diff)) != 0);
}

void odl_perturb_sum_w16(int16_t *w, int32_t n, const uint32_t *keys, const int32_t *a, int32_t count) {
    for (int32_t k = 0; k < count; ++k)
        if (a[k] < -32767 || a[k] > 32767) {
            odl_perturb_sum_w16_portable(w, n, keys, a, count);
            return;
        }
    const int16x8_t up = vld1q_s16(up_shift);
    for (int32_t k0 = 0; k0 < count; k0 += 8) { /* eight directions at a time (wrap-around adds commute) */
        const int32_t kn = count - k0 < 8 ? count - k0 : 8;
        for (int32_t e0 = 0; e0 < n; e0 += 32) {
            uint32_t words[8];
            for (int32_t k = 0; k < kn; ++k) words[k] = odl_prng_word(keys[k0 + k], (uint32_t)e0 >> 5);
            int32_t j = 0;
            for (; j < 32 && e0 + j + 8 <= n; j += 8) {
                int16_t *q = w + e0 + j;
                int16x8_t v = vld1q_s16(q);
                /* v + a + m * 2a (m = 0 or -1; mod 2^16, so 2a may wrap): scalar
                 * operands, no vector per direction */
                for (int32_t k = 0; k < kn; ++k) {
                    const int16_t ak = (int16_t)a[k0 + k];
                    const int16x8_t m = vshrq_n_s16(vshlq_s16(vdupq_n_s16((int16_t)(words[k] >> j)), up), 15);
                    v = vmlaq_n_s16(vaddq_n_s16(v, ak), m, (int16_t)(uint16_t)(2u * (uint16_t)ak));
                }
                vst1q_s16(q, v);
            }
            for (; j < 32 && e0 + j < n; ++j) {
                uint32_t v = (uint16_t)w[e0 + j];
                for (int32_t k = 0; k < kn; ++k) v += (uint32_t)(((words[k] >> j) & 1u) ? -a[k0 + k] : a[k0 + k]);
                w[e0 + j] = (int16_t)(uint16_t)v;
            }
        }
    }
}

void odl_range_w16(const int16_t *w, int32_t n, int32_t *lo, int32_t *hi) {
    int32_t mn = w[0], mx = w[0], e = 0;
    if (n >= 8) {
        int16x8_t vmn = vld1q_s16(w), vmx = vmn;
        for (e = 8; e + 8 <= n; e += 8) {
            const int16x8_t x = vld1q_s16(w + e);
            vmn = vminq_s16(vmn, x);
            vmx = vmaxq_s16(vmx, x);
        }
        mn = vminvq_s16(INT16_MAX, vmn);
        mx = vmaxvq_s16(INT16_MIN, vmx);
    }
    for (; e < n; ++e) {
        mn = w[e] < mn ? w[e] : mn;
        mx = w[e] > mx ? w[e] : mx;
    }
    *lo = mn;
    *hi = mx;
}

/* int32 lanes: the same sign masks (bit j of the nibble to bit 31), VQADD
 * then VMAX / VMIN (the band lies inside int32, so saturating first is the
 * exact clamp), the second stream wrapping; the tail predicated (its
 * outside lanes neither stored nor counted as clipped). */
static const int32_t up_shift32[4] = {31, 30, 29, 28};

int32_t odl_perturb_i32(int32_t *v, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo, int32_t hi,
                        uint32_t key_b, int32_t b) {
    if (!v || n <= 0 || a == INT32_MIN || b == INT32_MIN || (clamp && lo > hi))
        return odl_perturb_i32_portable(v, n, key_a, a, clamp, lo, hi, key_b, b);
    const int32x4_t up = vld1q_s32(up_shift32), va = vdupq_n_s32(a), vb = vdupq_n_s32(b);
    const int32x4_t vlo = vdupq_n_s32(clamp ? lo : INT32_MIN), vhi = vdupq_n_s32(clamp ? hi : INT32_MAX);
    int32x4_t diff = vdupq_n_s32(0);
    for (int32_t e0 = 0; e0 < n; e0 += 32) {
        uint32_t wa = a ? odl_prng_word(key_a, (uint32_t)e0 >> 5) : 0u;
        uint32_t wb = b ? odl_prng_word(key_b, (uint32_t)e0 >> 5) : 0u;
        for (int32_t j = 0; j < 32 && e0 + j < n; j += 4, wa >>= 4, wb >>= 4) {
            int32_t *q = v + e0 + j;
            const mve_pred16_t tail = vctp32q((uint32_t)(n - e0 - j)); /* lanes inside the tensor */
            const int32x4_t ma = vshrq_n_s32(vshlq_s32(vdupq_n_s32((int32_t)wa), up), 31);
            const int32x4_t mb = vshrq_n_s32(vshlq_s32(vdupq_n_s32((int32_t)wb), up), 31);
            const int32x4_t y = vqaddq_s32(vld1q_z_s32(q, tail), vsubq_s32(veorq_s32(va, ma), ma));
            const int32x4_t c = vminq_s32(vmaxq_s32(y, vlo), vhi);
            diff = vorrq_m_s32(diff, diff, veorq_s32(c, y), tail);
            vst1q_p_s32(q, vaddq_s32(c, vsubq_s32(veorq_s32(vb, mb), mb)), tail);
        }
    }
    return vmaxvq_u32(0, vreinterpretq_u32_s32(diff)) != 0;
}
