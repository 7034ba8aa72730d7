/* DEPTHWISE_CONV_2D with int16 weights (see odl/kernels_s8w16.h): the loop
 * of depthwise_conv_2d.c with an int64 accumulator. */
#include "odl/fixedpoint.h"
#include "odl/kernels_s8w16.h"

odl_status_t odl_depthwise_conv2d_s8w16(const odl_conv_params_t *p, const int32_t *mult, const int32_t *shift,
                                        const odl_dims4_t *in_dims, const int8_t *in,
                                        const odl_dims4_t *w_dims, const int16_t *w, const int32_t *bias,
                                        const odl_dims4_t *out_dims, int8_t *out) {
    if (!p || !mult || !shift || !in_dims || !in || !w_dims || !w || !out_dims || !out) return ODL_ERR_ARG;
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = w_dims->h, k_w = w_dims->w;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t dm = p->depth_multiplier;
    if (dm <= 0 || out_c != in_c * dm || w_dims->c != out_c || w_dims->n != 1 || in_dims->n != out_dims->n)
        return ODL_ERR_SHAPE;
    const int32_t in_off = p->input_offset;

    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (int32_t ic = 0; ic < in_c; ++ic) {
                    for (int32_t m = 0; m < dm; ++m) {
                        const int32_t oc = ic * dm + m;
                        int64_t acc = 0;
                        for (int32_t fy = 0; fy < k_h; ++fy) {
                            const int32_t y = y0 + fy * p->dilation_h;
                            if (y < 0 || y >= in_h) continue;
                            const int8_t *ip = in_b + (size_t)y * in_w * in_c + ic;
                            const int16_t *wp = w + (size_t)fy * k_w * out_c + oc;
                            for (int32_t fx = 0; fx < k_w; ++fx) {
                                const int32_t x = x0 + fx * p->dilation_w;
                                if (x < 0 || x >= in_w) continue;
                                acc += (int64_t)((int32_t)wp[(size_t)fx * out_c] * ((int32_t)ip[(size_t)x * in_c] + in_off));
                            }
                        }
                        int32_t a = odl_w16_acc_to_i32(acc, bias ? bias[oc] : 0);
                        a = odl_mul_by_quantized_multiplier(a, mult[oc], shift[oc]) + p->output_offset;
                        *out++ = (int8_t)odl_clamp_i32(a, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
    return ODL_OK;
}
