/* An int8 table lookup: out = table[(uint8)in] (ELU, whose 256 entries
 * TFLite Micro computes in float in Prepare, as pytool/ops/elu.py does). */
#include "odl/kernels_ext.h"

odl_status_t odl_lut_s8(const int8_t *table, int32_t size, const int8_t *in, int8_t *out) {
    if (!table || !in || !out || size < 0) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) out[i] = table[(uint8_t)in[i]];
    return ODL_OK;
}
