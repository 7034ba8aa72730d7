/* ARG_MAX / ARG_MIN (int8 or int16 values, int32 or int64 indices), as TFLite
 * Micro's ArgMinMax: x viewed as [outer, axis, inner]; the first extreme wins
 * (strict comparison). */
#include "odl/kernels_ext.h"

odl_status_t odl_arg_max(int32_t is_min, int32_t elem, int32_t index_elem, int32_t outer, int32_t axis, int32_t inner,
                         const void *in, void *out) {
    if (!in || !out || outer < 0 || axis <= 0 || inner < 0 || (elem != 1 && elem != 2) ||
        (index_elem != 4 && index_elem != 8))
        return ODL_ERR_ARG;
    for (int32_t o = 0; o < outer; ++o)
        for (int32_t i = 0; i < inner; ++i) {
            int32_t best = 0, best_v = 0;
            for (int32_t a = 0; a < axis; ++a) {
                const int64_t k = ((int64_t)o * axis + a) * inner + i;
                const int32_t v = elem == 1 ? ((const int8_t *)in)[k] : ((const int16_t *)in)[k];
                if (a == 0 || (is_min ? v < best_v : v > best_v)) {
                    best = a;
                    best_v = v;
                }
            }
            const int64_t k = (int64_t)o * inner + i;
            if (index_elem == 4) ((int32_t *)out)[k] = best;
            else ((int64_t *)out)[k] = best;
        }
    return ODL_OK;
}
