/* int8 CONCATENATION, one input per call (the decoder loops over inputs):
 * inputs share the output's quantization, as TFLite Micro requires, so this
 * is a strided copy, clamped only when a fused activation narrows the range. */
#include <string.h>

#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

odl_status_t odl_concat_s8(int32_t outer, int32_t in_chunk, int32_t out_chunk, int32_t out_offset,
                           int32_t act_min, int32_t act_max, const int8_t *in, int8_t *out) {
    if (!in || !out) return ODL_ERR_ARG;
    if (outer < 0 || in_chunk < 0 || out_offset < 0 || out_offset + in_chunk > out_chunk) return ODL_ERR_SHAPE;
    const int clamp = act_min > -128 || act_max < 127;
    for (int32_t o = 0; o < outer; ++o) {
        const int8_t *src = in + (size_t)o * in_chunk;
        int8_t *dst = out + (size_t)o * out_chunk + out_offset;
        if (!clamp) {
            memcpy(dst, src, (size_t)in_chunk);
        } else {
            for (int32_t i = 0; i < in_chunk; ++i) dst[i] = (int8_t)odl_clamp_i32(src[i], act_min, act_max);
        }
    }
    return ODL_OK;
}
