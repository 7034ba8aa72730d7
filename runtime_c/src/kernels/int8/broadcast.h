/* Numpy-style broadcasting of a rank-4 operand onto the output: per-axis
 * element strides, 0 on broadcast axes. Private to the int8 kernels. */
#ifndef ODL_KERNELS_INT8_BROADCAST_H
#define ODL_KERNELS_INT8_BROADCAST_H

#include "odl/kernels_int8.h"

static inline int odl_broadcast_strides(const odl_dims4_t *in, const odl_dims4_t *out, int32_t s[4]) {
    const int32_t d[4] = {in->n, in->h, in->w, in->c};
    const int32_t o[4] = {out->n, out->h, out->w, out->c};
    int32_t stride = 1;
    for (int i = 3; i >= 0; --i) {
        if (d[i] != o[i] && d[i] != 1) return 0;
        s[i] = d[i] == 1 ? 0 : stride;
        stride *= d[i];
    }
    return 1;
}

#endif
