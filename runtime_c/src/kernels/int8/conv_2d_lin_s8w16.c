/* CONV_2D with int16 weights split at its accumulator, for a convolution
 * that is the forward gradient's first trained layer (odl/kernels_s8w16.h):
 * like the fully connected case, acc(theta + s z) = acc(theta) + s acc(z)
 * exactly, and the output is the s8w16 epilogue of that sum. Outputs are
 * indexed [pixel * out_c + oc] (NHWC), the layout odl_fully_connected_s8w16_out
 * reads with batches = pixels and out_depth = out_c. Portable
 * specification; arm_dsp/ has the SIMD twin. */
#include <string.h>

#include "odl/fixedpoint.h"
#include "odl/kernels_s8w16.h"
#include "odl/prng.h"

/* The loop of conv_2d_s8w16.c up to the accumulator: sum over the taps inside
 * the image of f(e) * (x + input_offset), e = oc * K + (fy * k_w + fx) * k_c + ic
 * the weight's element; f(e) = w[e] (w given, int64 sums) or the sign
 * odl_prng_sign(key, e) (int32 sums: |sum| <= 255 K). */
static void conv_lin(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                     const odl_dims4_t *w_dims, const int16_t *w, uint32_t key, const odl_dims4_t *out_dims,
                     int64_t *acc64, int32_t *acc32) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = w_dims->h, k_w = w_dims->w, k_c = w_dims->c;
    const int32_t out_h = out_dims->h, out_w = out_dims->w, out_c = out_dims->c;
    const int32_t fpg = out_c / (in_c / k_c), k = k_h * k_w * k_c, in_off = p->input_offset;
    size_t i = 0;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->stride_h - p->pad_h;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t x0 = ox * p->stride_w - p->pad_w;
                for (int32_t oc = 0; oc < out_c; ++oc, ++i) {
                    const int32_t c0 = (oc / fpg) * k_c;
                    int64_t a = 0;
                    for (int32_t fy = 0; fy < k_h; ++fy) {
                        const int32_t y = y0 + fy * p->dilation_h;
                        if (y < 0 || y >= in_h) continue;
                        for (int32_t fx = 0; fx < k_w; ++fx) {
                            const int32_t x = x0 + fx * p->dilation_w;
                            if (x < 0 || x >= in_w) continue;
                            const int8_t *ip = in_b + ((size_t)y * in_w + x) * in_c + c0;
                            const uint32_t e0 = (uint32_t)(oc * k + (fy * k_w + fx) * k_c);
                            for (int32_t ic = 0; ic < k_c; ++ic) {
                                const int32_t f = w ? (int32_t)w[e0 + (uint32_t)ic] : odl_prng_sign(key, e0 + (uint32_t)ic);
                                a += (int64_t)(f * ((int32_t)ip[ic] + in_off));
                            }
                        }
                    }
                    if (acc64)
                        memcpy(&acc64[i], &a, sizeof a);
                    else
                        acc32[i] = (int32_t)a;
                }
            }
        }
    }
}

void odl_conv2d_s8w16_acc(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                          const odl_dims4_t *w_dims, const int16_t *w, const odl_dims4_t *out_dims, int64_t *acc,
                          const int16_t *cols) {
    (void)cols; /* the specification: no columns */
    conv_lin(p, in_dims, in, w_dims, w, 0u, out_dims, acc, 0);
}

void odl_conv2d_z_acc(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                      const odl_dims4_t *w_dims, uint32_t key, const odl_dims4_t *out_dims, int32_t *acc,
                      const int16_t *cols) {
    (void)cols; /* the specification: no columns */
    conv_lin(p, in_dims, in, w_dims, 0, key, out_dims, 0, acc);
}

void odl_conv2d_z_cols(const odl_conv_params_t *p, const odl_dims4_t *in_dims, const int8_t *in,
                       const odl_dims4_t *w_dims, const odl_dims4_t *out_dims, int16_t *cols) {
    const int32_t in_h = in_dims->h, in_w = in_dims->w, in_c = in_dims->c;
    const int32_t k_h = w_dims->h, k_w = w_dims->w, k_c = w_dims->c;
    for (int32_t b = 0; b < out_dims->n; ++b) {
        const int8_t *in_b = in + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < out_dims->h; ++oy)
            for (int32_t ox = 0; ox < out_dims->w; ++ox)
                for (int32_t fy = 0; fy < k_h; ++fy)
                    for (int32_t fx = 0; fx < k_w; ++fx)
                        for (int32_t ic = 0; ic < k_c; ++ic) {
                            const int32_t y = oy * p->stride_h - p->pad_h + fy * p->dilation_h;
                            const int32_t x = ox * p->stride_w - p->pad_w + fx * p->dilation_w;
                            const int inside = y >= 0 && y < in_h && x >= 0 && x < in_w;
                            *cols++ = inside ? (int16_t)(in_b[((size_t)y * in_w + x) * in_c + ic] + p->input_offset) : 0;
                        }
    }
}
