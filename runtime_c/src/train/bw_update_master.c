/* Sub-LSB weight write-back with an int16 master per weight (sparse update,
 * rounding "master"). The master is v = 256 * w + u: the int8 weight the
 * forward reads is its high byte, the uint8 residual u its low byte (starts
 * at 128, so w is v / 256 rounded to nearest with ties up). One step:
 *   d = (c * g[i] + 2^15) >> 16          (update in 1/256 weight LSB)
 *   v = clamp(256 * w + u - d, -127 * 256, 32767)
 * |c|, |g| < 2^15 keep c * g inside int32 and |d| <= 2^14. This file is the
 * spec; arm_dsp/bw_update_master.c does four weights per step with SIMD32. */
#include "odl/kernels_bw_s8.h"

void odl_update_master_s8(int32_t n, int8_t *w, uint8_t *u, const int16_t *g, int32_t c) {
    for (int32_t i = 0; i < n; ++i) {
        const int32_t d = (c * g[i] + ODL_BW_D_ROUND) >> 16;
        int32_t v = w[i] * 256 + u[i] - d;
        if (v > ODL_BW_V_MAX) v = ODL_BW_V_MAX;
        if (v < ODL_BW_V_MIN) v = ODL_BW_V_MIN;
        w[i] = (int8_t)(v >> 8);
        u[i] = (uint8_t)(v & 255);
    }
}
