/* Helpers shared by the FP16 kernels (not part of the public API). */
#ifndef ODL_F16_COMMON_H
#define ODL_F16_COMMON_H

#include "odl/kernels_f16.h"

#define F(h) odl_f16_to_f32(h)
#define R(x) odl_f32_to_f16(x)

static inline float odl_f16_act(int32_t act, float v) {
    if (act == ODL_F16_ACT_NONE) return v;
    if (!(v > 0.0f)) return 0.0f; /* NaN -> 0 as well, as the numpy twin's where() */
    if (act == ODL_F16_ACT_RELU6 && !(v < 6.0f)) return 6.0f;
    return v;
}

/* Gradient at the pre-activation, selected by the stored FP16 output y. */
static inline float odl_f16_act_grad(int32_t act, odl_f16_t y, odl_f16_t g) {
    if (act == ODL_F16_ACT_NONE) return F(g);
    float fy = F(y);
    if (!(fy > 0.0f)) return 0.0f;
    if (act == ODL_F16_ACT_RELU6 && !(fy < 6.0f)) return 0.0f;
    return F(g);
}

static inline void odl_f16_accumulate(odl_f16_t *dst, float acc) { *dst = R(F(*dst) + acc); }

static inline int odl_f16_bad_act(int32_t act) {
    return act != ODL_F16_ACT_NONE && act != ODL_F16_ACT_RELU && act != ODL_F16_ACT_RELU6;
}

#endif
