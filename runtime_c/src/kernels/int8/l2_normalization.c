/* int8 L2_NORMALIZATION over the last axis, bit-exact with TFLite Micro's
 * reference: the sum of squared offsets, its inverse square root as a
 * quantized multiplier (GetInvSqrtQuantizedMultiplierExp), each offset
 * rescaled with 7 extra bits (output scale 1/128, zero point 0). */
#include "gemmlowp_fixedpoint.h"
#include "odl/kernels_ext.h"

odl_status_t odl_l2_normalization_s8(int32_t input_zero_point, int32_t outer, int32_t depth, const int8_t *in,
                                     int8_t *out) {
    if (!in || !out || outer < 0 || depth < 1) return ODL_ERR_ARG;
    for (int32_t o = 0; o < outer; ++o) {
        const int8_t *x = in + (size_t)o * depth;
        uint32_t acc = 0; /* int32 in TFLite Micro; wraps only past 2^16 channels */
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t v = x[c] - input_zero_point;
            acc += (uint32_t)(v * v);
        }
        int shift;
        const int32_t mult = odl_fp_inv_sqrt_exp((int32_t)acc, -1, &shift);
        for (int32_t c = 0; c < depth; ++c) {
            const int32_t v = odl_mul_by_quantized_multiplier(x[c] - input_zero_point, mult, shift + 7);
            out[(size_t)o * depth + c] = (int8_t)odl_clamp_i32(v, INT8_MIN, INT8_MAX);
        }
    }
    return ODL_OK;
}
