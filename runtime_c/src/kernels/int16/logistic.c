/* int16 LOGISTIC, bit-exact with TFLite Micro (reference_integer_ops::Logistic
 * for int16): the input rescaled so 2^17 stands for 10.7, then linear
 * interpolation in the sigmoid table on |x| (9 fractional bits), mirrored
 * for negative inputs; output Q0.15. */
#include "odl/kernels_ext.h"
#include "sigmoid_table.h"

odl_status_t odl_logistic_s16(int32_t input_multiplier, int32_t input_left_shift, int32_t size, const int16_t *in,
                              int16_t *out) {
    if (!in || !out || size < 0 || input_left_shift < 0 || input_left_shift > 31) return ODL_ERR_ARG;
    if (input_multiplier == 0) { /* power-of-two input scale */
        input_multiplier = 3 << input_left_shift;
        input_left_shift = 0;
    }
    const int32_t round = input_left_shift > 0 ? 1 << (input_left_shift - 1) : 0;
    for (int32_t i = 0; i < size; ++i) {
        const int64_t prod = (int64_t)in[i] * input_multiplier + round;
        const int32_t x = (int32_t)(prod >= 0 ? prod >> input_left_shift : -((-prod - 1) >> input_left_shift) - 1);
        const uint32_t ax = (uint32_t)(x < 0 ? -(int64_t)x : x);
        const uint32_t uh = ax >> 9;
        uint32_t r;
        if (uh >= 255) {
            r = 0x7FFFu << 10;
        } else {
            const uint32_t ua = odl_sigmoid_table_u16[uh], ub = odl_sigmoid_table_u16[uh + 1];
            r = (ua << 9) + (ax & 0x1FFu) * (ub - ua);
        }
        r = x >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
        out[i] = (int16_t)(r >> 10);
    }
    return ODL_OK;
}
