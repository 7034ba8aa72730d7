/* odl_update_master_s8 with the DSP extension: four weights per step.
 * d for elements 0..3 comes from SMLABB/SMLABT (c in the bottom half, g in
 * either half, plus the rounding constant) and is packed as int16 lanes
 * (d0, d2) and (d1, d3); the masters are assembled in the same lane order
 * straight from the weight and residual words (high byte w, low byte u),
 * QSUB16 saturates at the int16 top, SSUB16 + SEL clamps the bottom at
 * -127 * 256, and the bytes are split back. Same bytes as ../bw_update_master.c. */
#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#elif !defined(ODL_ACLE_EMULATION)
#error "arm_dsp kernels need a core with the DSP extension"
#endif
#include <string.h>

#include "odl/kernels_bw_s8.h"

static inline uint32_t ld32(const void *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st32(void *p, uint32_t v) { memcpy(p, &v, sizeof v); }

/* Lanes below lim (both int16 lanes) replaced by lim; SSUB16 sets the GE
 * flags that SEL reads, so the two stay in one asm statement. */
static inline uint32_t clamp_lo16(uint32_t v, uint32_t lim) {
#if defined(__ARM_FEATURE_DSP)
    uint32_t r, t;
    __asm__("ssub16 %1, %2, %3\n\tsel %0, %2, %3" : "=r"(r), "=&r"(t) : "r"(v), "r"(lim) : "cc");
    return r;
#else
    return odl_acle_clamp_lo16(v, lim);
#endif
}

void odl_update_master_s8(int32_t n, int8_t *w, uint8_t *u, const int16_t *g, int32_t c) {
    const uint32_t lim = ((uint32_t)(uint16_t)ODL_BW_V_MIN) * 0x10001u;
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32_t g01 = ld32(g + i), g23 = ld32(g + i + 2);
        const uint32_t t0 = (uint32_t)__smlabb(c, (int32_t)g01, ODL_BW_D_ROUND);
        const uint32_t t1 = (uint32_t)__smlabt(c, (int32_t)g01, ODL_BW_D_ROUND);
        const uint32_t t2 = (uint32_t)__smlabb(c, (int32_t)g23, ODL_BW_D_ROUND);
        const uint32_t t3 = (uint32_t)__smlabt(c, (int32_t)g23, ODL_BW_D_ROUND);
        const uint32_t d_even = (t2 & 0xffff0000u) | (t0 >> 16);
        const uint32_t d_odd = (t3 & 0xffff0000u) | (t1 >> 16);
        const uint32_t wv = ld32(w + i), uv = ld32(u + i);
        uint32_t v_even = ((wv << 8) & 0xff00ff00u) | (uv & 0x00ff00ffu);
        uint32_t v_odd = (wv & 0xff00ff00u) | ((uv >> 8) & 0x00ff00ffu);
        v_even = clamp_lo16((uint32_t)__qsub16((int32_t)v_even, (int32_t)d_even), lim);
        v_odd = clamp_lo16((uint32_t)__qsub16((int32_t)v_odd, (int32_t)d_odd), lim);
        st32(w + i, (v_odd & 0xff00ff00u) | ((v_even >> 8) & 0x00ff00ffu));
        st32(u + i, (v_even & 0x00ff00ffu) | ((v_odd << 8) & 0xff00ff00u));
    }
    for (; i < n; ++i) {
        const int32_t d = (c * g[i] + ODL_BW_D_ROUND) >> 16;
        int32_t v = w[i] * 256 + u[i] - d;
        if (v > ODL_BW_V_MAX) v = ODL_BW_V_MAX;
        if (v < ODL_BW_V_MIN) v = ODL_BW_V_MIN;
        w[i] = (int8_t)(v >> 8);
        u[i] = (uint8_t)(v & 255);
    }
}
