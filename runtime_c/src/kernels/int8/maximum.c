/* MAXIMUM / MINIMUM, int8 and int16, as TFLite Micro: element-wise on the raw
 * values (both inputs and the output share one quantization). */
#include "binary_loop.h"
#include "odl/kernels_ext.h"

odl_status_t odl_maximum_s8(int32_t is_min, const odl_dims4_t *d1, const int8_t *in1, const odl_dims4_t *d2,
                            const int8_t *in2, const odl_dims4_t *dy, int8_t *out) {
    if (!d1 || !in1 || !d2 || !in2 || !dy || !out) return ODL_ERR_ARG;
    ODL_BINARY_LOOP(int8_t, d1, in1, d2, in2, dy, out, is_min ? (a < b ? a : b) : (a > b ? a : b));
    return ODL_OK;
}

odl_status_t odl_maximum_s16(int32_t is_min, const odl_dims4_t *d1, const int16_t *in1, const odl_dims4_t *d2,
                             const int16_t *in2, const odl_dims4_t *dy, int16_t *out) {
    if (!d1 || !in1 || !d2 || !in2 || !dy || !out) return ODL_ERR_ARG;
    ODL_BINARY_LOOP(int16_t, d1, in1, d2, in2, dy, out, is_min ? (a < b ? a : b) : (a > b ? a : b));
    return ODL_OK;
}
