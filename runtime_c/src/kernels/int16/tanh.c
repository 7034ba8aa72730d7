/* int16 TANH, bit-exact with TFLite Micro (reference_integer_ops::Tanh for
 * int16): tanh(x) = 2 sigmoid(2x) - 1 from the same table, |x| with 8
 * fractional bits, output Q0.15. */
#include "odl/kernels_ext.h"
#include "sigmoid_table.h"

static int32_t shift_right(int64_t v, int s) { return (int32_t)(v >= 0 ? v >> s : -((-v - 1) >> s) - 1); }

odl_status_t odl_tanh_s16(int32_t input_multiplier, int32_t input_left_shift, int32_t size, const int16_t *in,
                          int16_t *out) {
    if (!in || !out || size < 0 || input_left_shift < 0 || input_left_shift > 31) return ODL_ERR_ARG;
    if (input_multiplier == 0) {
        input_multiplier = 3 << input_left_shift;
        input_left_shift = 0;
    }
    const int32_t round = input_left_shift > 0 ? 1 << (input_left_shift - 1) : 0;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t x = shift_right((int64_t)in[i] * input_multiplier + round, input_left_shift);
        const uint32_t ax = (uint32_t)(x < 0 ? -(int64_t)x : x);
        const uint32_t uh = ax >> 8;
        int32_t r;
        if (uh >= 255) {
            r = 0xFFFF << 8;
        } else {
            const uint32_t ua = odl_sigmoid_table_u16[uh], ub = odl_sigmoid_table_u16[uh + 1];
            r = (int32_t)((ua << 8) + (ax & 0xFFu) * (ub - ua));
        }
        r = x >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
        out[i] = (int16_t)shift_right(r, 8);
    }
    return ODL_OK;
}
