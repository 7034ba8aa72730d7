/* Portable kernels of the activation and data-movement ops added for wider
 * TFLite Micro coverage (int8 and, where TFLite Micro has it, int16).
 * Each copies the integer arithmetic of TFLite Micro's reference kernel; the
 * numpy twin is pytool/ops/<op>.py. */
#ifndef ODL_KERNELS_EXT_H
#define ODL_KERNELS_EXT_H

#include "odl/kernels_int8.h"

#ifdef __cplusplus
extern "C" {
#endif

/* LEAKY_RELU (QuantizeLeakyRelu): x >= zx uses the identity multiplier, else
 * the alpha one (which may be negative). */
typedef struct {
    int32_t input_zero_point, output_zero_point;
    int32_t mult_identity, shift_identity;
    int32_t mult_alpha, shift_alpha;
} odl_leaky_relu_params_t;

odl_status_t odl_leaky_relu_s8(const odl_leaky_relu_params_t *p, int32_t size, const int8_t *in, int8_t *out);
odl_status_t odl_leaky_relu_s16(const odl_leaky_relu_params_t *p, int32_t size, const int16_t *in, int16_t *out);

/* TANH int8: the input rescaled to Q4.27 (same parameters as LOGISTIC), gemmlowp's
 * fixed-point tanh, output scale 1/128, zero point 0. */
odl_status_t odl_tanh_s8(const odl_logistic_params_t *p, int32_t size, const int8_t *in, int8_t *out);

/* HARD_SWISH int8 (reference_ops::HardSwish, 16-bit fixed point). */
typedef struct {
    int32_t input_zero_point, output_zero_point;
    int32_t reluish_mult, reluish_exponent; /* int16 multiplier, signed exponent */
    int32_t output_mult, output_exponent;   /* int16 multiplier, exponent <= 0 */
} odl_hard_swish_params_t;

odl_status_t odl_hard_swish_s8(const odl_hard_swish_params_t *p, int32_t size, const int8_t *in, int8_t *out);

/* Strided copy between a whole tensor (5-D view `dims`) and a part: the part's
 * element (i0..i4) is the whole's element (start[d] + i_d * step[d]) for
 * i_d < count[d]. scatter == 0 copies whole -> part, else part -> whole.
 * elem is the element size in bytes (1, 2 or 4). Indices must be in range
 * (the decoder checks). STRIDED_SLICE, SLICE, SPLIT, SPLIT_V, PACK and
 * UNPACK all run on it. */
odl_status_t odl_strided_copy(int32_t elem, const int32_t *dims, const int32_t *start, const int32_t *step,
                              const int32_t *count, int32_t scatter, void *whole, void *part);

/* BATCH_MATMUL: out[b, i, j] = rescale(sum_k (lhs[b, i, k] - zl) * (rhs[b, k, j] - zr)),
 * operands as 5-D dims (batch dims broadcast), adj_x / adj_y read them
 * transposed. int8: int32 sum; int16: int64 sum, 64-bit rescale. */
typedef struct {
    int32_t lhs_dims[5], rhs_dims[5];
    int32_t adj_x, adj_y;
    int32_t lhs_zero_point, rhs_zero_point, output_zero_point;
    int32_t output_multiplier, output_shift, act_min, act_max;
} odl_batch_matmul_params_t;

odl_status_t odl_batch_matmul_s8(const odl_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                                 int8_t *out);
odl_status_t odl_batch_matmul_s16(const odl_batch_matmul_params_t *p, const int16_t *lhs, const int16_t *rhs,
                                  int16_t *out);

/* RSQRT, elem 1 (int8) or 2 (int16): multiplier / shift = 1 / (sqrt(s_x) s_y). */
odl_status_t odl_rsqrt(int32_t elem, int32_t zx, int32_t zy, int32_t mult, int32_t shift, int32_t size, const void *in,
                       void *out);

/* Comparisons of int8 inputs into bool (uint8 0/1): each input offset,
 * shifted left 8, scaled by its scale (multiplier < 1), then compared. */
enum { ODL_CMP_EQ = 0, ODL_CMP_NE, ODL_CMP_GT, ODL_CMP_GE, ODL_CMP_LT, ODL_CMP_LE };
typedef struct {
    int32_t kind;
    int32_t input1_offset, input1_multiplier, input1_shift;
    int32_t input2_offset, input2_multiplier, input2_shift;
} odl_compare_params_t;

odl_status_t odl_compare_s8(const odl_compare_params_t *p, const odl_dims4_t *d1, const int8_t *in1,
                            const odl_dims4_t *d2, const int8_t *in2, const odl_dims4_t *dy, uint8_t *out);
odl_status_t odl_compare_i32(int32_t kind, const odl_dims4_t *d1, const int32_t *in1, const odl_dims4_t *d2,
                             const int32_t *in2, const odl_dims4_t *dy, uint8_t *out);
odl_status_t odl_compare_raw(int32_t kind, int32_t elem, const odl_dims4_t *d1, const void *in1,
                             const odl_dims4_t *d2, const void *in2, const odl_dims4_t *dy, uint8_t *out);

/* SELECT_V2: out = cond ? x : y (raw values, elem 1, 2 or 4 bytes), all three
 * broadcast onto the output (rank <= 4). */
odl_status_t odl_select(int32_t elem, const odl_dims4_t *dc, const uint8_t *cond, const odl_dims4_t *dx,
                        const void *x, const odl_dims4_t *dyy, const void *y, const odl_dims4_t *dout, void *out);

/* MIRROR_PAD, 5-D dims (rank lifted), offset 1 = REFLECT, 0 = SYMMETRIC. */
odl_status_t odl_mirror_pad(int32_t elem, int32_t offset, const int32_t *in_dims, const int32_t *left,
                            const int32_t *out_dims, const void *in, void *out);

/* GATHER_ND: n_slices index tuples of index_depth int32 each, each copying the
 * slice of prod(dims[index_depth:]) elements it addresses. */
odl_status_t odl_gather_nd(int32_t elem, int32_t rank, const int32_t *dims, int32_t index_depth, int32_t n_slices,
                           const int32_t *indices, const void *params, void *out);

/* DYNAMIC_UPDATE_SLICE (elem 1, 2 or 4 bytes, rank <= 6): out = operand with
 * update written at start, each start clamped to [0, op_dims - up_dims]. */
odl_status_t odl_dynamic_update_slice(int32_t elem, int32_t rank, const int32_t *op_dims, const int32_t *up_dims,
                                      const int64_t *start, const void *operand, const void *update, void *out);

/* CIRCULAR_BUFFER: buf (slots * depth bytes) drops its first depth bytes,
 * takes x at its end, and is copied to out. */
odl_status_t odl_circular_buffer_s8(int32_t slots, int32_t depth, const int8_t *x, int8_t *buf, int8_t *out);

/* BROADCAST_ARGS: the broadcast of two shape vectors (int64 when wide, else
 * int32) into n_out dims; unequal dims other than 1 give ODL_ERR_SHAPE. */
odl_status_t odl_broadcast_args(int32_t wide, int32_t n1, const void *s1, int32_t n2, const void *s2, int32_t n_out,
                                void *out);

/* BasicClassifier: posteriors[i] = scores[targets[i]], detected[i] = posteriors[i] >= thresholds[i]; a
 * target outside [0, n) gives ODL_ERR_ARG before anything is written. */
odl_status_t odl_basic_classifier_i32(int32_t n, const int32_t *scores, int32_t k, const int32_t *targets,
                                      const int32_t *thresholds, uint8_t *detected, int32_t *posteriors);

/* int8 ADD_N: inputs of one shape and quantization. */
typedef struct {
    int32_t input_offset, output_offset, left_shift;
    int32_t input_multiplier, input_shift, output_multiplier, output_shift;
    int32_t act_min, act_max;
} odl_add_n_params_t;

odl_status_t odl_add_n_s8(const odl_add_n_params_t *p, int32_t n_inputs, const int8_t *const *inputs, int32_t size,
                          int8_t *out);
/* int8 CUMSUM along `depth` of a [pre, depth, post] view, ADD_N's parameters. */
odl_status_t odl_cumsum_s8(const odl_add_n_params_t *p, int32_t pre, int32_t depth, int32_t post, int32_t exclusive,
                           int32_t reverse, const int8_t *in, int8_t *out);

/* int8 table lookup (ELU): out = table[(uint8_t)in]. */
odl_status_t odl_lut_s8(const int8_t *table, int32_t size, const int8_t *in, int8_t *out);

/* int8 L2_NORMALIZATION over rows of `depth` (output scale 1/128, zero point 0). */
odl_status_t odl_l2_normalization_s8(int32_t input_zero_point, int32_t outer, int32_t depth, const int8_t *in,
                                     int8_t *out);

/* int8 LOG_SOFTMAX over rows of `depth` (output scale 16/256, zero point
 * 127). reverse_scaling_shift is the (non-positive) shift of the divisor. */
typedef struct {
    int32_t input_multiplier, input_left_shift;
    int32_t reverse_scaling_divisor, reverse_scaling_shift;
    int32_t diff_min;
} odl_log_softmax_params_t;

odl_status_t odl_log_softmax_s8(const odl_log_softmax_params_t *p, int32_t outer, int32_t depth, const int8_t *in,
                                int8_t *out);

/* LOGICAL_AND / LOGICAL_OR (broadcast, rank <= 4) / LOGICAL_NOT (in2 unused)
 * on bool (uint8 0/1) tensors. */
enum { ODL_LOGICAL_AND = 0, ODL_LOGICAL_OR, ODL_LOGICAL_NOT };
odl_status_t odl_logical_bool(int32_t kind, const odl_dims4_t *d1, const uint8_t *in1, const odl_dims4_t *d2,
                              const uint8_t *in2, const odl_dims4_t *dy, uint8_t *out);

/* int32 ADD / SUB / MUL / SQUARED_DIFFERENCE (wrapping) / MAXIMUM / MINIMUM, raw values,
 * broadcast (rank <= 4). */
enum { ODL_ARITH_ADD = 0, ODL_ARITH_SUB, ODL_ARITH_MUL, ODL_ARITH_MAX, ODL_ARITH_MIN, ODL_ARITH_SQDIFF, ODL_ARITH_DIV,
       ODL_ARITH_FLOOR_DIV, ODL_ARITH_FLOOR_MOD };
odl_status_t odl_arith_i32(int32_t kind, const odl_dims4_t *d1, const int32_t *in1, const odl_dims4_t *d2,
                           const int32_t *in2, const odl_dims4_t *dy, int32_t *out);
odl_status_t odl_minmax_i64(int32_t kind, const odl_dims4_t *d1, const int64_t *in1, const odl_dims4_t *d2,
                            const int64_t *in2, const odl_dims4_t *dy, int64_t *out);

/* TRANSPOSE of any element size (1, 2 or 4 bytes), rank <= 5: out dim d =
 * in_dims[perm[d]]. DEPTH_TO_SPACE and SPACE_TO_DEPTH are a 4-D transpose of
 * a reshaped view (pytool/ops/transpose_view.py). */
odl_status_t odl_transpose_elems(int32_t elem, int32_t rank, const int32_t *in_dims, const int32_t *perm,
                                 const void *in, void *out);

/* SUB (int8: left_shift 20, int16: 15) and int16 ADD, ADD's parameters and
 * broadcasting (odl_add_s8). */
odl_status_t odl_sub_s8(const odl_add_params_t *p, const odl_dims4_t *d1, const int8_t *in1, const odl_dims4_t *d2,
                        const int8_t *in2, const odl_dims4_t *dy, int8_t *out);
odl_status_t odl_sub_s16(const odl_add_params_t *p, const odl_dims4_t *d1, const int16_t *in1, const odl_dims4_t *d2,
                         const int16_t *in2, const odl_dims4_t *dy, int16_t *out);
odl_status_t odl_add_s16(const odl_add_params_t *p, const odl_dims4_t *d1, const int16_t *in1, const odl_dims4_t *d2,
                         const int16_t *in2, const odl_dims4_t *dy, int16_t *out);

/* SQUARED_DIFFERENCE: ADD's parameters (left shift 7 for int8, 0 for int16). */
odl_status_t odl_squared_difference_s8(const odl_add_params_t *p, const odl_dims4_t *d1, const int8_t *in1,
                                       const odl_dims4_t *d2, const int8_t *in2, const odl_dims4_t *dy, int8_t *out);
odl_status_t odl_squared_difference_s16(const odl_add_params_t *p, const odl_dims4_t *d1, const int16_t *in1,
                                        const odl_dims4_t *d2, const int16_t *in2, const odl_dims4_t *dy,
                                        int16_t *out);

/* int16 MUL with the int8 MUL's parameters. */
odl_status_t odl_mul_s16(const odl_mul_params_t *p, const odl_dims4_t *d1, const int16_t *in1, const odl_dims4_t *d2,
                         const int16_t *in2, const odl_dims4_t *dy, int16_t *out);

/* QUANTIZE: float32 -> int16, and requantization between int8, uint8, int16
 * and int32 (ODL_DT_* codes) in any direction; DEQUANTIZE int16 / uint8 -> float32. */
odl_status_t odl_dequantize_s16_f32(float scale, int32_t zero_point, int32_t size, const int16_t *in, float *out);
odl_status_t odl_dequantize_u8_f32(float scale, int32_t zero_point, int32_t size, const uint8_t *in, float *out);
odl_status_t odl_quantize_f32_s16(float scale, int32_t zero_point, int32_t size, const float *in, int16_t *out);
odl_status_t odl_requantize(int32_t in_dtype, int32_t out_dtype, int32_t input_zero_point, int32_t multiplier,
                            int32_t shift, int32_t output_zero_point, int32_t size, const void *in, void *out);

/* 16x8 CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED: int16 activations with
 * zero point 0, int8 filters. bias64 != NULL: int64 accumulator and the
 * 64-bit rescale; else an int32 accumulator (bias32 may be NULL).
 * Depthwise always reads an int64 bias (or none). */
odl_status_t odl_conv2d_s16(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                            const odl_dims4_t *xd, const int16_t *in, const odl_dims4_t *wd, const int8_t *w,
                            const int64_t *bias64, const int32_t *bias32, const odl_dims4_t *yd, int16_t *out);
odl_status_t odl_depthwise_conv2d_s16(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                                      const odl_dims4_t *xd, const int16_t *in, const odl_dims4_t *wd,
                                      const int8_t *w, const int64_t *bias64, const odl_dims4_t *yd, int16_t *out);
odl_status_t odl_fully_connected_s16(const int32_t *mult, const int32_t *shift, int32_t per_channel,
                                     int32_t act_min, int32_t act_max, int32_t batches, int32_t in_depth,
                                     const int16_t *in, int32_t out_depth, const int8_t *w, const int64_t *bias64,
                                     const int32_t *bias32, int16_t *out);

/* int16 MEAN / SUM (MEAN's parameters) and pools (the int8 pools' parameters). */
odl_status_t odl_mean_s16(const odl_mean_params_t *p, int32_t outer, int32_t reduce, int32_t inner,
                          const int16_t *in, int16_t *out);
odl_status_t odl_mean_nd_s16(const odl_mean_params_t *p, const int32_t dims[5], int32_t mask, const int16_t *in,
                             int16_t *out);
odl_status_t odl_avg_pool2d_s16(const odl_pool_params_t *p, const odl_dims4_t *xd, const int16_t *in,
                                const odl_dims4_t *yd, int16_t *out);
odl_status_t odl_max_pool2d_s16(const odl_pool_params_t *p, const odl_dims4_t *xd, const int16_t *in,
                                const odl_dims4_t *yd, int16_t *out);

/* TRANSPOSE_CONV: filter OHWI; output (oy, ox) gathers input (iy, ix) with
 * oy = iy * stride_h - pad_h + ky. input_offset applies to int8 only. */
typedef struct {
    int32_t input_offset, output_offset, act_min, act_max;
    int32_t stride_h, stride_w, pad_h, pad_w;
} odl_tconv_params_t;

odl_status_t odl_transpose_conv_s8(const odl_tconv_params_t *p, const int32_t *mult, const int32_t *shift,
                                   const odl_dims4_t *xd, const int8_t *in, const odl_dims4_t *wd, const int8_t *w,
                                   const int32_t *bias, const odl_dims4_t *yd, int8_t *out);
odl_status_t odl_transpose_conv_s16(const odl_tconv_params_t *p, const int32_t *mult, const int32_t *shift,
                                    const odl_dims4_t *xd, const int16_t *in, const odl_dims4_t *wd,
                                    const int8_t *w, const int64_t *bias, const odl_dims4_t *yd, int16_t *out);

/* RESIZE_NEAREST_NEIGHBOR (any element size; index tables per output row and
 * column) and RESIZE_BILINEAR ((scaled, lo, hi) triples per row and column). */
odl_status_t odl_resize_nearest(int32_t elem, const odl_dims4_t *xd, const void *in, const odl_dims4_t *yd,
                                const int32_t *iy, const int32_t *ix, void *out);
odl_status_t odl_resize_bilinear_s8(const odl_dims4_t *xd, const int8_t *in, const odl_dims4_t *yd,
                                    const int32_t *ty, const int32_t *tx, int8_t *out);

/* PRELU int8: x + input_offset >= 0 -> rescale(mult_pos), else
 * rescale((x + input_offset) * (alpha + alpha_offset), mult_neg); alpha broadcasts. */
typedef struct {
    int32_t input_offset, alpha_offset, output_offset;
    int32_t mult_pos, shift_pos, mult_neg, shift_neg;
} odl_prelu_params_t;

odl_status_t odl_prelu_s8(const odl_prelu_params_t *p, const odl_dims4_t *dx, const int8_t *x, const odl_dims4_t *da,
                          const int8_t *alpha, const odl_dims4_t *dy, int8_t *out);

/* CAST between ODL_DT_INT8/INT16/INT32/FLOAT32 (C conversion of each value). */
odl_status_t odl_cast(int32_t in_dtype, int32_t out_dtype, int32_t size, const void *in, void *out);

/* GATHER: x as [outer, axis_size, inner] elements of `elem` bytes, int32 indices. */
odl_status_t odl_gather(int32_t elem, int32_t outer, int32_t axis_size, int32_t inner, const void *in,
                        int32_t n_idx, const int32_t *idx, void *out);

/* SVDF int8 with an int16 (state_elem 2) or int8 (1) state and time weights. */
typedef struct {
    int32_t batches, inputs, filters, memory, rank;
    int32_t input_zero_point, state_zero_point, output_zero_point;
    int32_t mult_1, shift_1; /* s_x s_wf / s_state */
    int32_t mult_2, shift_2; /* s_state s_wt / s_y */
} odl_svdf_params_t;

odl_status_t odl_svdf_s8(const odl_svdf_params_t *p, int32_t state_elem, const int8_t *in, const int8_t *w_feature,
                         const void *w_time, const int32_t *bias, void *state, int8_t *out);

/* UNIDIRECTIONAL_SEQUENCE_LSTM, TFLite's integer 8x8->16 LSTM: int8 input,
 * hidden state and output, int8 weights, int32 gate biases, int16 cell state.
 * Gates are in the order input, forget, cell, output. */
typedef struct {
    int32_t batches, steps, inputs, units, time_major;
    int32_t input_zero_point, hidden_zero_point;
    int32_t in_mult[4], in_shift[4];   /* s_x s_w / 2^-12 per gate */
    int32_t rec_mult[4], rec_shift[4]; /* s_h s_r / 2^-12 per gate */
    int32_t forget_mult, forget_shift; /* 2^-15 s_c / s_c */
    int32_t input_mult, input_shift;   /* 2^-30 / s_c */
    int32_t hidden_mult, hidden_shift; /* 2^-30 / s_h */
    int32_t tanh_mult, tanh_shift;     /* tanh of the cell state (odl_tanh_s16) */
    int32_t cell_clip;                 /* >=0: cell state clamped to +-cell_clip; -1: no clip */
    int32_t stateless;                 /* 1: hidden and cell state cleared before the sequence */
} odl_lstm_params_t;

odl_status_t odl_lstm_s8(const odl_lstm_params_t *p, const int8_t *in, const int8_t *const w_in[4],
                         const int8_t *const w_rec[4], const int32_t *const bias[4], int8_t *hidden, int16_t *cell,
                         int8_t *out);
/* The 16x8 LSTM: int16 input, hidden state and output (zero points 0), int64
 * biases; the gate FCs accumulate in int64 and rescale with the 16-bit multiplier. */
odl_status_t odl_lstm_s16(const odl_lstm_params_t *p, const int16_t *in, const int8_t *const w_in[4],
                          const int8_t *const w_rec[4], const int64_t *const bias[4], int16_t *hidden, int16_t *cell,
                          int16_t *out);

/* int16 LOGISTIC / TANH (sigmoid table interpolation; output Q0.15). */
odl_status_t odl_logistic_s16(int32_t input_multiplier, int32_t input_left_shift, int32_t size, const int16_t *in,
                              int16_t *out);
odl_status_t odl_tanh_s16(int32_t input_multiplier, int32_t input_left_shift, int32_t size, const int16_t *in,
                          int16_t *out);

/* int16 SOFTMAX over rows of `depth` (TFLite Micro's lookup tables). */
odl_status_t odl_softmax_s16(int32_t input_multiplier, int32_t input_left_shift, int32_t outer, int32_t depth,
                             const int16_t *in, int16_t *out);

/* int8 DIV with MUL's parameter block (multiplier = s_a / (s_b s_y)). */
odl_status_t odl_div_s8(const odl_mul_params_t *p, const odl_dims4_t *d1, const int8_t *in1, const odl_dims4_t *d2,
                        const int8_t *in2, const odl_dims4_t *dy, int8_t *out);

/* ARG_MAX (is_min 0) / ARG_MIN (1): int8/int16 values (elem 1/2), int32/int64
 * indices (index_elem 4/8); REDUCE_MAX; ABS (rescale only when scales differ). */
odl_status_t odl_arg_max(int32_t is_min, int32_t elem, int32_t index_elem, int32_t outer, int32_t axis, int32_t inner,
                         const void *in, void *out);
odl_status_t odl_reduce_max(int32_t elem, int32_t outer, int32_t reduce, int32_t inner, const void *in, void *out);
/* REDUCE_MAX / REDUCE_MIN over any axes: dims lifted to 5-D, mask bit d set for a reduced axis. */
odl_status_t odl_reduce_minmax_nd(int32_t elem, int32_t is_min, const int32_t dims[5], int32_t mask, const void *in,
                                  void *out);
odl_status_t odl_reduce_minmax(int32_t elem, int32_t is_min, int32_t outer, int32_t reduce, int32_t inner,
                               const void *in, void *out);
odl_status_t odl_abs(int32_t elem, int32_t zx, int32_t zy, int32_t rescale, int32_t mult, int32_t shift, int32_t size,
                     const void *in, void *out);

/* SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND on NHWC, 2-D blocks (any element size). */
odl_status_t odl_space_to_batch(int32_t elem, const odl_dims4_t *xd, const void *in, int32_t bh, int32_t bw,
                                int32_t pad_top, int32_t pad_left, int32_t pad_value, const odl_dims4_t *yd,
                                void *out);
odl_status_t odl_batch_to_space(int32_t elem, const odl_dims4_t *xd, const void *in, int32_t bh, int32_t bw,
                                int32_t crop_top, int32_t crop_left, const odl_dims4_t *yd, void *out);

/* MAXIMUM (is_min 0) / MINIMUM (is_min 1) on raw values, broadcasting. */
odl_status_t odl_maximum_s8(int32_t is_min, const odl_dims4_t *d1, const int8_t *in1, const odl_dims4_t *d2,
                            const int8_t *in2, const odl_dims4_t *dy, int8_t *out);
odl_status_t odl_maximum_s16(int32_t is_min, const odl_dims4_t *d1, const int16_t *in1, const odl_dims4_t *d2,
                             const int16_t *in2, const odl_dims4_t *dy, int16_t *out);

#ifdef __cplusplus
}
#endif

#endif
