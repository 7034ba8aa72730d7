/* CIRCULAR_BUFFER (TFLite Micro's custom op for strided streaming models):
 * the buffer of `slots` samples of `depth` bytes drops its oldest sample and
 * takes x as its newest, then is copied to the output. */
#include <string.h>

#include "odl/kernels_ext.h"

odl_status_t odl_circular_buffer_s8(int32_t slots, int32_t depth, const int8_t *x, int8_t *buf, int8_t *out) {
    if (!x || !buf || !out || slots < 1 || depth < 0) return ODL_ERR_ARG;
    const size_t keep = (size_t)(slots - 1) * (size_t)depth;
    memmove(buf, buf + depth, keep);
    memcpy(buf + keep, x, (size_t)depth);
    memcpy(out, buf, keep + (size_t)depth);
    return ODL_OK;
}
