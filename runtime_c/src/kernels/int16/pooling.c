/* int16 AVERAGE_POOL_2D / MAX_POOL_2D, bit-exact with TFLite Micro
 * (reference_integer_ops::AveragePool16 / MaxPool16): the window's part
 * inside the image; the average rounds half away from zero. */
#include "odl/fixedpoint.h"
#include "odl/kernels_ext.h"

static odl_status_t pool(const odl_pool_params_t *p, const odl_dims4_t *xd, const int16_t *in, const odl_dims4_t *yd,
                         int16_t *out, int is_max) {
    if (!p || !xd || !in || !yd || !out || yd->c != xd->c || yd->n != xd->n) return ODL_ERR_ARG;
    for (int32_t b = 0; b < yd->n; ++b)
        for (int32_t oy = 0; oy < yd->h; ++oy)
            for (int32_t ox = 0; ox < yd->w; ++ox) {
                int32_t y0, fy0, fy1, x0, fx0, fx1;
                odl_pool_window(oy, p->stride_h, p->pad_h, p->filter_h, xd->h, &y0, &fy0, &fy1);
                odl_pool_window(ox, p->stride_w, p->pad_w, p->filter_w, xd->w, &x0, &fx0, &fx1);
                for (int32_t c = 0; c < yd->c; ++c) {
                    int32_t acc = is_max ? -32768 : 0, count = 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        const int32_t iy = y0 + fy;
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            const int32_t ix = x0 + fx;
                            const int32_t v = in[(((int64_t)b * xd->h + iy) * xd->w + ix) * xd->c + c];
                            if (is_max) acc = v > acc ? v : acc;
                            else acc += v;
                            ++count;
                        }
                    }
                    if (!is_max) {
                        if (count == 0) return ODL_ERR_SHAPE;
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    }
                    out[(((int64_t)b * yd->h + oy) * yd->w + ox) * yd->c + c] =
                        (int16_t)odl_clamp_i32(acc, p->act_min, p->act_max);
                }
            }
    return ODL_OK;
}

odl_status_t odl_avg_pool2d_s16(const odl_pool_params_t *p, const odl_dims4_t *xd, const int16_t *in,
                                const odl_dims4_t *yd, int16_t *out) {
    return pool(p, xd, in, yd, out, 0);
}

odl_status_t odl_max_pool2d_s16(const odl_pool_params_t *p, const odl_dims4_t *xd, const int16_t *in,
                                const odl_dims4_t *yd, int16_t *out) {
    return pool(p, xd, in, yd, out, 1);
}
