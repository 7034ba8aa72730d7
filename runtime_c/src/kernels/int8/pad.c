/* int8 PAD, rank <= 5 (TFLite pads int8 with the output zero point unless a
 * constant is given). Shapes are lifted to 5-D; the innermost dimension is
 * written as runs: leading pad, a copy of the input row, trailing pad. */
#include <string.h>

#include "odl/kernels_int8.h"

odl_status_t odl_pad_s8(int32_t rank, const int32_t *in_dims, const int32_t *pad_before,
                        const int32_t *pad_after, int8_t pad_value, const int8_t *in, int8_t *out) {
    if (!in_dims || !pad_before || !pad_after || !in || !out) return ODL_ERR_ARG;
    if (rank < 1 || rank > ODL_MAX_RANK) return ODL_ERR_SHAPE;
    int32_t id[ODL_MAX_RANK], od[ODL_MAX_RANK], lo[ODL_MAX_RANK];
    const int32_t lift = ODL_MAX_RANK - rank;
    for (int d = 0; d < ODL_MAX_RANK; ++d) {
        if (d < lift) {
            id[d] = od[d] = 1;
            lo[d] = 0;
            continue;
        }
        const int32_t k = d - lift;
        if (in_dims[k] < 0 || pad_before[k] < 0 || pad_after[k] < 0) return ODL_ERR_SHAPE;
        id[d] = in_dims[k];
        lo[d] = pad_before[k];
        od[d] = pad_before[k] + in_dims[k] + pad_after[k];
    }
    const size_t row = (size_t)od[4];
    const int8_t *src = in;
    for (int32_t a = 0; a < od[0]; ++a) {
        const int in_a = a >= lo[0] && a < lo[0] + id[0];
        for (int32_t b = 0; b < od[1]; ++b) {
            const int in_b = in_a && b >= lo[1] && b < lo[1] + id[1];
            for (int32_t c = 0; c < od[2]; ++c) {
                const int in_c = in_b && c >= lo[2] && c < lo[2] + id[2];
                for (int32_t e = 0; e < od[3]; ++e) {
                    const int inside = in_c && e >= lo[3] && e < lo[3] + id[3];
                    if (!inside) {
                        memset(out, pad_value, row);
                    } else {
                        /* Input rows are visited in order, so src just advances. */
                        memset(out, pad_value, (size_t)lo[4]);
                        memcpy(out + lo[4], src, (size_t)id[4]);
                        memset(out + lo[4] + id[4], pad_value, row - (size_t)lo[4] - (size_t)id[4]);
                        src += id[4];
                    }
                    out += row;
                }
            }
        }
    }
    return ODL_OK;
}
