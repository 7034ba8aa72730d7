/* The loop of the int8 and int16 MEAN / SUM kernels (TFLite Micro's
 * QuantizedMeanOrSum, and reference_ops::Mean for same_quant): an int32 sum
 * over `reduce`, then either sum / count (C division truncating toward zero)
 * or (sum - input_zp * count) requantized plus output_zp, clamped to
 * [LO, HI]. The input is viewed as [outer, reduce, inner]; integer sums do not
 * depend on order. Private. */
#ifndef ODL_KERNELS_MEAN_LOOP_H
#define ODL_KERNELS_MEAN_LOOP_H

#include "odl/fixedpoint.h"

#define ODL_MEAN_LOOP(T, LO, HI, p, outer, reduce, inner, in, out)                                         \
    do {                                                                                                   \
        if (!(p) || !(in) || !(out)) return ODL_ERR_ARG;                                                   \
        if ((outer) < 0 || (reduce) <= 0 || (inner) < 0 || (p)->shift > 31 || (p)->shift < -31)            \
            return ODL_ERR_SHAPE;                                                                          \
        for (int32_t o_ = 0; o_ < (outer); ++o_) {                                                         \
            const T *base_ = (in) + (size_t)o_ * (reduce) * (inner);                                       \
            for (int32_t i_ = 0; i_ < (inner); ++i_) {                                                     \
                int32_t sum_ = 0;                                                                          \
                for (int32_t r_ = 0; r_ < (reduce); ++r_) sum_ += base_[(size_t)r_ * (inner) + i_];       \
                int32_t v_;                                                                                \
                if ((p)->same_quant) {                                                                     \
                    v_ = sum_ / (reduce);                                                                  \
                } else {                                                                                   \
                    v_ = odl_mul_by_quantized_multiplier(sum_ - (p)->input_zp * (reduce), (p)->multiplier, \
                                                         (p)->shift) +                                     \
                         (p)->output_zp;                                                                   \
                    v_ = odl_clamp_i32(v_, LO, HI);                                                        \
                }                                                                                          \
                (out)[(size_t)o_ * (inner) + i_] = (T)v_;                                                  \
            }                                                                                              \
        }                                                                                                  \
    } while (0)

#endif
