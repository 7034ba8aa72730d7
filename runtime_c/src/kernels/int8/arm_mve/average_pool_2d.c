/* int8 AVERAGE_POOL_2D with Helium (MVE), bit-identical to the portable
 * kernels/int8/average_pool_2d.c (its specification, and the fallback).
 * Per output pixel the window is summed eight channels at a time in int16
 * lanes (one widening load and one add per tap; a window of at most 256
 * taps cannot leave int16: 256 * -128 = -32768), the sums go to a stack
 * row, then each channel is divided by the tap count as in the portable
 * kernel (rounding half away from zero) and clamped. Larger windows or
 * more channels than the row holds take the portable path. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

#define odl_avg_pool2d_s8 odl_avg_pool2d_s8_portable
#include "../average_pool_2d.c"
#undef odl_avg_pool2d_s8

#include "mve_int8.h"

#ifndef ODL_ARM_MVE_POOL_C_MAX
#define ODL_ARM_MVE_POOL_C_MAX 512
#endif

odl_status_t odl_avg_pool2d_s8(const odl_pool_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                               const odl_dims4_t *out_dims, int8_t *out) {
    if (!p || !in_dims || !in || !out_dims || !out) return ODL_ERR_ARG;
    const int32_t in_h = in_dims->h, in_w = in_dims->w, c = in_dims->c;
    if (out_dims->c != c || out_dims->n != in_dims->n) return ODL_ERR_SHAPE;
    if (p->filter_h * p->filter_w > 256 || c > ODL_ARM_MVE_POOL_C_MAX)
        return odl_avg_pool2d_s8_portable(p, in_dims, in, out_dims, out);
    int16_t sums[ODL_ARM_MVE_POOL_C_MAX] __attribute__((aligned(16)));
    const int32_t lo = p->act_min, hi = p->act_max;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * c;
        for (int32_t oy = 0; oy < out_dims->h; ++oy) {
            int32_t y0, fy0, fy1;
            odl_pool_window(oy, p->stride_h, p->pad_h, p->filter_h, in_h, &y0, &fy0, &fy1);
            for (int32_t ox = 0; ox < out_dims->w; ++ox) {
                int32_t x0, fx0, fx1;
                odl_pool_window(ox, p->stride_w, p->pad_w, p->filter_w, in_w, &x0, &fx0, &fx1);
                /* TFLite fails the op when a window misses the image. */
                if (fy1 <= fy0 || fx1 <= fx0) return ODL_ERR_SHAPE;
                const int32_t count = (fy1 - fy0) * (fx1 - fx0), half = count / 2, taps = fx1 - fx0;
                const size_t row_step = (size_t)in_w * c;
                const int8_t *win = in_b + ((size_t)(y0 + fy0) * in_w + x0 + fx0) * c;
                for (int32_t ch = 0; ch < c; ch += 8) {
                    const mve_pred16_t pr = vctp16q((uint32_t)(c - ch));
                    int16x8_t acc = vdupq_n_s16(0);
                    const int8_t *row = win + ch;
                    for (int32_t fy = fy0; fy < fy1; ++fy, row += row_step) {
                        const int8_t *x = row;
                        for (int32_t t = 0; t < taps; ++t, x += c) acc = vaddq_s16(acc, vldrbq_z_s16(x, pr));
                    }
                    vstrhq_p_s16(sums + ch, acc, pr);
                }
                for (int32_t ch = 0; ch < c; ++ch) {
                    const int32_t a = sums[ch];
                    const int32_t q = a > 0 ? (a + half) / count : (a - half) / count;
                    *out++ = (int8_t)odl_clamp_i32(q, lo, hi);
                }
            }
        }
    }
    return ODL_OK;
}
