/* int8 MAX_POOL_2D with Helium (MVE), bit-identical to the portable
 * kernels/int8/max_pool_2d.c (its specification, and the fallback): sixteen
 * channels per vector, one load and one VMAX per tap, the window starting
 * at -128 in every lane like the portable scan (an empty window gives the
 * same clamped -128), the clamp on the vector, one predicated store. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

#define odl_max_pool2d_s8 odl_max_pool2d_s8_portable
#include "../max_pool_2d.c"
#undef odl_max_pool2d_s8

#include "mve_int8.h"

odl_status_t odl_max_pool2d_s8(const odl_pool_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                               const odl_dims4_t *out_dims, int8_t *out) {
    if (!p || !in_dims || !in || !out_dims || !out) return ODL_ERR_ARG;
    const int32_t in_h = in_dims->h, in_w = in_dims->w, c = in_dims->c;
    if (out_dims->c != c || out_dims->n != in_dims->n) return ODL_ERR_SHAPE;
    if (p->act_min < -128 || p->act_max > 127 || p->act_min > p->act_max)
        return odl_max_pool2d_s8_portable(p, in_dims, in, out_dims, out);
    const int8x16_t vlo = vdupq_n_s8((int8_t)p->act_min), vhi = vdupq_n_s8((int8_t)p->act_max);
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * c;
        for (int32_t oy = 0; oy < out_dims->h; ++oy) {
            int32_t y0, fy0, fy1;
            odl_pool_window(oy, p->stride_h, p->pad_h, p->filter_h, in_h, &y0, &fy0, &fy1);
            for (int32_t ox = 0; ox < out_dims->w; ++ox, out += c) {
                int32_t x0, fx0, fx1;
                odl_pool_window(ox, p->stride_w, p->pad_w, p->filter_w, in_w, &x0, &fx0, &fx1);
                const int32_t rows = fy1 - fy0, taps = fx1 - fx0;
                const size_t row_step = (size_t)in_w * c;
                for (int32_t ch = 0; ch < c; ch += 16) {
                    const mve_pred16_t pr = vctp8q((uint32_t)(c - ch));
                    int8x16_t best = vdupq_n_s8(-128);
                    if (rows > 0 && taps > 0) {
                        const int8_t *row = in_b + ((size_t)(y0 + fy0) * in_w + x0 + fx0) * c + ch;
                        for (int32_t fy = 0; fy < rows; ++fy, row += row_step) {
                            const int8_t *x = row;
                            for (int32_t t = 0; t < taps; ++t, x += c) best = vmaxq_s8(best, vldrbq_z_s8(x, pr));
                        }
                    }
                    vstrbq_p_s8(out + ch, vminq_s8(vmaxq_s8(best, vlo), vhi), pr);
                }
            }
        }
    }
    return ODL_OK;
}
