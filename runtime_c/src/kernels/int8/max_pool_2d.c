/* int8 MAX_POOL_2D, TFLite's reference integer MaxPool bit for bit: the
 * largest value of the window part inside the image, clamped. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

odl_status_t odl_max_pool2d_s8(const odl_pool_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                               const odl_dims4_t *out_dims, int8_t *out) {
    if (!p || !in_dims || !in || !out_dims || !out) return ODL_ERR_ARG;
    const int32_t in_h = in_dims->h, in_w = in_dims->w, c = in_dims->c;
    if (out_dims->c != c || out_dims->n != in_dims->n) return ODL_ERR_SHAPE;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * c;
        for (int32_t oy = 0; oy < out_dims->h; ++oy) {
            int32_t y0, fy0, fy1;
            odl_pool_window(oy, p->stride_h, p->pad_h, p->filter_h, in_h, &y0, &fy0, &fy1);
            for (int32_t ox = 0; ox < out_dims->w; ++ox) {
                int32_t x0, fx0, fx1;
                odl_pool_window(ox, p->stride_w, p->pad_w, p->filter_w, in_w, &x0, &fx0, &fx1);
                for (int32_t ch = 0; ch < c; ++ch) {
                    int32_t best = -128;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        const int8_t *row = in_b + ((size_t)(y0 + fy) * in_w + x0) * c + ch;
                        for (int32_t fx = fx0; fx < fx1; ++fx)
                            if (row[(size_t)fx * c] > best) best = row[(size_t)fx * c];
                    }
                    *out++ = (int8_t)odl_clamp_i32(best, p->act_min, p->act_max);
                }
            }
        }
    }
    return ODL_OK;
}
