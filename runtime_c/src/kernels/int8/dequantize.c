/* DEQUANTIZE int8 -> float32, bit-exact with TFLite Micro
 * (reference_ops::Dequantize): one float multiply, scale * (q - zp). */
#include "odl/kernels_int8.h"

odl_status_t odl_dequantize_s8_f32(float scale, int32_t zero_point, int32_t size, const int8_t *in,
                                   float *out) {
    if (!in || !out || size < 0) return ODL_ERR_ARG;
    for (int32_t i = 0; i < size; ++i) out[i] = scale * (float)((int32_t)in[i] - zero_point);
    return ODL_OK;
}
