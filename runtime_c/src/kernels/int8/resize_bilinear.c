/* RESIZE_BILINEAR, int8 (TFLite Micro has no int16 kernel), bit-exact with TFLite Micro
 * (reference_ops::ResizeBilinearInteger): 10-bit fixed-point positions, a
 * 20-bit weighted sum of the four neighbours, rounded half away from zero
 * (the double-rounding build's division). Per output row/column the
 * lowering passes (scaled position, lower index, upper index). */
#include "odl/kernels_ext.h"

#define ODL_BILINEAR_BODY(T)                                                                                \
    for (int32_t b = 0; b < yd->n; ++b)                                                                     \
        for (int32_t y = 0; y < yd->h; ++y) {                                                               \
            const int32_t sy = ty[3 * y], y0 = ty[3 * y + 1], y1 = ty[3 * y + 2];                           \
            if (y0 < 0 || y1 < 0 || y0 >= xd->h || y1 >= xd->h) return ODL_ERR_ARG;                        \
            for (int32_t x = 0; x < yd->w; ++x) {                                                           \
                const int32_t sx = tx[3 * x], x0 = tx[3 * x + 1], x1 = tx[3 * x + 2];                       \
                if (x0 < 0 || x1 < 0 || x0 >= xd->w || x1 >= xd->w) return ODL_ERR_ARG;                    \
                const int64_t wy1 = sy - (1 << 10) * y0, wy0 = (1 << 10) - wy1;                             \
                const int64_t wx1 = sx - (1 << 10) * x0, wx0 = (1 << 10) - wx1;                             \
                const T *p00 = in + (((int64_t)b * xd->h + y0) * xd->w + x0) * xd->c;                       \
                const T *p10 = in + (((int64_t)b * xd->h + y1) * xd->w + x0) * xd->c;                       \
                const T *p01 = in + (((int64_t)b * xd->h + y0) * xd->w + x1) * xd->c;                       \
                const T *p11 = in + (((int64_t)b * xd->h + y1) * xd->w + x1) * xd->c;                       \
                T *o = out + (((int64_t)b * yd->h + y) * yd->w + x) * yd->c;                                \
                for (int32_t c = 0; c < yd->c; ++c) {                                                       \
                    const int64_t s = p00[c] * wy0 * wx0 + p10[c] * wy1 * wx0 + p01[c] * wy0 * wx1 +         \
                                      p11[c] * wy1 * wx1;                                                   \
                    o[c] = (T)((s + (s > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));                         \
                }                                                                                           \
            }                                                                                               \
        }

odl_status_t odl_resize_bilinear_s8(const odl_dims4_t *xd, const int8_t *in, const odl_dims4_t *yd,
                                    const int32_t *ty, const int32_t *tx, int8_t *out) {
    if (!xd || !in || !yd || !ty || !tx || !out || xd->c != yd->c || xd->n != yd->n) return ODL_ERR_ARG;
    ODL_BILINEAR_BODY(int8_t)
    return ODL_OK;
}
