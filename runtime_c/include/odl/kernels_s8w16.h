/* int8-activation x int16-weight kernels for trainable layers.
 *
 * A trainable weight is held in RAM as int16 with scale = int8 scale / 2^7
 * (w16 = 128 * w8 when training starts). The products are summed in int64,
 * rounded back to the int8-weight scale by a rounding right shift of 7
 * (half up), saturated to int32, and then follow the int8 kernel's epilogue
 * unchanged (bias, per-channel requantization, offset, clamp). With
 * w16 = 128 * w8 the shift is exact, so the output equals the int8 kernel's
 * bit for bit. Same argument order as kernels_int8.h. */
#ifndef ODL_KERNELS_S8W16_H
#define ODL_KERNELS_S8W16_H

#include "odl/kernels_int8.h"

#ifdef __cplusplus
extern "C" {
#endif

/* log2 of (int8 weight scale / int16 weight scale). */
#define ODL_W16_SHIFT 7

/* Accumulator of int16 weights -> int32 at the int8-weight scale, plus bias
 * (saturating): shared by the three kernels and mirrored in numpy. */
static inline int32_t odl_w16_acc_to_i32(int64_t acc, int32_t bias) {
    int64_t v = (acc + (1ll << (ODL_W16_SHIFT - 1))) >> ODL_W16_SHIFT;
    v += bias;
    if (v > INT32_MAX) v = INT32_MAX;
    if (v < INT32_MIN) v = INT32_MIN;
    return (int32_t)v;
}

odl_status_t odl_conv2d_s8w16(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                              const odl_dims4_t *in_dims, const int8_t *in,
                              const odl_dims4_t *w_dims, const int16_t *w, const int32_t *bias,
                              const odl_dims4_t *out_dims, int8_t *out);
odl_status_t odl_depthwise_conv2d_s8w16(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                                        const odl_dims4_t *in_dims, const int8_t *in,
                                        const odl_dims4_t *w_dims, const int16_t *w, const int32_t *bias,
                                        const odl_dims4_t *out_dims, int8_t *out);
/* filter_offset (p->filter_offset) is in int8 units: it is scaled by 2^7. */
odl_status_t odl_fully_connected_s8w16(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                       int32_t per_channel, int32_t batches, int32_t in_depth,
                                       const int8_t *in, int32_t out_depth, const int16_t *w,
                                       const int32_t *bias, int8_t *out);

/* FULLY_CONNECTED split at the accumulator (forward gradient, first trained
 * layer; kernels/int8/fully_connected_lin_s8w16.c). Accumulators are indexed
 * [batch * out_depth + o]; int64 ones are read and written with memcpy, so
 * any 4-byte-aligned buffer serves.
 *   _acc:   acc = sum_d (w[o,d] + 2^7 filter_offset)(x[b,d] + input_offset)
 *   z_acc:  acc = sum_d z(o * in_depth + d)(x[b,d] + input_offset), z = odl_prng_sign(key, .)
 *           (|acc| <= 255 * in_depth: int32)
 *   _out:   y = the s8w16 epilogue of acc + scale * acc_z (bias, requantization,
 *           offset, clamp): equals odl_fully_connected_s8w16 with weights
 *           w + scale * z, exactly, by linearity; the bias of output o is
 *           bias[o] + bias_scale * odl_prng_sign(bias_key, o) (the caller keeps
 *           it inside int32: the forward gradient's guard band)
 *   axpy:   acc += scale * acc_z (acc of w - r z from acc of w) */
void odl_fully_connected_s8w16_acc(const odl_fc_params_t *p, int32_t batches, int32_t in_depth, const int8_t *in,
                                   int32_t out_depth, const int16_t *w, int64_t *acc);
void odl_fully_connected_z_acc(const odl_fc_params_t *p, int32_t batches, int32_t in_depth, const int8_t *in,
                               int32_t out_depth, uint32_t key, int32_t *acc, const int16_t *table);
/* Optional input tables for z_acc (same result with or without): for a single
 * batch of in_depth = 32 or 64 inputs, per group of four inputs the sixteen
 * sums +-x0 +-x1 +-x2 +-x3 as int16 (x + input_offset; index bit j set: -x_j).
 * A caller that runs z_acc on one input many times (the forward gradient,
 * once per direction) builds them once; kernels may ignore them (the
 * portable one does). ODL_FC_Z_TABLE_BYTES is 0 where no table is used. */
#define ODL_FC_Z_TABLE_BYTES(batches, in_depth) \
    ((batches) == 1 && ((in_depth) == 32 || (in_depth) == 64) ? 8u * (uint32_t)(in_depth) : 0u)
void odl_fully_connected_z_table(const odl_fc_params_t *p, int32_t in_depth, const int8_t *in, int16_t *table);
void odl_fully_connected_s8w16_out(const odl_fc_params_t *p, const int32_t *mult, const int32_t *shift,
                                   int32_t per_channel, int32_t batches, int32_t out_depth, const int64_t *acc,
                                   const int32_t *acc_z, int32_t scale, const int32_t *bias, uint32_t bias_key,
                                   int32_t bias_scale, int8_t *out);
void odl_fully_connected_acc_axpy(int32_t n, int64_t *acc, int32_t scale, const int32_t *acc_z);

/* CONV_2D split at the accumulator, the same way (forward gradient, a conv as
 * the first trained layer; kernels/int8/conv_2d_lin_s8w16.c). Accumulators
 * are indexed [pixel * out_c + oc], so odl_fully_connected_s8w16_out (batches
 * = n * out_h * out_w, out_depth = out_c, per channel) and
 * odl_fully_connected_acc_axpy serve as its epilogue and update. The caller
 * checks the shapes (odl_conv2d_s8w16's checks); a receptive field of at most
 * ODL_CONV_LIN_MAX_K taps keeps |acc_z| <= 255 * K within int32.
 *   _acc:  acc = sum over the taps inside the image of w[e] (x + input_offset)
 *   z_acc: the same with w[e] replaced by odl_prng_sign(key, e), e the
 *          weight's element index (OHWI) */
#define ODL_CONV_LIN_MAX_K 65536
void odl_conv2d_s8w16_acc(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                          const odl_dims4_t *w_dims, const int16_t *w, const odl_dims4_t *out_dims, int64_t *acc,
                          const int16_t *cols);
void odl_conv2d_z_acc(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                      const odl_dims4_t *w_dims, uint32_t key, const odl_dims4_t *out_dims, int32_t *acc,
                      const int16_t *cols);
/* Optional columns for _acc and z_acc (same result with or without): the receptive
 * field of every output pixel as int16 x + input_offset (padding taps 0),
 * pixel after pixel, K values each. A caller that runs z_acc on one input
 * many times builds them once (odl_conv2d_z_cols); kernels may ignore them
 * (the portable one does). ODL_CONV_Z_COLS_BYTES is 0 beyond 4 KiB. */
#define ODL_CONV_Z_COLS_BYTES(pixels, k) \
    (2u * (uint32_t)(pixels) * (uint32_t)(k) <= 4096u ? (2u * (uint32_t)(pixels) * (uint32_t)(k) + 3u) & ~3u : 0u)
void odl_conv2d_z_cols(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                       const odl_dims4_t *w_dims, const odl_dims4_t *out_dims, int16_t *cols);

/* One forward-gradient pass over n int16 values (odl/forward_grad.h): for
 * each element e,  v = w[e] + a * z_a(e);  if clamp: v = min(max(v, lo), hi);
 * w[e] = v + b * z_b(e),  where z_k(e) = odl_prng_sign(key_k, e) (+1/-1).
 * a = 0 or b = 0 leaves that stream out. |a|, |b| <= 32767; the caller keeps
 * every stored value, and without the clamp also w[e] + a * z_a(e), inside
 * int16 (the guard band does). Returns 1 when the clamp changed a value. */
int32_t odl_perturb_w16(int16_t *w, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo, int32_t hi,
                        uint32_t key_b, int32_t b);

/* The same pass over n int32 values (trainable biases): the first sum is
 * exact (int64), so the clamp to [lo, hi] is exact; without the clamp the
 * caller keeps every sum inside int32. Returns 1 when the clamp changed a
 * value. */
int32_t odl_perturb_i32(int32_t *v, int32_t n, uint32_t key_a, int32_t a, int32_t clamp, int32_t lo, int32_t hi,
                        uint32_t key_b, int32_t b);

/* Several unclamped single-stream passes at once: for each element e,
 * w[e] += sum_{k < count} a[k] * z_k(e), z_k(e) = odl_prng_sign(keys[k], e),
 * |a[k]| <= 32767. Equal to count odl_perturb_w16 passes without the clamp
 * (each added in order, int16 wrap-around); the caller keeps the final values
 * inside int16 (forward gradient: only when the guard band cannot clip). */
void odl_perturb_sum_w16(int16_t *w, int32_t n, const uint32_t *keys, const int32_t *a, int32_t count);

/* Smallest and largest of n >= 1 int16 values. */
void odl_range_w16(const int16_t *w, int32_t n, int32_t *lo, int32_t *hi);

#ifdef __cplusplus
}
#endif

#endif
