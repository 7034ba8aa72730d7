/* odl_perturb_w16 for cores with the DSP extension, bit-identical to the
 * portable kernels/int8/perturb_s8w16.c (its specification and fallback).
 *
 * Two int16 values per word, two words per step: four bits of the PRNG word
 * pick one of sixteen packed word pairs of lane constants (+-a, +-a), QADD16
 * adds them, and the clamp is two SSUB16 + SEL pairs. QADD16 saturates at the int16 limits, which encloses
 * [lo, hi], so saturating first and clamping after gives the exact clamp. */
#include "odl/kernels_s8w16.h"
#include "odl/prng.h"
#include "dsp_simd.h"

#define odl_perturb_w16 odl_perturb_w16_portable
#include "../perturb_s8w16.c"
#undef odl_perturb_w16

static inline uint32_t lanes(int32_t lo_lane, int32_t hi_lane) {
    return ((uint32_t)lo_lane & 0xffffu) | ((uint32_t)hi_lane << 16);
}

/* t[i] = lane constants of elements 4j..4j+3 for the four sign bits i. */
static void table(int32_t a, uint32_t t[16][2]) {
    const uint32_t two[4] = {lanes(a, a), lanes(-a, a), lanes(a, -a), lanes(-a, -a)};
    for (uint32_t i = 0; i < 16; ++i) {
        t[i][0] = two[i & 3u];
        t[i][1] = two[i >> 2];
    }
}

/* per-lane max(v, lo) and min(v, hi): SSUB16 sets GE per lane, SEL picks */
static inline int32_t max16(int32_t v, int32_t lo2) {
    int32_t r, t;
    __asm__("ssub16 %1, %2, %3\n\tsel %0, %2, %3" : "=r"(r), "=&r"(t) : "r"(v), "r"(lo2) : "cc");
    return r;
}
static inline int32_t min16(int32_t v, int32_t hi2) {
    int32_t r, t;
    __asm__("ssub16 %1, %3, %2\n\tsel %0, %2, %3" : "=r"(r), "=&r"(t) : "r"(v), "r"(hi2) : "cc");
    return r;
}

int32_t odl_perturb_w16(int16_t *w, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo, int32_t hi,
                        uint32_t key_b, int32_t b) {
    if (!w || n <= 0 || ((uintptr_t)w & 3u) || a < -32767 || a > 32767 || b < -32767 || b > 32767)
        return odl_perturb_w16_portable(w, n, key_a, a, clamp, lo, hi, key_b, b);
    uint32_t ta[16][2], tb[16][2]; /* a or b = 0: all-zero lanes */
    table(a, ta);
    table(b, tb);
    const int32_t lo2 = (int32_t)lanes(lo, lo), hi2 = (int32_t)lanes(hi, hi);
    uint32_t diff = 0;
    const int32_t full = n & ~31;
    int32_t e0 = 0;
    for (; e0 < full; e0 += 32) {
        int32_t *p = (int32_t *)(void *)(w + e0);
        uint32_t wa = a ? odl_prng_word(key_a, (uint32_t)e0 >> 5) : 0u;
        uint32_t wb = b ? odl_prng_word(key_b, (uint32_t)e0 >> 5) : 0u;
        if (clamp) {
            for (int32_t j = 0; j < 16; j += 2, wa >>= 4, wb >>= 4) {
                const uint32_t *x = ta[wa & 15u], *y = tb[wb & 15u];
                const int32_t v0 = __qadd16(p[j], (int32_t)x[0]), v1 = __qadd16(p[j + 1], (int32_t)x[1]);
                const int32_t c0 = min16(max16(v0, lo2), hi2), c1 = min16(max16(v1, lo2), hi2);
                diff |= (uint32_t)(c0 ^ v0) | (uint32_t)(c1 ^ v1);
                p[j] = __sadd16(c0, (int32_t)y[0]);
                p[j + 1] = __sadd16(c1, (int32_t)y[1]);
            }
        } else if (a && b) {
            for (int32_t j = 0; j < 16; j += 2, wa >>= 4, wb >>= 4) {
                const uint32_t *x = ta[wa & 15u], *y = tb[wb & 15u];
                p[j] = __sadd16(__sadd16(p[j], (int32_t)x[0]), (int32_t)y[0]);
                p[j + 1] = __sadd16(__sadd16(p[j + 1], (int32_t)x[1]), (int32_t)y[1]);
            }
        } else if (a || b) {
            uint32_t(*t)[2] = a ? ta : tb;
            uint32_t bits = a ? wa : wb;
            for (int32_t j = 0; j < 16; j += 2, bits >>= 4) {
                const uint32_t *x = t[bits & 15u];
                p[j] = __sadd16(p[j], (int32_t)x[0]);
                p[j + 1] = __sadd16(p[j + 1], (int32_t)x[1]);
            }
        }
    }
    int32_t clipped = diff != 0;
    if (e0 < n) {
        /* tail: the portable loop on the last partial block (keys of block e0/32) */
        const uint32_t block = (uint32_t)e0 >> 5;
        const int32_t end = n - e0;
        const uint32_t wa = a ? odl_prng_word(key_a, block) : 0u;
        const uint32_t wb = b ? odl_prng_word(key_b, block) : 0u;
        for (int32_t j = 0; j < end; ++j) {
            int32_t v = (int32_t)w[e0 + j] + (((wa >> j) & 1u) ? -a : a);
            if (clamp) {
                const int32_t c = v < lo ? lo : (v > hi ? hi : v);
                clipped |= c != v;
                v = c;
            }
            w[e0 + j] = (int16_t)(v + (((wb >> j) & 1u) ? -b : b));
        }
    }
    return clipped;
}
