/* Integer SGD helpers shared by the fixed-point training methods. */
#ifndef ODL_OPTIM_H
#define ODL_OPTIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* x / 2^shift rounded half away from zero (shift in [0, 62]). */
int64_t odl_round_shift_i64(int64_t x, int32_t shift);

/* Update of one element: round(g * lr_mult / 2^lr_shift), saturated to int32. */
int32_t odl_sgd_delta(int64_t g, int32_t lr_mult, int32_t lr_shift);

/* Heavy-ball momentum in integers: v = round(v * momentum_q15 / 2^15) + delta
 * (saturated); returns the new v, the step to subtract. */
int32_t odl_momentum(int32_t *v, int32_t delta, int32_t momentum_q15);

/* value - step, clamped to [lo, hi] (the guard band). */
int32_t odl_apply_step(int32_t value, int32_t step, int32_t lo, int32_t hi);

#ifdef __cplusplus
}
#endif

#endif
