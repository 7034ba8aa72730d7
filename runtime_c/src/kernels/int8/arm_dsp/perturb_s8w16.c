/* odl_perturb_w16 for cores with the DSP extension, bit-identical to the
 * portable kernels/int8/perturb_s8w16.c (its specification and fallback).
 *
 * Two int16 values per word, two words per step: four bits of the PRNG word
 * pick one of sixteen packed word pairs of lane constants (+-a, +-a), QADD16
 * adds them, and the clamp is two SSUB16 + SEL pairs. QADD16 saturates at the int16 limits, which encloses
 * [lo, hi], so saturating first and clamping after gives the exact clamp.
 *
 * odl_perturb_sum_w16 takes the directions two at a time: the two PRNG words
 * are interleaved so that one 4-bit field holds both signs of both elements
 * of a word, and a 16-entry table of packed sums (+-a_k +-a_k+1 per lane)
 * feeds one SADD16 per word and direction pair (wrap-around, as the
 * portable loop). odl_range_w16: per-lane SSUB16 + SEL min and max. */
#include "odl/kernels_s8w16.h"
#include "odl/prng.h"
#include "dsp_simd.h"

#define odl_perturb_w16 odl_perturb_w16_portable
#define odl_perturb_sum_w16 odl_perturb_sum_w16_portable
#define odl_range_w16 odl_range_w16_portable
#define odl_perturb_i32 odl_perturb_i32_portable
#include "../perturb_s8w16.c"
#undef odl_perturb_w16
#undef odl_perturb_sum_w16
#undef odl_range_w16
#undef odl_perturb_i32

/* int32 passes in 32-bit arithmetic: a wrapped first sum is detected by
 * its sign and saturated (the band lies inside int32, so saturating then
 * clamping is the exact clamp; without the clamp the caller keeps the sums
 * in range). Fewer instructions than the int64 sum on these cores. */
int32_t odl_perturb_i32(int32_t *v, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo, int32_t hi,
                        uint32_t key_b, int32_t b) {
    if (a == INT32_MIN || b == INT32_MIN || (clamp && lo > hi))
        return odl_perturb_i32_portable(v, n, key_a, a, clamp, lo, hi, key_b, b);
    int32_t clipped = 0;
    for (int32_t e0 = 0; e0 < n; e0 += 32) {
        const uint32_t wa = a ? odl_prng_word(key_a, (uint32_t)e0 >> 5) : 0u;
        const uint32_t wb = b ? odl_prng_word(key_b, (uint32_t)e0 >> 5) : 0u;
        const int32_t end = n - e0 < 32 ? n - e0 : 32;
        int32_t *p = v + e0;
        for (int32_t j = 0; j < end; ++j) {
            const int32_t x = p[j], da = ((wa >> j) & 1u) ? -a : a;
            int32_t y = (int32_t)((uint32_t)x + (uint32_t)da);
            if (clamp) {
                if ((x ^ y) & (da ^ y) & INT32_MIN) y = da > 0 ? INT32_MAX : INT32_MIN;
                const int32_t c = y < lo ? lo : (y > hi ? hi : y);
                clipped |= c != y;
                y = c;
            }
            p[j] = (int32_t)((uint32_t)y + (uint32_t)(((wb >> j) & 1u) ? -b : b));
        }
    }
    return clipped;
}

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

/* Directions per table set: four pairs (missing ones add zero lanes). */
#define SUM_CHUNK 8

/* word j of a block: its 4-bit field of each pair, table lookups, SADD16 */
#define SUM_FIELD(g, j) (int32_t)t[g][(f[2 * (g) + ((j) & 1)] >> (4 * ((j) >> 1))) & 15u]
#define SUM_WORD(j) \
    p[j] = __sadd16(__sadd16(__sadd16(__sadd16(p[j], SUM_FIELD(0, j)), SUM_FIELD(1, j)), SUM_FIELD(2, j)), \
                    SUM_FIELD(3, j))

void odl_perturb_sum_w16(int16_t *w, int32_t n, const uint32_t *keys, const int32_t *a, int32_t count) {
    if (!w || n <= 0 || count <= 0 || ((uintptr_t)w & 3u)) {
        odl_perturb_sum_w16_portable(w, n, keys, a, count);
        return;
    }
    const int32_t full = n & ~31;
    for (int32_t k0 = 0; k0 < count; k0 += SUM_CHUNK) {
        const int32_t kn = count - k0 < SUM_CHUNK ? count - k0 : SUM_CHUNK;
        int32_t ak[SUM_CHUNK];
        for (int32_t k = 0; k < SUM_CHUNK; ++k) ak[k] = k < kn ? a[k0 + k] : 0;
        /* t[g][field]: field bits 0/1 = direction 2g at elements 0/1 of a
         * word, bits 2/3 = direction 2g+1 */
        uint32_t t[SUM_CHUNK / 2][16];
        for (int32_t g = 0; g < SUM_CHUNK / 2; ++g) {
            const int32_t a0 = ak[2 * g], a1 = ak[2 * g + 1];
            const uint32_t u[4] = {lanes(a0, a0), lanes(-a0, a0), lanes(a0, -a0), lanes(-a0, -a0)};
            const uint32_t v[4] = {lanes(a1, a1), lanes(-a1, a1), lanes(a1, -a1), lanes(-a1, -a1)};
            for (uint32_t i = 0; i < 16; ++i) t[g][i] = (uint32_t)__sadd16((int32_t)u[i & 3u], (int32_t)v[i >> 2]);
        }
        for (int32_t e0 = 0; e0 < full; e0 += 32) {
            int32_t *p = (int32_t *)(void *)(w + e0);
            uint32_t f[SUM_CHUNK]; /* per pair: fields of the even words, of the odd words */
            for (int32_t g = 0; g < SUM_CHUNK / 2; ++g) {
                const uint32_t wa = ak[2 * g] ? odl_prng_word(keys[k0 + 2 * g], (uint32_t)e0 >> 5) : 0u;
                const uint32_t wb = ak[2 * g + 1] ? odl_prng_word(keys[k0 + 2 * g + 1], (uint32_t)e0 >> 5) : 0u;
                f[2 * g] = (wa & 0x33333333u) | ((wb & 0x33333333u) << 2);
                f[2 * g + 1] = ((wa >> 2) & 0x33333333u) | (wb & 0xccccccccu);
            }
            SUM_WORD(0); SUM_WORD(1); SUM_WORD(2); SUM_WORD(3); SUM_WORD(4); SUM_WORD(5); SUM_WORD(6); SUM_WORD(7);
            SUM_WORD(8); SUM_WORD(9); SUM_WORD(10); SUM_WORD(11); SUM_WORD(12); SUM_WORD(13); SUM_WORD(14);
            SUM_WORD(15);
        }
        if (full < n) { /* tail: the portable loop on the last partial block */
            const int32_t end = n - full;
            for (int32_t k = k0; k < k0 + kn; ++k) {
                const uint32_t wa = odl_prng_word(keys[k], (uint32_t)full >> 5);
                for (int32_t j = 0; j < end; ++j) {
                    const uint32_t v = (uint32_t)(int32_t)w[full + j] + (uint32_t)(((wa >> j) & 1u) ? -a[k] : a[k]);
                    w[full + j] = (int16_t)(uint16_t)v;
                }
            }
        }
    }
}

void odl_range_w16(const int16_t *w, int32_t n, int32_t *lo, int32_t *hi) {
    if (n < 2 || ((uintptr_t)w & 3u)) {
        odl_range_w16_portable(w, n, lo, hi);
        return;
    }
    const int32_t *p = (const int32_t *)(const void *)w;
    int32_t mn = p[0], mx = p[0], mn1 = p[0], mx1 = p[0]; /* two chains: even and odd words */
    const int32_t words = n >> 1;
    int32_t i = 1;
    for (; i + 1 < words; i += 2) {
        const int32_t v0 = p[i], v1 = p[i + 1];
        mn = min16(v0, mn);
        mx = max16(v0, mx);
        mn1 = min16(v1, mn1);
        mx1 = max16(v1, mx1);
    }
    if (i < words) {
        mn = min16(p[i], mn);
        mx = max16(p[i], mx);
    }
    mn = min16(mn1, mn);
    mx = max16(mx1, mx);
    int32_t l = (int16_t)mn, h = (int16_t)mx;
    const int32_t l1 = mn >> 16, h1 = mx >> 16;
    l = l1 < l ? l1 : l;
    h = h1 > h ? h1 : h;
    if (n & 1) {
        l = w[n - 1] < l ? w[n - 1] : l;
        h = w[n - 1] > h ? w[n - 1] : h;
    }
    *lo = l;
    *hi = h;
}
