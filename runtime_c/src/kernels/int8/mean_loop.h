/* The loop of the int8 and int16 MEAN / SUM kernels (TFLite Micro's
 * QuantizedMeanOrSum, and reference_ops::Mean for same_quant): an int32 sum
 * over `reduce`, then either sum / count (C division truncating toward zero)
 * or (sum - input_zp * count) requantized plus output_zp, clamped to
 * [LO, HI]. The input is viewed as [outer, reduce, inner]; integer sums do not
 * depend on order. Private. */
#ifndef ODL_KERNELS_MEAN_LOOP_H
#define ODL_KERNELS_MEAN_LOOP_H

#include "odl/fixedpoint.h"
#include "odl/kernels_int8.h"

/* The output value of one int32 sum over `count` elements. */
static inline int32_t odl_mean_value(const odl_mean_params_t *p, int32_t sum, int32_t count, int32_t lo,
                                     int32_t hi) {
    if (p->same_quant) return sum / count;
    const int32_t v = odl_mul_by_quantized_multiplier(sum - p->input_zp * count, p->multiplier, p->shift);
    return odl_clamp_i32(v + p->output_zp, lo, hi);
}

/* Any set of reduced axes (QuantizedMeanOrSum resolves any): dims lifted to
 * 5-D, bit d of mask set for a reduced axis; the output holds the kept axes
 * in order. One output at a time, its sum walking the reduced axes by their
 * strides, so no scratch for the sums. */
#define ODL_MEAN_ND_LOOP(T, LO, HI, p, dims, mask, in, out)                                                \
    do {                                                                                                   \
        if (!(p) || !(dims) || !(in) || !(out)) return ODL_ERR_ARG;                                        \
        if ((p)->shift > 31 || (p)->shift < -31) return ODL_ERR_SHAPE;                                     \
        int64_t st_[5], ks_[5], rs_[5], n_out_ = 1, span_ = 1, base_ = 0;                                  \
        int32_t kd_[5], rd_[5], ki_[5] = {0, 0, 0, 0, 0}, count_ = 1;                                      \
        int nk_ = 0, nr_ = 0;                                                                              \
        for (int d_ = 4; d_ >= 0; --d_) {                                                                  \
            if ((dims)[d_] <= 0) return ODL_ERR_SHAPE;                                                     \
            st_[d_] = span_;                                                                               \
            span_ *= (dims)[d_];                                                                           \
        }                                                                                                  \
        for (int d_ = 0; d_ < 5; ++d_) {                                                                   \
            if (((mask) >> d_) & 1) {                                                                      \
                rd_[nr_] = (dims)[d_], rs_[nr_++] = st_[d_], count_ *= (dims)[d_];                         \
            } else {                                                                                       \
                kd_[nk_] = (dims)[d_], ks_[nk_++] = st_[d_], n_out_ *= (dims)[d_];                         \
            }                                                                                              \
        }                                                                                                  \
        for (int64_t o_ = 0; o_ < n_out_; ++o_) {                                                          \
            int32_t ri_[5] = {0, 0, 0, 0, 0}, sum_ = 0;                                                    \
            int64_t off_ = base_;                                                                          \
            for (int32_t c_ = 0; c_ < count_; ++c_) {                                                      \
                sum_ += (in)[off_];                                                                        \
                for (int r_ = nr_ - 1; r_ >= 0; --r_) {                                                    \
                    off_ += rs_[r_];                                                                       \
                    if (++ri_[r_] < rd_[r_]) break;                                                        \
                    off_ -= rs_[r_] * rd_[r_], ri_[r_] = 0;                                                \
                }                                                                                          \
            }                                                                                              \
            (out)[o_] = (T)odl_mean_value((p), sum_, count_, LO, HI);                                      \
            for (int k_ = nk_ - 1; k_ >= 0; --k_) {                                                        \
                base_ += ks_[k_];                                                                          \
                if (++ki_[k_] < kd_[k_]) break;                                                            \
                base_ -= ks_[k_] * kd_[k_], ki_[k_] = 0;                                                   \
            }                                                                                              \
        }                                                                                                  \
    } while (0)

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
