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

/* Any set of axes (TFLite's ReduceGeneric): input dims lifted to 5-D, `mask`
 * bit d set for a reduced axis; the output holds the kept axes in order. */
odl_status_t odl_reduce_minmax_nd(int32_t elem, int32_t is_min, const int32_t dims[5], int32_t mask, const void *in,
                                  void *out) {
    if (!dims || !in || !out || (elem != 1 && elem != 2)) return ODL_ERR_ARG;
    int64_t n_in = 1, n_out = 1, ostride[5];
    for (int d = 4; d >= 0; --d) {
        if (dims[d] < 0) return ODL_ERR_ARG;
        ostride[d] = (mask >> d) & 1 ? 0 : n_out;
        if (!((mask >> d) & 1)) n_out *= dims[d];
        n_in *= dims[d];
    }
    const int32_t init = is_min ? (elem == 1 ? 127 : 32767) : (elem == 1 ? -128 : -32768);
    for (int64_t k = 0; k < n_out; ++k) {
        if (elem == 1) ((int8_t *)out)[k] = (int8_t)init;
        else ((int16_t *)out)[k] = (int16_t)init;
    }
    int32_t idx[5] = {0, 0, 0, 0, 0};
    int64_t o = 0;
    for (int64_t k = 0; k < n_in; ++k) {
        const int32_t v = elem == 1 ? ((const int8_t *)in)[k] : ((const int16_t *)in)[k];
        const int32_t m = elem == 1 ? ((const int8_t *)out)[o] : ((const int16_t *)out)[o];
        if (is_min ? v < m : v > m) {
            if (elem == 1) ((int8_t *)out)[o] = (int8_t)v;
            else ((int16_t *)out)[o] = (int16_t)v;
        }
        for (int d = 4; d >= 0; --d) { /* next input index; the output index follows the kept axes */
            o += ostride[d];
            if (++idx[d] < dims[d]) break;
            o -= ostride[d] * dims[d];
            idx[d] = 0;
        }
    }
    return ODL_OK;
}
