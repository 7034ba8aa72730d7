/* float32 inference kernels: TFLite Micro's float reference kernels, the same
 * operation order so the bits match (one float32 rounding per product and per
 * sum, bias last, then the activation clamp std::min(std::max(x, lo), hi);
 * odl_expf = glibc's expf, odl_tanhf = glibc's tanhf). Build with -ffp-contract=off.
 * Layouts: activations NHWC, conv filters OHWI, depthwise 1HW(C*M), FC [out, in].
 * The numpy twins are pytool/ops/f32.py and f32_conv.py. */
#ifndef ODL_KERNELS_F32_H
#define ODL_KERNELS_F32_H

#include <stdint.h>

#include "odl/odl.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ODL_F32_ADD = 1, ODL_F32_SUB, ODL_F32_MUL, ODL_F32_FC, ODL_F32_CONV, ODL_F32_DEPTHWISE, ODL_F32_AVG_POOL,
    ODL_F32_MAX_POOL, ODL_F32_MEAN, ODL_F32_LOGISTIC, ODL_F32_TANH, ODL_F32_CLAMP, ODL_F32_SOFTMAX,
    ODL_F32_MAXIMUM, ODL_F32_MINIMUM, ODL_F32_DIV, ODL_F32_SQUARED_DIFFERENCE, ODL_F32_PRELU, ODL_F32_LEAKY_RELU,
    ODL_F32_HARD_SWISH, ODL_F32_ABS, ODL_F32_RSQRT, ODL_F32_L2_NORM, ODL_F32_COMPARE, ODL_F32_ARG,
    ODL_F32_RESIZE_BILINEAR, ODL_F32_ELU, ODL_F32_ADD_N, ODL_F32_CUMSUM,
    ODL_F32_BATCH_MATMUL, ODL_F32_TRANSPOSE_CONV, ODL_F32_NEG, ODL_F32_SQUARE, ODL_F32_FLOOR, ODL_F32_CEIL,
    ODL_F32_ROUND, ODL_F32_SQRT, ODL_F32_EXP, ODL_F32_FLOOR_DIV, ODL_F32_FLOOR_MOD, ODL_F32_L2_POOL, ODL_F32_LOG_SOFTMAX, ODL_F32_LOG,
    ODL_F32_SIN, ODL_F32_COS, ODL_F32_SVDF, ODL_F32_LSTM
} odl_f32_kind_t;

/* MEAN-kind reductions: mean, sum, max, min. */
typedef enum { ODL_F32_REDUCE_MEAN = 0, ODL_F32_REDUCE_SUM, ODL_F32_REDUCE_MAX, ODL_F32_REDUCE_MIN } odl_f32_reduce_t;

/* Conv / depthwise / pool geometry (NHWC input, [n, oh, ow, oc] output). */
typedef struct {
    int32_t n, h, w, c, oh, ow, oc, kh, kw;
    int32_t group_in; /* conv: filter input depth; depthwise: depth multiplier */
    int32_t sh, sw, dh, dw, ph, pw;
    float act_lo, act_hi;
} odl_f32_conv_geom_t;

static inline float odl_f32_clamp(float x, float lo, float hi) {
    const float y = x < lo ? lo : x;
    return hi < y ? hi : y;
}

/* y[i] = clamp(a op b), op ADD/SUB/MUL/MAXIMUM/MINIMUM/DIV/SQUARED_DIFFERENCE/PRELU/FLOOR_DIV/FLOOR_MOD; dims[4] of y, element strides of a
 * and b per axis (0 = broadcast). */
odl_status_t odl_binary_f32(int32_t kind, const int32_t dims[4], const int32_t sa[4], const float *a,
                            const int32_t sb[4], const float *b, float lo, float hi, float *y);
odl_status_t odl_fully_connected_f32(int32_t batches, int32_t in_depth, int32_t out_depth, const float *x,
                                     const float *w, const float *bias, float lo, float hi, float *y);
odl_status_t odl_conv_2d_f32(const odl_f32_conv_geom_t *g, const float *x, const float *w, const float *bias,
                             float *y);
odl_status_t odl_depthwise_conv_2d_f32(const odl_f32_conv_geom_t *g, const float *x, const float *w,
                                       const float *bias, float *y);
/* TRANSPOSE_CONV (g: input n, h, w, c; output oh, ow, oc; filter kh, kw OHWI;
 * stride, pad): TFLite's scatter order into y, then bias and the clamp. */
odl_status_t odl_transpose_conv_f32(const odl_f32_conv_geom_t *g, const float *x, const float *w, const float *bias,
                                    float *y);
/* Pools: g->oc = g->c; average over the window part inside the image. */
odl_status_t odl_average_pool_2d_f32(const odl_f32_conv_geom_t *g, const float *x, float *y);
odl_status_t odl_max_pool_2d_f32(const odl_f32_conv_geom_t *g, const float *x, float *y);
/* L2_POOL_2D: sqrtf(sum of squares / count), the sum in window order. */
odl_status_t odl_l2_pool_2d_f32(const odl_f32_conv_geom_t *g, const float *x, float *y);
/* MEAN / SUM / REDUCE_MAX / REDUCE_MIN (mode) over the axes set in mask (bit i
 * = axis i of dims[4]); y has the kept axes. */
odl_status_t odl_reduce_f32(const int32_t dims[4], int32_t mask, int32_t mode, const float *x, float *y);
/* LEAKY_RELU (param = alpha), HARD_SWISH, ABS, RSQRT, ELU (odl_expm1f), NEG, SQUARE, FLOOR, CEIL, ROUND (half to
 * even, TFLite's RoundToNearest), SQRT, EXP (odl_expf), LOG (odl_logf), SIN / COS (odl_sinf /
 * odl_cosf) element-wise. */
odl_status_t odl_unary_f32(int32_t kind, int32_t n, float param, const float *x, float *y);
/* expf as glibc computes it, on every target (pytool/ops/f32_expf.py). */
float odl_expf(float x);
/* SVDF's fused activations (TFLite's codes, TFLite Micro's ActivationValFloat). */
enum {
    ODL_F32_SVDF_NONE = 0, ODL_F32_SVDF_RELU, ODL_F32_SVDF_RELU_N1_TO_1, ODL_F32_SVDF_RELU6, ODL_F32_SVDF_TANH,
    ODL_F32_SVDF_SIGN_BIT
};
typedef struct {
    int32_t batches, inputs, filters, memory, rank;
} odl_f32_svdf_dims_t;
/* SVDF (TFLite Micro's EvalFloatSvdfReference): state [batches, filters, memory] shifted left by one, the
 * newest column x . w_feature, each filter's time dot with w_time summed over rank onto the bias. */
odl_status_t odl_svdf_f32(const odl_f32_svdf_dims_t *d, int32_t act, const float *x, const float *wf,
                          const float *wt, const float *bias, float *state, float *y);
typedef struct {
    int32_t batches, steps, inputs, units, time_major, stateless;
    float cell_clip; /* <= 0: none */
} odl_f32_lstm_dims_t;
/* UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite Micro's LstmStep on float tensors): gates i, f, c, o (weights [units,
 * inputs] / [units, units], biases [units]); h and c [batches, units] updated in place; y one h per step. */
odl_status_t odl_lstm_f32(const odl_f32_lstm_dims_t *d, const float *x, const float *const w_in[4],
                          const float *const w_rec[4], const float *const bias[4], float *h, float *c, float *y);
/* EMBEDDING_LOOKUP int8 -> float32: rows idx of value [rows, cols] times scale (an index outside [0, rows)
 * fails before anything is written). */
odl_status_t odl_embedding_lookup_s8_f32(int32_t rows, int32_t cols, const int8_t *value, int32_t n_idx,
                                         const int32_t *idx, float scale, float *y);
/* tanhf / expm1f as glibc computes them (fdlibm's float code, no fused multiply-add), on every target. */
float odl_tanhf(float x);
float odl_expm1f(float x);
/* sinf / cosf as glibc computes them, on every target (pytool/ops/f32_sincosf.py). */
float odl_sinf(float x);
float odl_cosf(float x);
/* logf as glibc computes it, on every target (pytool/ops/f32_logf.py). */
float odl_logf(float x);
/* LOG_SOFTMAX over depth: x - max - logf(sum of expf(x - max)) (TFLite's float LogSoftmax). */
odl_status_t odl_log_softmax_f32(int32_t outer, int32_t depth, const float *x, float *y);
odl_status_t odl_logistic_f32(int32_t n, const float *x, float *y);
odl_status_t odl_tanh_f32(int32_t n, const float *x, float *y);
odl_status_t odl_clamp_f32(int32_t n, float lo, float hi, const float *x, float *y);
odl_status_t odl_softmax_f32(int32_t outer, int32_t depth, float beta, const float *x, float *y);
/* EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL (cmp 0..5) with
 * broadcasting as odl_binary_f32; y is bool (one byte). */
odl_status_t odl_compare_f32(int32_t cmp, const int32_t dims[4], const int32_t sa[4], const float *a,
                             const int32_t sb[4], const float *b, uint8_t *y);
/* ARG_MAX / ARG_MIN over the middle axis of x [outer, axis, inner]: the first
 * strictly best index, into int32 or int64 y. */
odl_status_t odl_arg_f32(int32_t is_min, int32_t outer, int32_t axis, int32_t inner, const float *x, int32_t *y32,
                         int64_t *y64);
/* RESIZE_BILINEAR (NHWC [n, h, w, c] -> [n, oh, ow, c]); h_scale / w_scale as
 * TFLite's Prepare computes them in float32. */
odl_status_t odl_resize_bilinear_f32(int32_t n, int32_t h, int32_t w, int32_t c, int32_t oh, int32_t ow,
                                     int32_t half_pixel, float h_scale, float w_scale, const float *x, float *y);
/* ADD_N: y = 0 + x[0] + x[1] + ... element by element (n_in inputs of n elements). */
odl_status_t odl_add_n_f32(int32_t n_in, const float *const *x, int32_t n, float *y);
/* CUMSUM along the middle axis of [outer, axis, inner]. */
odl_status_t odl_cumsum_f32(int32_t outer, int32_t axis, int32_t inner, int32_t exclusive, int32_t reverse,
                            const float *x, float *y);
/* BATCH_MATMUL: batch dims b[3] (lhs / rhs batch strides ls / rs, 0 = broadcast),
 * y[b][m][n] = sum over k in order of lhs'[m][k] * rhs'[k][n] (' = adjoint when set). */
odl_status_t odl_batch_matmul_f32(const int32_t b[3], int32_t m, int32_t k, int32_t n, int32_t adj_x, int32_t adj_y,
                                  const int32_t ls[3], const int32_t rs[3], const float *lhs, const float *rhs,
                                  float *y);
/* L2_NORMALIZATION over the last axis: x / max(sqrtf(sum x^2), 1e-6). */
odl_status_t odl_l2_normalization_f32(int32_t outer, int32_t depth, const float *x, float *y);

#ifdef __cplusplus
}
#endif

#endif
