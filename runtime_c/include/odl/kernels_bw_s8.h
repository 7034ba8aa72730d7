/* Fixed-point backward kernels for int8 layers (sparse update).
 *
 * Error signals are block floating point: an int32 array of mantissas with
 * |E| < 2^ODL_BW_MANT_BITS and one exponent per tensor; the real gradient of
 * the loss with respect to the REAL value of element i is E[i] * 2^exp.
 * Working on real-valued gradients means a layer's own requantization
 * multiplier never enters the backward pass: only weight scales (as
 * quantize_multiplier pairs, s = mult * 2^(shift - 31)), pooling counts and
 * activation masks do. Every rounding is a round-half-away-from-zero shift,
 * mirrored bit for bit by pytool/training/sparse_ref.py.
 *
 * bw_input  : error of the op's output -> error of its input (normalized).
 * bw_weight : raw int64 gradient of ONE output channel (weights and bias),
 *             real dL/dW = raw * 2^exp * s_x and dL/db_real = raw_b * 2^exp,
 *             so the caller can fuse it with the update (no full buffer).
 * Fused / standalone activations: odl_act_s8_bw masks the error with the
 * int8 output (zero where the output sits on act_min or act_max). */
#ifndef ODL_KERNELS_BW_S8_H
#define ODL_KERNELS_BW_S8_H

#include "odl/kernels_int8.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ODL_BW_MANT_BITS 15

/* x / 2^shift rounded half away from zero; shift <= 0 multiplies (saturating). */
int64_t odl_bw_round_shift(int64_t x, int32_t shift);
/* Rescales mantissas so that max |E| < 2^ODL_BW_MANT_BITS; adjusts *exp. */
void odl_bw_normalize(int32_t *e, int32_t n, int32_t *exp);
/* Right shift that keeps a sum of `terms` values of magnitude <= 2^term_bits
 * inside int32: max(0, bitlen(terms) + term_bits - 31). */
int32_t odl_bw_sum_shift(int64_t terms, int32_t term_bits);
/* Largest shift of a quantize_multiplier list (per-tensor: n = 1). */
int32_t odl_bw_max_shift(const int32_t *shift, int32_t n);

/* Softmax cross-entropy: E = softmax(logits) - onehot(label) in Q16, exp -16,
 * then normalized. logit_scale_q16 = real value of one logit LSB in Q16.16. */
odl_status_t odl_softmax_ce_s8_bw_input(const int8_t *logits, int32_t n, int32_t logit_scale_q16, int32_t label,
                                        int32_t *e, int32_t *exp);
/* RELU / RELU6 / fused activation: e[i] = 0 where y[i] <= act_min or
 * y[i] >= act_max (in place; e_in may equal e_out). */
odl_status_t odl_act_s8_bw_input(int32_t n, const int8_t *y, int32_t act_min, int32_t act_max,
                                 const int32_t *e_out, int32_t *e_in);
/* Plain int8 saturation (no activation): the error passes where the output
 * is inside (-128, 127), and at a bound only when a descent step moves the
 * output back inside (e > 0 at 127, e < 0 at -128), so saturated logits
 * still learn to come down. */
odl_status_t odl_sat_s8_bw_input(int32_t n, const int8_t *y, const int32_t *e_out, int32_t *e_in);
#define odl_relu_s8_bw_input odl_act_s8_bw_input
#define odl_relu6_s8_bw_input odl_act_s8_bw_input
/* RESHAPE: the error is the same bytes (copy when not in place). */
odl_status_t odl_reshape_s8_bw_input(int32_t n, const int32_t *e_out, int32_t *e_in);
/* ADD without broadcast (residual): both inputs receive the masked error. */
odl_status_t odl_add_s8_bw_input(int32_t n, const int8_t *y, int32_t act_min, int32_t act_max,
                                 const int32_t *e_out, int32_t *e_in1, int32_t *e_in2);

odl_status_t odl_fully_connected_s8_bw_input(int32_t batches, int32_t in_depth, int32_t out_depth, const int8_t *w,
                                             const int32_t *w_mult, const int32_t *w_shift, int32_t per_channel,
                                             const int32_t *e_out, int32_t exp_out, int32_t *e_in, int32_t *exp_in);
odl_status_t odl_fully_connected_s8_bw_weight(int32_t batches, int32_t in_depth, int32_t out_depth,
                                              const int8_t *x, int32_t input_offset, const int32_t *e_out,
                                              int32_t channel, int64_t *grad_w, int64_t *grad_b);

/* CONV_2D (OHWI filter, 1x1 included); p->input_offset = -z_x. */
odl_status_t odl_conv2d_s8_bw_input(const odl_conv_params_t *p, const odl_dims4_t *in_dims,
                                    const odl_dims4_t *w_dims, const int8_t *w, const int32_t *w_mult,
                                    const int32_t *w_shift, const odl_dims4_t *out_dims, const int32_t *e_out,
                                    int32_t exp_out, int32_t *e_in, int32_t *exp_in);
odl_status_t odl_conv2d_s8_bw_weight(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *x,
                                     const odl_dims4_t *w_dims, const odl_dims4_t *out_dims, const int32_t *e_out,
                                     int32_t channel, int64_t *grad_w, int64_t *grad_b);

/* CONV_2D whose output feeds only a MAX_POOL_2D with disjoint windows
 * (stride >= filter): bw_weight straight from the pool's output error
 * e_pool, without the conv output's error. The conv output y (the pool's
 * input) gives each window's first largest element, and the conv's own
 * mask (m: 0 none, ODL_BW_MASK_ACT, ODL_BW_MASK_SAT as in
 * odl_act_s8_bw_input / odl_sat_s8_bw_input) is applied there. Same values
 * as odl_max_pool2d_s8_bw_input, the mask, then odl_conv2d_s8_bw_weight. */
#define ODL_BW_MASK_ACT 1
#define ODL_BW_MASK_SAT 2
typedef struct {
    const odl_pool_params_t *pool;
    int32_t mode, act_min, act_max;
} odl_bw_pool_mask_t;
int odl_bw_pool_disjoint(const odl_pool_params_t *pp);
static inline int odl_bw_pool_mask_pass(const odl_bw_pool_mask_t *m, int32_t y, int32_t e) {
    if (m->mode == ODL_BW_MASK_ACT) return y > m->act_min && y < m->act_max;
    if (m->mode == ODL_BW_MASK_SAT) return e < 0 ? y != 127 : y != -128;
    return 1;
}
odl_status_t odl_conv2d_s8_bw_weight_pooled(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *x,
                                            const odl_dims4_t *w_dims, const odl_dims4_t *out_dims, const int8_t *y,
                                            const odl_bw_pool_mask_t *m, const odl_dims4_t *pool_dims,
                                            const int32_t *e_pool, int32_t channel, int64_t *grad_w,
                                            int64_t *grad_b);

/* DEPTHWISE_CONV_2D (filter 1HW(C*M)); grad_w has filter_h * filter_w entries. */
odl_status_t odl_depthwise_conv2d_s8_bw_input(const odl_conv_params_t *p, const odl_dims4_t *in_dims,
                                              const odl_dims4_t *w_dims, const int8_t *w, const int32_t *w_mult,
                                              const int32_t *w_shift, const odl_dims4_t *out_dims,
                                              const int32_t *e_out, int32_t exp_out, int32_t *e_in,
                                              int32_t *exp_in);
odl_status_t odl_depthwise_conv2d_s8_bw_weight(const odl_conv_params_t *p, const odl_dims4_t *in_dims,
                                               const int8_t *x, const odl_dims4_t *w_dims,
                                               const odl_dims4_t *out_dims, const int32_t *e_out, int32_t channel,
                                               int64_t *grad_w, int64_t *grad_b);

/* AVERAGE_POOL_2D (TFLite: divides by the in-bounds window size) and MEAN
 * (input viewed as [outer, reduce, inner]); the fused clamp of the pool is
 * applied by the caller with odl_act_s8_bw_input. */
odl_status_t odl_average_pool2d_s8_bw_input(const odl_pool_params_t *p, const odl_dims4_t *in_dims,
                                            const odl_dims4_t *out_dims, const int32_t *e_out, int32_t exp_out,
                                            int32_t *e_in, int32_t *exp_in);
/* MAX_POOL_2D: each output error goes to the first largest input of its
 * window (row-major scan, as the forward's strict >), summed where windows
 * overlap; x is the forward input. The fused clamp is the caller's mask. */
odl_status_t odl_max_pool2d_s8_bw_input(const odl_pool_params_t *p, const odl_dims4_t *in_dims, const int8_t *x,
                                        const odl_dims4_t *out_dims, const int32_t *e_out, int32_t exp_out,
                                        int32_t *e_in, int32_t *exp_in);
/* Data movement: e_in[map[i]] += e_out[i] (map[i] < 0: no input element). */
odl_status_t odl_move_s8_bw_input(int32_t n_out, int32_t n_in, const int32_t *map, const int32_t *e_out,
                                  int32_t exp_out, int32_t *e_in, int32_t *exp_in);
/* Element-wise op: e_in[i] = e_out[i] * table[x[i] + 128] (dy/dx in Q(frac),
 * |table| < 2^15), exponent - frac; x is the forward input. */
odl_status_t odl_table_s8_bw_input(int32_t n, const int8_t *x, const int16_t *table, int32_t frac,
                                   const int32_t *e_out, int32_t exp_out, int32_t *e_in, int32_t *exp_in);
/* MUL, error of one operand (shaped like the output): times the other
 * operand's real value s_o * (other[map[i]] - other_zp) (map: broadcast
 * index; s_o = mult * 2^(shift - 31)): e * (o - z) * mult rounded to 2^-24. */
odl_status_t odl_mul_s8_bw_input(int32_t n, const int8_t *other, const int32_t *map, int32_t other_zp, int32_t mult,
                                 int32_t shift, const int32_t *e_out, int32_t exp_out, int32_t *e_in,
                                 int32_t *exp_in);
odl_status_t odl_mean_s8_bw_input(int32_t outer, int32_t reduce, int32_t inner, const int32_t *e_out,
                                  int32_t exp_out, int32_t *e_in, int32_t *exp_in);

/* Weight write-back (sparse update). A weight row is updated by
 * d[i] = (c * g[i] + ODL_BW_D_ROUND) >> 16, in units of 1/256 weight LSB,
 * from an int16 row g (|g| < 2^15) and a per-row factor c (|c| < 2^15):
 * c * g stays inside int32 and |d| <= 2^14. */
#define ODL_BW_D_ROUND 32768
#define ODL_BW_ROW_BITS 14         /* odl_bw_row_to_s16: |g| <= 2^14 */
#define ODL_BW_V_MIN (-127 * 256)  /* int16 master bounds (w in [-127, 127]) */
#define ODL_BW_V_MAX 32767
/* g[i] = (x[i] + input_offset) * 128: the row of a batch-1 fully connected
 * layer, whose gradient row is e[o] * (x + input_offset). */
void odl_bw_input_x128_s8(int32_t n, const int8_t *x, int32_t input_offset, int16_t *g);
/* g[i] = grad[i] / 2^sg (rounded half away from zero; sg < 0 multiplies)
 * with sg = bitlen(max |grad|) - ODL_BW_ROW_BITS; returns sg. */
int32_t odl_bw_row_to_s16(int32_t n, const int64_t *grad, int16_t *g);
/* Master: v = 256 * w + u (u: uint8 residual, 128 at start), v -= d,
 * clamped to [ODL_BW_V_MIN, ODL_BW_V_MAX], w = v >> 8, u = v & 255.
 * arm_dsp/bw_update_master.c: the same bytes, four weights per step. */
void odl_update_master_s8(int32_t n, int8_t *w, uint8_t *u, const int16_t *g, int32_t c);
/* Plain int8: w -= (d + 128) >> 8, clamped to [-127, 127]. */
void odl_update_round_s8(int32_t n, int8_t *w, const int16_t *g, int32_t c);
/* Stochastic: w -= (d >> 8) + (r_i < (d & 255)), r_i = odl_prng_word(key, i) & 255. */
void odl_update_stochastic_s8(int32_t n, int8_t *w, const int16_t *g, int32_t c, uint32_t key);

#ifdef __cplusplus
}
#endif

#endif
