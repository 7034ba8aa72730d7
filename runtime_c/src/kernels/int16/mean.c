/* int16 MEAN and SUM as TFLite Micro runs them (QuantizedMeanOrSum<int16_t,
 * int32_t>); the loop is the int8 kernel's (../int8/mean_loop.h). */
#include "../int8/mean_loop.h"
#include "odl/kernels_ext.h"

odl_status_t odl_mean_s16(const odl_mean_params_t *p, int32_t outer, int32_t reduce, int32_t inner,
                          const int16_t *in, int16_t *out) {
    ODL_MEAN_LOOP(int16_t, -32768, 32767, p, outer, reduce, inner, in, out);
    return ODL_OK;
}

odl_status_t odl_mean_nd_s16(const odl_mean_params_t *p, const int32_t dims[5], int32_t mask, const int16_t *in,
                             int16_t *out) {
    ODL_MEAN_ND_LOOP(int16_t, -32768, 32767, p, dims, mask, in, out);
    return ODL_OK;
}
