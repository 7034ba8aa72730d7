/* RESIZE_NEAREST_NEIGHBOR (any element size): output row y, column x copy the
 * input pixel (iy[y], ix[x]); the index tables are TFLite's
 * GetNearestNeighbor, computed at lowering. */
#include <string.h>

#include "odl/kernels_ext.h"

odl_status_t odl_resize_nearest(int32_t elem, const odl_dims4_t *xd, const void *in, const odl_dims4_t *yd,
                                const int32_t *iy, const int32_t *ix, void *out) {
    if (!xd || !in || !yd || !iy || !ix || !out || elem <= 0) return ODL_ERR_ARG;
    const size_t pix = (size_t)xd->c * (size_t)elem;
    uint8_t *o = (uint8_t *)out;
    for (int32_t b = 0; b < yd->n; ++b)
        for (int32_t y = 0; y < yd->h; ++y) {
            if (iy[y] < 0 || iy[y] >= xd->h) return ODL_ERR_ARG;
            for (int32_t x = 0; x < yd->w; ++x, o += pix) {
                if (ix[x] < 0 || ix[x] >= xd->w) return ODL_ERR_ARG;
                memcpy(o, (const uint8_t *)in + ((((size_t)b * xd->h + iy[y]) * xd->w + ix[x]) * pix), pix);
            }
        }
    return ODL_OK;
}
