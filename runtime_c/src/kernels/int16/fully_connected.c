/* 16x8 FULLY_CONNECTED, bit-exact with TFLite Micro (reference_integer_ops::
 * FullyConnected / FullyConnectedPerChannel for int16 input, int8 filter). */
#include "odl/kernels_ext.h"
#include "requant64.h"

odl_status_t odl_fully_connected_s16(const int32_t *mult, const int32_t *shift, int32_t per_channel,
                                     int32_t act_min, int32_t act_max, int32_t batches, int32_t in_depth,
                                     const int16_t *in, int32_t out_depth, const int8_t *w, const int64_t *bias64,
                                     const int32_t *bias32, int16_t *out) {
    if (!mult || !shift || !in || !w || !out || batches < 0 || in_depth <= 0 || out_depth <= 0) return ODL_ERR_ARG;
    for (int32_t b = 0; b < batches; ++b)
        for (int32_t o = 0; o < out_depth; ++o) {
            const int32_t k = per_channel ? o : 0;
            if (shift[k] > 7 || shift[k] < -31) return ODL_ERR_ARG;
            int64_t acc = 0;
            const int16_t *x = in + (int64_t)b * in_depth;
            const int8_t *wr = w + (int64_t)o * in_depth;
            for (int32_t d = 0; d < in_depth; ++d) acc += (int32_t)wr[d] * (int32_t)x[d];
            out[(int64_t)b * out_depth + o] = odl_requant_s16(acc, bias64, bias32, o, mult[k], shift[k], act_min, act_max);
        }
    return ODL_OK;
}
