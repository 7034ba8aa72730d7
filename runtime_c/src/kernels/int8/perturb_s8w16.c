/* Forward-gradient pass over an int16 trainable tensor (see
 * odl/kernels_s8w16.h, odl_perturb_w16): add a Rademacher stream, clamp,
 * add a second stream. The portable loop is the specification; the
 * arm_dsp version does two elements per word and must agree bit for bit. */
#include "odl/kernels_s8w16.h"
#include "odl/prng.h"

int32_t odl_perturb_w16(int16_t *w, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo, int32_t hi,
                        uint32_t key_b, int32_t b) {
    int32_t clipped = 0;
    for (int32_t e0 = 0; e0 < n; e0 += 32) {
        const uint32_t wa = a ? odl_prng_word(key_a, (uint32_t)e0 >> 5) : 0u;
        const uint32_t wb = b ? odl_prng_word(key_b, (uint32_t)e0 >> 5) : 0u;
        const int32_t end = n - e0 < 32 ? n - e0 : 32;
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

int32_t odl_perturb_i32(int32_t *v, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo, int32_t hi,
                        uint32_t key_b, int32_t b) {
    int32_t clipped = 0;
    for (int32_t e0 = 0; e0 < n; e0 += 32) {
        const uint32_t wa = a ? odl_prng_word(key_a, (uint32_t)e0 >> 5) : 0u;
        const uint32_t wb = b ? odl_prng_word(key_b, (uint32_t)e0 >> 5) : 0u;
        const int32_t end = n - e0 < 32 ? n - e0 : 32;
        for (int32_t j = 0; j < end; ++j) {
            int64_t y = (int64_t)v[e0 + j] + (((wa >> j) & 1u) ? -(int64_t)a : a);
            if (clamp) {
                const int64_t c = y < lo ? lo : (y > hi ? hi : y);
                clipped |= c != y;
                y = c;
            }
            v[e0 + j] = (int32_t)(uint32_t)((uint64_t)y + (uint64_t)(((wb >> j) & 1u) ? -(int64_t)b : b));
        }
    }
    return clipped;
}

void odl_perturb_sum_w16(int16_t *w, int32_t n, const uint32_t *keys, const int32_t *a, int32_t count) {
    for (int32_t k = 0; k < count; ++k) {
        for (int32_t e0 = 0; e0 < n; e0 += 32) {
            const uint32_t wa = odl_prng_word(keys[k], (uint32_t)e0 >> 5);
            const int32_t end = n - e0 < 32 ? n - e0 : 32;
            for (int32_t j = 0; j < end; ++j) { /* int16 wrap-around, as SADD16 */
                const uint32_t v = (uint32_t)(int32_t)w[e0 + j] + (uint32_t)(((wa >> j) & 1u) ? -a[k] : a[k]);
                w[e0 + j] = (int16_t)(uint16_t)v;
            }
        }
    }
}

void odl_range_w16(const int16_t *w, int32_t n, int32_t *lo, int32_t *hi) {
    int32_t mn = w[0], mx = w[0];
    for (int32_t e = 1; e < n; ++e) {
        mn = w[e] < mn ? w[e] : mn;
        mx = w[e] > mx ? w[e] : mx;
    }
    *lo = mn;
    *hi = mx;
}
