/* TRANSPOSE, rank <= 5: walks the output in order, reading the input through
 * strides permuted once up front (no per-element division). Pure data
 * movement, so one body serves every element size. */
#include <string.h>

#include "odl/kernels_ext.h"
#include "odl/kernels_int8.h"

odl_status_t odl_transpose_elems(int32_t elem, int32_t rank, const int32_t *in_dims, const int32_t *perm,
                                 const void *in, void *out) {
    if (!in_dims || !perm || !in || !out) return ODL_ERR_ARG;
    if (elem != 1 && elem != 2 && elem != 4) return ODL_ERR_ARG;
    if (rank < 1 || rank > ODL_MAX_RANK) return ODL_ERR_SHAPE;
    int32_t in_stride[ODL_MAX_RANK];
    int32_t s = 1;
    for (int d = rank - 1; d >= 0; --d) {
        if (in_dims[d] < 0) return ODL_ERR_SHAPE;
        in_stride[d] = s;
        s *= in_dims[d];
    }
    /* Output dims and matching input strides, lifted to 5-D. */
    int32_t od[ODL_MAX_RANK], st[ODL_MAX_RANK];
    unsigned seen = 0;
    const int lift = ODL_MAX_RANK - rank;
    for (int d = 0; d < ODL_MAX_RANK; ++d) {
        if (d < lift) {
            od[d] = 1;
            st[d] = 0;
            continue;
        }
        const int32_t k = perm[d - lift];
        if (k < 0 || k >= rank || (seen & (1u << k))) return ODL_ERR_SHAPE;
        seen |= 1u << k;
        od[d] = in_dims[k];
        st[d] = in_stride[k];
    }
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    const size_t es = (size_t)elem;
    for (int32_t a = 0; a < od[0]; ++a)
        for (int32_t b = 0; b < od[1]; ++b)
            for (int32_t c = 0; c < od[2]; ++c)
                for (int32_t e = 0; e < od[3]; ++e) {
                    const size_t base = (size_t)a * st[0] + (size_t)b * st[1] + (size_t)c * st[2] + (size_t)e * st[3];
                    if (es == 1) {
                        for (int32_t f = 0; f < od[4]; ++f) *dst++ = src[base + (size_t)f * st[4]];
                    } else {
                        for (int32_t f = 0; f < od[4]; ++f, dst += es)
                            memcpy(dst, src + (base + (size_t)f * st[4]) * es, es);
                    }
                }
    return ODL_OK;
}

odl_status_t odl_transpose_s8(int32_t rank, const int32_t *in_dims, const int32_t *perm, const int8_t *in,
                              int8_t *out) {
    return odl_transpose_elems(1, rank, in_dims, perm, in, out);
}
