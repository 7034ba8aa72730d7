/* REDUCE_MAX / REDUCE_MIN (int8, int16) as TFLite Micro: the raw maximum or
 * minimum over the reduced axes (input and output share quantization), x
 * viewed as [outer, reduce, inner]. */
#include "odl/kernels_ext.h"

odl_status_t odl_reduce_minmax(int32_t elem, int32_t is_min, int32_t outer, int32_t reduce, int32_t inner,
                               const void *in, void *out) {
    if (!in || !out || outer < 0 || reduce <= 0 || inner < 0 || (elem != 1 && elem != 2)) return ODL_ERR_ARG;
    for (int32_t o = 0; o < outer; ++o)
        for (int32_t i = 0; i < inner; ++i) {
            int32_t m = is_min ? (elem == 1 ? 127 : 32767) : (elem == 1 ? -128 : -32768);
            for (int32_t r = 0; r < reduce; ++r) {
                const int64_t k = ((int64_t)o * reduce + r) * inner + i;
                const int32_t v = elem == 1 ? ((const int8_t *)in)[k] : ((const int16_t *)in)[k];
                m = is_min ? (v < m ? v : m) : (v > m ? v : m);
            }
            if (elem == 1) ((int8_t *)out)[(int64_t)o * inner + i] = (int8_t)m;
            else ((int16_t *)out)[(int64_t)o * inner + i] = (int16_t)m;
        }
    return ODL_OK;
}

odl_status_t odl_reduce_max(int32_t elem, int32_t outer, int32_t reduce, int32_t inner, const void *in, void *out) {
    return odl_reduce_minmax(elem, 0, outer, reduce, inner, in, out);
}
