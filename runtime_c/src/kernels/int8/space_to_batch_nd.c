/* SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND on NHWC (any element size), as
 * TFLite Micro's reference kernels: output batch b = (i * bw + j) * N + n
 * holds input pixels (y * bh + i - pad_top, x * bw + j - pad_left); padding
 * bytes take pad_value's low byte (the reference memsets). BATCH_TO_SPACE_ND is the inverse with crops. */
#include <string.h>

#include "odl/kernels_ext.h"

odl_status_t odl_space_to_batch(int32_t elem, const odl_dims4_t *xd, const void *in, int32_t bh, int32_t bw,
                                int32_t pad_top, int32_t pad_left, int32_t pad_value, const odl_dims4_t *yd,
                                void *out) {
    if (!xd || !in || !yd || !out || bh <= 0 || bw <= 0 || (elem != 1 && elem != 2 && elem != 4)) return ODL_ERR_ARG;
    if (yd->n != xd->n * bh * bw || yd->c != xd->c) return ODL_ERR_SHAPE;
    const size_t pix = (size_t)xd->c * (size_t)elem;
    for (int32_t ob = 0; ob < yd->n; ++ob) {
        const int32_t n = ob % xd->n, blk = ob / xd->n, i = blk / bw, j = blk % bw;
        for (int32_t y = 0; y < yd->h; ++y)
            for (int32_t x = 0; x < yd->w; ++x) {
                const int32_t iy = y * bh + i - pad_top, ix = x * bw + j - pad_left;
                const int64_t o = (((int64_t)ob * yd->h + y) * yd->w + x) * yd->c;
                if (iy < 0 || iy >= xd->h || ix < 0 || ix >= xd->w) {
                    /* a byte fill, as the reference's memset (so int16 repeats the low byte) */
                    memset((uint8_t *)out + o * elem, (uint8_t)pad_value, pix);
                } else {
                    memcpy((uint8_t *)out + o * elem, (const uint8_t *)in + ((((int64_t)n * xd->h + iy) * xd->w + ix) * pix),
                           pix);
                }
            }
    }
    return ODL_OK;
}

odl_status_t odl_batch_to_space(int32_t elem, const odl_dims4_t *xd, const void *in, int32_t bh, int32_t bw,
                                int32_t crop_top, int32_t crop_left, const odl_dims4_t *yd, void *out) {
    if (!xd || !in || !yd || !out || bh <= 0 || bw <= 0 || (elem != 1 && elem != 2 && elem != 4)) return ODL_ERR_ARG;
    if (xd->n != yd->n * bh * bw || yd->c != xd->c) return ODL_ERR_SHAPE;
    const size_t pix = (size_t)xd->c * (size_t)elem;
    for (int32_t ib = 0; ib < xd->n; ++ib) {
        const int32_t n = ib % yd->n, blk = ib / yd->n, i = blk / bw, j = blk % bw;
        for (int32_t y = 0; y < xd->h; ++y) {
            const int32_t oy = y * bh + i - crop_top;
            if (oy < 0 || oy >= yd->h) continue;
            for (int32_t x = 0; x < xd->w; ++x) {
                const int32_t ox = x * bw + j - crop_left;
                if (ox < 0 || ox >= yd->w) continue;
                memcpy((uint8_t *)out + ((((int64_t)n * yd->h + oy) * yd->w + ox) * pix),
                       (const uint8_t *)in + ((((int64_t)ib * xd->h + y) * xd->w + x) * pix), pix);
            }
        }
    }
    return ODL_OK;
}
