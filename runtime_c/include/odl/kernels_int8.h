/* Portable int8 kernels (TFLite Micro reference semantics, bit-exact).
 * Flat API: params, quantization, input(s), weights, bias, output.
 * Shapes are NHWC. Offsets follow TFLite: input_offset = -input_zero_point,
 * output_offset = output_zero_point. Multipliers/shifts are per output
 * channel (a per-tensor model repeats one value). */
#ifndef ODL_KERNELS_INT8_H
#define ODL_KERNELS_INT8_H

#include "odl/odl.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct { int32_t n, h, w, c; } odl_dims4_t;

typedef struct {
    int32_t input_offset, output_offset;
    int32_t act_min, act_max;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_h, pad_w;          /* top / left padding */
    int32_t depth_multiplier;      /* depthwise only */
} odl_conv_params_t;

/* filter OHWI; bias may be NULL. */
odl_status_t odl_conv2d_s8(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                           const odl_dims4_t *in_dims, const int8_t *in,
                           const odl_dims4_t *w_dims, const int8_t *w, const int32_t *bias,
                           const odl_dims4_t *out_dims, int8_t *out);
/* filter 1HW(C*M). */
odl_status_t odl_depthwise_conv2d_s8(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                                     const odl_dims4_t *in_dims, const int8_t *in,
                                     const odl_dims4_t *w_dims, const int8_t *w, const int32_t *bias,
                                     const odl_dims4_t *out_dims, int8_t *out);

typedef struct {
    int32_t input_offset, filter_offset, output_offset;
    int32_t act_min, act_max;
} odl_fc_params_t;

/* in [batches, in_depth], w [out_depth, in_depth]; mult/shift have out_depth
 * entries (per_channel != 0) or one. */
odl_status_t odl_fully_connected_s8(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                    int32_t per_channel, int32_t batches, int32_t in_depth,
                                    const int8_t *in, int32_t out_depth, const int8_t *w,
                                    const int32_t *bias, int8_t *out);

typedef struct {
    int32_t stride_h, stride_w, filter_h, filter_w, pad_h, pad_w;
    int32_t act_min, act_max;
} odl_pool_params_t;

/* One axis of a pool window at output index o: the window starts at input
 * index *start; its taps [*f0, *f1) lie inside an input of `size`. */
static inline void odl_pool_window(int32_t o, int32_t stride, int32_t pad, int32_t filter, int32_t size,
                                   int32_t *start, int32_t *f0, int32_t *f1) {
    *start = o * stride - pad;
    *f0 = *start < 0 ? -*start : 0;
    *f1 = filter < size - *start ? filter : size - *start;
}

odl_status_t odl_avg_pool2d_s8(const odl_pool_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                               const odl_dims4_t *out_dims, int8_t *out);
odl_status_t odl_max_pool2d_s8(const odl_pool_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                               const odl_dims4_t *out_dims, int8_t *out);

/* MEAN over a contiguous group of axes, the input viewed as
 * [outer, reduce, inner]. TFLite Micro's requantizing path:
 * (sum - input_zp * count) * multiplier * 2^shift + output_zp, clamped;
 * multiplier/shift already hold 1/count (folded in at lowering).
 * same_quant != 0: the older same-scale path (int32 sum / count, truncating),
 * also the copy TFLite does for empty axes (reduce == 1). */
typedef struct {
    int32_t same_quant;
    int32_t input_zp, output_zp;
    int32_t multiplier, shift;
} odl_mean_params_t;

odl_status_t odl_mean_s8(const odl_mean_params_t *p, int32_t outer, int32_t reduce, int32_t inner,
                         const int8_t *in, int8_t *out);
/* MEAN / SUM over any set of axes: dims lifted to 5-D, bit d of mask set for
 * a reduced axis; out holds the kept axes in order. */
odl_status_t odl_mean_nd_s8(const odl_mean_params_t *p, const int32_t dims[5], int32_t mask, const int8_t *in,
                            int8_t *out);

/* PAD, rank <= ODL_MAX_RANK: out dim d = pad_before[d] + in_dims[d] + pad_after[d]
 * (pads >= 0); padded bytes take pad_value. */
odl_status_t odl_pad_s8(int32_t rank, const int32_t *in_dims, const int32_t *pad_before,
                        const int32_t *pad_after, int8_t pad_value, const int8_t *in, int8_t *out);

/* TRANSPOSE, rank <= ODL_MAX_RANK: out dim d = in_dims[perm[d]]. */
odl_status_t odl_transpose_s8(int32_t rank, const int32_t *in_dims, const int32_t *perm,
                              const int8_t *in, int8_t *out);

/* CONCATENATION, one input at a time: copies `outer` chunks of in_chunk bytes
 * into the output rows of out_chunk bytes, starting at column out_offset, and
 * clamps them to [act_min, act_max]. */
odl_status_t odl_concat_s8(int32_t outer, int32_t in_chunk, int32_t out_chunk, int32_t out_offset,
                           int32_t act_min, int32_t act_max, const int8_t *in, int8_t *out);

#ifdef __cplusplus
}
#endif

/* Element-wise, activation and (de)quantization kernels. */
#include "odl/kernels_int8_math.h"

#endif
