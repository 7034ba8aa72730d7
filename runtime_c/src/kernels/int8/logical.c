/* LOGICAL_AND / LOGICAL_OR (broadcasting) and LOGICAL_NOT on bool tensors
 * (one byte, 0 or 1), as TFLite Micro's logical kernels. */
#include "binary_loop.h"
#include "odl/kernels_ext.h"

odl_status_t odl_logical_bool(int32_t kind, const odl_dims4_t *d1, const uint8_t *in1, const odl_dims4_t *d2,
                              const uint8_t *in2, const odl_dims4_t *dy, uint8_t *out) {
    if (!d1 || !in1 || !dy || !out || kind < ODL_LOGICAL_AND || kind > ODL_LOGICAL_NOT) return ODL_ERR_ARG;
    if (kind == ODL_LOGICAL_NOT) {
        const int32_t n = dy->n * dy->h * dy->w * dy->c;
        for (int32_t i = 0; i < n; ++i) out[i] = !in1[i];
        return ODL_OK;
    }
    if (!d2 || !in2) return ODL_ERR_ARG;
    if (kind == ODL_LOGICAL_AND)
        ODL_BINARY_LOOP(uint8_t, d1, in1, d2, in2, dy, out, (a != 0) && (b != 0));
    else
        ODL_BINARY_LOOP(uint8_t, d1, in1, d2, in2, dy, out, (a != 0) || (b != 0));
    return ODL_OK;
}
