/* Integer SGD with optional heavy-ball momentum. Every rounding is spelled
 * out so host, targets and the numpy reference agree bit for bit. */
#include "odl/optim.h"

static int32_t sat_i32(int64_t v) {
    return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
}

int64_t odl_round_shift_i64(int64_t x, int32_t shift) {
    if (shift <= 0) return x;
    const int64_t half = (int64_t)1 << (shift - 1);
    /* magnitudes stay far below 2^62 (checked by the config), so no overflow */
    return x >= 0 ? (x + half) >> shift : -((-x + half) >> shift);
}

int32_t odl_sgd_delta(int64_t g, int32_t lr_mult, int32_t lr_shift) {
    return sat_i32(odl_round_shift_i64(g * lr_mult, lr_shift));
}

int32_t odl_momentum(int32_t *v, int32_t delta, int32_t momentum_q15) {
    const int64_t decayed = odl_round_shift_i64((int64_t)*v * momentum_q15, 15);
    *v = sat_i32(decayed + delta);
    return *v;
}

int32_t odl_apply_step(int32_t value, int32_t step, int32_t lo, int32_t hi) {
    int64_t r = (int64_t)value - step;
    return r < lo ? lo : (r > hi ? hi : (int32_t)r);
}
