/* Sparse update write-back helpers: the int16 row a weight update reads
 * (from the layer input, or from a raw int64 gradient row) and the two
 * master-free roundings. d = (c * g + 2^15) >> 16 in 1/256 weight LSB, as in
 * bw_update_master.c. */
#include "odl/kernels_bw_s8.h"
#include "odl/prng.h"

static int32_t clamp_w(int32_t v) { return v > 127 ? 127 : (v < -127 ? -127 : v); }

void odl_bw_input_x128_s8(int32_t n, const int8_t *x, int32_t input_offset, int16_t *g) {
    for (int32_t i = 0; i < n; ++i) g[i] = (int16_t)((x[i] + input_offset) * 128);
}

int32_t odl_bw_row_to_s16(int32_t n, const int64_t *grad, int16_t *g) {
    uint64_t m = 0;
    for (int32_t i = 0; i < n; ++i) {
        const uint64_t a = grad[i] < 0 ? (uint64_t)0 - (uint64_t)grad[i] : (uint64_t)grad[i];
        if (a > m) m = a;
    }
    int32_t bits = 0; /* bit length of m, by halving */
    for (int32_t step = 32; step > 0; step >>= 1)
        if ((m >> step) != 0) {
            m >>= step;
            bits += step;
        }
    bits += m != 0;
    const int32_t sg = bits - ODL_BW_ROW_BITS;
    if (sg <= 0) { /* exact: |grad| < 2^bits */
        for (int32_t i = 0; i < n; ++i) g[i] = (int16_t)(grad[i] * ((int64_t)1 << -sg));
        return sg;
    }
    const int64_t half = (int64_t)1 << (sg - 1);
    for (int32_t i = 0; i < n; ++i) {
        const int64_t v = grad[i];
        g[i] = (int16_t)(v >= 0 ? (v + half) >> sg : -((-v + half) >> sg));
    }
    return sg;
}

void odl_update_round_s8(int32_t n, int8_t *w, const int16_t *g, int32_t c) {
    for (int32_t i = 0; i < n; ++i) {
        const int32_t d = (c * g[i] + ODL_BW_D_ROUND) >> 16;
        w[i] = (int8_t)clamp_w(w[i] - ((d + 128) >> 8));
    }
}

void odl_update_stochastic_s8(int32_t n, int8_t *w, const int16_t *g, int32_t c, uint32_t key) {
    for (int32_t i = 0; i < n; ++i) {
        const int32_t d = (c * g[i] + ODL_BW_D_ROUND) >> 16;
        if (d == 0) continue;
        const int32_t bump = (int32_t)(odl_prng_word(key, (uint32_t)i) & 255u) < (d & 255);
        w[i] = (int8_t)clamp_w(w[i] - (d >> 8) - bump);
    }
}
