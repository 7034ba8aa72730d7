/* Forward-gradient pass over an int16 trainable tensor (see
 * odl/kernels_s8w16.h, odl_perturb_w16): add a Rademacher stream, clamp,
 * add a second stream. The portable loop is the specification; the
 * arm_dsp version does two elements per word and must agree bit for bit. */
#include "odl/kernels_s8w16.h"
#include "odl/prng.h"

/* The body of both element types: X is the tensor, T / UT its element type and
 * that type unsigned, W / UW a type wide enough for element + a (the clamp is
 * exact there) and that type unsigned (the second add wraps, as the store). */
#define ODL_PERTURB_PASS(X, T, UT, W, UW)                                                          \
    do {                                                                                           \
        int32_t clipped = 0;                                                                       \
        for (int32_t e0 = 0; e0 < n; e0 += 32) {                                                   \
            const uint32_t wa = a ? odl_prng_word(key_a, (uint32_t)e0 >> 5) : 0u;                  \
            const uint32_t wb = b ? odl_prng_word(key_b, (uint32_t)e0 >> 5) : 0u;                  \
            const int32_t end = n - e0 < 32 ? n - e0 : 32;                                         \
            for (int32_t j = 0; j < end; ++j) {                                                    \
                W y = (W)(X)[e0 + j] + (((wa >> j) & 1u) ? -(W)a : a);                             \
                if (clamp) {                                                                       \
                    const W c = y < lo ? lo : (y > hi ? hi : y);                                   \
                    clipped |= c != y;                                                             \
                    y = c;                                                                         \
                }                                                                                  \
                (X)[e0 + j] = (T)(UT)((UW)y + (UW)(((wb >> j) & 1u) ? -(W)b : b));                 \
            }                                                                                      \
        }                                                                                          \
        return clipped;                                                                            \
    } while (0)

int32_t odl_perturb_w16(int16_t *w, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo, int32_t hi,
                        uint32_t key_b, int32_t b) {
    ODL_PERTURB_PASS(w, int16_t, uint16_t, int32_t, uint32_t);
}

int32_t odl_perturb_i32(int32_t *v, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo, int32_t hi,
                        uint32_t key_b, int32_t b) {
    ODL_PERTURB_PASS(v, int32_t, uint32_t, int64_t, uint64_t);
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
