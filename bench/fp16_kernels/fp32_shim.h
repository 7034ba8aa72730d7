/* Benchmark-only FP32-storage build of the portable FP16 kernels: included
 * before everything (-include), it claims the include guards of odl/f16.h and
 * the kernels' f16_common.h so that odl_f16_t is float and F / R are no-ops.
 * The kernels' loops are unchanged, so the instruction counts compare FP16
 * storage with FP32 storage of the same algorithm. */
#ifndef ODL_BENCH_FP32_SHIM_H
#define ODL_BENCH_FP32_SHIM_H
#define ODL_F16_H
#define ODL_F16_COMMON_H
#include <stdint.h>
typedef float odl_f16_t;
#include "odl/kernels_f16.h"
#define F(h) (h)
#define R(x) (x)
static inline float odl_f16_act(int32_t act, float v) {
    if (act == ODL_F16_ACT_NONE) return v;
    if (!(v > 0.0f)) return 0.0f;
    if (act == ODL_F16_ACT_RELU6 && !(v < 6.0f)) return 6.0f;
    return v;
}
static inline float odl_f16_act_grad(int32_t act, float y, float g) {
    if (act == ODL_F16_ACT_NONE) return g;
    if (!(y > 0.0f)) return 0.0f;
    if (act == ODL_F16_ACT_RELU6 && !(y < 6.0f)) return 0.0f;
    return g;
}
static inline void odl_f16_accumulate(float *dst, float acc) { *dst = *dst + acc; }
static inline int odl_f16_bad_act(int32_t act) {
    return act != ODL_F16_ACT_NONE && act != ODL_F16_ACT_RELU && act != ODL_F16_ACT_RELU6;
}
#endif
