/* FP16 training kernels: forward, input-gradient and weight-gradient per op.
 *
 * Storage is binary16 (odl/f16.h), arithmetic FP32 with no contraction.
 * Rounding points (the numpy twin pytool/training/fp16_ref.py follows them):
 *  - forward: one FP32 accumulator per output, summed in the documented loop
 *    order, bias added last, fused activation, one rounding to FP16;
 *  - backward: gradients ACCUMULATE into in->grad / w->grad / b->grad:
 *    grad = R(F(grad) + acc32), with acc32 summed in the documented order, so a
 *    tensor read by several ops sums their contributions (the caller zeroes
 *    gradients before a backward pass);
 *  - a fused activation's derivative is taken from the stored FP16 output
 *    (RELU: y > 0; RELU6: 0 < y < 6) and selects the gradient (no multiply).
 * Layouts: activations NHWC, conv filters OHWI, depthwise 1HW(C*M), FC [out, in].
 */
#ifndef ODL_KERNELS_F16_H
#define ODL_KERNELS_F16_H

#include "odl/f16.h"
#include "odl/odl.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A training tensor: value and gradient side by side. dims are NHWC for
 * activations (unused leading dims = 1), the natural layout for weights. */
typedef struct {
    odl_f16_t *data;
    odl_f16_t *grad; /* NULL: no gradient wanted (frozen tensor) */
    int32_t dims[4];
} odl_f16_tensor_t;

typedef enum { ODL_F16_ACT_NONE = 0, ODL_F16_ACT_RELU = 1, ODL_F16_ACT_RELU6 = 2 } odl_f16_act_t;

typedef struct {
    int32_t act; /* odl_f16_act_t */
} odl_f16_fc_params_t;

/* Convolution, depthwise and pooling geometry. */
typedef struct {
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t dil_h, dil_w;
    int32_t filter_h, filter_w; /* pooling only (conv reads them from the weights) */
    int32_t depth_multiplier;   /* depthwise only */
    int32_t act;
} odl_f16_conv_params_t;

/* FULLY_CONNECTED: in [N, K] (dims[0]=N, dims[3]=K; N*K elements), w [O, K]
 * (dims[0]=O, dims[1]=K), out [N, O]. fw: acc over k; bw_input: acc over o;
 * bw_weight: acc over n. */
odl_status_t odl_fc_f16_fw(const odl_f16_fc_params_t *p, const odl_f16_tensor_t *in, const odl_f16_tensor_t *w,
                           const odl_f16_tensor_t *b, odl_f16_tensor_t *out);
odl_status_t odl_fc_f16_bw_input(const odl_f16_fc_params_t *p, odl_f16_tensor_t *in, const odl_f16_tensor_t *w,
                                 const odl_f16_tensor_t *out);
odl_status_t odl_fc_f16_bw_weight(const odl_f16_fc_params_t *p, const odl_f16_tensor_t *in, odl_f16_tensor_t *w,
                                  odl_f16_tensor_t *b, const odl_f16_tensor_t *out);

/* The gradients of w and b cleared, bw_weight, then the plain SGD step of w
 * and b: w = R(F(w) - c * F(gw)), c = lr / loss scale (the FP16 step calls it
 * once it knows no gradient overflows; optimised versions fuse the passes). */
odl_status_t odl_fc_f16_bw_weight_sgd(const odl_f16_fc_params_t *p, const odl_f16_tensor_t *in, odl_f16_tensor_t *w,
                                      odl_f16_tensor_t *b, const odl_f16_tensor_t *out, float c);

/* CONV_2D, w [OC, KH, KW, IC]. fw: acc over (ky, kx, ic); bw_input: acc over
 * (ky, kx, oc); bw_weight: acc over (n, oy, ox). Padded taps are skipped. */
odl_status_t odl_conv2d_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                               const odl_f16_tensor_t *w, const odl_f16_tensor_t *b, odl_f16_tensor_t *out);
odl_status_t odl_conv2d_f16_bw_input(const odl_f16_conv_params_t *p, odl_f16_tensor_t *in,
                                     const odl_f16_tensor_t *w, const odl_f16_tensor_t *out);
odl_status_t odl_conv2d_f16_bw_weight(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                                      odl_f16_tensor_t *w, odl_f16_tensor_t *b, const odl_f16_tensor_t *out);

/* Pointwise (1x1, stride 1, no padding) conv: same results as CONV_2D with a
 * 1x1 filter, without the window bookkeeping. */
odl_status_t odl_pwconv_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                               const odl_f16_tensor_t *w, const odl_f16_tensor_t *b, odl_f16_tensor_t *out);
odl_status_t odl_pwconv_f16_bw_input(const odl_f16_conv_params_t *p, odl_f16_tensor_t *in,
                                     const odl_f16_tensor_t *w, const odl_f16_tensor_t *out);
odl_status_t odl_pwconv_f16_bw_weight(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                                      odl_f16_tensor_t *w, odl_f16_tensor_t *b, const odl_f16_tensor_t *out);

/* DEPTHWISE_CONV_2D, w [1, KH, KW, IC*M], out channel ic*M + m. fw: acc over
 * (ky, kx); bw_input: acc over (ky, kx, m); bw_weight: acc over (n, oy, ox). */
odl_status_t odl_dwconv_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                               const odl_f16_tensor_t *w, const odl_f16_tensor_t *b, odl_f16_tensor_t *out);
odl_status_t odl_dwconv_f16_bw_input(const odl_f16_conv_params_t *p, odl_f16_tensor_t *in,
                                     const odl_f16_tensor_t *w, const odl_f16_tensor_t *out);
odl_status_t odl_dwconv_f16_bw_weight(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in,
                                      odl_f16_tensor_t *w, odl_f16_tensor_t *b, const odl_f16_tensor_t *out);

/* AVERAGE_POOL_2D (divides by the number of valid taps, as TFLite does) and
 * MEAN over H, W (a pool with the whole plane as window). fw: R(sum / count);
 * bw_input: acc over (ky, kx) of g / count. */
odl_status_t odl_avgpool_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in, odl_f16_tensor_t *out);
odl_status_t odl_avgpool_f16_bw_input(const odl_f16_conv_params_t *p, odl_f16_tensor_t *in,
                                      const odl_f16_tensor_t *out);
odl_status_t odl_mean_f16_fw(const odl_f16_tensor_t *in, odl_f16_tensor_t *out);
odl_status_t odl_mean_f16_bw_input(odl_f16_tensor_t *in, const odl_f16_tensor_t *out);

/* MAX_POOL_2D: the first maximum in (ky, kx) order wins; its input gets the
 * gradient, rounded per contribution in output order (n, oy, ox, c). */
odl_status_t odl_maxpool_f16_fw(const odl_f16_conv_params_t *p, const odl_f16_tensor_t *in, odl_f16_tensor_t *out);
odl_status_t odl_maxpool_f16_bw_input(const odl_f16_conv_params_t *p, odl_f16_tensor_t *in,
                                      const odl_f16_tensor_t *out);

/* ADD of two same-shape tensors with a fused activation. */
odl_status_t odl_add_f16_fw(int32_t act, const odl_f16_tensor_t *a, const odl_f16_tensor_t *b, odl_f16_tensor_t *out);
odl_status_t odl_add_f16_bw_input(int32_t act, odl_f16_tensor_t *a, odl_f16_tensor_t *b, const odl_f16_tensor_t *out);

/* RELU / RELU6 (act) and RESHAPE (act NONE: a copy). */
odl_status_t odl_act_f16_fw(int32_t act, const odl_f16_tensor_t *in, odl_f16_tensor_t *out);
odl_status_t odl_act_f16_bw_input(int32_t act, odl_f16_tensor_t *in, const odl_f16_tensor_t *out);
odl_status_t odl_reshape_f16_fw(const odl_f16_tensor_t *in, odl_f16_tensor_t *out);
odl_status_t odl_reshape_f16_bw_input(odl_f16_tensor_t *in, const odl_f16_tensor_t *out);

/* Elementwise LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU (kind), alpha for
 * LEAKY_RELU. fw: y = R(f(F(x))) with f from +, -, *, / and odl_f16_expf:
 * logistic 1/(1+e^-x) (x >= 0) or e^x/(1+e^x); tanh sign(x)(1-e^-2|x|)/(1+e^-2|x|);
 * hard_swish (x * clamp(x+3, 0, 6)) / 6; leaky x > 0 ? x : alpha x.
 * bw_input: gx = R(F(gx) + F(g) * d), d from the stored output (logistic
 * y(1-y), tanh 1-y^2) or the input (hard_swish 0 / (2x+3)/6 / 1 at x < -3 /
 * else / x > 3; leaky 1 or alpha). */
typedef enum {
    ODL_F16_UN_LOGISTIC = 1,
    ODL_F16_UN_TANH = 2,
    ODL_F16_UN_HARD_SWISH = 3,
    ODL_F16_UN_LEAKY_RELU = 4
} odl_f16_unary_t;
odl_status_t odl_unary_f16_fw(int32_t kind, float alpha, const odl_f16_tensor_t *in, odl_f16_tensor_t *out);
odl_status_t odl_unary_f16_bw_input(int32_t kind, float alpha, odl_f16_tensor_t *in, const odl_f16_tensor_t *out);

/* MUL of two same-shape tensors with a fused activation: y = R(act(a * b));
 * ga += g' * b, then gb += g' * a (one rounding each, per element). */
odl_status_t odl_mul_f16_fw(int32_t act, const odl_f16_tensor_t *a, const odl_f16_tensor_t *b, odl_f16_tensor_t *out);
odl_status_t odl_mul_f16_bw_input(int32_t act, odl_f16_tensor_t *a, odl_f16_tensor_t *b, const odl_f16_tensor_t *out);

/* PAD with zeros: before[d] leading elements per dim; fw writes +0 around the
 * copy; bw_input: gx[p] += g[p + before]. */
odl_status_t odl_pad_f16_fw(const int32_t *before, const odl_f16_tensor_t *in, odl_f16_tensor_t *out);
odl_status_t odl_pad_f16_bw_input(const int32_t *before, odl_f16_tensor_t *in, const odl_f16_tensor_t *out);

/* Strided gather (TRANSPOSE, STRIDED_SLICE): v[0..3] input strides per output
 * dim, v[4] offset; out[p] = in[v[4] + sum p[d] v[d]]; bw_input adds each
 * output gradient to its input element, in output order. */
odl_status_t odl_gather_f16_fw(const int32_t *v, const odl_f16_tensor_t *in, odl_f16_tensor_t *out);
odl_status_t odl_gather_f16_bw_input(const int32_t *v, odl_f16_tensor_t *in, const odl_f16_tensor_t *out);

/* CONCATENATION of two tensors along dim axis (0..3 of dims). */
odl_status_t odl_concat_f16_fw(int32_t axis, const odl_f16_tensor_t *a, const odl_f16_tensor_t *b,
                               odl_f16_tensor_t *out);
odl_status_t odl_concat_f16_bw_input(int32_t axis, odl_f16_tensor_t *a, odl_f16_tensor_t *b,
                                     const odl_f16_tensor_t *out);

/* Losses over a logits vector z (n elements). They write (overwrite)
 * z->grad = R(dL/dz * scale) and return the loss in FP32 and argmax(z).
 * Softmax CE: m = max z, e = exp(z - m), s = sum e (index order),
 * dL/dz = e / s - onehot, L = ln s - (z[label] - m).
 * MSE against a one-hot target: dL/dz = (z - t) * (2 / n), L = sum (z - t)^2 / n. */
odl_status_t odl_softmax_ce_f16(odl_f16_tensor_t *z, int32_t n, int32_t label, float scale, float *loss,
                                int32_t *argmax);
odl_status_t odl_mse_f16(odl_f16_tensor_t *z, int32_t n, int32_t label, float scale, float *loss, int32_t *argmax);

static inline int32_t odl_f16_numel(const odl_f16_tensor_t *t) {
    return t->dims[0] * t->dims[1] * t->dims[2] * t->dims[3];
}

#ifdef __cplusplus
}
#endif

#endif /* ODL_KERNELS_F16_H */
