/* GATHER_ND, any element size, int32 indices, bit-exact with TFLite Micro:
 * each index tuple selects a slice at the flat offset sum_j idx_j * stride_j;
 * as there, only that flat offset is range-checked (ODL_ERR_ARG otherwise,
 * where TFLite Micro fails the invoke). */
#include <string.h>

#include "odl/kernels_ext.h"

odl_status_t odl_gather_nd(int32_t elem, int32_t rank, const int32_t *dims, int32_t index_depth, int32_t n_slices,
                           const int32_t *indices, const void *params, void *out) {
    if (!dims || !indices || !params || !out || (elem != 1 && elem != 2 && elem != 4)) return ODL_ERR_ARG;
    if (rank < 1 || rank > ODL_MAX_RANK || index_depth < 1 || index_depth > rank || n_slices < 0) return ODL_ERR_ARG;
    int64_t stride[ODL_MAX_RANK];
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; --d) {
        stride[d] = s;
        s *= dims[d];
    }
    const int64_t total = s, slice = stride[index_depth - 1];
    const uint8_t *src = (const uint8_t *)params;
    uint8_t *dst = (uint8_t *)out;
    for (int32_t i = 0; i < n_slices; ++i) {
        int64_t from = 0;
        for (int32_t j = 0; j < index_depth; ++j) from += (int64_t)indices[i * index_depth + j] * stride[j];
        if (from < 0 || from + slice > total) return ODL_ERR_ARG;
        memcpy(dst + (size_t)(i * slice) * (size_t)elem, src + (size_t)from * (size_t)elem, (size_t)(slice * elem));
    }
    return ODL_OK;
}
