/* MIRROR_PAD (REFLECT: offset 1, SYMMETRIC: offset 0), any element size,
 * bit-exact with TFLite Micro: each output coordinate maps back per axis by
 * its GetInputDimension (pads wider than the input clamp at the far edge). */
#include <string.h>

#include "odl/kernels_ext.h"

static int32_t mirror_index(int32_t p, int32_t left, int32_t n, int32_t offset) {
    if (p < left) {
        const int32_t orig = left + offset - 1;
        const int32_t d = orig - offset;
        return orig - (p < d ? p : d);
    }
    p -= left;
    if (p >= n) {
        p -= n;
        const int32_t orig = n - (1 + offset);
        return orig - (p < orig ? p : orig);
    }
    return p;
}

odl_status_t odl_mirror_pad(int32_t elem, int32_t offset, const int32_t *in_dims, const int32_t *left,
                            const int32_t *out_dims, const void *in, void *out) {
    if (!in_dims || !left || !out_dims || !in || !out || (elem != 1 && elem != 2 && elem != 4)) return ODL_ERR_ARG;
    if (offset != 0 && offset != 1) return ODL_ERR_ARG;
    int32_t stride[5];
    int32_t s = 1;
    for (int d = 4; d >= 0; --d) {
        if (in_dims[d] < 1 || out_dims[d] < 1) return ODL_ERR_SHAPE;
        stride[d] = s;
        s *= in_dims[d];
    }
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    int32_t i[5];
    for (i[0] = 0; i[0] < out_dims[0]; ++i[0])
        for (i[1] = 0; i[1] < out_dims[1]; ++i[1])
            for (i[2] = 0; i[2] < out_dims[2]; ++i[2])
                for (i[3] = 0; i[3] < out_dims[3]; ++i[3])
                    for (i[4] = 0; i[4] < out_dims[4]; ++i[4]) {
                        int32_t flat = 0;
                        for (int d = 0; d < 5; ++d) {
                            const int32_t k = mirror_index(i[d], left[d], in_dims[d], offset);
                            if (k < 0 || k >= in_dims[d]) return ODL_ERR_SHAPE;
                            flat += k * stride[d];
                        }
                        memcpy(dst, src + (size_t)flat * (size_t)elem, (size_t)elem);
                        dst += elem;
                    }
    return ODL_OK;
}
