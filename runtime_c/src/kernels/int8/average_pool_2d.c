/* int8 AVERAGE_POOL_2D, TFLite's reference integer AveragePool bit for bit:
 * sums the raw int8 values of the window part inside the image, divides by
 * that count rounding half away from zero, clamps. Input and output share
 * their quantization (TFLite requires it), so no requantization. */
#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

odl_status_t odl_avg_pool2d_s8(const odl_pool_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
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
                const int32_t count = (fy1 - fy0) * (fx1 - fx0);
                /* TFLite fails the op when a window misses the image. */
                if (fy1 <= fy0 || fx1 <= fx0) return ODL_ERR_SHAPE;
                for (int32_t ch = 0; ch < c; ++ch) {
                    int32_t acc = 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        const int8_t *row = in_b + ((size_t)(y0 + fy) * in_w + x0) * c + ch;
                        for (int32_t fx = fx0; fx < fx1; ++fx) acc += row[(size_t)fx * c];
                    }
                    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    *out++ = (int8_t)odl_clamp_i32(acc, p->act_min, p->act_max);
                }
            }
        }
    }
    return ODL_OK;
}
