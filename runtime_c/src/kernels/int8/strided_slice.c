/* Strided copy between a tensor and a strided 5-D view of it: the one kernel
 * behind STRIDED_SLICE, SLICE, SPLIT, SPLIT_V, UNPACK (gather) and PACK
 * (scatter). Pure data movement, so any element size. */
#include <string.h>

#include "odl/kernels_ext.h"

odl_status_t odl_strided_copy(int32_t elem, const int32_t *dims, const int32_t *start, const int32_t *step,
                              const int32_t *count, int32_t scatter, void *whole, void *part) {
    if (!dims || !start || !step || !count || !whole || !part) return ODL_ERR_ARG;
    if (elem != 1 && elem != 2 && elem != 4 && elem != 8) return ODL_ERR_ARG;
    int32_t stride[5];
    int32_t s = 1;
    for (int d = 4; d >= 0; --d) {
        if (dims[d] <= 0 || count[d] < 0) return ODL_ERR_ARG;
        stride[d] = s;
        s *= dims[d];
    }
    uint8_t *w = (uint8_t *)whole, *p = (uint8_t *)part;
    int32_t k = 0;
    for (int32_t a = 0; a < count[0]; ++a)
        for (int32_t b = 0; b < count[1]; ++b)
            for (int32_t c = 0; c < count[2]; ++c)
                for (int32_t d = 0; d < count[3]; ++d)
                    for (int32_t e = 0; e < count[4]; ++e, ++k) {
                        const int32_t idx = (start[0] + a * step[0]) * stride[0] + (start[1] + b * step[1]) * stride[1] +
                                            (start[2] + c * step[2]) * stride[2] + (start[3] + d * step[3]) * stride[3] +
                                            (start[4] + e * step[4]) * stride[4];
                        if (scatter)
                            memcpy(w + (size_t)idx * (size_t)elem, p + (size_t)k * (size_t)elem, (size_t)elem);
                        else
                            memcpy(p + (size_t)k * (size_t)elem, w + (size_t)idx * (size_t)elem, (size_t)elem);
                    }
    return ODL_OK;
}
