/* GATHER (any element size), as TFLite Micro: x viewed as [outer, axis_size,
 * inner]; output [outer, n_idx, inner] copies inner-blocks picked by the
 * int32 indices. An index out of range is an error (TFLite Micro fails too). */
#include <string.h>

#include "odl/kernels_ext.h"

odl_status_t odl_gather(int32_t elem, int32_t outer, int32_t axis_size, int32_t inner, const void *in,
                        int32_t n_idx, const int32_t *idx, void *out) {
    if (!in || !idx || !out || elem <= 0 || outer < 0 || axis_size < 0 || inner < 0 || n_idx < 0) return ODL_ERR_ARG;
    const size_t blk = (size_t)inner * (size_t)elem;
    for (int32_t i = 0; i < n_idx; ++i)
        if (idx[i] < 0 || idx[i] >= axis_size) return ODL_ERR_ARG;
    for (int32_t o = 0; o < outer; ++o)
        for (int32_t i = 0; i < n_idx; ++i)
            memcpy((uint8_t *)out + ((size_t)o * n_idx + i) * blk,
                   (const uint8_t *)in + ((size_t)o * axis_size + idx[i]) * blk, blk);
    return ODL_OK;
}
