/* One broadcasting loop for the element-wise binary kernels of kernels_ext.h
 * (any integer type): EXPR computes the output from int32 a and b. Private. */
#ifndef ODL_KERNELS_BINARY_LOOP_H
#define ODL_KERNELS_BINARY_LOOP_H

#include "broadcast.h"

#define ODL_BINARY_LOOP(T, d1, in1, d2, in2, dy, out, EXPR)                                             \
    do {                                                                                                \
        int32_t s1_[4], s2_[4];                                                                         \
        if (!odl_broadcast_strides(d1, dy, s1_) || !odl_broadcast_strides(d2, dy, s2_)) return ODL_ERR_SHAPE; \
        T *o_ = (out);                                                                                  \
        for (int32_t n_ = 0; n_ < (dy)->n; ++n_)                                                        \
            for (int32_t h_ = 0; h_ < (dy)->h; ++h_)                                                    \
                for (int32_t w_ = 0; w_ < (dy)->w; ++w_) {                                              \
                    const T *pa_ = (in1) + n_ * s1_[0] + h_ * s1_[1] + w_ * s1_[2];                     \
                    const T *pb_ = (in2) + n_ * s2_[0] + h_ * s2_[1] + w_ * s2_[2];                     \
                    for (int32_t c_ = 0; c_ < (dy)->c; ++c_) {                                          \
                        const int32_t a = pa_[c_ * s1_[3]], b = pb_[c_ * s2_[3]];                       \
                        *o_++ = (T)(EXPR);                                                              \
                    }                                                                                   \
                }                                                                                       \
    } while (0)

#endif
